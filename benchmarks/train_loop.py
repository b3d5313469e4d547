"""Seconds per epoch of ``course_lib.train.fit`` beside d2l's ``Trainer`` and a plain loop.

The same LeNet (the d2l form: sigmoid activations, average pooling, Xavier initialisation),
the same starting weights, the same batches in the same order (Fashion-MNIST-shaped stand-in
data: 28x28 uint8 images, 10 classes, resident in memory), plain SGD with the same learning
rate, and the same work per epoch: one pass over the training set, then the validation set.
The three trainers take turns, round after round, in one process, and the script prints the
median seconds per epoch of each (CPU time and wall clock) and the ratios. ``fit`` runs with
its defaults (a progress bar; channels-last layout on CPUs and GPUs, which changes rounding
only: the last column shows how far each run's weights end from the plain loop's).

    python benchmarks/train_loop.py                      # 10,000 images, batch 128, on the CPU
    python benchmarks/train_loop.py --epochs 5 --rounds 3 --threads 1   # on a busy machine

d2l is installed without its pinned dependencies (``pip install --no-deps d2l``). It imports
pandas at the top but never uses it for training; when pandas is missing, a stand-in module
is put in its place while d2l is imported.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import importlib.machinery
import importlib.metadata
import io
import os
import platform
import statistics
import sys
import time
import types

import matplotlib
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.models import init_cnn, lazy_lenet
from course_lib.train import TrainConfig, fit


def import_d2l() -> types.ModuleType:
    """Import ``d2l.torch``, with a stand-in for pandas if pandas is not installed."""
    import torchvision  # noqa: F401  (imported first: it looks up real modules by name)

    matplotlib.use("Agg")  # d2l's Trainer draws a figure while it trains

    stand_in = None
    try:
        import pandas  # noqa: F401
    except ImportError:
        stand_in = types.ModuleType("pandas")
        stand_in.__spec__ = importlib.machinery.ModuleSpec("pandas", None)
        sys.modules["pandas"] = stand_in
    try:
        from d2l import torch as d2l
    finally:
        if stand_in is not None:
            del sys.modules["pandas"]
    return d2l


class ResidentLoader:
    """Batches of a dataset held in memory, in an order that depends on the seed and epoch.

    Every trainer calls ``set_epoch`` as an epoch starts, so the loader also keeps the clock:
    ``stamps`` holds (wall-clock, CPU) seconds at each call, the same for all three trainers.
    """

    def __init__(self, X, y, batch_size, seed=0, shuffle=True):
        self.X, self.y, self.batch_size, self.seed, self.shuffle = X, y, batch_size, seed, shuffle
        self.dataset_size, self.device, self.epoch, self.stamps = len(y), X.device, 0, []

    def stamp(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        self.stamps.append((time.perf_counter(), time.process_time()))

    def set_epoch(self, epoch: int) -> None:
        self.stamp()
        self.epoch = epoch

    def __len__(self) -> int:
        return -(-self.dataset_size // self.batch_size)

    def __iter__(self):
        n = self.dataset_size
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        order = torch.randperm(n, generator=generator) if self.shuffle else torch.arange(n)
        order = order.to(self.X.device)
        for start in range(0, n, self.batch_size):
            batch = order[start : start + self.batch_size]
            yield self.X[batch], self.y[batch]


def stand_in_fashion_mnist(n_train, n_val, batch_size, device, seed=0):
    """Fashion-MNIST-shaped data: uint8 28x28 images whose class sets a blurred template."""
    generator = torch.Generator().manual_seed(seed)
    templates = F.avg_pool2d(torch.rand(10, 1, 28, 28, generator=generator), 5, 1, 2)
    y = torch.randint(0, 10, (n_train + n_val,), generator=generator)
    noise = torch.rand(n_train + n_val, 1, 28, 28, generator=generator)
    images = (255 * (0.5 * templates[y] / templates.max() + 0.5 * noise)).to(torch.uint8)
    X = (images.float() / 255).to(device)  # what a data pipeline hands the model
    y = y.to(device)
    train = ResidentLoader(X[:n_train], y[:n_train], batch_size, seed=1)
    val = ResidentLoader(X[n_train:], y[n_train:], batch_size, shuffle=False)
    return types.SimpleNamespace(
        train=train, val=val, test=None, num_classes=10, classes=[str(i) for i in range(10)]
    )


def lenet() -> nn.Sequential:
    """LeNet in the d2l form (lazy layers, sigmoid, average pooling), weights initialised."""
    net = lazy_lenet()
    net(torch.zeros(1, 1, 28, 28))
    return net.apply(init_cnn)  # as d2l.init_cnn


def run_plain(net, data, num_epochs, lr, device):
    """The loop a student writes first: .item() every step to add up loss and accuracy."""
    net = net.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    for epoch in range(num_epochs):
        data.train.set_epoch(epoch)
        net.train()
        total_loss, correct, seen = 0.0, 0, 0
        for X, y in data.train:
            logits = net(X)
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(y)
        net.eval()
        val_loss, val_correct, val_seen = 0.0, 0, 0
        with torch.no_grad():
            for X, y in data.val:
                logits = net(X)
                val_loss += F.cross_entropy(logits, y, reduction="sum").item()
                val_correct += (logits.argmax(1) == y).sum().item()
                val_seen += len(y)
    return net


def run_fit(net, data, num_epochs, lr, device):
    """``course_lib.train.fit`` as a student calls it (progress bar included, not shown)."""
    config = TrainConfig(num_epochs=num_epochs, lr=lr, device=str(device))
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        fit(net, data, config)
    return net


def run_d2l(net, data, num_epochs, lr, device, d2l):
    """d2l's ``Trainer`` and ``LeNet`` (a ``d2l.Classifier``), given the same weights."""
    model = d2l.LeNet(lr=lr)
    model(torch.zeros(1, 1, 28, 28))
    model.net.load_state_dict(net.state_dict())

    class Data(d2l.DataModule):
        def train_dataloader(self):
            return data.train

        def val_dataloader(self):
            return data.val

    class SameBatchesTrainer(d2l.Trainer):
        def fit_epoch(self):
            data.train.set_epoch(self.epoch)  # the same batches as the other two
            super().fit_epoch()

    trainer = SameBatchesTrainer(max_epochs=num_epochs, num_gpus=int(device.type == "cuda"))
    with contextlib.redirect_stdout(io.StringIO()):  # d2l displays its figure as text here
        trainer.fit(model, Data())
    return model.net


def header(args, device, d2l_version):
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else "none used"
    return "\n".join(
        [
            "Training-loop benchmark: course_lib fit vs d2l Trainer vs a plain loop",
            f"CPU: {cpu}; {os.cpu_count()} cores; torch threads {torch.get_num_threads()}",
            f"GPU: {gpu}; device: {device}",
            f"Python {platform.python_version()}, torch {torch.__version__}, "
            f"numpy {np.__version__}, d2l {d2l_version}, {platform.system()} {platform.release()}",
            f"LeNet (d2l form), SGD lr {args.lr}, {args.train_size} train + {args.val_size} "
            f"val images 1x28x28, batch {args.batch_size}, {args.epochs} epochs x "
            f"{args.rounds} rounds per trainer",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--train-size", type=int, default=10_000)
    parser.add_argument("--val-size", type=int, default=2_000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    d2l = import_d2l()
    print(header(args, device, importlib.metadata.version("d2l")), flush=True)

    torch.manual_seed(0)
    initial = lenet()
    data = stand_in_fashion_mnist(args.train_size, args.val_size, args.batch_size, device)
    times, nets = measure(initial, data, args, device, d2l)
    report(times, nets, data)


def measure(initial, data, args, device, d2l):
    """Train a copy of ``initial`` with each trainer, taking turns.

    Returns:
        ``times[name]``: (wall-clock, CPU) seconds of every epoch; ``nets[name]``: the network
        trained in the last round.
    """
    trainers = {
        "plain loop": run_plain,
        "course_lib fit": run_fit,
        "d2l Trainer": lambda *a: run_d2l(*a, d2l=d2l),
    }
    run_plain(copy.deepcopy(initial), data, 1, args.lr, device)  # warm-up, not timed
    times = {name: [] for name in trainers}
    nets = {}
    for round_index in range(args.rounds):
        names = list(trainers)
        names = names[round_index % 3 :] + names[: round_index % 3]  # take turns going first
        for name in names:
            data.train.stamps.clear()
            nets[name] = trainers[name](copy.deepcopy(initial), data, args.epochs, args.lr, device)
            data.train.stamp()  # the end of the last epoch
            stamps = data.train.stamps
            assert len(stamps) == args.epochs + 1, "every epoch calls set_epoch once"
            times[name] += [
                (b[0] - a[0], b[1] - a[1]) for a, b in zip(stamps, stamps[1:], strict=False)
            ]
    return times, nets


@torch.no_grad()
def report(times, nets, data):
    """Print seconds per epoch, the ratios, and checks that the three runs agree.

    Other processes on a shared machine stretch the wall-clock time of an epoch far more than
    the CPU time this process uses, so the ratios compare median CPU seconds (with one torch
    thread, CPU time is the work done); the wall-clock medians are printed beside them.
    """
    cpu = {name: statistics.median(c for _, c in values) for name, values in times.items()}
    wall = {name: statistics.median(w for w, _ in values) for name, values in times.items()}
    reference = nets["plain loop"].state_dict()
    print(f"\n{'trainer':<16}{'CPU s/epoch':>12}{'wall s/epoch':>13}{'vs plain':>10}"
          f"{'vs d2l':>8}{'val acc':>9}{'max |w - w_plain|':>19}")  # fmt: skip
    for name in times:
        net = nets[name].eval()
        correct = sum((net(X).argmax(1) == y).sum().item() for X, y in data.val)
        weights = net.state_dict()
        difference = max((weights[k] - reference[k]).abs().max().item() for k in reference)
        print(
            f"{name:<16}{cpu[name]:>12.3f}{wall[name]:>13.3f}"
            f"{cpu[name] / cpu['plain loop']:>10.2f}{cpu[name] / cpu['d2l Trainer']:>8.2f}"
            f"{correct / data.val.dataset_size:>9.3f}{difference:>19.2e}"
        )
    fit_cpu = cpu["course_lib fit"]
    print(
        f"\nPer epoch (median CPU time), fit takes {fit_cpu / cpu['plain loop']:.2f}x "
        f"the time of the plain loop and {fit_cpu / cpu['d2l Trainer']:.2f}x that "
        "of d2l's Trainer (lower is faster); by wall-clock medians, "
        f"{wall['course_lib fit'] / wall['plain loop']:.2f}x and "
        f"{wall['course_lib fit'] / wall['d2l Trainer']:.2f}x."
    )


if __name__ == "__main__":
    main()
