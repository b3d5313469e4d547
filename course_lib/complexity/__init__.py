"""Data complexity: how hard a classification problem is in a given representation.

Ho (2022, "Complexity of Representations in Deep Learning") follows the complexity of the data
through the layers of a network with the leave-one-out nearest-neighbour error. Modules, each
with one job:

- ``nn``: ``nn_error`` (N3), exact and fast on the CPU or a GPU, and ``nearest_neighbours``;
- ``search``: the exact blocked search behind them;
- ``precision``: ``full_precision``, no TF32 while representations and distances are computed;
- ``measures``: N1, N2 and F1 of the same family, multiclass;
- ``profile``: ``complexity_profile``, the complexity at the entry and exit of every layer.

The paper's figure, ``plot_complexity``, is drawn by :mod:`course_lib.viz`.
"""

from course_lib.complexity.measures import f1, n1, n2
from course_lib.complexity.nn import Neighbours, nearest_neighbours, nn_error, nn_errors
from course_lib.complexity.precision import full_precision
from course_lib.complexity.profile import (
    LayerComplexity,
    classification_error,
    complexity_profile,
)

__all__ = [
    "LayerComplexity",
    "Neighbours",
    "classification_error",
    "complexity_profile",
    "f1",
    "full_precision",
    "n1",
    "n2",
    "nearest_neighbours",
    "nn_error",
    "nn_errors",
]
