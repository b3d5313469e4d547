"""Training decoders that rebuild images from a frozen classifier's checkpoints (Björklund, 2024).

``fit_decoder`` trains one decoder with the mean squared error between the image and its
reconstruction, plus, with ``ce_weight = c > 0``, ``c`` times the cross-entropy of the
classifier on the reconstruction (the loss the thesis proposes in its equation 14). The
classifier stays frozen and in evaluation mode throughout. ``fit_decoders`` trains the
decoders one checkpoint after the other, each started from the one before (``warm_start``),
and ``evaluate_decoder`` measures the MSE and the classifier's accuracy on the reconstructions.
Early stopping watches the validation split and keeps the weights of the best epoch.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from course_lib.models.decoders import encoder_upto, resnet18_decoder, warm_start
from course_lib.models.resnet_cifar import checkpoints

from .config import TrainConfig
from .early_stopping import EarlyStopping
from .history import History
from .setup import Run, autocast, prepare, resolve_channels_last, resolve_precision, to_device


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


def _losses(decoder, encoder, classifier, X, y, need_ce: bool):
    """Reconstruct a batch; return (mse, ce or None, logits or None) as 0-d tensors."""
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
        for X, y in loader:
            X, y = to_device(X, y, device, channels_last)
            with autocast(device, precision):
                sums.add(*_losses(decoder, encoder, model, X, y, need_ce=classify), y)
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
        for X, y in loader:
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


def _train_epoch(run: Run, model: nn.Module, loader, ce_weight: float) -> dict[str, float]:
    """One pass of the decoder over the training images; mean loss, MSE and CE."""
    decoder, optimizer, scaler = run.model, run.optimizer, run.scaler
    encoder = encoder_upto(model, decoder.checkpoint)
    decoder.train()
    sums = torch.zeros(3, device=run.device)  # loss, mse, ce (summed over images)
    seen = 0
    for X, y in loader:
        X, y = to_device(X, y, run.device, run.channels_last)
        with autocast(run.device, run.precision):
            mse, ce, _ = _losses(decoder, encoder, model, X, y, need_ce=ce_weight > 0)
        ce = torch.zeros_like(mse) if ce is None else ce
        loss = mse + ce_weight * ce  # the thesis's equation 14; just the MSE for c = 0
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        if run.per_step:
            run.scheduler.step()
        sums += torch.stack([loss, mse, ce]).detach() * len(y)
        seen += len(y)
    if seen == 0:
        raise ValueError("the training loader yielded no batches")
    loss, mse, ce = (sums / seen).tolist()
    return {"train_loss": loss, "train_mse": mse} | ({"train_ce": ce} if ce_weight else {})


def _check(decoder: nn.Module, model: nn.Module, data, config: TrainConfig, c: float) -> None:
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    if not hasattr(decoder, "checkpoint"):
        raise TypeError("decoder must be a ResNetDecoder (it needs its .checkpoint)")
    if not isinstance(c, (int, float)) or isinstance(c, bool) or c < 0:
        raise ValueError(f"ce_weight must be a number >= 0, got {c!r}")
    if config.early_stopping_patience is not None and getattr(data, "val", None) is None:
        raise ValueError("early stopping watches the validation split, but data.val is None")
    if config.monitor != "val_loss":
        raise ValueError("a decoder's early stopping watches monitor='val_loss'")
    encoder_upto(model, decoder.checkpoint)  # raises for a model that is not a CIFAR ResNet


def fit_decoder(
    decoder: nn.Module, model: nn.Module, data, config: TrainConfig, ce_weight: float = 0.0
) -> History:
    """Train ``decoder`` to rebuild ``data``'s images from ``model``'s checkpoint.

    The loss is ``MSE(X, R) + ce_weight * CE(y, model(R))`` for images ``X``, labels ``y`` and
    reconstructions ``R = decoder(checkpoint(X))``; ``model`` is frozen and in evaluation mode.
    Use ``optimizer="adam"`` as the thesis does. Each epoch ends with the validation split.

    Args:
        decoder: a ``ResNetDecoder``, trained in place (moved to the device).
        model: the trained classifier (a CIFAR ``ResNet``), moved to the same device.
        data: has ``train`` and ``val`` loaders of ``(X, y)`` (``val`` may be ``None`` without
            early stopping), as ``course_lib.data.load_data`` makes them.
        config: the settings (epochs, lr, optimizer, early stopping with ``monitor="val_loss"``).
        ce_weight: ``c`` of equation 14; 0 trains with the MSE alone.

    Returns:
        The ``History``: per epoch ``train_loss``, ``train_mse``, ``val_loss``, ``val_mse``,
        ``lr`` and ``epoch_time``; when ``c > 0`` also ``train_ce``, ``val_ce`` and
        ``val_accuracy`` (the classifier's, on the reconstructions).

    Example:
        >>> from types import SimpleNamespace
        >>> from course_lib.models import resnet18_cifar
        >>> from course_lib.models.decoders import resnet18_decoder
        >>> batches = [(torch.randn(4, 3, 32, 32), torch.arange(4))]
        >>> data = SimpleNamespace(train=batches, val=batches)
        >>> config = TrainConfig(num_epochs=2, lr=1e-3, optimizer="adam", progress=False)
        >>> history = fit_decoder(resnet18_decoder(1), resnet18_cifar(), data, config)
        >>> history["train_mse"][-1] < history["train_mse"][0]
        True
    """
    _check(decoder, model, data, config, ce_weight)
    run = prepare(decoder, data.train, config)
    model.to(run.device).eval()
    if run.channels_last:
        model.to(memory_format=torch.channels_last)
    frozen = [p for p in model.parameters() if p.requires_grad]
    for p in frozen:
        p.requires_grad_(False)  # gradients reach the reconstruction, not the classifier
    history = History(info={"device": str(run.device), "precision": run.precision,
                            "checkpoint": decoder.checkpoint, "ce_weight": ce_weight})  # fmt: skip
    patience = config.early_stopping_patience
    stopper = EarlyStopping(patience, "val_loss") if patience is not None else None
    bar = None
    if config.progress:
        bar = tqdm(total=config.num_epochs, desc=f"decoder {decoder.checkpoint}", unit="epoch")
    try:
        for epoch in range(config.num_epochs):
            if stopper is not None and stopper.should_stop:
                break
            for loader in (data.train, data.val):
                if loader is not None and hasattr(loader, "set_epoch"):
                    loader.set_epoch(epoch)
            lr, started = run.optimizer.param_groups[0]["lr"], time.perf_counter()
            record = {"epoch": epoch + 1, **_train_epoch(run, model, data.train, ce_weight)}
            if data.val is not None:
                val = evaluate_decoder(
                    decoder, model, data.val, ce_weight > 0, run.precision, run.channels_last
                )
                record.update(val_loss=val.loss(ce_weight), val_mse=val.mse)
                if ce_weight > 0:
                    record.update(val_ce=val.ce, val_accuracy=val.accuracy)
            if run.scheduler is not None and not run.per_step:
                run.scheduler.step()
            history.append(record | {"lr": lr, "epoch_time": time.perf_counter() - started})
            if stopper is not None:
                stopper.update(record, decoder, epoch + 1)
            if bar is not None:
                bar.update()
                bar.set_postfix({k: f"{v:.4f}" for k, v in record.items() if "mse" in k})
    finally:
        if bar is not None:
            bar.close()
        for p in frozen:
            p.requires_grad_(True)
    if stopper is not None and config.restore_best and stopper.best_state is not None:
        decoder.load_state_dict(stopper.best_state)  # the epoch of the lowest validation loss
        history.info.update(best_epoch=stopper.best_epoch, stopped_early=stopper.should_stop)
    return history


def fit_decoders(
    model: nn.Module,
    data,
    config: TrainConfig,
    checkpoints: Sequence[int] = (1, 2, 3, 4, 5, 6),
    ce_weight: float = 0.0,
    num_epochs: Mapping[int, int] | None = None,
    start_from: nn.Module | None = None,
    build: Callable[[int], nn.Module] = resnet18_decoder,
) -> tuple[dict[int, nn.Module], dict[int, History]]:
    """Train one decoder per checkpoint, in order, each warm-started from the one before.

    The decoder for the first checkpoint starts from ``start_from`` (a trained decoder of an
    earlier checkpoint) if given, else from its random initialisation; every later one starts
    from the decoder just trained (``warm_start``), its new modules drawn at random.

    Args:
        model: the trained classifier whose checkpoints are decoded.
        data: ``train`` and ``val`` loaders, as for ``fit_decoder``.
        config: the settings of every decoder's training.
        checkpoints: the checkpoints to decode, increasing, e.g. ``(1, 2, 3, 4, 5, 6)``.
        ce_weight: ``c`` of equation 14, the same for every decoder.
        num_epochs: epochs per checkpoint where they differ from ``config.num_epochs``.
        start_from: a decoder for a checkpoint before ``checkpoints[0]`` to warm-start from.
        build: makes the untrained decoder for a checkpoint.

    Returns:
        ``(decoders, histories)``: dicts from checkpoint to trained decoder and its ``History``.

    Example:
        >>> from types import SimpleNamespace
        >>> from course_lib.models import resnet18_cifar
        >>> batches = [(torch.randn(2, 3, 32, 32), torch.arange(2))]
        >>> data = SimpleNamespace(train=batches, val=None)
        >>> config = TrainConfig(num_epochs=1, lr=1e-3, optimizer="adam", progress=False)
        >>> decoders, histories = fit_decoders(resnet18_cifar(), data, config, checkpoints=(1, 2))
        >>> sorted(decoders), len(histories[2])
        ([1, 2], 1)
    """
    checkpoints = list(checkpoints)
    if not checkpoints or checkpoints != sorted(set(checkpoints)):
        raise ValueError(f"checkpoints must be increasing and distinct, got {checkpoints}")
    decoders: dict[int, nn.Module] = {}
    histories: dict[int, History] = {}
    previous = start_from
    for k in checkpoints:
        decoder = build(k)
        if previous is not None:
            warm_start(decoder, previous)
        epochs = (num_epochs or {}).get(k, config.num_epochs)
        if config.progress:
            print(f"Checkpoint {k}: decoder of {sum(p.numel() for p in decoder.parameters()):,} "
                  f"parameters, up to {epochs} epochs, c = {ce_weight:g}")  # fmt: skip
        run_config = dataclasses.replace(config, num_epochs=epochs)
        histories[k] = fit_decoder(decoder, model, data, run_config, ce_weight)
        decoders[k] = previous = decoder
    return decoders, histories
