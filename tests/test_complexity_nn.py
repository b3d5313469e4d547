"""course_lib.complexity.nn and .search: nn_error and nearest_neighbours against a float64
brute force, on the data that trip the fast methods: shared offsets, near-ties, duplicates,
ties, many duplicates, odd inputs."""

import math

import numpy as np
import pytest
import torch

from course_lib.complexity import search
from course_lib.complexity.nn import nearest_neighbours, nn_error, nn_errors
from course_lib.complexity.search import TIE_RTOL


def brute_distances(X):
    """All squared distances in float64 from explicit differences; the diagonal is +inf."""
    X = torch.as_tensor(X).reshape(len(X), -1).double()
    D = (X[:, None, :] - X[None, :, :]).square().sum(-1)
    return D.fill_diagonal_(math.inf)


def brute_errors(X, y):
    """The definition: each point's share of other-label points among its nearest (tied)."""
    D = brute_distances(X)
    nearest = D.min(1, keepdim=True).values
    tied = D <= nearest * (1 + TIE_RTOL)
    y = torch.as_tensor(np.asarray(y))
    other = y[None, :] != y[:, None]
    return (tied & other).sum(1).double() / tied.sum(1)


def naive_float32_errors(X, y):
    """What the plain float32 expansion |a|^2 + |b|^2 - 2ab with an argmin gives."""
    X = torch.as_tensor(X).reshape(len(X), -1).float()
    sq = X.square().sum(1)
    D = sq[:, None] + sq[None, :] - 2 * X @ X.T
    D.fill_diagonal_(math.inf)
    y = torch.as_tensor(y)
    return (y[D.argmin(1)] != y).double()


def offset_data(n=400, d=16, seed=0):
    """Points with a large shared offset and a small spread, in float32, with 3 classes."""
    g = torch.Generator().manual_seed(seed)
    X = 1000.0 + 0.01 * torch.randn(n, d, generator=g)
    return X.float(), torch.randint(0, 3, (n,), generator=g)


def test_matches_brute_force_on_offset_data_where_plain_float32_fails():
    X, y = offset_data()
    expected = brute_errors(X, y)
    assert not torch.equal(naive_float32_errors(X, y), expected)  # the trap is real here
    torch.testing.assert_close(nn_errors(X, y), expected, rtol=0, atol=0)
    assert nn_error(X, y) == pytest.approx(expected.mean().item(), abs=0)


@pytest.mark.parametrize("block_size", [1, 7, 64, None])
def test_block_size_changes_nothing(block_size):
    X, y = offset_data(n=150, d=5, seed=1)
    X[20:30] = X[:10]  # duplicates across blocks
    assert torch.equal(nn_errors(X, y, block_size=block_size), brute_errors(X, y))


def test_near_ties_are_decided_in_float64():
    # Point 0 has two candidates whose squared distances differ by 1e-7 relative: float32
    # cannot tell them apart, float64 can. Labels make the choice matter.
    X = torch.zeros(3, 64, dtype=torch.float64)
    X[1, 0] = 1.0
    X[2, 0], X[2, 1] = math.sqrt(1 - 2e-7), 0.0  # slightly nearer to point 0 than point 1
    X += 5000.0  # and a shared offset on top
    y = [0, 1, 0]
    D = brute_distances(X)
    assert D[0, 2] < D[0, 1] < D[0, 2] * (1 + 1e-6)
    assert nn_errors(X, y)[0].item() == 0.0  # point 2 (same label) is the nearest
    torch.testing.assert_close(nn_errors(X, y), brute_errors(X, y), rtol=0, atol=0)


def test_a_duplicate_is_a_neighbour_and_the_point_itself_is_not():
    # Points 0 and 1 are identical with different labels: each is the other's nearest
    # neighbour at distance 0, so both are errors. Excluding "the closest point" instead of
    # the point itself would drop the duplicate and find point 2 (same label as point 0).
    X = torch.tensor([[0.0, 0.0], [0.0, 0.0], [0.0, 0.1], [5.0, 5.0], [5.0, 5.1]])
    y = [0, 1, 0, 1, 1]
    nb = nearest_neighbours(X)
    assert nb.sqdist[:2].tolist() == [0.0, 0.0]
    assert nb.rows.tolist() == [0, 1, 2, 2, 3, 4]
    assert nb.cols.tolist() == [1, 0, 0, 1, 4, 3]  # point 2: a tie between 0 and 1
    assert nn_errors(X, y).tolist() == [1.0, 1.0, 0.5, 0.0, 0.0]


def test_ties_count_the_share_of_other_labels_and_ignore_order():
    # On the integer grid, the centre (0, 0) has four neighbours at distance 1.
    X = torch.tensor([[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1], [9, 9], [9, 10]])
    y = np.array([0, 1, 1, 1, 0, 1, 1])
    errors = nn_errors(X, y)
    assert errors[0].item() == 0.75  # 3 of its 4 tied neighbours have another label
    torch.testing.assert_close(errors, brute_errors(X, y), rtol=0, atol=0)
    order = torch.randperm(len(X), generator=torch.Generator().manual_seed(0))
    shuffled = nn_errors(X[order], y[order.numpy()])
    torch.testing.assert_close(shuffled, errors[order], rtol=0, atol=0)


def test_many_duplicates_overflow_the_shortlist_and_stay_exact(monkeypatch):
    # Groups larger than the shortlist force the exact redo of those points.
    redone = []
    redo = search._redo
    monkeypatch.setattr(search, "_redo", lambda *args: redone.append(len(args[3])) or redo(*args))
    g = torch.Generator().manual_seed(2)
    base = torch.randn(30, 8, generator=g)
    X = torch.cat([base, base[:1].repeat(2 * search.SHORTLIST, 1), base[1:3].repeat(5, 1)])
    y = torch.randint(0, 2, (len(X),), generator=g)
    torch.testing.assert_close(nn_errors(X, y, block_size=16), brute_errors(X, y), rtol=0, atol=0)
    assert redone and redone[0] >= 2 * search.SHORTLIST  # the group went through the redo
    nb = nearest_neighbours(X, y, among="same", block_size=16)
    D = brute_distances(X).masked_fill(y[:, None] != y[None, :], math.inf)
    torch.testing.assert_close(nb.sqdist, D.min(1).values, rtol=0, atol=0)


@pytest.mark.parametrize(
    "kind", ["relu_sparse", "repeated_values", "constant_columns", "wide_range", "uint8_images"]
)
def test_structured_data(kind):
    g = torch.Generator().manual_seed(3)
    n = 300
    if kind == "relu_sparse":  # non-negative, mostly zeros, like activations after ReLU
        X = torch.relu(torch.randn(n, 200, generator=g) - 1.0)
    elif kind == "repeated_values":  # few distinct values: many exactly equal distances
        X = torch.randint(0, 3, (n, 40), generator=g).float() * 0.1
    elif kind == "constant_columns":  # most columns carry only a large constant
        X = torch.full((n, 300), 123.456)
        X[:, :3] += torch.randn(n, 3, generator=g)
    elif kind == "wide_range":  # float64, far beyond float32's range
        X = torch.randn(n, 10, generator=g, dtype=torch.float64) * 1e200
    else:  # uint8 pixels, with duplicated images
        X = torch.randint(0, 256, (n, 1, 6, 6), generator=g, dtype=torch.uint8)
        X[100:150] = X[:50]
    y = torch.randint(0, 4, (n,), generator=g)
    reference = X * 2.0**-700 if kind == "wide_range" else X  # exact, and no overflow
    torch.testing.assert_close(nn_errors(X, y), brute_errors(reference, y), rtol=0, atol=0)


def test_nearest_distances_and_among_classes():
    X, y = offset_data(n=120, d=6, seed=4)
    X = X.double()
    D = brute_distances(X)
    nb = nearest_neighbours(X)
    torch.testing.assert_close(nb.sqdist, D.min(1).values, rtol=1e-12, atol=0)
    same = y[:, None] == y[None, :]
    for among, allowed in [("same", same), ("other", ~same)]:
        nb = nearest_neighbours(X, y, among=among)
        expected = D.masked_fill(~allowed, math.inf).min(1)
        torch.testing.assert_close(nb.sqdist, expected.values, rtol=1e-12, atol=0)
        assert bool(allowed[nb.rows, nb.cols].all())


def test_a_point_alone_in_its_class_has_no_same_class_neighbour():
    X = torch.tensor([[0.0], [1.0], [2.0]])
    nb = nearest_neighbours(X, [0, 0, 1], among="same")
    assert nb.sqdist.tolist() == [1.0, 1.0, math.inf] and nb.rows.tolist() == [0, 1]


def test_inputs_of_any_shape_and_type():
    X, y = offset_data(n=60, d=12, seed=5)
    expected = nn_error(X, y)
    assert nn_error(X.reshape(60, 3, 2, 2), y) == expected
    assert nn_error(X.numpy(), y.numpy()) == expected
    assert nn_error(X, [f"class {int(v)}" for v in y]) == expected  # any comparable labels
    assert nn_error(X.double(), y.tolist()) == expected


@pytest.mark.parametrize(
    "X, y, message",
    [
        (torch.zeros(1, 3), [0], "at least 2 points"),
        (torch.randn(4, 3), [1, 1, 1, 1], "only one class"),
        (torch.tensor([[0.0], [math.nan], [1.0]]), [0, 1, 0], "NaN"),
        (torch.tensor([[0.0], [math.inf], [1.0]]), [0, 1, 0], "NaN or infinite"),
        (torch.randn(4, 3), [0, 1, 0], "one label per point"),
        (torch.randn(4, 3), torch.tensor([0.0, 1.0, math.nan, 0.0]), "NaN"),
        (torch.randn(4), [0, 1, 0, 1], "first axis of points"),
        (torch.zeros(3, 0), [0, 1, 0], "no features"),
    ],
)
def test_user_mistakes_raise_value_error(X, y, message):
    with pytest.raises(ValueError, match=message):
        nn_error(X, y)


def test_bad_arguments():
    X = torch.randn(5, 2)
    with pytest.raises(ValueError, match="among"):
        nearest_neighbours(X, among="mine")
    with pytest.raises(ValueError, match="needs the labels"):
        nearest_neighbours(X, among="same")
    with pytest.raises(ValueError, match="block_size"):
        nearest_neighbours(X, block_size=-3)
    with pytest.raises(TypeError, match="real numbers"):
        nn_error(torch.ones(3, 2, dtype=torch.bool), [0, 1, 0])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_gives_the_cpu_answer():
    X, y = offset_data(n=3000, d=300, seed=6)
    X[100:200] = X[:100]
    assert torch.equal(nn_errors(X.cuda(), y), nn_errors(X, y))
    assert torch.equal(nn_errors(X, y, device="cuda"), brute_errors(X, y))


def test_large_inputs_share_the_blocks_between_threads(monkeypatch):
    # From ONE_THREAD_BELOW points on, the float32 pass runs on several threads, each with its
    # own shortlists; the answer must be the same as one thread's and as the definition's.
    g = torch.Generator().manual_seed(8)
    n = search.ONE_THREAD_BELOW + 100
    X = torch.randint(0, 12, (n, 3), generator=g).float()  # duplicates and ties aplenty
    y = torch.randint(0, 3, (n,), generator=g)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        shared = nn_errors(X, y, block_size=512)
        monkeypatch.setattr(search, "ONE_THREAD_BELOW", 10 * n)
        alone = nn_errors(X, y, block_size=512)
    finally:
        torch.set_num_threads(threads)
    torch.testing.assert_close(shared, alone, rtol=0, atol=0)
    D = torch.cdist(X.double(), X.double(), compute_mode="donot_use_mm_for_euclid_dist")
    D.fill_diagonal_(math.inf)
    tied = D <= D.min(1, keepdim=True).values * (1 + TIE_RTOL)
    expected = (tied & (y[None, :] != y[:, None])).sum(1).double() / tied.sum(1)
    torch.testing.assert_close(shared, expected, rtol=0, atol=0)
