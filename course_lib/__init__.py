"""course_lib: the helper library of the course on convolutional neural networks.

The front door: a chapter imports what it uses from here, in one block, e.g.::

    from course_lib import Scorecard, TrainConfig, fill_defaults, fit, load_data, resolve_profile

Names load on first use, so ``import course_lib`` is instant and sets nothing up: no seeds are
set, no data is downloaded. The modules, each with one job:

- ``profile``: the ``quick`` / ``full`` profile and every ``COURSE_*`` setting, read in one place.
- ``ops``: the teaching operators (cross-correlation, pooling, transposed convolution) and
  output-size arithmetic, written from scratch and checked against PyTorch.
- ``models``: the networks of the book, plus ``count_parameters`` and ``layer_summary``.
- ``data``: the datasets through torchvision, announced stand-ins, a device-resident fast path
  with batched augmentation, the notice a quick page opens with.
- ``train``: ``fit`` and ``evaluate`` (mixed precision, schedules, checkpoints and resuming,
  early stopping), and the decoders' training.
- ``plot`` and ``viz``: training curves, image grids, feature maps; convolution, pooling and
  transposed convolution step by step, receptive fields, reconstructions.
- ``scorecard`` and ``findings``: the source documents' numbers beside this run's, and their
  qualitative findings as rules that fail on degenerate runs.
- ``complexity``: data-complexity measures (the leave-one-out 1-NN error N3, N1, N2, F1) and
  their profile through a network's layers.
- ``flops``: FLOP counts of a training run and run-time estimates from them.
- ``tables``: plain-text tables for the chapters.
- ``exercises``: writes the student notebooks in ``exercises/`` from ``solutions/``.
- ``grading``: the call-checking helpers that exercise solutions use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# name -> the module that defines it (loaded on first use).
_EXPORTS = {
    "Augment": "course_lib.data",
    "NORMALIZATIONS": "course_lib.data",
    "Scorecard": "course_lib.scorecard",
    "TrainConfig": "course_lib.train",
    "above_chance": "course_lib.findings",
    "count_flops": "course_lib.flops",
    "count_parameters": "course_lib.models",
    "edition_notice": "course_lib.data",
    "estimate_minutes": "course_lib.flops",
    "evaluate": "course_lib.train",
    "fill_defaults": "course_lib.profile",
    "fit": "course_lib.train",
    "format_table": "course_lib.tables",
    "layer_summary": "course_lib.models",
    "load_data": "course_lib.data",
    "load_images": "course_lib.data",
    "plot_confusion_matrix": "course_lib.plot",
    "plot_history": "course_lib.plot",
    "plot_images": "course_lib.plot",
    "plot_per_class_accuracy": "course_lib.plot",
    "reference": "course_lib.scorecard",
    "resolve_profile": "course_lib.profile",
    "run_flops": "course_lib.flops",
}
_MODULES = ("complexity", "data", "findings", "flops", "models", "ops", "plot", "profile",
            "scorecard", "tables", "train", "viz")  # fmt: skip

__all__ = sorted([*_EXPORTS, *_MODULES])


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _MODULES:
        value = importlib.import_module(f"course_lib.{name}")
    else:
        raise AttributeError(f"module 'course_lib' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS, *_MODULES])
