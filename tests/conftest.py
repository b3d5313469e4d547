"""Fixtures shared by the tests: threads, an offline data folder, small files and tiny tasks.

Helpers that several test modules need are fixtures here (a fixture may hand out a function or
a namespace), so that each is written once.
"""

import io
import math
import struct
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.models import checkpoints, resnet18_cifar
from course_lib.train import TrainConfig


@pytest.fixture
def one_thread():
    """Small networks run fastest on one thread, which also leaves the other core free."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ---------------------------------------------------------------- data


@pytest.fixture
def no_downloads(monkeypatch, tmp_path):
    """The test runs offline, with an empty data folder unless it writes one."""
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "empty"))


def write_idx(path: Path, array: np.ndarray) -> None:
    """An idx file as MNIST's: magic (0, 0, 0x08 for uint8, dimensions), sizes, then the data."""
    header = struct.pack(">I", 0x0800 + array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def _write_mnist(root: Path, folder: str, n_train: int = 40, n_test: int = 20) -> dict:
    """Write ``<root>/<folder>/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (uncompressed:
    torchvision reads these names, and only unpacks the ``.gz`` files it downloads itself)."""
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = np.arange(n, dtype=np.uint8) % 10
        write_idx(raw / f"{split}-images-idx3-ubyte", images)
        write_idx(raw / f"{split}-labels-idx1-ubyte", labels)
        arrays[split] = (images, labels)
    return arrays


@pytest.fixture
def write_mnist():
    """``write_mnist(root, folder, n_train=40, n_test=20)``: MNIST's idx files; the arrays."""
    return _write_mnist


def _random_images(n: int = 64, channels: int = 3, side: int = 32, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, channels, side, side), dtype=torch.uint8, generator=generator)


@pytest.fixture
def random_images():
    """``random_images(n=64, channels=3, side=32, seed=0)``: uint8 (n, channels, side, side)."""
    return _random_images


# ---------------------------------------------------------------- models


@pytest.fixture(scope="module")
def resnet_and_checkpoints():
    """A ResNet-18 in eval mode, two images (2, 3, 32, 32) and its six checkpoints' outputs."""
    torch.manual_seed(0)
    model = resnet18_cifar().eval()
    X = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        return model, X, checkpoints(model, X)


# ---------------------------------------------------------------- training


class TensorLoader:
    """A tiny loader that follows the data protocol: the order of an epoch is a function of
    the seed and the epoch."""

    def __init__(self, X, y, batch_size=16, seed=0, shuffle=True):
        self.X, self.y, self.batch_size, self.seed, self.shuffle = X, y, batch_size, seed, shuffle
        self.dataset_size, self.device, self.epoch, self.epochs_set = len(y), X.device, 0, []

    def set_epoch(self, epoch):
        self.epoch = epoch
        self.epochs_set.append(epoch)

    def __len__(self):
        return math.ceil(self.dataset_size / self.batch_size)

    def __iter__(self):
        generator = torch.Generator().manual_seed(1000 * self.seed + self.epoch)
        n = self.dataset_size
        order = torch.randperm(n, generator=generator) if self.shuffle else torch.arange(n)
        for start in range(0, n, self.batch_size):
            batch = order[start : start + self.batch_size]
            yield self.X[batch], self.y[batch]


def blobs(n, num_classes=3, seed=0, flip=False):
    """Images (n, 1, 6, 6) whose class shifts the mean of one row: learnable in an epoch."""
    generator = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % num_classes
    X = torch.randn(n, 1, 6, 6, generator=generator)
    X[torch.arange(n), 0, y] += 2.0
    return X, (num_classes - 1 - y) if flip else y


def make_data(n_train=96, n_val=48, num_classes=3, flip_val=False, test=True):
    train = TensorLoader(*blobs(n_train, num_classes, seed=1), seed=5)
    val = TensorLoader(*blobs(n_val, num_classes, seed=2, flip=flip_val), shuffle=False)
    test_loader = TensorLoader(*blobs(n_val, num_classes, seed=3), shuffle=False) if test else None
    classes = [f"class {i}" for i in range(num_classes)]
    return SimpleNamespace(
        train=train, val=val, test=test_loader, num_classes=num_classes, classes=classes
    )


def small_cnn(num_classes=3, seed=0, dropout=0.0):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 4, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Dropout(dropout),
        nn.Linear(4 * 6 * 6, num_classes),
    )


def train_config(**changes):
    settings = dict(num_epochs=2, lr=0.1, momentum=0.9, progress=False)
    settings.update(changes)
    return TrainConfig(**settings)


@pytest.fixture
def tiny():
    """The tiny classification task of the training tests: ``tiny.blobs``, ``tiny.Loader``,
    ``tiny.data()`` (train/val/test loaders), ``tiny.cnn()`` and ``tiny.config(**changes)``."""
    return SimpleNamespace(
        blobs=blobs, Loader=TensorLoader, data=make_data, cnn=small_cnn, config=train_config
    )


@pytest.fixture(autouse=True)
def close_figures():
    """Every test ends with no matplotlib figure left open."""
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture
def is_png():
    """A function: whether a figure saves as a PNG image."""

    def saves_as_png(fig) -> bool:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue().startswith(b"\x89PNG")

    return saves_as_png
