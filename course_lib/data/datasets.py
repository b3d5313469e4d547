"""The four datasets of the course, read through torchvision into uint8 tensors, or stand-ins.

Real data come through torchvision's own classes (``MNIST``, ``FashionMNIST``, ``CIFAR10``,
``CIFAR100``), downloaded on demand into one data folder: the ``root`` argument, else the
environment variable ``COURSE_DATA``, else ``$XDG_CACHE_HOME/course_lib/data`` (by default
``~/.cache/course_lib/data``). ``COURSE_OFFLINE=1`` forbids downloads. When the data are missing
and cannot be downloaded, the ``quick`` profile uses a stand-in (see ``standins``) and says so;
the ``full`` profile raises :class:`DatasetNotFoundError` saying how to get the data.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import torch

from course_lib.data.standins import (
    CIFAR10_CLASSES,
    CIFAR100_CLASSES,
    clothing_standin,
    digits_standin,
    shapes_standin,
)
from course_lib.data.transforms import Augment, resize_images
from course_lib.profile import (
    SMOKE_IMAGES,
    check_profile,
    data_root,
    is_offline,
    is_smoke,
    shown_path,
)

STANDIN_SIZES = {"train": 2000, "test": 500}  # a stand-in's default number of images per split
DOWNLOAD_TIMEOUT_S = 60  # a download that hears nothing for this long has failed


class DatasetNotFoundError(RuntimeError):
    """A dataset is missing and could not be downloaded, where a stand-in is not allowed."""


@dataclass(frozen=True)
class DatasetSpec:
    """What the course needs to know about one dataset."""

    name: str  # the name ``load_data`` takes
    title: str  # how the text writes it
    torchvision_class: str  # the class in torchvision.datasets
    files: str  # where torchvision expects the files, relative to the data folder
    in_channels: int
    native_size: int  # the side of the images as stored
    image_size: int  # the side the course uses by default (MNIST: 32, as LeNet-5 expects)
    num_classes: int
    augment: Augment  # the standard augmentation, ``augment=True``

    @property
    def standin_kind(self) -> str:
        """What replaces this dataset when it cannot be loaded."""
        if self.name == "fashion_mnist":
            return "drawn silhouettes of the ten garments, not photographs"
        if self.in_channels == 1:
            return "scikit-learn's handwritten digits (8x8, upscaled)"
        return "synthetic class-structured 32x32 colour images"


_MNIST_FILES = (
    "{}/raw/ (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
    "t10k-labels-idx1-ubyte)"
)
SPECS: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec(
        "mnist", "MNIST", "MNIST", _MNIST_FILES.format("MNIST"), 1, 28, 32, 10,
        Augment(crop_padding=2),
    ),
    "fashion_mnist": DatasetSpec(
        "fashion_mnist", "Fashion-MNIST", "FashionMNIST", _MNIST_FILES.format("FashionMNIST"),
        1, 28, 28, 10, Augment(crop_padding=2, hflip=True),
    ),
    "cifar10": DatasetSpec(
        "cifar10", "CIFAR-10", "CIFAR10",
        "cifar-10-batches-py/ (data_batch_1 to data_batch_5, test_batch, batches.meta)",
        3, 32, 32, 10, Augment(crop_padding=4, hflip=True),
    ),
    "cifar100": DatasetSpec(
        "cifar100", "CIFAR-100", "CIFAR100", "cifar-100-python/ (train, test, meta)",
        3, 32, 32, 100, Augment(crop_padding=4, hflip=True),
    ),
}  # fmt: skip


class Images(NamedTuple):
    """A dataset split as tensors: what chapters use for statistics and pictures."""

    images: torch.Tensor  # uint8 (N, C, H, W)
    labels: torch.Tensor  # int64 (N,)
    classes: list[str]
    standin: bool


def get_spec(name: str) -> DatasetSpec:
    """Return the :class:`DatasetSpec` of ``name``; unknown names raise ``ValueError``.

    Example:
        >>> get_spec("cifar10").num_classes
        10
    """
    if name not in SPECS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {list(SPECS)}")
    return SPECS[name]


def how_to_get(spec: DatasetSpec, root: Path) -> str:
    """The sentence that tells a user how to make ``spec``'s files available."""
    return (
        f"To get {spec.title}, run once with an internet connection (and without "
        f"COURSE_OFFLINE=1), or place the files as torchvision expects them: "
        f"{root / spec.files}. "
        "COURSE_DATA sets the data folder."
    )


def read_torchvision(
    spec: DatasetSpec, root: Path, *, train: bool, download: bool
) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Read one split through torchvision's dataset class, downloading it if allowed.

    Args:
        spec: the dataset.
        root: the data folder, as torchvision's ``root``.
        train: the training split, else the test split.
        download: let torchvision download missing files.

    Returns:
        ``(images, labels, classes)``: uint8 ``(N, C, H, W)`` at the native size, int64 ``(N,)``.

    Raises:
        RuntimeError or OSError: from torchvision, when files are missing or a download fails.
    """
    import torchvision

    cls = getattr(torchvision.datasets, spec.torchvision_class)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(previous or DOWNLOAD_TIMEOUT_S)  # urllib waits forever otherwise
    try:
        dataset = cls(str(root), train=train, download=download)
    finally:
        socket.setdefaulttimeout(previous)
    data = torch.as_tensor(dataset.data)
    images = data.unsqueeze(1) if data.dim() == 3 else data.permute(0, 3, 1, 2)  # HWC -> CHW
    labels = torch.as_tensor(dataset.targets, dtype=torch.int64)
    return images.contiguous(), labels, list(dataset.classes)


def make_standin(
    spec: DatasetSpec, *, train: bool, n: int | None = None
) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """A stand-in for one split of ``spec``, with the real dataset's class names.

    Args:
        spec: the dataset to stand in for.
        train: the training split, else the test split (different images).
        n: number of images; None for ``STANDIN_SIZES``.

    Returns:
        ``(images, labels, classes)``: uint8 ``(n, C, H, W)`` at the native size, int64 ``(n,)``.

    Example:
        >>> images, labels, classes = make_standin(get_spec("cifar100"), train=True, n=4)
        >>> tuple(images.shape), len(classes)
        ((4, 3, 32, 32), 100)
    """
    n = STANDIN_SIZES["train" if train else "test"] if n is None else n
    if spec.name == "fashion_mnist":
        images, labels = clothing_standin(n, train=train, size=spec.native_size)
    elif spec.in_channels == 1:
        images, labels = digits_standin(n, train=train, size=spec.native_size)
    else:
        images, labels = shapes_standin(n, spec.num_classes, train=train)
    if spec.name == "cifar10":
        classes = list(CIFAR10_CLASSES)
    elif spec.name == "cifar100":
        classes = list(CIFAR100_CLASSES)
    else:
        import torchvision

        classes = list(getattr(torchvision.datasets, spec.torchvision_class).classes)
    return images, labels, classes


def standin_message(spec: DatasetSpec, reason: str, sizes: dict[str, int]) -> str:
    """The line that announces a stand-in: why, what replaced the dataset, and how many images.

    Example:
        >>> sizes = {"training": 2000, "test": 500}
        >>> message = standin_message(get_spec("cifar10"), "offline", sizes)
        >>> print(message)  # doctest: +NORMALIZE_WHITESPACE
        Stand-in data: CIFAR-10 could not be loaded (offline); using synthetic class-structured
        32x32 colour images, 2,000 training and 500 test images. Results are not comparable with
        the real dataset.
    """
    counts = [f"{count:,} {split}" for split, count in sizes.items() if count]
    listed = ", ".join(counts[:-1]) + " and " + counts[-1] if len(counts) > 1 else counts[0]
    return (
        f"Stand-in data: {spec.title} could not be loaded ({reason}); using {spec.standin_kind}, "
        f"{listed} images. Results are not comparable with the real dataset."
    )


def load_split(
    spec: DatasetSpec, *, profile: str, train: bool, root: Path, offline: bool, n: int | None = None
) -> tuple[torch.Tensor, torch.Tensor, list[str], str | None]:
    """One split, real or (quick profile only) a stand-in of ``n`` images.

    Args:
        spec: the dataset.
        profile: "quick" falls back to a stand-in, "full" raises ``DatasetNotFoundError``.
        train: the training split, else the test split.
        root: the data folder.
        offline: forbid downloads.
        n: the stand-in's size; None for ``STANDIN_SIZES``.

    Returns:
        ``(images, labels, classes, reason)``: uint8 ``(N, C, H, W)`` at the native size, int64
        ``(N,)``, class names, and None for real data or why a stand-in replaced it.
    """
    check_profile(profile)
    try:
        images, labels, classes = read_torchvision(spec, root, train=train, download=not offline)
        if is_smoke():  # a smoke run keeps the first images of a real split
            images, labels = images[: 2 * SMOKE_IMAGES], labels[: 2 * SMOKE_IMAGES]
        return images, labels, classes, None
    except (RuntimeError, OSError) as error:
        if offline:
            reason = f"offline, and no usable files under {shown_path(root)}"
        else:
            reason = f"download failed: {_first_line(error)}"
        if profile == "full" and not is_smoke():
            raise DatasetNotFoundError(
                f"{spec.title} is not available ({reason}). {how_to_get(spec, root)} The quick "
                "profile (COURSE_PROFILE=quick) would use a stand-in instead."
            ) from error
    if is_smoke():
        reason += "; smoke run (COURSE_SMOKE=1)"
    return (*make_standin(spec, train=train, n=n), reason)


def _first_line(error: BaseException) -> str:
    """The first non-empty line of an error's message, or its class name when it has none."""
    for line in str(error).splitlines():
        if line.strip().strip(":"):
            return line.strip()
    return type(error).__name__


def load_images(
    name: str,
    *,
    profile: str,
    train: bool = True,
    image_size: int | None = None,
    root: str | Path | None = None,
    offline: bool | None = None,
    verbose: bool = True,
) -> Images:
    """Load one split of a dataset as uint8 tensors, for statistics and pictures.

    Args:
        name: "mnist", "fashion_mnist", "cifar10" or "cifar100".
        profile: "quick" (a stand-in when the data are missing) or "full" (an error then).
        train: the training split, else the test split.
        image_size: resize to this side; None keeps the course's size (32 for MNIST, as the
            LeNet-5 chapters use ``Resize((32, 32))``; the native size otherwise).
        root: the data folder (see :func:`data_root`).
        offline: forbid downloads; None reads ``COURSE_OFFLINE``.
        verbose: print the stand-in announcement when a stand-in is used.

    Returns:
        ``Images(images, labels, classes, standin)``: uint8 ``(N, C, H, W)``, int64 ``(N,)``.

    Example:
        >>> images, labels, classes, standin = load_images(
        ...     "mnist", profile="quick", root="/nonexistent", offline=True, verbose=False)
        >>> tuple(images.shape[1:]), images.dtype, classes[0], standin
        ((1, 32, 32), torch.uint8, '0 - zero', True)
    """
    if image_size is not None and (not isinstance(image_size, int) or image_size < 1):
        raise ValueError(f"image_size must be a positive int or None, got {image_size!r}")
    spec, folder = get_spec(name), data_root(root)
    images, labels, classes, reason = load_split(
        spec, profile=profile, train=train, root=folder, offline=is_offline(offline)
    )
    if reason is not None and verbose:
        print(standin_message(spec, reason, {"training" if train else "test": len(labels)}))
    images = resize_images(images, image_size or spec.image_size)
    return Images(images, labels, classes, reason is not None)
