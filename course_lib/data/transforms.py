"""Augmentation and normalisation as batched tensor operations, with per-image randomness.

Both loaders use these functions on whole batches of uint8 images ``(N, C, H, W)``: a random
crop from the zero-padded image (``RandomCrop(size, padding=p)``) with horizontal and vertical
flips (``RandomHorizontalFlip``, ``RandomVerticalFlip``) in one gather, the conversion to float
with normalisation (``ToTensor`` then ``Normalize``) in one multiply-add, and a bilinear resize.
The random choices of an epoch are drawn up front by :func:`draw_params`, one row per image, so
the same seed gives the same batches on every device and with either loader. This is the
technique of the CIFAR-10 speed records (https://github.com/KellerJordan/cifar10-airbench): no
per-image Python, no worker processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

# Per-channel (mean, std) of images scaled to [0, 1], by name.
NORMALIZATIONS: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    # The CIFAR-10 statistics that circulate with most CIFAR training scripts.
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)),
    # ImageNet's statistics, which pretrained torchvision models expect.
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    # What the CIFAR-10 lab report (source 001) measured on its own training set.
    "lab_report": ((0.4940, 0.4849, 0.4495), (0.2014, 0.1985, 0.2001)),
    # The PyTorch CIFAR-10 tutorial: values mapped to [-1, 1].
    "tutorial": ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
    "mnist": ((0.1307,), (0.3081,)),
    "fashion_mnist": ((0.2860,), (0.3530,)),
}


@dataclass(frozen=True)
class Augment:
    """Which random augmentations to apply to training images, each with probability 0.5.

    Args:
        crop_padding: pad each side with this many zero pixels, then crop a random window of
            the original size (0: no crop).
        hflip: flip images left-right.
        vflip: flip images upside down.

    Example:
        >>> Augment(crop_padding=4, hflip=True)
        Augment(crop_padding=4, hflip=True, vflip=False)
    """

    crop_padding: int = 0
    hflip: bool = False
    vflip: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.crop_padding, int) or self.crop_padding < 0:
            raise ValueError(f"crop_padding must be an int >= 0, got {self.crop_padding!r}")

    @property
    def active(self) -> bool:
        """True when at least one augmentation is switched on."""
        return self.crop_padding > 0 or self.hflip or self.vflip

    def describe(self) -> str:
        """A short text such as ``"crop 4, h-flip"``."""
        parts = [f"crop {self.crop_padding}"] if self.crop_padding else []
        parts += ["h-flip"] * self.hflip + ["v-flip"] * self.vflip
        return ", ".join(parts) or "none"


def normalization(
    normalize: str | tuple[Sequence[float], Sequence[float]] | None, in_channels: int
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Return per-channel ``(mean, std)`` for a preset name, an explicit pair, or None.

    Args:
        normalize: a key of ``NORMALIZATIONS``, a ``(mean, std)`` pair, or None for
            ``ToTensor`` alone (mean 0, std 1).
        in_channels: the number of image channels; the statistics must match it.

    Returns:
        ``(mean, std)``, each a tuple of ``in_channels`` floats.

    Example:
        >>> normalization("imagenet", 3)[0]
        (0.485, 0.456, 0.406)
    """
    if normalize is None:
        return (0.0,) * in_channels, (1.0,) * in_channels
    if isinstance(normalize, str):
        if normalize not in NORMALIZATIONS:
            raise ValueError(
                f"unknown normalisation {normalize!r}; choose one of {sorted(NORMALIZATIONS)}, "
                "a (mean, std) pair, or None"
            )
        normalize = NORMALIZATIONS[normalize]
    mean, std = (tuple(float(v) for v in values) for values in normalize)
    if len(mean) != in_channels or len(std) != in_channels:
        raise ValueError(
            f"normalisation {normalize!r} has statistics for {len(mean)} channels, "
            f"but the images have {in_channels}"
        )
    if min(std) <= 0:
        raise ValueError(f"standard deviations must be positive, got {std}")
    return mean, std


def channel_stats(images: torch.Tensor) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and standard deviation of uint8 images, on the [0, 1] scale.

    Args:
        images: uint8 tensor ``(N, C, H, W)``.

    Returns:
        ``(mean, std)``, each a tuple of C floats, for ``load_data(normalize=...)``.

    Example:
        >>> images = torch.tensor([0, 255], dtype=torch.uint8).view(2, 1, 1, 1)
        >>> channel_stats(images)
        ((0.5,), (0.5,))
    """
    if images.dtype != torch.uint8 or images.dim() != 4:
        raise TypeError(
            f"expected uint8 images (N, C, H, W), got {images.dtype} {tuple(images.shape)}"
        )
    total = torch.zeros(images.shape[1], dtype=torch.float64)
    squares = torch.zeros_like(total)
    for chunk in images.split(4096):  # float64 in chunks keeps memory small and sums exact
        x = chunk.to(torch.float64).div_(255).transpose(0, 1).flatten(1)  # (C, n * H * W)
        total += x.sum(1)
        squares += x.square().sum(1)
    count = images.numel() // images.shape[1]
    mean = total / count
    std = (squares / count - mean.square()).clamp_min(0).sqrt()  # population std, as numpy's
    return tuple(round(v, 6) for v in mean.tolist()), tuple(round(v, 6) for v in std.tolist())


def draw_params(n: int, augment: Augment, generator: torch.Generator) -> torch.Tensor:
    """Draw the random choices for ``n`` images: crop offsets and flip decisions.

    Args:
        n: number of images.
        augment: the augmentations (only the crop padding matters here).
        generator: a CPU generator; the same state gives the same choices.

    Returns:
        int64 tensor ``(n, 4)``: row offset and column offset of the crop window in the padded
        image (0 to 2 * padding), then 1 to flip left-right, 1 to flip upside down.

    Example:
        >>> draw_params(3, Augment(crop_padding=4), torch.Generator().manual_seed(0)).shape
        torch.Size([3, 4])
    """
    offsets = torch.randint(0, 2 * augment.crop_padding + 1, (n, 2), generator=generator)
    flips = (torch.rand(n, 2, generator=generator) < 0.5).long()
    return torch.cat([offsets, flips], dim=1)


def pad(images: torch.Tensor, padding: int) -> torch.Tensor:
    """Zero-pad every side by ``padding`` pixels, as ``RandomCrop(padding=p)`` does first.

    Args:
        images: tensor ``(N, C, H, W)`` of any dtype.
        padding: pixels added on each side (0 returns ``images`` itself).

    Returns:
        Tensor ``(N, C, H + 2 * padding, W + 2 * padding)``.

    Example:
        >>> pad(torch.ones(1, 1, 1, 1), 1)[0, 0].tolist()
        [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    """
    return F.pad(images, (padding,) * 4) if padding else images


def crop_and_flip(padded: torch.Tensor, params: torch.Tensor, augment: Augment) -> torch.Tensor:
    """Crop each image's window from its padded copy and flip it, all in one gather.

    Image ``i`` reads the window whose corner is at row ``params[i, 0]`` and column
    ``params[i, 1]`` of its padded copy (``RandomCrop``), read right to left if ``params[i, 2]``
    (``RandomHorizontalFlip``) and bottom to top if ``params[i, 3]`` (``RandomVerticalFlip``).
    Folding the flips into the indices of the crop makes the whole augmentation one pass over
    the batch.

    Args:
        padded: tensor ``(N, C, H + 2p, W + 2p)`` from :func:`pad`, ``p = augment.crop_padding``.
        params: int64 ``(N, 4)`` from :func:`draw_params`, on the images' device.
        augment: which augmentations to apply.

    Returns:
        Tensor ``(N, C, H, W)`` of the same dtype.

    Example:
        >>> x = torch.arange(4).view(1, 1, 2, 2)  # [[0, 1], [2, 3]]
        >>> params = torch.tensor([[0, 1, 0, 0]])  # corner one pixel up, no flips
        >>> crop_and_flip(pad(x, 1), params, Augment(crop_padding=1)).tolist()
        [[[[0, 0], [0, 1]]]]
        >>> crop_and_flip(x, torch.tensor([[0, 0, 1, 0]]), Augment(hflip=True)).tolist()
        [[[[1, 0], [3, 2]]]]
    """
    n, c, padded_h, padded_w = padded.shape
    h, w = padded_h - 2 * augment.crop_padding, padded_w - 2 * augment.crop_padding
    rows = torch.arange(h, device=padded.device).expand(n, h)  # (N, H): row i of each output
    cols = torch.arange(w, device=padded.device).expand(n, w)  # (N, W)
    if augment.vflip:
        rows = torch.where(params[:, 3:4].bool(), h - 1 - rows, rows)
    if augment.hflip:
        cols = torch.where(params[:, 2:3].bool(), w - 1 - cols, cols)
    if augment.crop_padding:
        rows, cols = rows + params[:, 0:1], cols + params[:, 1:2]
    flat = rows[:, :, None] * padded_w + cols[:, None, :]  # (N, H, W): where each pixel comes from
    index = flat.view(n, 1, h * w).expand(n, c, h * w)  # the same for every channel
    return padded.flatten(2).gather(2, index).view(n, c, h, w)


def resize_images(images: torch.Tensor, size: int) -> torch.Tensor:
    """Resize uint8 images to ``size x size`` exactly as ``transforms.Resize`` does on PIL images.

    Args:
        images: uint8 ``(N, C, H, W)``.
        size: the new side.

    Returns:
        uint8 ``(N, C, size, size)`` (the input itself when it has that size already).
    """
    if tuple(images.shape[-2:]) == (size, size):
        return images
    from torchvision.transforms.v2.functional import resize  # matches PIL's bilinear filter

    chunks = [resize(chunk, [size, size], antialias=True) for chunk in images.split(8192)]
    return torch.cat(chunks)


class ToFloat:
    """uint8 images to normalised float32: ``ToTensor``, ``Normalize`` (and ``Resize``) in one.

    Args:
        mean: per-channel mean on the [0, 1] scale.
        std: per-channel standard deviation on the [0, 1] scale.
        size: resize to ``(size, size)`` bilinearly (antialiased), or None to keep the size.
        device: where the images will be.

    Example:
        >>> to_float = ToFloat((0.5,), (0.5,))
        >>> X = to_float(torch.tensor([0, 255], dtype=torch.uint8).view(2, 1, 1, 1))
        >>> X.flatten().round(decimals=4).tolist()
        [-1.0, 1.0]
    """

    def __init__(
        self,
        mean: Sequence[float],
        std: Sequence[float],
        size: int | None = None,
        device: torch.device | str = "cpu",
    ) -> None:
        std_t = torch.tensor(std, dtype=torch.float32, device=device).view(1, -1, 1, 1)
        mean_t = torch.tensor(mean, dtype=torch.float32, device=device).view(1, -1, 1, 1)
        self.scale = 1 / (255 * std_t)  # (1, C, 1, 1): x / 255 then / std ...
        self.shift = -mean_t / std_t  # ... minus mean / std, in one multiply-add
        self.size = size

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Return float32 ``(N, C, size, size)`` from uint8 ``(N, C, H, W)``."""
        x = torch.addcmul(self.shift, images, self.scale)  # uint8 in, float32 out, one pass
        if self.size is not None and tuple(x.shape[-2:]) != (self.size, self.size):
            # Normalising is affine and bilinear weights sum to one, so the order does not matter.
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", antialias=True)
        return x
