"""Image grids: un-normalised, titled with labels and predictions; feature maps."""

import numpy as np
import pytest
import torch

from course_lib.viz import plot_feature_maps, plot_images, plot_predictions


def test_images_are_unnormalised_and_titled(is_png):
    mean, std = [0.5, 0.4, 0.3], [0.2, 0.25, 0.3]
    images = torch.rand(5, 3, 6, 6)
    normalised = (images - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)
    classes = ["cat", "dog", "ship"]
    fig, axes = plot_images(
        normalised,
        labels=[0, 1, 2, 0, 1],
        predictions=[0, 2, 2, 0, 1],
        classes=classes,
        mean=mean,
        std=std,
        ncols=3,
    )
    assert len(axes) == 5
    shown = axes[0].images[0].get_array()
    assert np.allclose(shown, images[0].permute(1, 2, 0).numpy(), atol=1e-6)
    assert axes[0].get_title() == "cat" and axes[1].get_title() == "ship\n(true: dog)"
    assert axes[1].title.get_color() == "red"
    assert is_png(fig)


def test_images_grey_uint8_and_mistakes(is_png):
    _, axes = plot_images(torch.full((3, 4, 4), 255, dtype=torch.uint8), max_images=2)
    assert len(axes) == 2 and axes[0].images[0].get_array().max() == 1.0
    with pytest.raises(ValueError, match="C 1 or 3"):
        plot_images(torch.rand(2, 4, 8, 8))
    with pytest.raises(ValueError, match="both mean and std"):
        plot_images(torch.rand(2, 1, 8, 8), mean=[0.5])


def test_feature_maps_one_tile_per_channel(is_png):
    maps = torch.randn(1, 40, 7, 7)
    fig, axes = plot_feature_maps(maps, max_channels=12, ncols=4)
    assert len(axes) == 12 and axes[11].get_title() == "11"
    assert np.allclose(axes[3].images[0].get_array(), maps[0, 3].numpy())
    assert is_png(fig)
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        plot_feature_maps(torch.randn(2, 3, 4, 4))


def test_predictions_are_the_models_on_the_first_images(is_png):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3)).train()
    X, y = torch.rand(20, 1, 8, 8), torch.randint(0, 3, (20,))
    fig, axes = plot_predictions(net, [(X, y)], classes=["a", "b", "c"], n=5)
    expected = net(X[:5]).argmax(dim=1).tolist()
    assert not net.training and len(axes) == 5
    assert [ax.get_title().split("\n")[0] for ax in axes] == ["abc"[k] for k in expected]
    assert is_png(fig)
