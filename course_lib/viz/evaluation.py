"""What ``evaluate`` measured, drawn: accuracy per class and the confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from course_lib.train import Metrics


def _as_numpy(values: Any) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    return np.asarray(values)


def plot_per_class_accuracy(
    accuracy: Metrics | Sequence[float] | torch.Tensor,
    classes: Sequence[str] | None = None,
    reference: Sequence[float] | None = None,
    labels: tuple[str, str] = ("this run", "reference"),
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Bar chart of the accuracy of every class, optionally beside reference numbers.

    Args:
        accuracy: ``Metrics`` from ``evaluate``, or one accuracy per class.
        classes: class names for the x axis (default: 0, 1, ...).
        reference: accuracies to show beside them (e.g. a document's table), same units.
        labels: legend entries for ``accuracy`` and ``reference``.
        ax: draw into this ``Axes`` instead of a new figure.

    Returns:
        ``(fig, ax)``.

    Example:
        >>> fig, ax = plot_per_class_accuracy([0.9, 0.7], classes=["cat", "dog"])
        >>> [t.get_text() for t in ax.get_xticklabels()]
        ['cat', 'dog']
    """
    values = _as_numpy(accuracy.per_class_accuracy if isinstance(accuracy, Metrics) else accuracy)
    values = values.astype(float).reshape(-1)
    classes = list(classes) if classes is not None else [str(i) for i in range(len(values))]
    if len(classes) != len(values):
        raise ValueError(f"{len(values)} accuracies but {len(classes)} class names")
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(4.0, 0.6 * len(values) + 1.5), 3.2))
    positions = np.arange(len(values))
    if reference is None:
        ax.bar(positions, values, color="C0")
    else:
        reference = _as_numpy(reference).astype(float).reshape(-1)
        if len(reference) != len(values):
            raise ValueError(f"{len(values)} accuracies but {len(reference)} reference values")
        ax.bar(positions - 0.2, values, width=0.4, label=labels[0], color="C0")
        ax.bar(positions + 0.2, reference, width=0.4, label=labels[1], color="C1")
        ax.legend()
    rotate = {"rotation": 45, "ha": "right"} if max(map(len, classes)) > 4 else {}
    ax.set_xticks(positions, classes, **rotate)
    ax.set_xlabel("class")
    ax.set_ylabel("accuracy")
    ax.grid(axis="y", alpha=0.3)
    ax.figure.tight_layout()
    return ax.figure, ax


def plot_confusion_matrix(
    confusion: Metrics | torch.Tensor | np.ndarray,
    classes: Sequence[str] | None = None,
    normalize: bool = True,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Show a confusion matrix as an image: rows are true classes, columns predicted ones.

    Args:
        confusion: ``Metrics`` from ``evaluate``, or counts ``(num_classes, num_classes)``.
        classes: class names for the ticks (default: 0, 1, ...).
        normalize: divide each row by its total, so a cell is the fraction of the true class.
        ax: draw into this ``Axes`` instead of a new figure.

    Returns:
        ``(fig, ax)``; cells are annotated with their values when there are at most 12 classes.

    Example:
        >>> fig, ax = plot_confusion_matrix(torch.tensor([[8, 2], [1, 9]]), ["cat", "dog"])
        >>> ax.get_xlabel(), ax.get_ylabel()
        ('predicted class', 'true class')
    """
    matrix = confusion.confusion_matrix if isinstance(confusion, Metrics) else confusion
    matrix = _as_numpy(matrix).astype(float)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"a confusion matrix is square (K, K), got shape {matrix.shape}")
    k = matrix.shape[0]
    classes = list(classes) if classes is not None else [str(i) for i in range(k)]
    if len(classes) != k:
        raise ValueError(f"a {k}x{k} confusion matrix but {len(classes)} class names")
    if normalize:
        matrix = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    if ax is None:
        size = max(3.5, 0.5 * k + 2)
        fig, ax = plt.subplots(figsize=(size + 0.8, size))
    image = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    ax.figure.colorbar(image, ax=ax, label="fraction of the true class" if normalize else "count")
    rotate = {"rotation": 45, "ha": "right"} if max(map(len, classes)) > 3 else {}
    ax.set_xticks(range(k), classes, **rotate)
    ax.set_yticks(range(k), classes)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if k <= 12:
        threshold = matrix.max() / 2
        for i in range(k):
            for j in range(k):
                text = f"{matrix[i, j]:.2f}" if normalize else f"{matrix[i, j]:.0f}"
                color = "white" if matrix[i, j] > threshold else "black"
                ax.text(j, i, text, ha="center", va="center", color=color, fontsize=8)
    ax.figure.tight_layout()
    return ax.figure, ax
