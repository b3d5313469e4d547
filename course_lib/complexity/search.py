"""The exact leave-one-out nearest-neighbour search behind ``nn_error`` (see ``nn`` for why).

1. Centre the data (the mean in float64), scale by a power of two, store as float32 ``Xc``.
2. The float32 pass, block by block over the upper triangle of the distance matrix: lower
   bounds ``lb = |a|^2 + |b|^2 - 2 a.b - margin`` and, per point, a shortlist of the ``k``
   smallest.
3. Measure exactly, in float64 and from the data as given: the first candidate of each point
   (an upper bound on its nearest distance), then every shortlisted candidate within reach.
4. A point whose shortlist ends within reach may have more candidates: redo it against every
   column.
5. The neighbours within a relative ``TIE_RTOL`` of the nearest distance tie.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import torch
from torch import Tensor

from course_lib.complexity.precision import full_precision
from course_lib.profile import one_thread_on_cpu

TIE_RTOL = 1e-9  # distances within this relative gap of the nearest are ties (float64)
LAMBDA = 12.0  # standard deviations of float32 rounding covered by the margin
SHORTLIST = 8  # candidates kept per point from the float32 pass
RECHECK_BYTES = 1 << 22  # float64 working memory of the exact re-measurement, per chunk
# On a CPU, fewer points than this run on one thread: their operations are too small to share
# between threads, and on a busy machine the threads mostly wait for each other.
ONE_THREAD_BELOW = 4096


@dataclass(frozen=True)
class Neighbours:
    """Each point's nearest other point(s), exactly.

    Attributes:
        sqdist: float64 ``(N,)``, the squared Euclidean distance from each point to its nearest
            other point (``inf`` where ``among`` left a point no candidate).
        rows: int64 ``(P,)``; with ``cols``, the pairs ``(i, j)`` where ``j`` is one of the
            nearest neighbours of ``i`` (several when they tie). Sorted by ``rows``.
        cols: int64 ``(P,)``.
    """

    sqdist: Tensor
    rows: Tensor
    cols: Tensor


def margin(D: int) -> float:
    """The relative margin ``tol`` by which float32 squared distances are lowered.

    A float32 dot product of length D errs by at most ``LAMBDA * sqrt(D) * u * |a| |b|`` except
    with negligible probability (Higham and Mary 2019, https://doi.org/10.1137/18M1226312;
    ``u = 2**-24``); centring, norms and the sums add a few ``u`` more. Subtracting
    ``2 * tol * (|a|^2 + |b|^2)`` from the float32 squared distance leaves a lower bound.

    Example:
        >>> f"{margin(784):.1e}"
        '1.0e-05'
    """
    return (LAMBDA * math.sqrt(D) / 2 + 8) * 2.0**-24


def _centred(X: Tensor, device: torch.device, chunk: int) -> tuple[Tensor, float]:
    """``(X - mean) * scale`` as float32 on ``device``, and the scale.

    The scale is a power of two that brings every entry into [-1, 1]: exact, it changes no
    distance ranking, and no float32 overflow however large the data.
    """
    total = torch.zeros(X.shape[1], dtype=torch.float64, device=device)
    high = torch.full_like(total, -math.inf)
    low = torch.full_like(total, math.inf)
    for i in range(0, len(X), chunk):
        block = X[i : i + chunk].to(device)
        total += block.sum(0, dtype=torch.float64)
        high = torch.maximum(high, block.amax(0).double())
        low = torch.minimum(low, block.amin(0).double())
    mean = total / len(X)
    spread = (high - low).max().item()  # bounds every |x - mean|
    scale = 2.0 ** min(-math.frexp(spread)[1], 1000) if spread > 0 else 1.0
    # float32 data are centred in float32: x - fl(mean) is x - mean rounded once (the shift
    # by fl(mean) - mean is the same for every point and moves no distance).
    narrow = X.dtype == torch.float32 and spread < 1e37
    shift = mean.float() if narrow else mean
    Xc = torch.empty(X.shape, dtype=torch.float32, device=device)
    for i in range(0, len(X), chunk):
        block = X[i : i + chunk].to(device)
        Xc[i : i + chunk] = (block - shift).mul_(scale) if narrow else (block - shift) * scale
    return Xc, scale


def _merge(best: Tensor, index: Tensor, rows: slice, lb: Tensor, offset: int) -> None:
    """Keep, for each row of ``lb``, the smallest lower bounds seen so far (in place)."""
    k = min(best.shape[1], lb.shape[1])
    values, columns = lb.topk(k, dim=1, largest=False, sorted=False)
    values = torch.cat([best[rows], values], dim=1)
    columns = torch.cat([index[rows], columns + offset], dim=1)
    values, order = values.topk(best.shape[1], dim=1, largest=False, sorted=True)
    best[rows], index[rows] = values, columns.gather(1, order)


def _exclude(lb: Tensor, rows: Tensor, cols: Tensor, codes: Tensor | None, among: str) -> None:
    """Set the lower bounds of pairs that ``among`` excludes (other or same classes) to +inf."""
    if among == "same":
        lb.masked_fill_(codes[rows][:, None] != codes[cols][None, :], math.inf)
    elif among == "other":
        lb.masked_fill_(codes[rows][:, None] == codes[cols][None, :], math.inf)


def _shortlist(
    Xc: Tensor, a: Tensor, k: int, block: int, codes: Tensor | None, among: str, workers: int
) -> tuple[Tensor, Tensor]:
    """The float32 pass: each point's ``k`` smallest lower bounds ``(N, k)`` and their columns.

    ``lb[i, j] = a[i] + a[j] - 2 x_i . x_j`` with ``a = (1 - 2 tol) |x|^2``: the squared
    distance less its margin. Only blocks on and above the diagonal are multiplied; each one
    serves its rows and, transposed, its columns. With ``workers > 1`` (on a CPU) the blocks are
    shared between that many threads, each keeping its own shortlists, merged at the end.
    """
    n = len(Xc)
    pairs = [(i, j) for i in range(0, n, block) for j in range(i, n, block)]

    def work(mine: list[tuple[int, int]]) -> tuple[Tensor, Tensor]:
        best = torch.full((n, k), math.inf, device=Xc.device)
        index = torch.zeros((n, k), dtype=torch.int64, device=Xc.device)
        positions = torch.arange(n, device=Xc.device)
        for i, j in mine:
            I, J = slice(i, i + block), slice(j, j + block)  # noqa: E741
            lb = torch.addmm(a[J][None, :], Xc[I], Xc[J].T, alpha=-2).add_(a[I][:, None])
            if j == i:  # the point itself goes by its index, never by its distance
                lb.fill_diagonal_(math.inf)
            _exclude(lb, positions[I], positions[J], codes, among)
            _merge(best, index, I, lb, j)
            if j != i:
                _merge(best, index, J, lb.T, i)
        return best, index

    if workers == 1 or len(pairs) == 1:
        return work(pairs)
    with ThreadPoolExecutor(workers) as pool:  # torch releases the GIL inside its operations
        parts = list(pool.map(work, [pairs[w::workers] for w in range(workers)]))
    values, order = torch.cat([p[0] for p in parts], 1).topk(k, dim=1, largest=False)
    return values, torch.cat([p[1] for p in parts], 1).gather(1, order)


def _exact(X: Tensor, rows: Tensor, cols: Tensor, scale: float, device: torch.device) -> Tensor:
    """Squared distances ``|x_rows - x_cols|^2 * scale^2`` in float64, from the data as given.

    ``scale`` is the power of two of ``_centred``, so that no square overflows. The pairs go
    in chunks of about ``RECHECK_BYTES`` of float64 differences.
    """
    out = torch.empty(len(rows), dtype=torch.float64, device=device)
    chunk = max(1, RECHECK_BYTES // (8 * X.shape[1]))
    rows, cols = rows.to(X.device), cols.to(X.device)
    for p in range(0, len(rows), chunk):
        r, c = rows[p : p + chunk], cols[p : p + chunk]
        diff = X[r].to(device, torch.float64).sub_(X[c].to(device)).mul_(scale)  # exact
        out[p : p + chunk] = torch.linalg.vecdot(diff, diff)
    return out


def _row_min(rows: Tensor, values: Tensor, n: int) -> Tensor:
    """The smallest value of each row ``0 .. n-1`` (``inf`` for rows without values)."""
    out = torch.full((n,), math.inf, dtype=values.dtype, device=values.device)
    return out.scatter_reduce_(0, rows, values, reduce="amin")


def _redo(
    X: Tensor, Xc: Tensor, a: Tensor, todo: Tensor, bound: Tensor, scale: float,
    codes: Tensor | None, among: str, block: int,
) -> tuple[Tensor, Tensor, Tensor]:  # fmt: skip
    """Points whose shortlist was too short: all their candidates, against every column."""
    found = []
    positions = torch.arange(len(Xc), device=Xc.device)
    for i in range(0, len(todo), block):
        rows = todo[i : i + block]
        lb = torch.addmm(a[None, :], Xc[rows], Xc.T, alpha=-2).add_(a[rows][:, None])
        lb[torch.arange(len(rows), device=lb.device), rows] = math.inf  # the point itself
        _exclude(lb, rows, positions, codes, among)
        lb = lb.double()
        r, c = torch.nonzero((lb <= bound[rows][:, None]) & torch.isfinite(lb), as_tuple=True)
        found.append((rows[r], c))
    rows, cols = (torch.cat(parts) for parts in zip(*found, strict=True))
    return rows, cols, _exact(X, rows, cols, scale, Xc.device)


def _candidates(codes: Tensor | None, among: str, n: int) -> Tensor:
    """How many other points each point may have as its neighbour, ``(n,)``."""
    if among == "all":
        return torch.full((n,), n - 1, dtype=torch.int64)
    sizes = torch.bincount(codes)[codes].cpu()
    return sizes - 1 if among == "same" else n - sizes


@torch.no_grad()
def nearest(
    X: Tensor, codes: Tensor | None, among: str, device: torch.device, block: int
) -> Neighbours:
    """Each point's nearest other point(s), exactly, on checked arguments (see the module).

    Args:
        X: ``(N, D)`` float32 or float64, finite, N >= 2.
        codes: int64 ``(N,)`` class codes on ``device``, or None when ``among`` is "all".
        among: "all", "same" or "other": which points may be neighbours.
        device: where to compute.
        block: rows and columns per block of the float32 pass.
    """
    # On a CPU every operation runs on one thread, and the float32 pass shares its blocks
    # between as many threads as torch would use: far fewer waits than splitting each
    # operation, which matters most on a busy machine.
    cpu = device.type == "cpu"
    workers = torch.get_num_threads() if cpu and len(X) >= ONE_THREAD_BELOW else 1
    with full_precision(), one_thread_on_cpu(device) if cpu else nullcontext():
        return _search(X, codes, among, device, block, workers)


def threads_for(n: int, device: torch.device) -> AbstractContextManager:
    """One CPU thread for fewer than ``ONE_THREAD_BELOW`` points, else torch's threads."""
    small = torch.device(device).type == "cpu" and n < ONE_THREAD_BELOW
    return one_thread_on_cpu(torch.device("cpu")) if small else nullcontext()


def _search(
    X: Tensor, codes: Tensor | None, among: str, device: torch.device, block: int, workers: int
) -> Neighbours:
    n = len(X)
    Xc, scale = _centred(X, device, block)
    sq = torch.cat([Xc[i : i + block].square().sum(1, dtype=torch.float64)
                    for i in range(0, n, block)])  # fmt: skip
    a = ((1 - 2 * margin(X.shape[1])) * sq).float()
    k = min(SHORTLIST, n - 1)
    best, index = _shortlist(Xc, a, k, block, codes, among, workers)
    lb = best.double()  # lower bounds on the squared distances (times scale^2, as all below)
    # The first candidate of each point, measured exactly, bounds its nearest distance from
    # above; then every other candidate whose lower bound is within reach is measured too.
    rows = torch.arange(n, device=device)
    has = torch.isfinite(lb[:, 0])
    r, c = rows[has], index[has, 0]
    found = [(r, c, _exact(X, r, c, scale, device))]
    reach = _row_min(r, found[0][2], n) * (1 + 2 * TIE_RTOL)
    r, j = torch.nonzero((lb[:, 1:] <= reach[:, None]) & torch.isfinite(lb[:, 1:]), as_tuple=True)
    c = index[r, j + 1]
    found.append((r, c, _exact(X, r, c, scale, device)))
    rows_, cols, dist = (torch.cat(parts) for parts in zip(*found, strict=True))
    nearest = _row_min(rows_, dist, n)
    # Nothing outside the shortlist can be nearer when its last bound is out of reach, or when
    # it holds every candidate there is; the other points are redone against all columns.
    reach = nearest * (1 + 2 * TIE_RTOL)
    complete = (lb[:, -1] > reach) | (_candidates(codes, among, n) <= k).to(device)
    todo = rows[~complete]
    if len(todo):
        keep = ~torch.isin(rows_, todo)
        redone = _redo(X, Xc, a, todo, reach, scale, codes, among, block)
        rows_, cols, dist = (torch.cat([old[keep], new]) for old, new in
                             zip((rows_, cols, dist), redone, strict=True))  # fmt: skip
        nearest = _row_min(rows_, dist, n)
    tie = dist <= nearest[rows_] * (1 + TIE_RTOL)
    rows_, cols = rows_[tie], cols[tie]
    order = torch.argsort(rows_ * n + cols)
    return Neighbours(nearest / scale / scale, rows_[order], cols[order])  # no underflow
