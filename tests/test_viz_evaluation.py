"""Accuracy per class beside a reference, and the confusion matrix."""

import numpy as np
import pytest
import torch

from course_lib.train import Metrics
from course_lib.viz import plot_confusion_matrix, plot_per_class_accuracy


def metrics():
    confusion = torch.tensor([[8, 2, 0], [1, 9, 0], [0, 5, 5]])
    per_class = (confusion.diagonal() / confusion.sum(1)).tolist()
    return Metrics(0.5, 22 / 30, per_class, confusion, 30)


def test_per_class_accuracy_bars_beside_a_reference(is_png):
    fig, ax = plot_per_class_accuracy(
        metrics(), classes=["plane", "car", "bird"], reference=[0.7, 0.8, 0.6]
    )
    heights = [patch.get_height() for patch in ax.patches]
    assert heights == pytest.approx([0.8, 0.9, 0.5, 0.7, 0.8, 0.6])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["plane", "car", "bird"]
    assert ax.get_ylabel() == "accuracy" and ax.get_xlabel() == "class"
    assert is_png(fig)
    with pytest.raises(ValueError, match="3 accuracies but 2 class names"):
        plot_per_class_accuracy(metrics(), classes=["plane", "car"])


def test_confusion_matrix_rows_are_normalised(is_png):
    fig, ax = plot_confusion_matrix(metrics(), classes=["plane", "car", "bird"])
    image = ax.images[0].get_array()
    assert np.allclose(image.sum(axis=1), 1) and image[2, 1] == pytest.approx(0.5)
    assert len(ax.texts) == 9 and ax.texts[0].get_text() == "0.80"
    assert is_png(fig)
    _, ax = plot_confusion_matrix(np.array([[3, 1], [0, 4]]), normalize=False)
    assert ax.texts[1].get_text() == "1"
    with pytest.raises(ValueError, match="square"):
        plot_confusion_matrix(torch.zeros(2, 3))
