"""The leave-one-out nearest-neighbour error (N3), exactly and fast, on the CPU or a GPU.

Ho (2022, https://arxiv.org/abs/2209.00525) measures the complexity of a representation by the
error rate of the 1-nearest-neighbour classifier, estimated by leaving each point out in turn:
a point counts as an error when its nearest other point (Euclidean) has another label. Garcia,
Lorena, de Souto and Ho found it the measure that best predicts how well classifiers do (N3 in
the list of Ho and Basu, 2002).

Computing it takes the N x N distances. The fast way, ``|a|^2 + |b|^2 - 2 a.b`` with one big
matrix product in float32, has three traps, and ``nearest_neighbours`` avoids each:

- **Offsets.** When all points share a large offset, ``|a|^2`` and ``2 a.b`` are huge and
  nearly equal, and float32 cancels the answer away. The data are centred first (the mean in
  float64) and scaled by a power of two, which changes no distance ranking.
- **Near-ties.** float32 still errs by a little. Every float32 distance is turned into a lower
  bound by subtracting a margin (``margin``, Higham and Mary's probabilistic bound on a float32
  dot product with 12 standard deviations to spare); the candidates whose lower bound is
  within reach of the best are re-measured exactly in float64, straight from the data as
  given. A point whose candidates are too many for the shortlist is redone on its own.
- **Duplicates.** The point itself is excluded by its index, never by being the closest: an
  exact duplicate is a neighbour at distance 0, as it should be.

The float32 products run over blocks of rows and columns (memory stays bounded), and since the
distance matrix is symmetric only the blocks on and above the diagonal are computed, half the
work. ``full_precision`` keeps GPUs from using TF32.

Ties: when several points are at exactly the nearest distance (within a relative 1e-9 in
float64), a point counts as the *fraction* of them that have another label. This is the
expected error of a 1-NN classifier that breaks ties at random, and it does not depend on the
order of the points (a rule like "the first by index" would).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from course_lib.complexity.search import Neighbours, nearest, threads_for

AMONG = ("all", "same", "other")


def as_matrix(X: Any) -> Tensor:
    """``X`` (a tensor or array of N points of any shape) as an ``(N, D)`` tensor, checked.

    Float64 (and 32/64-bit integer) data stay float64, all else becomes float32 (exactly, for
    uint8 images and float16/bfloat16 activations).
    """
    if not isinstance(X, Tensor):
        X = torch.as_tensor(np.asarray(X))
    if X.dim() < 2:
        raise ValueError(f"X must have a first axis of points and features, got shape "
                         f"{tuple(X.shape)}; for one feature use X[:, None]")  # fmt: skip
    if X.is_complex() or X.dtype == torch.bool:
        raise TypeError(f"X must be real numbers, got {X.dtype}")
    wide = X.dtype in (torch.float64, torch.int32, torch.int64)
    X = X.reshape(len(X), -1).to(torch.float64 if wide else torch.float32)
    if len(X) < 2:
        raise ValueError(f"need at least 2 points for leave-one-out, got {len(X)}")
    if X.shape[1] == 0:
        raise ValueError("X has no features (D = 0)")
    if not torch.isfinite(X).all():
        raise ValueError("X contains NaN or infinite values")
    return X


def as_labels(y: Any, n: int, device: torch.device) -> Tensor:
    """Class labels as int64 codes ``(n,)`` on ``device``; any comparable values are allowed."""
    if isinstance(y, Tensor):
        if y.is_floating_point() and not torch.isfinite(y).all():
            raise ValueError("y contains NaN or infinite values")
        y = y.detach().cpu().numpy()
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"y must hold one label per point: {n} points, y has shape {y.shape}")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError("y contains NaN or infinite values")
    codes = np.unique(y, return_inverse=True)[1].reshape(-1)
    return torch.as_tensor(codes, dtype=torch.int64, device=device)


def nearest_neighbours(
    X: Any,
    y: Any = None,
    *,
    among: str = "all",
    device: str | torch.device | None = None,
    block_size: int | None = None,
) -> Neighbours:
    """Each point's nearest other point(s), leave-one-out, Euclidean, exact (see the module).

    Args:
        X: N points of any shape ``(N, ...)`` (tensor or array), flattened to ``(N, D)``.
        y: N class labels; needed when ``among`` is "same" or "other".
        among: look among "all" other points, only those of the "same" class, or of the
            "other" classes.
        device: where to compute; None: where ``X`` is.
        block_size: rows and columns per block of the float32 pass (memory ~ 4 block_size^2
            bytes); None: 1024 on a CPU, 4096 on a GPU.

    Returns:
        ``Neighbours(sqdist, rows, cols)`` on ``device``.

    Example:
        >>> X = torch.tensor([[0.0], [1.0], [3.0], [3.0]])
        >>> nb = nearest_neighbours(X)
        >>> nb.sqdist.tolist(), nb.rows.tolist(), nb.cols.tolist()
        ([1.0, 1.0, 0.0, 0.0], [0, 1, 2, 3], [1, 0, 3, 2])
    """
    X = as_matrix(X)
    if among not in AMONG:
        raise ValueError(f"among must be one of {AMONG}, got {among!r}")
    device, block = _settings(X, device, block_size)
    codes = None if y is None else as_labels(y, len(X), device)
    if among != "all" and codes is None:
        raise ValueError(f"among={among!r} needs the labels y")
    return nearest(X, codes, among, device, block)


def _settings(
    X: Tensor, device: str | torch.device | None, block_size: int | None
) -> tuple[torch.device, int]:
    """The device to compute on and the block size, checked."""
    device = torch.device(device) if device is not None else X.device
    block = block_size or (4096 if device.type == "cuda" else 1024)
    if not isinstance(block, int) or isinstance(block, bool) or block < 1:
        raise ValueError(f"block_size must be a positive int or None, got {block_size!r}")
    return device, block


def nn_errors(
    X: Any,
    y: Any,
    *,
    device: str | torch.device | None = None,
    block_size: int | None = None,
) -> Tensor:
    """Each point's leave-one-out 1-NN error: the fraction of its nearest neighbours that
    have another label (0 or 1 unless neighbours tie).

    Args:
        X: N points ``(N, ...)``, flattened to ``(N, D)``.
        y: N class labels, at least two different ones.
        device: where to compute; None: where ``X`` is.
        block_size: see :func:`nearest_neighbours`.

    Returns:
        float64 ``(N,)`` on the CPU.

    Example:
        >>> X = torch.tensor([[0.0], [1.0], [1.0], [5.0]])
        >>> nn_errors(X, [0, 0, 1, 1]).tolist()  # points 1 and 2 tie as neighbours of 0 and 3
        [0.5, 1.0, 1.0, 0.5]
    """
    X = as_matrix(X)
    codes = as_labels(y, len(X), torch.device("cpu"))
    if int(codes.max()) == 0:
        raise ValueError("y has only one class: the nearest-neighbour error is undefined")
    device, block = _settings(X, device, block_size)
    with threads_for(len(X), device):
        nb = nearest(X, None, "all", device, block)
        rows, cols = nb.rows.cpu(), nb.cols.cpu()
        wrong = (codes[rows] != codes[cols]).double()
        errors = torch.zeros(len(X), dtype=torch.float64).index_add_(0, rows, wrong)
        return errors / torch.bincount(rows, minlength=len(X))


def nn_error(
    X: Any,
    y: Any,
    *,
    device: str | torch.device | None = None,
    block_size: int | None = None,
) -> float:
    """The leave-one-out 1-nearest-neighbour error rate of ``(X, y)``, Euclidean (N3).

    Ho's measure of the complexity of a representation: the fraction of points whose nearest
    other point has another label. Exact (see the module for how, and for the tie rule),
    on any device, for any representation flattened to ``(N, D)``.

    Args:
        X: N points ``(N, ...)``, tensor or array; flattened to ``(N, D)``.
        y: N class labels, at least two different ones.
        device: where to compute; None: where ``X`` is.
        block_size: see :func:`nearest_neighbours`.

    Returns:
        The error rate, in [0, 1].

    Raises:
        ValueError: fewer than 2 points, one class only, NaN or infinite values, or ``y`` not
            of length N.

    Example:
        >>> X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [5.0, 5.0], [5.0, 6.0], [0.5, 0.5]])
        >>> nn_error(X, [0, 0, 1, 1, 1])  # points 0, 1 and 4 are nearest to another class
        0.6
    """
    return float(nn_errors(X, y, device=device, block_size=block_size).mean())
