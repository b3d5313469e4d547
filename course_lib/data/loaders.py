"""What every loader shares, and the plain path: a ``DataLoader`` over images in host memory.

A loader hands out batches ``(X, y)``: X float32 ``(B, C, H, W)`` normalised, y int64 ``(B,)``,
both on ``loader.device``. The order of an epoch and its random augmentation are a function of
``(seed, epoch)`` alone, drawn on the CPU by :func:`epoch_plan`: ``set_epoch(e)`` before a pass
makes it epoch ``e``, so a resumed run sees exactly the batches an uninterrupted one would (and
without ``set_epoch`` the passes count up from epoch 0). Both loaders give identical batches.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

import torch
from torch.utils.data import BatchSampler, DataLoader, Dataset, SequentialSampler

from course_lib.data.transforms import Augment, ToFloat, crop_and_flip, draw_params, pad
from course_lib.profile import one_thread_on_cpu

Batch = tuple[torch.Tensor, torch.Tensor]


@runtime_checkable
class Loader(Protocol):
    """The interface of both loaders: iterate for batches ``(X, y)``, one pass per epoch."""

    batch_size: int
    dataset_size: int
    device: torch.device

    def __iter__(self) -> Iterator[Batch]: ...

    def __len__(self) -> int: ...

    def set_epoch(self, epoch: int) -> None: ...


def epoch_generator(seed: int, epoch: int) -> torch.Generator:
    """A CPU generator whose state depends only on ``(seed, epoch)``, well mixed.

    Example:
        >>> a = torch.rand(2, generator=epoch_generator(0, 1))
        >>> torch.equal(a, torch.rand(2, generator=epoch_generator(0, 1)))
        True
    """
    digest = hashlib.sha256(f"course_lib.data:{seed}:{epoch}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little"))


def epoch_plan(
    n: int, *, seed: int, epoch: int, shuffle: bool, augment: Augment
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The order of an epoch and each position's random augmentation choices.

    Args:
        n: number of images.
        seed: the run's seed.
        epoch: the epoch number.
        shuffle: a random order, else 0, 1, ..., n - 1.
        augment: the augmentation; when it is inactive no choices are drawn.

    Returns:
        ``(order, params)``: int64 ``(n,)``, the dataset index at each position, and int64
        ``(n, 4)`` from ``draw_params`` for the image at each position (or None).

    Example:
        >>> flips = Augment(hflip=True)
        >>> order, params = epoch_plan(5, seed=0, epoch=0, shuffle=True, augment=flips)
        >>> sorted(order.tolist()), tuple(params.shape)
        ([0, 1, 2, 3, 4], (5, 4))
    """
    generator = epoch_generator(seed, epoch)
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    params = draw_params(n, augment, generator) if augment.active else None
    return order, params


class BaseLoader:
    """Shared by both loaders: arguments, ``len``, ``set_epoch`` and the per-batch transform.

    Args:
        images: uint8 ``(N, C, H, W)``.
        labels: int64 ``(N,)``.
        batch_size: images per batch; the last batch of an epoch may be smaller.
        mean: per-channel mean for normalisation, on the [0, 1] scale.
        std: per-channel standard deviation, on the [0, 1] scale.
        augment: random augmentation of each image (training data only).
        resize: resize batches to ``resize x resize`` after augmentation, or None.
        shuffle: a new random order each epoch.
        seed: with the epoch, decides order and augmentation.
        device: where batches are delivered.
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        *,
        batch_size: int,
        mean: Sequence[float],
        std: Sequence[float],
        augment: Augment | None = None,
        resize: int | None = None,
        shuffle: bool = False,
        seed: int = 0,
        device: str | torch.device = "cpu",
    ) -> None:
        if images.dtype != torch.uint8 or images.dim() != 4:
            raise TypeError(
                f"images must be uint8 (N, C, H, W), got {images.dtype} {tuple(images.shape)}"
            )
        if labels.shape != (len(images),):
            raise ValueError(f"labels must have shape ({len(images)},), got {tuple(labels.shape)}")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        self.batch_size, self.dataset_size = batch_size, len(images)
        self.augment, self.shuffle, self.seed = augment or Augment(), shuffle, seed
        self.device = torch.device(device)
        self.to_float = ToFloat(mean, std, resize, self.device)
        self.epoch = 0

    def __len__(self) -> int:
        return math.ceil(self.dataset_size / self.batch_size)

    def __repr__(self) -> str:
        order = "shuffled" if self.shuffle else "in order"
        return (
            f"{type(self).__name__}({self.dataset_size:,} images, batch_size={self.batch_size}, "
            f"{order}, augmentation {self.augment.describe()}, device={self.device})"
        )

    def set_epoch(self, epoch: int) -> None:
        """Make the next pass epoch ``epoch``: its order and augmentation follow (seed, epoch)."""
        if not isinstance(epoch, int) or epoch < 0:
            raise ValueError(f"epoch must be an int >= 0, got {epoch!r}")
        self.epoch = epoch

    def _next_plan(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        plan = epoch_plan(
            self.dataset_size,
            seed=self.seed,
            epoch=self.epoch,
            shuffle=self.shuffle,
            augment=self.augment,
        )
        self.epoch += 1
        return plan

    def _finish(self, padded: torch.Tensor, params: torch.Tensor | None) -> torch.Tensor:
        """uint8 batch, padded by ``augment.crop_padding`` -> augmented, normalised float32."""
        if params is not None:
            padded = crop_and_flip(padded, params, self.augment)
        return self.to_float(padded)


class _PlannedBatches(Dataset):
    """Batches by position in an epoch's order: ``dataset[[0, 1, 2]]`` is the first three."""

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        order: torch.Tensor,
        params: torch.Tensor | None,
    ) -> None:
        self.images, self.labels, self.order, self.params = images, labels, order, params

    def __len__(self) -> int:
        return len(self.order)

    def __getitem__(self, positions: list[int]) -> tuple[torch.Tensor, ...]:
        index = self.order[positions]
        params = self.params[positions] if self.params is not None else torch.empty(0)
        return self.images[index], self.labels[index], params


class PlainLoader(BaseLoader):
    """The plain path: images stay in host memory, a ``DataLoader`` assembles the batches.

    Batches are pinned and copied to ``device``, where augmentation and normalisation run as
    batched tensor operations, as in :class:`~course_lib.data.resident.DeviceLoader`. Arguments as
    :class:`BaseLoader`, plus ``num_workers`` for the ``DataLoader``.

    Example:
        >>> images = torch.zeros(10, 1, 4, 4, dtype=torch.uint8)
        >>> loader = PlainLoader(images, torch.zeros(10, dtype=torch.int64), batch_size=4,
        ...                      mean=(0.5,), std=(0.5,))
        >>> len(loader), [tuple(X.shape) for X, y in loader]
        (3, [(4, 1, 4, 4), (4, 1, 4, 4), (2, 1, 4, 4)])
    """

    def __init__(
        self, images: torch.Tensor, labels: torch.Tensor, *, num_workers: int = 0, **kwargs
    ) -> None:
        super().__init__(images, labels, **kwargs)
        self.images, self.labels, self.num_workers = images.cpu(), labels.cpu(), num_workers

    def __iter__(self) -> Iterator[Batch]:
        order, params = self._next_plan()
        batches = _PlannedBatches(self.images, self.labels, order, params)
        sampler = BatchSampler(SequentialSampler(batches), self.batch_size, drop_last=False)
        loader = DataLoader(
            batches,
            sampler=sampler,
            batch_size=None,  # the sampler hands out whole batches of positions
            num_workers=self.num_workers,
            pin_memory=self.device.type == "cuda",
        )
        for images, labels, batch_params in loader:
            with one_thread_on_cpu(self.device):
                images = images.to(self.device, non_blocking=True)
                labels = labels.to(self.device, non_blocking=True)
                batch_params = batch_params.to(self.device) if params is not None else None
                X = self._finish(pad(images, self.augment.crop_padding), batch_params)
            yield X, labels
