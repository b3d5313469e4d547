"""Three more complexity measures of Ho and Basu's family, multiclass and exact: N1, N2, F1.

Ho and Basu (2002) and the survey of Lorena, Garcia, Lehmann, Souto and Ho (2019) list some
twenty measures, each seeing another side of what makes classes hard to separate. Besides the
nearest-neighbour error N3 (``nn.nn_error``) we implement three, by the survey's definitions:

- **N1**, the fraction of borderline points: join all points by a minimum spanning tree
  (Euclidean); a point is borderline when a tree edge joins it to another class.
- **N2**, nearest neighbours of the same class against those of other classes:
  ``r = sum_i d(x_i, nearest same) / sum_i d(x_i, nearest other)``, ``N2 = r / (1 + r)``.
- **F1**, the maximum Fisher discriminant ratio: how well the single best feature separates
  the classes, ``F1 = 1 / (1 + max_f r_f)`` with, for feature f,
  ``r_f = sum_c n_c (mean_cf - mean_f)^2 / sum_c sum_{i in c} (x_if - mean_cf)^2``.

All three lie in [0, 1], higher meaning harder, as N3. Widely used implementations get some of
this wrong: problexity's N1 and N2 take two classes only; its N1 builds the tree from a sparse
matrix that drops zero distances, so duplicates are never joined; its N2 takes the *second*
nearest point of the other class. The tests compare ours with brute-force definitions.

Ties, for N1: when distances tie, the tree is not unique, and which points are borderline
could depend on the order of the data. We count an edge when it belongs to *some* minimum
spanning tree (no path of strictly shorter edges joins its ends); then exact duplicates of
different classes are always borderline, and the result does not depend on the order.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import Tensor

from course_lib.complexity.nn import as_labels, as_matrix, nearest_neighbours
from course_lib.complexity.search import TIE_RTOL


def _checked(X: Any, y: Any) -> tuple[Tensor, Tensor]:
    X = as_matrix(X)
    codes = as_labels(y, len(X), X.device)
    if int(codes.max()) == 0:
        raise ValueError("y has only one class: the measure is undefined")
    return X, codes


def f1(X: Any, y: Any) -> float:
    """The maximum Fisher discriminant ratio F1 (Lorena et al. 2019), for any number of classes.

    Features that are constant within every class and between classes are ignored; a feature
    constant within each class but not between them separates the classes perfectly (F1 = 0).

    Args:
        X: N points ``(N, ...)``, flattened to ``(N, D)`` features.
        y: N class labels, at least two classes.

    Returns:
        ``1 / (1 + max_f r_f)`` in (0, 1]: 1 when no feature separates the class means.

    Example:
        >>> round(f1([[0.0, 5.0], [1.0, 3.0], [10.0, 4.0], [11.0, 4.0]], [0, 0, 1, 1]), 6)
        0.009901
    """
    X, codes = _checked(X, y)
    X = X.double()
    counts = torch.bincount(codes).double()  # (C,)
    sums = torch.zeros(len(counts), X.shape[1], dtype=torch.float64, device=X.device)
    means = sums.index_add_(0, codes, X) / counts[:, None]  # (C, D)
    between = (counts[:, None] * (means - X.mean(0)).square()).sum(0)  # (D,)
    within = (X - means[codes]).square().sum(0)  # (D,)
    ratio = torch.where(within > 0, between / within, torch.where(between > 0, math.inf, 0.0))
    return 1.0 / (1.0 + ratio.max().item())


def n2(
    X: Any, y: Any, *, device: str | torch.device | None = None, block_size: int | None = None
) -> float:
    """N2, the ratio of intra-class to extra-class nearest-neighbour distances (Lorena et al.).

    Args:
        X: N points ``(N, ...)``, flattened to ``(N, D)``.
        y: N class labels; every class needs at least 2 points.
        device: where to compute the distances (see ``nearest_neighbours``).
        block_size: see ``nearest_neighbours``.

    Returns:
        ``r / (1 + r)`` in [0, 1) with ``r = sum intra / sum extra`` (Euclidean distances).

    Example:
        >>> round(n2([[0.0], [1.0], [10.0], [12.0]], [0, 0, 1, 1]), 6)  # r = 6 / 39
        0.133333
    """
    X, codes = _checked(X, y)
    if int(torch.bincount(codes).min()) < 2:
        raise ValueError("N2 needs at least 2 points in every class (a nearest of the same class)")
    kw = dict(device=device, block_size=block_size)
    intra = nearest_neighbours(X, codes, among="same", **kw).sqdist.sqrt().sum()
    extra = nearest_neighbours(X, codes, among="other", **kw).sqdist.sqrt().sum()
    ratio = (intra / extra).item() if extra > 0 else math.inf
    return ratio / (1 + ratio) if math.isfinite(ratio) else 1.0


def distance_matrix(X: Any) -> Tensor:
    """All Euclidean distances in float64, from explicit differences (no ``|a|^2 - 2ab``).

    Args:
        X: N points ``(N, ...)``, flattened to ``(N, D)``.

    Returns:
        float64 ``(N, N)`` on the CPU: memory ``8 N^2`` bytes.

    Example:
        >>> distance_matrix([[0.0, 0.0], [3.0, 4.0]]).tolist()
        [[0.0, 5.0], [5.0, 0.0]]
    """
    X = as_matrix(X).double().cpu()
    X = X - X.mean(0)
    return torch.cdist(X, X, compute_mode="donot_use_mm_for_euclid_dist")


def minimum_spanning_tree(D: Tensor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One minimum spanning tree of the complete graph with edge weights ``D`` (Prim, O(N^2)).

    Args:
        D: ``(N, N)`` symmetric distances; zero distances are edges like any other.

    Returns:
        ``(u, v, w)``: the N - 1 edges as int arrays ``u``, ``v`` and float64 weights ``w``.

    Example:
        >>> u, v, w = minimum_spanning_tree(distance_matrix([[0.0], [0.0], [2.0]]))
        >>> sorted(zip(u.tolist(), v.tolist(), w.tolist()))
        [(0, 1, 0.0), (0, 2, 2.0)]
    """
    D = D.numpy() if isinstance(D, Tensor) else np.asarray(D)
    n = len(D)
    key, parent = D[0].copy(), np.zeros(n, dtype=np.int64)
    in_tree = np.zeros(n, dtype=bool)
    in_tree[0] = True
    key[0] = np.inf
    u, v, w = [], [], []
    for _ in range(n - 1):
        j = int(np.argmin(np.where(in_tree, np.inf, key)))
        u.append(int(parent[j]))
        v.append(j)
        w.append(float(key[j]))
        in_tree[j] = True
        closer = ~in_tree & (D[j] < key)
        key[closer], parent[closer] = D[j][closer], j
    return np.array(u, dtype=np.int64), np.array(v, dtype=np.int64), np.array(w)


def bottlenecks(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """For every pair of points, the longest edge on the tree path between them.

    This is the same for every minimum spanning tree: the smallest possible longest edge of
    any path between the two points. An edge ``(a, b)`` lies on some minimum spanning tree
    exactly when its length equals this bottleneck.

    Returns:
        float64 ``(n, n)``, with ``-inf`` on the diagonal.
    """
    members = [[i] for i in range(n)]
    root = list(range(n))
    B = np.full((n, n), -np.inf)
    for k in np.argsort(w, kind="stable"):  # Kruskal's order: each edge joins two parts
        a, b = root[u[k]], root[v[k]]
        A, C = members[a], members[b]
        B[np.ix_(A, C)] = w[k]
        B[np.ix_(C, A)] = w[k]
        if len(A) < len(C):
            a, b, A, C = b, a, C, A
        A.extend(C)
        for i in C:
            root[i] = a
        members[b] = []
    return B


def n1(X: Any, y: Any) -> float:
    """N1, the fraction of points joined to another class by a minimum-spanning-tree edge.

    Exact and independent of the order of the points (see the module for ties and
    duplicates); any number of classes. It keeps two ``N x N`` float64 matrices: at N = 5,000
    that is 400 MB, so use it on samples of up to a few thousand points.

    Args:
        X: N points ``(N, ...)``, flattened to ``(N, D)``.
        y: N class labels, at least two classes.

    Returns:
        The fraction of borderline points, in [0, 1].

    Example:
        >>> n1([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])  # the edge 1-2 crosses
        0.5
    """
    X, codes = _checked(X, y)
    D = distance_matrix(X)
    B = bottlenecks(len(X), *minimum_spanning_tree(D))
    labels = codes.cpu().numpy()
    borderline = np.zeros(len(X), dtype=bool)
    for i in range(0, len(X), 1024):  # rows in blocks: a few boolean temporaries at a time
        rows = slice(i, i + 1024)
        on_tree = D[rows].numpy() <= B[rows] * (1 + TIE_RTOL)
        other = labels[rows, None] != labels[None, :]
        borderline[rows] = (on_tree & other).any(1)
    return float(borderline.mean())
