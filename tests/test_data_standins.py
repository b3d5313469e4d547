"""course_lib.data.standins: the stand-ins say what they are, are balanced, and are learnable."""

import contextlib
import io

import pytest
import torch
import torch.nn as nn
import torchvision

from course_lib.data import (
    clothing_standin,
    digits_standin,
    load_data,
    shapes_standin,
)

pytestmark = pytest.mark.usefixtures("no_downloads")


def test_quick_offline_announces_the_standin(capsys):
    data = load_data("cifar10", profile="quick", batch_size=50, train_size=100, test_size=50)
    out = capsys.readouterr().out
    assert out.startswith("Stand-in data: CIFAR-10 could not be loaded (offline")
    assert "100 training and 50 test images" in out and "not comparable" in out
    assert data.standin and "stand-in" in data.description


def test_fashion_mnist_standin_says_it_is_drawn_garments(capsys):
    data = load_data("fashion_mnist", profile="quick", batch_size=32, train_size=64, test_size=0)
    assert "drawn silhouettes of the ten garments, not photographs" in capsys.readouterr().out
    assert data.classes == torchvision.datasets.FashionMNIST.classes and data.image_size == (28, 28)


def test_standins_are_balanced_and_splits_differ():
    train, train_labels = digits_standin(1437)
    test, _ = digits_standin(360, train=False)
    assert torch.bincount(train_labels).min() > 100  # every digit present in numbers
    train_set = {bytes(x.numpy()) for x in train[:, :, 4:24, 4:24]}
    assert not any(bytes(x.numpy()) in train_set for x in test[:, :, 4:24, 4:24])
    images, labels = shapes_standin(300, 100)
    assert (
        torch.bincount(labels, minlength=100).tolist() == [3] * 100 and images.dtype == torch.uint8
    )
    assert not torch.equal(shapes_standin(10)[0], shapes_standin(10, train=False)[0])
    garments, garment_labels = clothing_standin(300)
    assert torch.bincount(garment_labels, minlength=10).tolist() == [30] * 10
    assert garments.shape == (300, 1, 28, 28) and garments.dtype == torch.uint8
    assert not torch.equal(clothing_standin(10)[0], clothing_standin(10, train=False)[0])


def test_clothing_standin_looks_like_fashion_mnist():
    """Light garments centred on black, each class its own silhouette, at any frame size."""
    images, labels = clothing_standin(1000)
    pixels = images.float() / 255
    assert 0.15 < pixels.mean() < 0.35  # Fashion-MNIST's mean pixel is 0.29
    assert pixels[:, :, 0].mean() < 0.01 and pixels[:, :, :, 0].mean() < 0.01  # black borders
    ink = (pixels > 0.1).float()
    mean_masks = torch.stack([ink[labels == c].mean(0) for c in range(10)])  # (10, 1, 28, 28)
    distance = torch.cdist(mean_masks.flatten(1), mean_masks.flatten(1))
    assert distance[~torch.eye(10, dtype=torch.bool)].min() > 1.0  # no two classes alike
    trousers, tops = mean_masks[1, 0], mean_masks[0, 0]
    assert trousers[22, 13:15].mean() < trousers[22, 9] / 2  # two legs with a gap between them
    assert tops[6, 2:5].mean() > 0.15 > tops[20, 2:5].mean()  # short sleeves, nothing below
    assert clothing_standin(4, size=56)[0].shape == (4, 1, 56, 56)


def tiny_cnn(in_channels: int, num_classes: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(in_channels, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(32 * 16, num_classes),
    )  # fmt: skip


@pytest.mark.parametrize(
    "name, train_size, normalize, chance, minimum",
    [
        ("mnist", 800, "mnist", 0.1, 0.4),
        ("fashion_mnist", 800, "fashion_mnist", 0.1, 0.3),
        ("cifar10", 800, "tutorial", 0.1, 0.3),
        ("cifar100", 2000, "tutorial", 0.01, 0.05),
    ],
)
def test_small_cnn_learns_each_standin_in_one_epoch(
    name, train_size, normalize, chance, minimum, one_thread
):
    with contextlib.redirect_stdout(io.StringIO()):
        data = load_data(name, profile="quick", batch_size=16, train_size=train_size, test_size=400,
                         normalize=normalize)  # fmt: skip
    torch.manual_seed(0)
    model = tiny_cnn(data.in_channels, data.num_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for X, y in data.train:
        loss = nn.functional.cross_entropy(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        correct = sum((model(X).argmax(1) == y).sum().item() for X, y in data.test)
    accuracy = correct / data.test.dataset_size
    assert accuracy > minimum, f"{name}: test accuracy {accuracy:.3f}, chance {chance}"
