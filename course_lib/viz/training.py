"""Training curves: ``plot_history`` draws what ``fit`` recorded, one panel per metric."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from course_lib.train import History
from course_lib.train.history import COLUMNS

SPLITS = ("train", "val", "test")
LINESTYLES = {"train": "-", "val": "--", "test": ":"}
AXIS_LABELS = {
    "loss": "loss",
    "accuracy": "accuracy",
    "lr": "learning rate",
    "epoch_time": "seconds",
}


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
