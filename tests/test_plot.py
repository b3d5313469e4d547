import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_lib.plot import (
    plot_confusion_matrix,
    plot_feature_maps,
    plot_history,
    plot_images,
    plot_per_class_accuracy,
)
from course_lib.train import History, Metrics


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def history(num_epochs=3, test=False):
    records = []
    for epoch in range(1, num_epochs + 1):
        record = {"epoch": epoch, "train_loss": 1 / epoch, "train_accuracy": 1 - 0.5 / epoch}
        record.update(val_loss=1.2 / epoch, val_accuracy=1 - 0.6 / epoch, lr=0.1 / epoch)
        if test:
            record.update(test_loss=1.3 / epoch, test_accuracy=1 - 0.7 / epoch)
        records.append(record)
    return History(records)


def png_bytes(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def test_history_curves_per_split():
    fig, axes = plot_history(history(test=True), metrics=("loss", "accuracy", "lr"))
    assert len(axes) == 3
    loss, accuracy, lr = axes
    assert [line.get_label() for line in loss.lines] == ["train", "val", "test"]
    assert [line.get_linestyle() for line in accuracy.lines] == ["-", "--", ":"]
    assert list(accuracy.lines[1].get_ydata()) == history()["val_accuracy"]
    assert list(lr.lines[0].get_xdata()) == [1, 2, 3]
    assert [ax.get_xlabel() for ax in axes] == ["epoch"] * 3
    assert [ax.get_ylabel() for ax in axes] == ["loss", "accuracy", "learning rate"]
    assert png_bytes(fig).startswith(b"\x89PNG")


def test_history_runs_compared_on_the_same_axes():
    _, axes = plot_history(history(), label="SGD")
    plot_history(history(2), label="Adam", axes=axes)
    lines = axes[0].lines
    assert [line.get_label() for line in lines] == [
        "SGD train",
        "SGD val",
        "Adam train",
        "Adam val",
    ]
    assert lines[0].get_color() == lines[1].get_color() != lines[2].get_color()


def test_history_mistakes():
    with pytest.raises(TypeError, match="must be a History"):
        plot_history({"train_loss": [1.0]})
    with pytest.raises(ValueError, match="the history is empty"):
        plot_history(History())
    with pytest.raises(ValueError, match="unknown metrics"):
        plot_history(history(), metrics=("los",))


def test_history_column_a_chapter_added():
    runs = history()
    for record in runs.records:
        record["complexity"] = 0.5 / record["epoch"]
    _, axes = plot_history(runs, metrics=("complexity",))
    assert axes[0].get_ylabel() == "complexity" and len(axes[0].lines[0].get_xdata()) == 3


def metrics():
    confusion = torch.tensor([[8, 2, 0], [1, 9, 0], [0, 5, 5]])
    per_class = (confusion.diagonal() / confusion.sum(1)).tolist()
    return Metrics(0.5, 22 / 30, per_class, confusion, 30)


def test_per_class_accuracy_bars_beside_a_reference():
    fig, ax = plot_per_class_accuracy(
        metrics(), classes=["plane", "car", "bird"], reference=[0.7, 0.8, 0.6]
    )
    heights = [patch.get_height() for patch in ax.patches]
    assert heights == pytest.approx([0.8, 0.9, 0.5, 0.7, 0.8, 0.6])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["plane", "car", "bird"]
    assert ax.get_ylabel() == "accuracy" and ax.get_xlabel() == "class"
    assert png_bytes(fig).startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="3 accuracies but 2 class names"):
        plot_per_class_accuracy(metrics(), classes=["plane", "car"])


def test_confusion_matrix_rows_are_normalised():
    fig, ax = plot_confusion_matrix(metrics(), classes=["plane", "car", "bird"])
    image = ax.images[0].get_array()
    assert np.allclose(image.sum(axis=1), 1) and image[2, 1] == pytest.approx(0.5)
    assert len(ax.texts) == 9 and ax.texts[0].get_text() == "0.80"
    assert png_bytes(fig).startswith(b"\x89PNG")
    _, ax = plot_confusion_matrix(np.array([[3, 1], [0, 4]]), normalize=False)
    assert ax.texts[1].get_text() == "1"
    with pytest.raises(ValueError, match="square"):
        plot_confusion_matrix(torch.zeros(2, 3))


def test_images_are_unnormalised_and_titled():
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
    assert png_bytes(fig).startswith(b"\x89PNG")


def test_images_grey_uint8_and_mistakes():
    _, axes = plot_images(torch.full((3, 4, 4), 255, dtype=torch.uint8), max_images=2)
    assert len(axes) == 2 and axes[0].images[0].get_array().max() == 1.0
    with pytest.raises(ValueError, match="C 1 or 3"):
        plot_images(torch.rand(2, 4, 8, 8))
    with pytest.raises(ValueError, match="both mean and std"):
        plot_images(torch.rand(2, 1, 8, 8), mean=[0.5])


def test_feature_maps_one_tile_per_channel():
    maps = torch.randn(1, 40, 7, 7)
    fig, axes = plot_feature_maps(maps, max_channels=12, ncols=4)
    assert len(axes) == 12 and axes[11].get_title() == "11"
    assert np.allclose(axes[3].images[0].get_array(), maps[0, 3].numpy())
    assert png_bytes(fig).startswith(b"\x89PNG")
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        plot_feature_maps(torch.randn(2, 3, 4, 4))
