"""Pictures of what decoders rebuild: tables of images with a verdict under each, and the
classifier's logits for pairs of classes (Björklund, 2024, Figures 13-18)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure


def _to_display(images: torch.Tensor, mean: Sequence[float] | None, std: Sequence[float] | None):
    """(..., 3, H, W) normalised floats -> (..., H, W, 3) numpy in [0, 1]."""
    images = torch.as_tensor(images).detach().float().cpu()
    if (mean is None) != (std is None):
        raise ValueError("give both mean and std to un-normalise, or neither")
    if mean is not None:
        shape = (-1, 1, 1)
        images = images * torch.tensor(std).view(shape) + torch.tensor(mean).view(shape)
    return images.clamp(0, 1).movedim(-3, -1).numpy()


def plot_image_table(
    images: torch.Tensor,
    captions: Sequence[Sequence[str]] | None = None,
    row_labels: Sequence[str] | None = None,
    column_labels: Sequence[str] | None = None,
    wrong: np.ndarray | Sequence[Sequence[bool]] | None = None,
    mean: Sequence[float] | None = None,
    std: Sequence[float] | None = None,
    tile: float = 1.1,
) -> tuple[Figure, np.ndarray]:
    """Show a table of colour images, a caption under each (e.g. the classifier's verdict).

    Args:
        images: ``(rows, columns, 3, H, W)``, normalised as ``mean`` and ``std`` say.
        captions: ``rows`` lists of ``columns`` strings shown under the images.
        row_labels: one label per row, left of it (e.g. the true class).
        column_labels: one label per column, above it (e.g. "original", "CP 1").
        wrong: ``(rows, columns)`` booleans; those captions are drawn in red.
        mean: the per-channel mean the images were normalised with; undone before showing.
        std: the per-channel standard deviation they were normalised with.
        tile: inches per image.

    Returns:
        ``(fig, axes)``, ``axes`` of shape ``(rows, columns)``.

    Example:
        >>> fig, axes = plot_image_table(torch.rand(2, 3, 3, 8, 8), [["a"] * 3, ["b"] * 3],
        ...                              column_labels=["x", "y", "z"])
        >>> axes.shape, axes[1, 2].get_xlabel(), axes[0, 1].get_title()
        ((2, 3), 'b', 'y')
    """
    if images.dim() != 5 or images.shape[2] != 3:
        raise ValueError(f"images must be (rows, columns, 3, H, W), got {tuple(images.shape)}")
    rows, columns = images.shape[:2]
    expected = {"row_labels": (row_labels, rows), "column_labels": (column_labels, columns)}
    for name, (labels, n) in expected.items():
        if labels is not None and len(labels) != n:
            raise ValueError(f"{name} has {len(labels)} entries for {n}")
    shown = _to_display(images, mean, std)
    fig, axes = plt.subplots(
        rows, columns, figsize=(tile * columns + 0.8, (tile + 0.25) * rows), squeeze=False
    )
    for i in range(rows):
        for j in range(columns):
            ax = axes[i, j]
            ax.imshow(shown[i, j])
            ax.set_xticks([])
            ax.set_yticks([])
            if captions is not None:
                red = wrong is not None and bool(np.asarray(wrong)[i, j])
                ax.set_xlabel(captions[i][j], fontsize=7, color="red" if red else "black")
            if column_labels is not None and i == 0:
                ax.set_title(column_labels[j], fontsize=8)
            if row_labels is not None and j == 0:
                ax.set_ylabel(row_labels[i], fontsize=8)
    fig.tight_layout(pad=0.3)
    return fig, axes


def plot_logit_pairs(
    splits: dict[str, tuple[torch.Tensor, torch.Tensor]],
    pairs: Sequence[tuple[int, int]],
    classes: Sequence[str],
    size: float = 2.8,
) -> tuple[Figure, np.ndarray]:
    """Scatter the logits of two classes against each other, one panel per pair and split.

    The images of the two classes are coloured, all others grey: the images a network is sure
    of lie far out along their class's axis.

    Args:
        splits: split name -> ``(logits (N, num_classes), labels (N,))``, one row of panels each.
        pairs: ``(i, j)`` class indices; the logit of ``i`` on the x axis, of ``j`` on the y axis.
        classes: class names.
        size: inches per panel.

    Returns:
        ``(fig, axes)``, ``axes`` of shape ``(len(splits), len(pairs))``.

    Example:
        >>> logits, labels = torch.randn(20, 3), torch.arange(20) % 3
        >>> fig, axes = plot_logit_pairs({"val": (logits, labels)}, [(0, 1)], ["a", "b", "c"])
        >>> axes[0, 0].get_xlabel(), axes[0, 0].get_ylabel()
        ('logit of a (val)', 'logit of b')
    """
    if not splits or not pairs:
        raise ValueError("give at least one split and one pair of classes")
    fig, axes = plt.subplots(
        len(splits), len(pairs), figsize=(size * len(pairs), size * len(splits)), squeeze=False
    )
    for row, (split, (logits, labels)) in enumerate(splits.items()):
        logits = torch.as_tensor(logits).detach().float().cpu().numpy()
        labels = torch.as_tensor(labels).cpu().numpy()
        for col, (i, j) in enumerate(pairs):
            ax = axes[row, col]
            others = (labels != i) & (labels != j)
            ax.scatter(logits[others, i], logits[others, j], s=3, c="0.8", label="other classes")
            for index, color in ((i, "tab:blue"), (j, "tab:orange")):
                mine = labels == index
                ax.scatter(logits[mine, i], logits[mine, j], s=4, c=color, label=classes[index])
            ax.set_xlabel(f"logit of {classes[i]} ({split})")
            ax.set_ylabel(f"logit of {classes[j]}")
            ax.legend(fontsize=7, markerscale=2, loc="upper right")
    fig.tight_layout()
    return fig, axes
