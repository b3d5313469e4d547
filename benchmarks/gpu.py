"""Three GPU measurements in one run of a few minutes, each printed with the card's name.

1. CIFAR ResNet-18: seconds per epoch of ``fit`` with the fast data path (the dataset resident
   on the GPU, batched augmentation), bf16 autocast and channels-last, on 50,000 CIFAR-shaped
   images, and the fraction of the compute bound this reaches: the FLOPs of an epoch (counted,
   about 167 TFLOP) over the seconds, divided by the card's dense bf16 peak.
2. ``nn_error`` (Ho's N3) at n = 60,000 and D = 4,704 (LeNet-5's first convolution on all of
   MNIST's training images).
3. The LeNet-5 complexity study at Ho's scale: one epoch's measurements of one network (the
   test set's 10,000 images and the six 10,000-image subsets of the training set, at the entry
   and exit of every layer), and the whole study's measuring time extrapolated from it
   (15 epochs, four networks; the reduced-set networks measure one training subset, not six).

The data are stand-ins of the real shapes: speed does not depend on what the pixels show.

    python benchmarks/gpu.py                    # on a CUDA GPU, about 3-6 minutes
    python benchmarks/gpu.py --tiny --device cpu   # a check that the script runs, on a CPU
"""

from __future__ import annotations

import argparse
import platform
import time

import torch

from course_lib.complexity import complexity_profile, nn_error
from course_lib.data import DeviceLoader
from course_lib.flops import count_flops
from course_lib.models import lenet5, resnet18_cifar
from course_lib.train import TrainConfig, fit

# Dense bf16 tensor-core peaks (TFLOP/s, without sparsity), from the vendors' data sheets.
PEAK_BF16_TFLOPS = {"H100 SXM": 989.0, "H100 PCIe": 756.0, "H100": 989.0, "H200": 989.0,
                    "A100": 312.0, "L4": 121.0, "T4": 65.0, "A10G": 125.0}  # fmt: skip


def peak_tflops(name: str) -> float | None:
    """The bf16 peak of the card called ``name`` (the longest matching key), or None."""
    keys = [key for key in PEAK_BF16_TFLOPS if all(part in name for part in key.split())]
    return PEAK_BF16_TFLOPS[max(keys, key=len)] if keys else None


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def resnet18_epoch(device: torch.device, n: int, batch_size: int, epochs: int) -> dict:
    """Seconds per epoch of fit on CIFAR-shaped images, and the TFLOP of an epoch."""
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=generator)
    labels = torch.randint(0, 10, (n,), generator=generator)
    train = DeviceLoader(images, labels, batch_size=batch_size, mean=(0.5,) * 3, std=(0.25,) * 3,
                         shuffle=True, device=device)  # fmt: skip
    data = type("Data", (), dict(train=train, val=None, test=None, num_classes=10, classes=[]))
    precision = "bf16" if device.type == "cuda" else "fp32"
    config = TrainConfig(num_epochs=epochs + 1, lr=0.1, optimizer="sgd", momentum=0.9,
                         nesterov=True, weight_decay=5e-4, precision=precision,
                         channels_last=True, device=str(device), progress=False)  # fmt: skip
    history = fit(resnet18_cifar(), data, config)  # the first epoch warms up (cuDNN autotuning)
    seconds = sorted(history["epoch_time"][1:])[len(history["epoch_time"][1:]) // 2]
    flops = count_flops(resnet18_cifar(), (3, 32, 32)).training * n
    return {"seconds": seconds, "tflop": flops / 1e12, "precision": precision}


def time_nn_error(device: torch.device, n: int, dim: int) -> float:
    generator = torch.Generator().manual_seed(0)
    X = torch.rand(n, dim, generator=generator).to(device)
    y = torch.randint(0, 10, (n,), generator=generator).to(device)
    nn_error(X[:1000], y[:1000])  # warm-up
    synchronize(device)
    start = time.perf_counter()
    nn_error(X, y)
    synchronize(device)
    return time.perf_counter() - start


def lenet5_measurements(device: torch.device, test_size: int, subsets: int) -> float:
    """Seconds for one epoch's measurements of one LeNet-5 (test set + training subsets)."""
    generator = torch.Generator().manual_seed(0)
    model = lenet5().to(device)
    X_test = torch.rand(test_size, 1, 32, 32, generator=generator).to(device)
    y_test = torch.randint(0, 10, (test_size,), generator=generator).to(device)
    X_train = torch.rand(subsets * test_size, 1, 32, 32, generator=generator).to(device)
    y_train = torch.randint(0, 10, (subsets * test_size,), generator=generator).to(device)
    complexity_profile(model, X_test[:500], y_test[:500], batch_size=1000)  # warm-up
    synchronize(device)
    start = time.perf_counter()
    complexity_profile(model, X_train, y_train, subsets=subsets, batch_size=1000)
    complexity_profile(model, X_test, y_test, batch_size=1000)
    synchronize(device)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--tiny", action="store_true", help="small sizes, to check it runs")
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("no CUDA GPU here: run on a GPU, or pass --device cpu --tiny")
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor()
    print(f"device: {name or platform.machine()}; torch {torch.__version__}")
    tiny = args.tiny
    n_cifar, n_nn, test_size = (128, 1_000, 200) if tiny else (50_000, 60_000, 10_000)

    r = resnet18_epoch(device, n_cifar, batch_size=64 if tiny else 512, epochs=1 if tiny else 3)
    achieved = r["tflop"] / r["seconds"]
    peak = peak_tflops(name) if device.type == "cuda" else None
    share = f"{achieved / peak:.1%} of the {peak:g} TFLOP/s bf16 peak" if peak else "peak unknown"
    print(f"CIFAR ResNet-18, {n_cifar:,} images, fast path, {r['precision']}, channels-last: "
          f"{r['seconds']:.2f} s per epoch; {r['tflop']:.1f} TFLOP per epoch, "
          f"{achieved:.1f} TFLOP/s achieved, {share}")  # fmt: skip

    seconds = time_nn_error(device, n_nn, 4_704)
    print(f"nn_error at n = {n_nn:,}, D = 4,704: {seconds:.2f} s")

    one = lenet5_measurements(device, test_size, subsets=6)
    reduced = one * 2 / 7  # the reduced set measures one training subset and the test set
    study = 15 * 2 * (one + reduced)
    print(f"LeNet-5 complexity, one epoch of one network ({test_size:,} test images, 6 training "
          f"subsets): {one:.1f} s; the whole study's measurements (15 epochs, 4 networks): "
          f"about {study / 60:.1f} minutes")  # fmt: skip


if __name__ == "__main__":
    main()
