"""The resident path: the whole dataset resident on the device, batches cut from a permutation.

The device is the GPU where there is one, and the CPU otherwise: the same loader runs on both.

The uint8 images ``(N, C, H, W)`` move to the device once, zero-padded once for the random crop.
Each epoch draws a permutation and every image's crop offsets and flips (see
``loaders.epoch_plan``), moves them to the device in one copy, and then every batch is three
tensor operations on the device: index, crop-and-flip (one gather), normalise (one multiply-add),
and a resize when asked. No worker processes, no per-image Python, no host round trip
per step. This is how the CIFAR-10 speed records train (airbench, hlb-CIFAR10), and on a GPU it
makes data loading vanish from the profile; on a CPU it is still several times faster than a
``DataLoader`` with PIL transforms (``benchmarks/data_path.py`` measures it).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from course_lib.data.loaders import BaseLoader, Batch
from course_lib.data.transforms import pad
from course_lib.profile import one_thread_on_cpu


class DeviceLoader(BaseLoader):
    """Batches from uint8 images held on ``device``; the same batches as ``PlainLoader``.

    Args:
        images: uint8 ``(N, C, H, W)``, copied to ``device`` once.
        labels: int64 ``(N,)``.
        **kwargs: as :class:`~course_lib.data.loaders.BaseLoader` (``batch_size``, ``mean``,
            ``std``, ``augment``, ``resize``, ``shuffle``, ``seed``, ``device``).

    Example:
        >>> from course_lib.data.transforms import Augment
        >>> images = torch.randint(0, 256, (100, 3, 32, 32), dtype=torch.uint8)
        >>> loader = DeviceLoader(images, torch.arange(100) % 10, batch_size=32, mean=(0.5,) * 3,
        ...                       std=(0.5,) * 3, augment=Augment(crop_padding=4, hflip=True),
        ...                       shuffle=True)
        >>> X, y = next(iter(loader))
        >>> len(loader), tuple(X.shape), X.dtype, y.dtype
        (4, (32, 3, 32, 32), torch.float32, torch.int64)
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, **kwargs) -> None:
        super().__init__(images, labels, **kwargs)
        p = self.augment.crop_padding
        # Resident from now on, padded once for the random crop: (N, C, H + 2p, W + 2p) uint8.
        self.padded = pad(images.to(self.device), p)
        self.images = self.padded[:, :, p : p + images.shape[2], p : p + images.shape[3]]  # a view
        self.labels = labels.to(self.device)

    def __iter__(self) -> Iterator[Batch]:
        order, params = self._next_plan()
        order = order.to(self.device)  # one copy per epoch
        params = params.to(self.device) if params is not None else None
        for start in range(0, self.dataset_size, self.batch_size):
            end = start + self.batch_size
            with one_thread_on_cpu(self.device):
                if self.shuffle:
                    index = order[start:end]
                    padded, labels = self.padded[index], self.labels[index]
                else:  # evaluation order: plain slices, no copy
                    padded, labels = self.padded[start:end], self.labels[start:end]
                batch_params = params[start:end] if params is not None else None
                X = self._finish(padded, batch_params)
            yield X, labels
