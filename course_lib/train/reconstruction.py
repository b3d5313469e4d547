"""Measuring decoders: the MSE of their reconstructions and a classifier's verdict on them.

``evaluate_decoder`` measures one decoder on a split; ``evaluate_decoders`` measures several
at once, reading every checkpoint in one pass with forward hooks; ``reconstruct`` returns the
reconstructions of a few images with the classifier's verdicts, for pictures.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.models.probes import checkpoints, encoder_upto
from course_lib.profile import limit_batches

from .setup import autocast, resolve_channels_last, resolve_precision, to_device


@dataclass
class DecoderMetrics:
    """What ``evaluate_decoder`` measured on one split.

    Attributes:
        mse: mean squared error per pixel between images and reconstructions (thesis eq. 13).
        ce: the classifier's mean cross-entropy on the reconstructions, against the labels.
        accuracy: fraction of reconstructions the classifier assigns to the true class.
        num_examples: how many images were evaluated.
    """

    mse: float
    ce: float
    accuracy: float
    num_examples: int

    def loss(self, ce_weight: float) -> float:
        """The training objective on this split: ``mse + ce_weight * ce``."""
        return self.mse + ce_weight * self.ce if ce_weight else self.mse


def losses(decoder, encoder, classifier, X, y, need_ce: bool):
    """Reconstruct a batch; return (mse, ce or None, logits or None), the first two 0-d."""
    with torch.no_grad():
        Z = encoder(X)  # the checkpoint's representation, e.g. (N, 256, 8, 8)
    R = decoder(Z)  # (N, 3, 32, 32)
    mse = F.mse_loss(R.float(), X.float())
    if not need_ce:
        return mse, None, None
    logits = classifier(R)  # gradients flow into R, not into the frozen classifier
    return mse, F.cross_entropy(logits.float(), y), logits


def checkpoint_name(model: nn.Module, checkpoint: int) -> str:
    """The module of a CIFAR ``ResNet`` whose output is checkpoint ``checkpoint``.

    Example:
        >>> from course_lib.models import resnet18_cifar
        >>> [checkpoint_name(resnet18_cifar(), k) for k in (1, 5, 6)]
        ['features.stage1', 'features.final_pool', 'output']
    """
    stages = len(getattr(model, "layers", ()))
    if isinstance(checkpoint, bool) or checkpoint not in range(1, stages + 3):
        raise ValueError(f"checkpoint must be 1 to {stages + 2}, got {checkpoint!r}")
    if checkpoint <= stages:
        return f"features.stage{checkpoint}"
    return "features.final_pool" if checkpoint == stages + 1 else "output"


class _Sums:
    """Squared error, cross-entropy and correct counts summed on the device, read once."""

    def __init__(self, device: torch.device) -> None:
        self.sums, self.seen = torch.zeros(3, device=device), 0

    def add(self, mse: torch.Tensor, ce: torch.Tensor | None, logits, y: torch.Tensor) -> None:
        zero = torch.zeros_like(mse)
        correct = zero if logits is None else (logits.argmax(dim=1) == y).sum().float()
        self.sums += torch.stack([mse, zero if ce is None else ce, correct / len(y)]) * len(y)
        self.seen += len(y)

    def metrics(self, classify: bool) -> DecoderMetrics:
        if self.seen == 0:
            raise ValueError("the loader yielded no batches")
        mse, ce, accuracy = (self.sums / self.seen).tolist()  # the one sync of the pass
        if not classify:
            ce = accuracy = math.nan
        return DecoderMetrics(mse=mse, ce=ce, accuracy=accuracy, num_examples=self.seen)


def _evaluation(decoders, model, precision, channels_last):
    """Device, precision and layout for an evaluation; puts the networks in eval mode."""
    device = next(next(iter(decoders)).parameters()).device
    modes = [m.training for m in (*decoders, model)]
    for m in (*decoders, model):
        m.eval()
    return (
        device,
        resolve_precision(precision, device),
        resolve_channels_last(channels_last, device),
        modes,
    )


@torch.no_grad()
def evaluate_decoder(
    decoder: nn.Module,
    model: nn.Module,
    loader: Iterable[tuple[torch.Tensor, torch.Tensor]],
    classify: bool = True,
    precision: str = "auto",
    channels_last: bool | str = "auto",
) -> DecoderMetrics:
    """MSE of ``decoder`` on ``loader``'s images and ``model``'s accuracy on the reconstructions.

    Args:
        decoder: a ``ResNetDecoder``; its ``checkpoint`` says which representation it reads.
        model: the classifier whose checkpoint is decoded (a CIFAR ``ResNet``); it also
            classifies the reconstructions.
        loader: yields ``(X, y)``, ``X`` normalised images ``(N, 3, 32, 32)``, ``y`` ``(N,)``.
        classify: also classify the reconstructions (``ce`` and ``accuracy`` are ``nan`` if not).
        precision: ``"auto"``, ``"fp32"``, ``"bf16"`` or ``"fp16"`` (see ``TrainConfig``).
        channels_last: feed the images in channels-last layout; ``"auto"`` as in ``fit``.

    Returns:
        ``DecoderMetrics``: MSE, cross-entropy and accuracy on the reconstructions.

    Example:
        >>> from course_lib.models import resnet18_cifar
        >>> from course_lib.models.decoders import resnet18_decoder
        >>> batches = [(torch.randn(2, 3, 32, 32), torch.tensor([0, 1]))]
        >>> metrics = evaluate_decoder(resnet18_decoder(5), resnet18_cifar(), batches)
        >>> metrics.num_examples, 0 <= metrics.accuracy <= 1
        (2, True)
    """
    device, precision, channels_last, modes = _evaluation(
        [decoder], model, precision, channels_last
    )
    encoder = encoder_upto(model, decoder.checkpoint)
    sums = _Sums(device)
    try:
        for X, y in limit_batches(loader):
            X, y = to_device(X, y, device, channels_last)
            with autocast(device, precision):
                sums.add(*losses(decoder, encoder, model, X, y, need_ce=classify), y)
    finally:
        for m, mode in zip((decoder, model), modes, strict=True):
            m.train(mode)
    return sums.metrics(classify)


@torch.no_grad()
def evaluate_decoders(
    decoders: Mapping[int, nn.Module],
    model: nn.Module,
    loader: Iterable[tuple[torch.Tensor, torch.Tensor]],
    precision: str = "auto",
    channels_last: bool | str = "auto",
) -> dict[int, DecoderMetrics]:
    """``evaluate_decoder`` for several checkpoints at once, reading them with forward hooks.

    Each batch runs through ``model`` once; ``checkpoints`` records every representation on
    the way, and each decoder rebuilds the images from its own.

    Args:
        decoders: checkpoint -> trained ``ResNetDecoder`` (as ``fit_decoders`` returns them).
        model: the classifier (a CIFAR ``ResNet``); it also classifies the reconstructions.
        loader: yields ``(X, y)``, normalised images ``(N, 3, 32, 32)`` and labels ``(N,)``.
        precision: ``"auto"``, ``"fp32"``, ``"bf16"`` or ``"fp16"``.
        channels_last: feed the images in channels-last layout; ``"auto"`` as in ``fit``.

    Returns:
        checkpoint -> ``DecoderMetrics`` (MSE, and the classifier's CE and accuracy).

    Example:
        >>> from course_lib.models import resnet18_cifar
        >>> from course_lib.models.decoders import resnet18_decoder
        >>> batches = [(torch.randn(2, 3, 32, 32), torch.tensor([0, 1]))]
        >>> decoders = {k: resnet18_decoder(k) for k in (1, 6)}
        >>> sorted(evaluate_decoders(decoders, resnet18_cifar(), batches))
        [1, 6]
    """
    if not decoders:
        raise ValueError("decoders is empty: give at least one checkpoint's decoder")
    names = [checkpoint_name(model, k) for k in decoders]
    device, precision, channels_last, modes = _evaluation(
        list(decoders.values()), model, precision, channels_last
    )
    sums = {k: _Sums(device) for k in decoders}
    try:
        for X, y in limit_batches(loader):
            X, y = to_device(X, y, device, channels_last)
            with autocast(device, precision):
                Zs = checkpoints(model, X, names)  # one forward pass, every checkpoint
                for (k, decoder), Z in zip(decoders.items(), Zs, strict=True):
                    R = decoder(Z)  # (N, 3, 32, 32)
                    logits = model(R)
                    mse, ce = F.mse_loss(R.float(), X.float()), F.cross_entropy(logits.float(), y)
                    sums[k].add(mse, ce, logits, y)
    finally:
        for m, mode in zip((*decoders.values(), model), modes, strict=True):
            m.train(mode)
    return {k: s.metrics(classify=True) for k, s in sums.items()}


@torch.no_grad()
def reconstruct(
    decoders: Mapping[str, nn.Module], model: nn.Module, X: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Rebuild a few images with each decoder; return them after the originals, with verdicts.

    Args:
        decoders: a column name -> decoder, in the order of the columns; each decoder reads its
            own checkpoint, all recorded in one pass through ``model``.
        model: the classifier (a CIFAR ``ResNet``); it also classifies every image.
        X: normalised images ``(n, 3, 32, 32)``.

    Returns:
        ``(images, verdicts)`` on the CPU: ``(n, 1 + len(decoders), 3, 32, 32)`` with the
        originals first, and the classifier's class for each, ``(n, 1 + len(decoders))``.

    Example:
        >>> from course_lib.models import resnet18_cifar, resnet18_decoder
        >>> images, verdicts = reconstruct({"CP 6": resnet18_decoder(6)}, resnet18_cifar(),
        ...                                torch.zeros(2, 3, 32, 32))
        >>> tuple(images.shape), tuple(verdicts.shape)
        ((2, 2, 3, 32, 32), (2, 2))
    """
    if not decoders:
        raise ValueError("decoders is empty: give at least one column's decoder")
    device, _, channels_last, modes = _evaluation(list(decoders.values()), model, "fp32", "auto")
    try:
        X, _ = to_device(X, torch.zeros(0), device, channels_last)  # the layout fit trained in
        wanted = sorted({decoder.checkpoint for decoder in decoders.values()})
        names = [checkpoint_name(model, k) for k in wanted]
        Zs = dict(zip(wanted, checkpoints(model, X, names), strict=True))  # one pass, hooks
        columns = [X] + [decoder(Zs[decoder.checkpoint]) for decoder in decoders.values()]
        verdicts = torch.stack([model(R).argmax(dim=1) for R in columns], dim=1)
    finally:
        for m, mode in zip((*decoders.values(), model), modes, strict=True):
            m.train(mode)
    return torch.stack([R.float().cpu() for R in columns], dim=1), verdicts.cpu()
