"""``plot_complexity``: Ho's figure, the complexity at every layer position, one line per epoch.

The x axis lists the positions in the order the layers run ("conv1 in", "conv1 out", ...);
on the far right, separated by a gap, the network's end-to-end error on the same data, one
dot per epoch in the colour of its line. Positions after a batch-norm layer (or any kind
named in ``mark``) carry a marker.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from course_lib.complexity.profile import LayerComplexity

MAX_TICKS = 48  # beyond this many positions, only every k-th is labelled


def _profiles(
    profiles: Mapping[Any, Sequence[LayerComplexity]] | Sequence[LayerComplexity],
) -> dict[Any, Sequence[LayerComplexity]]:
    if isinstance(profiles, Mapping):
        runs = dict(profiles)
    else:
        runs = {None: profiles}
    if not runs or not all(runs.values()):
        raise ValueError("nothing to plot: give at least one non-empty profile")
    labels = [p.label for p in next(iter(runs.values()))]
    if any([p.label for p in run] != labels for run in runs.values()):
        raise ValueError("the profiles must have the same positions, in the same order")
    return runs


def plot_complexity(
    profiles: Mapping[Any, Sequence[LayerComplexity]] | Sequence[LayerComplexity],
    end_to_end: Mapping[Any, float] | None = None,
    *,
    ax: Axes | None = None,
    mark: Sequence[str] = ("BatchNorm2d", "BatchNorm1d"),
    key_name: str = "epoch",
    cmap: str = "viridis",
    tick_every: int | None = None,
    tick_label: Callable[[LayerComplexity], str | None] | None = None,
    ylabel: str = "leave-one-out 1-NN error (%)",
) -> tuple[Figure, Axes]:
    """Draw complexity (in %) against layer position, one line per profile.

    Args:
        profiles: ``{epoch: profile}`` (profiles from ``complexity_profile``), or one profile.
        end_to_end: ``{epoch: error}`` (fractions), drawn at the far right; None for none.
        ax: the axes to draw on; None makes a figure.
        mark: module kinds whose "out" positions get a marker (batch norm by default; e.g.
            ``("Dropout",)`` for the dropout layers).
        key_name: what the keys of ``profiles`` are, for the legend ("epoch"; "" for the
            keys alone).
        cmap: the colour map from the first profile to the last.
        tick_every: label every k-th position; None: all of them up to ``MAX_TICKS``.
        tick_label: instead, the label of each position, or None for no tick there (e.g. only
            the last position of each block).
        ylabel: the y axis label (the errors are drawn in percent).

    Returns:
        ``(fig, ax)``.

    Example:
        >>> from course_lib.complexity.profile import LayerComplexity as L
        >>> run = [L("conv1", "in", "Conv2d", 4, 0.5), L("conv1", "out", "Conv2d", 8, 0.25)]
        >>> fig, ax = plot_complexity({1: run, 2: run}, {1: 0.2, 2: 0.1})
        >>> [t.get_text() for t in ax.get_xticklabels()]
        ['conv1 in', 'conv1 out', 'end-to-end']
    """
    runs = _profiles(profiles)
    first = next(iter(runs.values()))
    n = len(first)
    if ax is None:
        _, ax = plt.subplots(figsize=(min(16, max(7, 0.22 * n + 2)), 4.2))
    colours = plt.get_cmap(cmap)
    marked = [i for i, p in enumerate(first) if p.kind in mark and p.position == "out"]
    gap = max(2, round(0.03 * n))  # between the last position and the end-to-end errors
    for k, (key, run) in enumerate(runs.items()):
        colour = colours(0.85 * k / max(1, len(runs) - 1))  # the palest end is hard to see
        label = None if key is None else f"{key_name} {key}".strip()
        errors = [100 * p.error for p in run]
        ax.plot(range(n), errors, color=colour, lw=1.4, label=label)
        if marked:
            ax.plot(marked, [errors[i] for i in marked], "v", color=colour, ms=4)
        if end_to_end is not None and key in end_to_end:
            ax.plot([n - 1 + gap], [100 * end_to_end[key]], "o", color=colour, ms=6)
    if marked:
        kinds = "batch norm" if all(k.startswith("BatchNorm") for k in mark) else " / ".join(mark)
        ax.plot([], [], "v", color="grey", label=f"after {kinds}")
    if tick_label is not None:
        labelled = [(i, tick_label(p)) for i, p in enumerate(first)]
        ticks, names = [i for i, t in labelled if t], [t for _, t in labelled if t]
    else:
        ticks = list(range(0, n, tick_every or max(1, math.ceil(n / MAX_TICKS))))
        names = [first[i].label for i in ticks]
    if end_to_end is not None:
        ticks, names = ticks + [n - 1 + gap], names + ["end-to-end"]
    ax.set_xticks(ticks, names, rotation=90, fontsize=7 if n > 24 else 8)
    ax.set_xlim(-0.5, n - 0.5 + (gap + 1 if end_to_end is not None else 0))  # the dots whole
    ax.set_xlabel("layer position (entry and exit of each layer)")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if len(runs) > 1 or marked:
        ax.legend(fontsize=7, ncol=2 if len(runs) > 8 else 1, loc="best")
    return ax.figure, ax
