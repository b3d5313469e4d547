"""Training curves: one panel per metric, a line per split, runs compared on one axes."""

import pytest

from course_lib.train import History
from course_lib.viz import plot_history


def history(num_epochs=3, test=False):
    records = []
    for epoch in range(1, num_epochs + 1):
        record = {"epoch": epoch, "train_loss": 1 / epoch, "train_accuracy": 1 - 0.5 / epoch}
        record.update(val_loss=1.2 / epoch, val_accuracy=1 - 0.6 / epoch, lr=0.1 / epoch)
        if test:
            record.update(test_loss=1.3 / epoch, test_accuracy=1 - 0.7 / epoch)
        records.append(record)
    return History(records)


def test_history_curves_per_split(is_png):
    fig, axes = plot_history(history(test=True), metrics=("loss", "accuracy", "lr"))
    assert len(axes) == 3
    loss, accuracy, lr = axes
    assert [line.get_label() for line in loss.lines] == ["train", "val", "test"]
    assert [line.get_linestyle() for line in accuracy.lines] == ["-", "--", ":"]
    assert list(accuracy.lines[1].get_ydata()) == history()["val_accuracy"]
    assert list(lr.lines[0].get_xdata()) == [1, 2, 3]
    assert [ax.get_xlabel() for ax in axes] == ["epoch"] * 3
    assert [ax.get_ylabel() for ax in axes] == ["loss", "accuracy", "learning rate"]
    assert is_png(fig)


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
