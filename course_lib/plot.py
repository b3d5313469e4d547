"""Figures of the course: training curves, per-class accuracy, confusion matrices, image grids
and feature maps. Every function returns ``(fig, ax)`` and draws nothing during training."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from course_lib.train import History, Metrics
from course_lib.train.history import COLUMNS

SPLITS = ("train", "val", "test")
LINESTYLES = {"train": "-", "val": "--", "test": ":"}
AXIS_LABELS = {
    "loss": "loss",
    "accuracy": "accuracy",
    "lr": "learning rate",
    "epoch_time": "seconds",
}


def _as_numpy(values: Any) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    return np.asarray(values)


def plot_history(
    history: History,
    metrics: Sequence[str] = ("loss", "accuracy"),
    label: str | None = None,
    axes: Sequence[Axes] | None = None,
) -> tuple[Figure, np.ndarray]:
    """Plot training curves per epoch: one panel per metric, train vs val (and test).

    Args:
        history: what ``fit`` returned.
        metrics: panels to draw: ``"loss"``, ``"accuracy"`` (train/val/test curves, whichever
            the history has), ``"lr"``, ``"epoch_time"``, or a column a chapter added.
        label: the run's name in the legend; give one to compare several runs on the same
            ``axes`` (each run then gets one colour, its splits one line style each).
        axes: draw into these axes (one per metric) instead of a new figure.

    Returns:
        ``(fig, axes)``, ``axes`` an array with one ``Axes`` per metric.

    Example:
        >>> history = History([{"epoch": 1, "train_loss": 0.9, "val_loss": 1.0},
        ...                    {"epoch": 2, "train_loss": 0.6, "val_loss": 0.8}])
        >>> fig, axes = plot_history(history, metrics=["loss"])
        >>> [line.get_label() for line in axes[0].lines]
        ['train', 'val']
    """
    if not isinstance(history, History):
        raise TypeError(f"history must be a History (from fit), got {type(history).__name__}")
    if len(history) == 0:
        raise ValueError("the history is empty: train at least one epoch first")
    unknown = [m for m in metrics if m not in AXIS_LABELS and m not in history]
    if unknown:
        choices = list(AXIS_LABELS) + [c for c in history.columns if c not in COLUMNS]
        raise ValueError(f"unknown metrics {unknown}; choose from {choices}")
    if axes is None:
        fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.2), squeeze=False)
        axes = axes[0]
    axes = np.asarray(axes, dtype=object).reshape(-1)
    if len(axes) != len(metrics):
        raise ValueError(f"got {len(axes)} axes for {len(metrics)} metrics")
    marker = "o" if len(history) <= 20 else None
    for ax, metric in zip(axes, metrics, strict=True):
        # Without a label every split has its own colour; with one, the whole run shares one.
        color = None if label is None else f"C{len({line.get_color() for line in ax.lines}) % 10}"
        if metric in ("loss", "accuracy"):
            series = [(split, f"{split}_{metric}", split) for split in SPLITS]
        else:
            series = [("train", metric, metric)]  # (line style, column, legend name)
        for style, column, name in series:
            if column not in history:
                continue
            ax.plot(
                [record["epoch"] for record in history.records if column in record],
                history[column],
                linestyle=LINESTYLES[style],
                marker=marker,
                color=color,
                label=name if label is None else f"{label} {name}",
            )
        ax.set_xlabel("epoch")
        ax.set_ylabel(AXIS_LABELS.get(metric, metric))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    fig = axes[0].figure
    fig.tight_layout()
    return fig, axes


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


def _grid(n: int, ncols: int, tile: float) -> tuple[Figure, np.ndarray]:
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(tile * ncols, tile * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    return fig, axes.reshape(-1)


def _name(index: int, classes: Sequence[str] | None) -> str:
    return classes[index] if classes is not None else str(index)


def plot_images(
    X: torch.Tensor,
    labels: Sequence[int] | torch.Tensor | None = None,
    predictions: Sequence[int] | torch.Tensor | None = None,
    classes: Sequence[str] | None = None,
    mean: Sequence[float] | None = None,
    std: Sequence[float] | None = None,
    ncols: int = 8,
    max_images: int = 32,
) -> tuple[Figure, np.ndarray]:
    """Show a batch of images in a grid, titled with their labels and/or predictions.

    Args:
        X: images ``(N, C, H, W)`` with ``C`` 1 or 3, or ``(N, H, W)``; floats in ``[0, 1]``
            (after un-normalising) or uint8.
        labels: true classes ``(N,)``.
        predictions: predicted classes ``(N,)``; a wrong one is titled in red with the truth.
        classes: class names, indexed by label.
        mean: the per-channel mean the images were normalised with; undone before showing.
        std: the per-channel standard deviation the images were normalised with.
        ncols: images per row.
        max_images: show at most this many (the first ones).

    Returns:
        ``(fig, axes)``, ``axes`` a flat array of the grid's ``Axes``.

    Example:
        >>> fig, axes = plot_images(torch.rand(3, 1, 8, 8), labels=[0, 1, 1], classes=["a", "b"])
        >>> [ax.get_title() for ax in axes]
        ['a', 'b', 'b']
    """
    X = torch.as_tensor(X).detach().cpu()
    if X.dim() == 3:
        X = X.unsqueeze(1)
    if X.dim() != 4 or X.shape[1] not in (1, 3):
        raise ValueError(
            f"images must be (N, C, H, W) with C 1 or 3, or (N, H, W); got {tuple(X.shape)}"
        )
    X = X[:max_images]
    X = X.float() / 255 if X.dtype == torch.uint8 else X.float()
    if (mean is None) != (std is None):
        raise ValueError("give both mean and std to un-normalise, or neither")
    if mean is not None:
        X = X * torch.tensor(std).view(1, -1, 1, 1) + torch.tensor(mean).view(1, -1, 1, 1)
    X = X.clamp(0, 1)
    fig, axes = _grid(len(X), ncols, tile=1.4)
    labels = None if labels is None else _as_numpy(labels).tolist()
    predictions = None if predictions is None else _as_numpy(predictions).tolist()
    for i, image in enumerate(X):
        ax = axes[i]
        if image.shape[0] == 1:
            ax.imshow(image[0].numpy(), cmap="gray", vmin=0, vmax=1)
        else:
            ax.imshow(image.permute(1, 2, 0).numpy())
        title, color = "", "black"
        if predictions is not None:
            title = _name(predictions[i], classes)
            if labels is not None and predictions[i] != labels[i]:
                title, color = f"{title}\n(true: {_name(labels[i], classes)})", "red"
        elif labels is not None:
            title = _name(labels[i], classes)
        ax.set_title(title, color=color, fontsize=8)
    fig.tight_layout()
    return fig, axes[: len(X)]


def plot_feature_maps(
    feature_maps: torch.Tensor,
    max_channels: int = 32,
    ncols: int = 8,
    cmap: str = "viridis",
) -> tuple[Figure, np.ndarray]:
    """Show the channels of one layer's output for one image, one tile per channel.

    Each tile has its own colour scale, so weak and strong channels are both visible.

    Args:
        feature_maps: ``(C, H, W)``, or ``(1, C, H, W)`` for a batch of one image (for
            example an output captured with a forward hook).
        max_channels: show at most this many channels (the first ones).
        ncols: tiles per row.
        cmap: a matplotlib colour map.

    Returns:
        ``(fig, axes)``, ``axes`` a flat array with one ``Axes`` per channel shown, titled
        with the channel's index.

    Example:
        >>> fig, axes = plot_feature_maps(torch.rand(1, 6, 5, 5), ncols=3)
        >>> len(axes), axes[-1].get_title()
        (6, '5')
    """
    maps = torch.as_tensor(feature_maps).detach().float().cpu()
    if maps.dim() == 4 and maps.shape[0] == 1:
        maps = maps[0]
    if maps.dim() != 3:
        raise ValueError(f"feature maps must be (C, H, W) or (1, C, H, W), got {tuple(maps.shape)}")
    maps = maps[:max_channels]
    fig, axes = _grid(len(maps), ncols, tile=1.2)
    for channel, (ax, image) in enumerate(zip(axes, maps, strict=False)):
        ax.imshow(image.numpy(), cmap=cmap)
        ax.set_title(str(channel), fontsize=8)
    fig.tight_layout()
    return fig, axes[: len(maps)]
