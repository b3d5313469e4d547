"""Data complexity: how hard a classification problem is in a given representation.

Ho {cite}`ho2024complexity` follows the complexity of the data through the layers of a network
with the leave-one-out nearest-neighbour error. Modules, each with one job:

- ``nn``: ``nn_error`` (N3), exact and fast on the CPU or a GPU, and ``nearest_neighbours``;
- ``precision``: ``full_precision``, no TF32 while distances are computed.
"""

from course_lib.complexity.nn import Neighbours, nearest_neighbours, nn_error, nn_errors
from course_lib.complexity.precision import full_precision

__all__ = [
    "Neighbours",
    "full_precision",
    "nearest_neighbours",
    "nn_error",
    "nn_errors",
]
