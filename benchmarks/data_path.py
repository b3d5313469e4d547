"""Images per second: the device-resident fast path against a DataLoader with PIL transforms.

Both feed one epoch of CIFAR-shaped data (50,000 random uint8 images, 32x32x3) with the standard
CIFAR augmentation and normalisation, measured side by side in one run:

- torchvision: ``DataLoader(num_workers=2)`` over a dataset that, like ``CIFAR10``, makes a PIL
  image per sample and applies ``RandomCrop(32, padding=4)``, ``RandomHorizontalFlip()``,
  ``ToTensor()``, ``Normalize(...)``;
- fast path: ``course_lib.data.DeviceLoader``, the same augmentation as batched tensor operations.

Only the loading is timed (no model). The goal is a ratio of at least 5 on a CPU.

    python benchmarks/data_path.py                 # on the CPU
    python benchmarks/data_path.py --device cuda   # the fast path on a GPU (baseline unchanged)
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np
import PIL
import torch
import torchvision
import torchvision.transforms as T
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from course_lib.data import NORMALIZATIONS, Augment, DeviceLoader

MEAN, STD = NORMALIZATIONS["cifar10"]


class PILImages(Dataset):
    """HWC uint8 images served as ``torchvision.datasets.CIFAR10`` serves them: PIL, transform."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, transform) -> None:
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int):
        return self.transform(Image.fromarray(self.images[index])), int(self.labels[index])


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def header(device: torch.device, workers: int) -> str:
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else "none used"
    return "\n".join(
        [
            f"CPU: {cpu_name()}, {os.cpu_count()} logical cores, "
            f"torch threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f}",
            f"GPU: {gpu}; fast path on {device}; DataLoader workers {workers}",
            f"Python {platform.python_version()}, torch {torch.__version__}, torchvision "
            f"{torchvision.__version__}, numpy {np.__version__}, Pillow {PIL.__version__}",
        ]
    )


def images_per_second(loader, n: int, device: torch.device) -> float:
    """Time one full pass over ``loader`` (worker start-up included, as in every epoch)."""
    start = time.perf_counter()
    count = 0
    for X, _ in loader:
        count += len(X)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    assert count == n
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=50_000, help="number of images")
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers of the baseline")
    parser.add_argument("--repeats", type=int, default=3, help="epochs timed for each (median)")
    parser.add_argument("--device", default="cpu", help="where the fast path keeps its data")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: torch's)"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    print(header(device, args.workers))

    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (args.n, 3, 32, 32), dtype=torch.uint8, generator=generator)
    labels = torch.randint(0, 10, (args.n,), generator=generator)
    transform = T.Compose(
        [
            T.RandomCrop(32, padding=4),
            T.RandomHorizontalFlip(),
            T.ToTensor(),
            T.Normalize(MEAN, STD),
        ]
    )
    hwc = images.permute(0, 2, 3, 1).contiguous().numpy()  # as CIFAR10.data is stored
    baseline = DataLoader(
        PILImages(hwc, labels.numpy(), transform),
        batch_size=args.batch_size,
        shuffle=True,
        num_workers=args.workers,
        pin_memory=device.type == "cuda",
    )
    fast = DeviceLoader(
        images, labels, batch_size=args.batch_size, mean=MEAN, std=STD,
        augment=Augment(crop_padding=4, hflip=True), shuffle=True, device=device,
    )  # fmt: skip
    print(f"{args.n:,} images of 3x32x32, batch {args.batch_size}, crop 4 + h-flip + normalise")
    images_per_second(fast, args.n, device)  # warm-up: first touches of memory, CUDA kernels
    rates: dict[str, list[float]] = {"torchvision DataLoader + PIL": [], "fast path": []}
    for _ in range(args.repeats):  # alternate, so that both see the same machine load
        rates["torchvision DataLoader + PIL"].append(images_per_second(baseline, args.n, device))
        rates["fast path"].append(images_per_second(fast, args.n, device))
    medians = {name: statistics.median(values) for name, values in rates.items()}
    for name, values in rates.items():
        spread = ", ".join(f"{v:,.0f}" for v in values)
        print(f"{name:>30}: {medians[name]:>10,.0f} images/s (median of {spread})")
    ratio = medians["fast path"] / medians["torchvision DataLoader + PIL"]
    print(f"{'ratio':>30}: {ratio:>10.1f}x (goal >= 5x)")
    sys.exit(0)


if __name__ == "__main__":
    main()
