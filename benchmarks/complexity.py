"""Seconds for the leave-one-out 1-NN error: ``nn_error`` beside problexity and scikit-learn.

The same data for every method, in one process, round after round:

- ``nn_error``: ``course_lib.complexity.nn_error`` (exact: float32 shortlists over the upper
  triangle of the distance matrix, float64 re-measurements);
- problexity's ``n3`` (``problexity.classification.n3``), the measure as most Python code gets
  it: scikit-learn's ``kneighbors_graph`` over all pairs;
- scikit-learn's ``KNeighborsClassifier(n_neighbors=1)`` under ``cross_val_predict`` with
  ``LeaveOneOut``, the textbook way to write a leave-one-out estimate: one fit per point, so it
  runs on ``--loo-n`` points only (with ``nn_error`` and problexity on the same points, for the
  ratio).

The data: ``--n`` MNIST training images (the real ones when they are in the data folder, else
the offline stand-in, scikit-learn's digits upscaled; it has exact duplicates) as 784 pixel
values in [0, 1], and the same images at 32x32 through the first convolution of a LeNet-5 with
seed-0 weights, 6 x 28 x 28 = 4,704 values (Ho's ``conv1 out``). Each method's answer is printed
beside the others', and ``nn_error``'s is checked against a float64 brute force on the first
``--check-n`` points (the other two count ties their own way).

    pip install problexity
    python benchmarks/complexity.py                         # n = 10,000, on the CPU
    python benchmarks/complexity.py --threads 1 --rounds 3  # on a busy machine
    python benchmarks/complexity.py --device cuda           # nn_error on a GPU (the others
                                                            # have none)

The GPU figure that matters for the course, the total complexity time of the LeNet-5 chapter
in ``full``, is printed by that chapter itself.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch

from course_lib.complexity import nn_error, nn_errors
from course_lib.data import load_data
from course_lib.models import lenet5


def data(n: int) -> dict[str, tuple[torch.Tensor, torch.Tensor, str]]:
    """``{name: (X (n, D) float32, y (n,), description)}`` for D = 784 and D = 4,704."""
    raw = load_data("mnist", profile="quick", batch_size=1000, train_size=n, test_size=0,
                    resize=28, device="cpu")  # fmt: skip
    small = load_data("mnist", profile="quick", batch_size=1000, train_size=n, test_size=0,
                      device="cpu")  # fmt: skip
    what = "stand-in digits" if raw.standin else "MNIST"
    X = raw.train.to_float(raw.train.images).reshape(n, -1)
    torch.manual_seed(0)
    conv1 = lenet5().conv1
    with torch.no_grad():
        C = torch.cat([conv1(small.train.to_float(small.train.images[i : i + 1000]))
                       for i in range(0, n, 1000)]).reshape(n, -1)  # fmt: skip
    return {
        "D=784": (X, raw.train.labels, f"{what}, 28x28 pixels"),
        "D=4,704": (C, small.train.labels, f"{what} at 32x32 through LeNet-5's conv1"),
    }


def brute_force(X: torch.Tensor, y: torch.Tensor) -> float:
    """The definition in float64, from explicit differences; ties share the error."""
    X = X.double()
    D = torch.cdist(X, X, compute_mode="donot_use_mm_for_euclid_dist").fill_diagonal_(np.inf)
    tied = D <= D.min(1, keepdim=True).values * (1 + 1e-9)
    return ((tied & (y[None, :] != y[:, None])).sum(1).double() / tied.sum(1)).mean().item()


def problexity_n3(X: torch.Tensor, y: torch.Tensor) -> float:
    from problexity.classification import n3

    return float(n3(X.numpy(), y.numpy()))


def sklearn_loo(X: torch.Tensor, y: torch.Tensor) -> float:
    from sklearn.model_selection import LeaveOneOut, cross_val_predict
    from sklearn.neighbors import KNeighborsClassifier

    predicted = cross_val_predict(KNeighborsClassifier(n_neighbors=1), X.numpy(), y.numpy(),
                                  cv=LeaveOneOut())  # fmt: skip
    return float((predicted != y.numpy()).mean())


def timed(method: Callable[[], float], rounds: int) -> tuple[float, float]:
    """The method's answer and its median seconds over ``rounds`` runs."""
    seconds = []
    for _ in range(rounds):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        start = time.perf_counter()
        answer = method()
        seconds.append(time.perf_counter() - start)
    return answer, statistics.median(seconds)


def versions() -> str:
    names = ("torch", "numpy", "scikit-learn", "problexity")
    found = []
    for name in names:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{name} missing")
    return ", ".join(found)


def methods(X: torch.Tensor, y: torch.Tensor, m: int, device: str) -> list:
    """``(n, label, method)``: the two fast methods on all points, all three on ``m``."""
    Xm, ym = X[:m], y[:m]
    return [
        (len(X), "nn_error", lambda: nn_error(X, y, device=device)),
        (len(X), "problexity n3", lambda: problexity_n3(X, y)),
        (m, "nn_error", lambda: nn_error(Xm, ym, device=device)),
        (m, "problexity n3", lambda: problexity_n3(Xm, ym)),
        (m, "sklearn LOO", lambda: sklearn_loo(Xm, ym)),
    ]


def compare(name: str, X: torch.Tensor, y: torch.Tensor, what: str, args) -> None:
    """Check nn_error against the brute force, then time every method and print the ratios."""
    c = args.check_n
    exact = nn_error(X[:c], y[:c], device=args.device) == brute_force(X[:c], y[:c])
    print(f"{name}: {what}; nn_error equals the float64 brute force on {c:,} points: {exact}")
    results = {(n, label): timed(f, args.rounds) for n, label, f in
               methods(X, y, args.loo_n, args.device)}  # fmt: skip
    for (n, label), (answer, seconds) in results.items():
        ratio = seconds / results[(n, "nn_error")][1]
        print(
            f"  n={n:>6,} {label:<14} {seconds:8.2f} s  error {answer:.4%}  "
            f"{ratio:5.1f}x nn_error's time"
        )
    ties = int((nn_errors(X, y) % 1 > 0).sum())
    print(f"  ({ties} of {len(X):,} points have tied nearest neighbours of mixed labels)\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="points (default 10,000)")
    parser.add_argument("--loo-n", type=int, default=500, help="points for the LOO loop")
    parser.add_argument("--check-n", type=int, default=2_000, help="points of the exact check")
    parser.add_argument("--rounds", type=int, default=3, help="runs per method (median)")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for all methods")
    parser.add_argument("--device", default="cpu", help="where nn_error computes")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    from threadpoolctl import threadpool_limits

    threads = args.threads or torch.get_num_threads()
    device = "GPU " + torch.cuda.get_device_name() if args.device == "cuda" else "CPU"
    print(f"{platform.processor() or platform.machine()}, {threads} threads; {versions()}")
    print(f"nn_error on the {device}; problexity and scikit-learn on the CPU\n")
    with threadpool_limits(threads):  # scikit-learn's OpenMP and BLAS threads, too
        for name, (X, y, what) in data(args.n).items():
            compare(name, X, y, what, args)


if __name__ == "__main__":
    main()
