"""course_lib.complexity.measures: N1, N2 and F1 against brute-force definitions, with several
classes, duplicates and tied distances."""

import itertools
import math

import numpy as np
import pytest
import torch
from scipy.sparse.csgraph import minimum_spanning_tree as scipy_mst

from course_lib.complexity.measures import (
    bottlenecks,
    distance_matrix,
    f1,
    minimum_spanning_tree,
    n1,
    n2,
)


def exact_distances(X):
    X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    return np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(-1))


def brute_n1(X, y):
    """Kruskal over all pairs, a group of equal lengths at a time: an edge lies on some
    minimum spanning tree when its ends are still apart before its group is joined."""
    D, y = exact_distances(X), np.asarray(y)
    n = len(D)
    root = list(range(n))

    def find(i):
        while root[i] != i:
            i = root[i]
        return i

    pairs = sorted((D[i, j], i, j) for i, j in itertools.combinations(range(n), 2))
    borderline = set()
    for _, group in itertools.groupby(pairs, key=lambda p: p[0]):
        group = list(group)
        on_some_tree = [(i, j) for _, i, j in group if find(i) != find(j)]
        for i, j in on_some_tree:
            if y[i] != y[j]:
                borderline |= {i, j}
        for i, j in on_some_tree:
            root[find(i)] = find(j)
    return len(borderline) / n


def brute_n2(X, y):
    D, y = exact_distances(X), np.asarray(y)
    np.fill_diagonal(D, np.inf)
    same = y[:, None] == y[None, :]
    intra = np.where(same, D, np.inf).min(1).sum()
    extra = np.where(~same, D, np.inf).min(1).sum()
    return (intra / extra) / (1 + intra / extra)


def brute_f1(X, y):
    X, y = np.asarray(X, dtype=np.float64).reshape(len(X), -1), np.asarray(y)
    ratios = []
    for f in range(X.shape[1]):
        between = sum((y == c).sum() * (X[y == c, f].mean() - X[:, f].mean()) ** 2
                      for c in np.unique(y))  # fmt: skip
        within = sum(((X[y == c, f] - X[y == c, f].mean()) ** 2).sum() for c in np.unique(y))
        if within > 0:
            ratios.append(between / within)
        elif between > 0:
            ratios.append(math.inf)
    return 1 / (1 + max(ratios, default=0.0))


def data(n=40, d=3, classes=4, seed=0, grid=False):
    g = np.random.default_rng(seed)
    X = g.integers(0, 3, (n, d)).astype(float) if grid else g.normal(size=(n, d))
    return X, g.integers(0, classes, n)


@pytest.mark.parametrize("seed", range(4))
def test_n1_matches_some_tree_brute_force_with_ties_and_duplicates(seed):
    X, y = data(seed=seed, grid=True)  # a 3x3x3 grid of 40 points: duplicates and ties
    assert len(np.unique(X, axis=0)) < len(X)
    assert n1(X, y) == pytest.approx(brute_n1(X, y), abs=0)
    order = np.random.default_rng(seed).permutation(len(X))
    assert n1(X[order], y[order]) == n1(X, y)  # the order of the points does not matter


def test_n1_on_distinct_points_is_the_usual_tree_count():
    X, y = data(n=60, d=5, seed=7)
    tree = scipy_mst(exact_distances(X)).tocoo()  # unique tree: no zero or tied distances
    cross = y[tree.row] != y[tree.col]
    expected = len(set(tree.row[cross]) | set(tree.col[cross])) / len(X)
    assert n1(X, y) == expected == brute_n1(X, y)


def test_n1_joins_duplicates_that_a_sparse_matrix_would_drop():
    X = np.array([[0.0, 0.0], [0.0, 0.0], [5.0, 0.0], [6.0, 0.0]])
    y = np.array([0, 1, 1, 1])
    # Points 0 and 1 are the same point in two classes: both are borderline, and point 2,
    # which a tree joins to either of them, too. A tree built from a sparse matrix never
    # joins 0 and 1 (a zero distance is no entry there).
    assert n1(X, y) == 0.75 == brute_n1(X, y)
    dropped = scipy_mst(exact_distances(X)).tocoo()
    assert (0, 1) not in set(zip(dropped.row.tolist(), dropped.col.tolist(), strict=True))


def test_tree_and_bottlenecks():
    X, _ = data(n=30, d=2, seed=3)
    D = distance_matrix(X)
    torch.testing.assert_close(D, torch.from_numpy(exact_distances(X)), rtol=1e-12, atol=1e-12)
    u, v, w = minimum_spanning_tree(D)
    assert len(u) == 29 and w.sum() == pytest.approx(scipy_mst(D.numpy()).sum())
    B = bottlenecks(30, u, v, w)
    assert np.all(B[~np.eye(30, dtype=bool)] <= D.numpy()[~np.eye(30, dtype=bool)] + 1e-12)
    on_tree = np.isclose(D.numpy()[u, v], B[u, v])
    assert on_tree.all()


@pytest.mark.parametrize("seed, grid", [(0, False), (1, False), (2, True)])
def test_n2_matches_brute_force(seed, grid):
    X, y = data(n=50, seed=seed, grid=grid)
    X = X + 1e4  # a shared offset changes nothing
    assert n2(X, y) == pytest.approx(brute_n2(X, y), rel=1e-12)


def test_n2_duplicates_of_the_same_class_are_at_distance_zero():
    X = np.array([[0.0], [0.0], [3.0], [4.0]])
    y = [0, 0, 1, 1]
    assert n2(X, y) == pytest.approx(brute_n2(X, y)) == pytest.approx(2 / 15)  # r = 2 / 13


@pytest.mark.parametrize("seed", range(3))
def test_f1_matches_brute_force_with_several_classes(seed):
    X, y = data(n=80, d=6, classes=5, seed=seed)
    X[:, 0] += 3 * y  # one feature that separates the class means
    X[:, 1] = 7.0  # a constant feature, ignored
    assert f1(X, y) == pytest.approx(brute_f1(X, y), rel=1e-12)


def test_f1_extremes():
    y = np.array([0, 0, 1, 1, 2, 2])
    separated = np.array([[0.0], [0.0], [1.0], [1.0], [2.0], [2.0]])
    assert f1(separated, y) == 0.0  # a feature constant in each class, different between
    assert f1(np.ones((6, 3)), y) == 1.0  # no feature tells the classes apart
    X = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    assert f1(X, y) == 1.0  # equal class means


@pytest.mark.parametrize("measure", [n1, n2, f1])
def test_user_mistakes(measure):
    with pytest.raises(ValueError, match="one class"):
        measure(np.random.rand(5, 2), [3] * 5)
    with pytest.raises(ValueError, match="one label per point"):
        measure(np.random.rand(5, 2), [0, 1])
    with pytest.raises(ValueError, match="NaN"):
        measure(np.array([[0.0], [np.nan], [1.0]]), [0, 1, 1])


def test_n2_needs_two_points_per_class():
    with pytest.raises(ValueError, match="at least 2 points in every class"):
        n2(np.array([[0.0], [1.0], [2.0]]), [0, 0, 1])
