"""``load_data``: a dataset as train/validation/test loaders, with what a model needs to know."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from course_lib.data.datasets import (
    STANDIN_SIZES,
    DatasetSpec,
    data_root,
    get_spec,
    is_offline,
    load_split,
    make_standin,
    standin_message,
)
from course_lib.data.loaders import Loader, PlainLoader
from course_lib.data.resident import DeviceLoader
from course_lib.data.transforms import Augment, normalization, resize_images
from course_lib.profile import check_profile, is_smoke, smoke_size

DEVICE_SHARE = 0.25  # the fast path may take this share of the GPU's free memory


@dataclass
class DataBundle:
    """A dataset ready for training: loaders and what a model needs to know about the images."""

    train: Loader  # batches (X, y): X float32 (B, C, H, W) normalised, y int64 (B,)
    val: Loader | None  # a split of the training set, no augmentation, not shuffled
    test: Loader | None  # no augmentation, not shuffled
    classes: list[str]
    num_classes: int
    in_channels: int
    image_size: tuple[int, int]
    standin: bool  # True when a stand-in replaced the real dataset
    description: str  # one line: what this is (dataset, sizes, stand-in or not)


def _check_size(name: str, value: int | None, minimum: int) -> None:
    """Raise ``ValueError`` unless ``value`` is None or an int >= ``minimum``."""
    if value is not None and (
        not isinstance(value, int) or isinstance(value, bool) or value < minimum
    ):
        raise ValueError(f"{name} must be an int >= {minimum} or None, got {value!r}")


def _resolve_augment(augment: bool | Augment, spec: DatasetSpec) -> Augment:
    if isinstance(augment, Augment):
        return augment
    if isinstance(augment, bool):
        return spec.augment if augment else Augment()
    raise TypeError(f"augment must be True, False or an Augment, got {augment!r}")


def _subset(n: int, count: int | None, skip: int, generator: torch.Generator) -> torch.Tensor:
    """Sorted indices of ``count`` images (all when None) after the first ``skip`` of a shuffle."""
    if skip == 0 and count in (None, n):
        return torch.arange(n)
    order = torch.randperm(n, generator=generator)
    return order[skip : None if count is None else skip + count].sort().values


def _use_fast_path(fast: bool | None, nbytes: int, device: torch.device) -> bool:
    if fast is not None:
        return bool(fast)
    if device.type != "cuda":
        return True  # in host memory already
    free, _ = torch.cuda.mem_get_info(device)
    return nbytes < DEVICE_SHARE * free


def _split_train(
    images: torch.Tensor,
    labels: torch.Tensor,
    val_size: int,
    train_size: int | None,
    seed: int,
    title: str,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Split the training set into (train images, train labels, val images, val labels)."""
    n = len(labels)
    if val_size == 0 and train_size in (None, n):
        return images, labels, images[:0], labels[:0]  # all of it, without a copy
    if val_size + (train_size or 1) > n:
        raise ValueError(
            f"train_size ({train_size}) + val_size ({val_size}) exceed the {n:,} training "
            f"images of {title}"
        )
    val_index = _subset(n, val_size, 0, torch.Generator().manual_seed(seed))
    train_index = _subset(n, train_size, val_size, torch.Generator().manual_seed(seed))
    return images[train_index], labels[train_index], images[val_index], labels[val_index]


def _check_arguments(
    profile: str,
    batch_size: int,
    resize: int | None,
    val_size: int,
    train_size: int | None,
    test_size: int | None,
) -> None:
    check_profile(profile)
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if not isinstance(val_size, int) or isinstance(val_size, bool) or val_size < 0:
        raise ValueError(f"val_size must be an int >= 0, got {val_size!r}")
    _check_size("resize", resize, 1)
    _check_size("train_size", train_size, 1)
    _check_size("test_size", test_size, 0)


def _load_splits(
    spec: DatasetSpec,
    profile: str,
    folder: Path,
    offline: bool,
    val_size: int,
    train_size: int | None,
    test_size: int | None,
    seed: int,
) -> tuple[dict[str, tuple[torch.Tensor, torch.Tensor]], list[str], str | None]:
    """The splits as uint8 images and labels, the class names, and why a stand-in (or None)."""
    if is_smoke():  # small splits, of the real shapes
        val_size, train_size, test_size = (
            smoke_size(val_size),
            smoke_size(train_size),
            (smoke_size(test_size)),
        )
    standin_train = STANDIN_SIZES["train"] if train_size is None else train_size + val_size
    images, labels, classes, reason = load_split(
        spec, profile=profile, train=True, root=folder, offline=offline, n=standin_train
    )
    train_x, train_y, val_x, val_y = _split_train(
        images, labels, val_size, train_size, seed, spec.title
    )
    splits = {"train": (train_x, train_y), "val": (val_x, val_y)}
    if test_size == 0:
        return splits, classes, reason
    if reason is None:  # a real training set goes with the real test set, or an error
        test_x, test_y, _, _ = load_split(
            spec, profile="full", train=False, root=folder, offline=offline
        )
    else:
        test_x, test_y, _ = make_standin(spec, train=False, n=test_size or STANDIN_SIZES["test"])
    if test_size is not None and test_size > len(test_y):
        raise ValueError(f"test_size ({test_size}) exceeds the {len(test_y):,} test images")
    keep = _subset(len(test_y), test_size, 0, torch.Generator().manual_seed(seed))
    splits["test"] = (test_x[keep], test_y[keep])
    return splits, classes, reason


def _describe(
    spec: DatasetSpec,
    reason: str | None,
    counts: dict[str, int],
    side: int,
    normalize: str | tuple | None,
    how: str,
) -> str:
    """The one-line description of a bundle."""
    title = f"{spec.title} stand-in ({spec.standin_kind})" if reason else spec.title
    sizes = " / ".join(f"{count:,} {split}" for split, count in counts.items())
    preset = (
        {None: "none"}.get(normalize, normalize) if not isinstance(normalize, tuple) else "custom"
    )
    return (
        f"{title}: {sizes} images, {spec.in_channels}x{side}x{side}, {spec.num_classes} classes, "
        f"normalisation {preset}, {how}"
    )


def load_data(
    name: str,
    *,
    profile: str,
    batch_size: int,
    resize: int | None = None,
    augment: bool | Augment = False,
    normalize: str | tuple[Sequence[float], Sequence[float]] | None = None,
    val_size: int = 0,
    train_size: int | None = None,
    test_size: int | None = None,
    fast: bool | None = None,
    device: str | torch.device | None = None,
    seed: int = 0,
    root: str | Path | None = None,
    offline: bool | None = None,
) -> DataBundle:
    """Load a dataset as loaders of normalised float batches, real or (quick profile) a stand-in.

    Args:
        name: "mnist" (as 32x32: ``Resize((32, 32))`` then ``ToTensor()``), "fashion_mnist"
            (28x28), "cifar10" or "cifar100" (32x32).
        profile: "quick" uses a stand-in, and says so, when the data cannot be had; "full" raises
            ``DatasetNotFoundError`` then.
        batch_size: images per batch.
        resize: resize the images to ``resize x resize`` (e.g. 224 for VGG, 96 for ResNet on
            Fashion-MNIST, as d2l does), or None.
        augment: True for the dataset's standard augmentation (CIFAR: crop with padding 4 and
            horizontal flips; MNIST: crop with padding 2), False for none, or an ``Augment``
            (the lab report's: ``Augment(hflip=True, vflip=True)``). Training batches only.
        normalize: a preset of ``NORMALIZATIONS`` ("cifar10", "imagenet", "lab_report",
            "tutorial", "mnist", "fashion_mnist"), a ``(mean, std)`` pair, or None.
        val_size: images of the training set held out for validation (0: no ``val``).
        train_size: training images to use (None: all the rest).
        test_size: test images to use (None: all; 0: no ``test``).
        fast: the device-resident fast path; None chooses it when the data fit on the device.
        device: where batches are delivered; None: "cuda" if available, else "cpu".
        seed: decides the subsets, and with the epoch the order and augmentation.
        root: the data folder; None: ``$COURSE_DATA`` or ``~/.cache/course_lib/data``.
        offline: forbid downloads; None reads ``COURSE_OFFLINE``.

    Returns:
        A ``DataBundle``; its loaders yield X float32 ``(B, C, H, W)`` and y int64 ``(B,)``.

    Example:
        >>> data = load_data("cifar10", profile="quick", batch_size=64, train_size=256,
        ...                  test_size=128, offline=True, root="/nonexistent")  # doctest: +ELLIPSIS
        Stand-in data: CIFAR-10 could not be loaded (offline, ...
        >>> X, y = next(iter(data.train))
        >>> tuple(X.shape), y.dtype, data.num_classes, data.standin
        ((64, 3, 32, 32), torch.int64, 10, True)
    """
    spec = get_spec(name)
    _check_arguments(profile, batch_size, resize, val_size, train_size, test_size)
    augmentation = _resolve_augment(augment, spec)
    mean, std = normalization(normalize, spec.in_channels)
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    splits, classes, reason = _load_splits(
        spec, profile, data_root(root), is_offline(offline), val_size, train_size, test_size, seed
    )
    stored = spec.image_size if resize in (None, spec.image_size) else spec.native_size
    side = resize or spec.image_size
    splits = {k: (resize_images(x, stored), y) for k, (x, y) in splits.items() if len(y)}
    use_fast = _use_fast_path(fast, sum(x.numel() for x, _ in splits.values()), device)
    loader_class = DeviceLoader if use_fast else PlainLoader
    common = dict(batch_size=batch_size, mean=mean, std=std, resize=side, seed=seed, device=device)
    loaders = {
        split: loader_class(x, y, augment=augmentation if split == "train" else None,
                            shuffle=split == "train", **common)
        for split, (x, y) in splits.items()
    }  # fmt: skip
    counts = {split: len(y) for split, (_, y) in splits.items()}
    if reason is not None:
        named = {"training": "train", "validation": "val", "test": "test"}
        print(standin_message(spec, reason, {k: counts.get(v, 0) for k, v in named.items()}))
    path = "fast path" if use_fast else "DataLoader"
    how = f"augmentation {augmentation.describe()}, {path} on {device}"
    return DataBundle(
        train=loaders["train"],
        val=loaders.get("val"),
        test=loaders.get("test"),
        classes=classes,
        num_classes=spec.num_classes,
        in_channels=spec.in_channels,
        image_size=(side, side),
        standin=reason is not None,
        description=_describe(spec, reason, counts, side, normalize, how),
    )
