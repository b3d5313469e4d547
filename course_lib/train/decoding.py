"""Training decoders that rebuild images from a frozen classifier's checkpoints (Björklund, 2024).

``fit_decoder`` trains one decoder with the mean squared error between the image and its
reconstruction, plus, with ``ce_weight = c > 0``, ``c`` times the cross-entropy of the
classifier on the reconstruction (the loss the thesis proposes in its equation 14). The
classifier stays frozen and in evaluation mode throughout. ``fit_decoders`` trains the
decoders one checkpoint after the other, each started from the one before (``warm_start``).
Early stopping watches the validation split and keeps the weights of the best epoch.
``save_decoders`` and ``load_decoders`` keep a classifier and its decoders in one file, so
that a later chapter can reuse them.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from course_lib.models.decoders import resnet18_decoder, warm_start
from course_lib.models.probes import encoder_upto
from course_lib.profile import last_epoch, limit_batches, show_progress

from .config import TrainConfig
from .early_stopping import EarlyStopping
from .history import History
from .reconstruction import evaluate_decoder, losses
from .setup import Run, autocast, prepare, to_device


def _train_epoch(run: Run, model: nn.Module, loader, ce_weight: float) -> dict[str, float]:
    """One pass of the decoder over the training images; mean loss, MSE and CE."""
    decoder, optimizer, scaler = run.model, run.optimizer, run.scaler
    encoder = encoder_upto(model, decoder.checkpoint)
    decoder.train()
    sums = torch.zeros(3, device=run.device)  # loss, mse, ce (summed over images)
    seen = 0
    for X, y in limit_batches(loader):
        X, y = to_device(X, y, run.device, run.channels_last)
        with autocast(run.device, run.precision):
            mse, ce, _ = losses(decoder, encoder, model, X, y, need_ce=ce_weight > 0)
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
    quiet = dataclasses.replace(config, progress=False)  # no "Training on" line per decoder
    run = prepare(decoder, data.train, config if show_progress() else quiet)
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
    if config.progress and show_progress():
        bar = tqdm(total=config.num_epochs, desc=f"decoder {decoder.checkpoint}", unit="epoch")
    try:
        for epoch in range(last_epoch(0, config.num_epochs)):
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
        if config.progress and show_progress():
            print(f"Checkpoint {k}: decoder of {sum(p.numel() for p in decoder.parameters()):,} "
                  f"parameters, c = {ce_weight:g}, epochs at most {epochs}")  # fmt: skip
        run_config = dataclasses.replace(config, num_epochs=epochs)
        histories[k] = fit_decoder(decoder, model, data, run_config, ce_weight)
        decoders[k] = previous = decoder
    return decoders, histories


def save_decoders(
    path: str | os.PathLike,
    model: nn.Module,
    decoders: Mapping[int, nn.Module],
    settings: Mapping[str, object],
) -> Path:
    """Save a classifier and its trained decoders in one file, with the settings that made them.

    The file is written beside its final name first and then renamed, so that a reader never
    sees half of it. ``load_decoders`` gives the networks back only for the same ``settings``.

    Args:
        path: the file to write (its folder is created).
        model: the classifier whose checkpoints the decoders read.
        decoders: checkpoint -> trained decoder, as ``fit_decoders`` returns them.
        settings: plain values (numbers, strings, lists) that describe how they were trained.

    Returns:
        The path written.

    Example:
        >>> import tempfile
        >>> from course_lib.models import resnet18_cifar
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = save_decoders(f"{folder}/run.pt", resnet18_cifar(width=4),
        ...                          {1: resnet18_decoder(1, width=4)}, {"width": 4})
        ...     narrow = lambda k: resnet18_decoder(k, width=4)
        ...     sorted(load_decoders(path, resnet18_cifar(width=4), {"width": 4}, build=narrow))
        [1]
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "settings": dict(settings),
        "classifier": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "decoders": {
            k: {n: v.detach().cpu() for n, v in d.state_dict().items()} for k, d in decoders.items()
        },
    }
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    torch.save(state, partial)
    os.replace(partial, path)
    return path


def load_decoders(
    path: str | os.PathLike,
    model: nn.Module,
    settings: Mapping[str, object],
    build: Callable[[int], nn.Module] = resnet18_decoder,
) -> dict[int, nn.Module] | None:
    """The decoders ``save_decoders`` wrote, with the classifier's weights loaded into ``model``.

    Args:
        path: the file ``save_decoders`` wrote.
        model: a classifier of the saved architecture; its weights are replaced.
        settings: the settings the networks must have been trained with.
        build: makes the untrained decoder for a checkpoint (the saved width).

    Returns:
        checkpoint -> decoder (in evaluation mode), or ``None`` when the file is missing or was
        written with other settings (``model`` is then left as it was).
    """
    path = Path(path)
    if not path.is_file():
        return None
    state = torch.load(path, map_location="cpu", weights_only=True)
    if state.get("settings") != dict(settings):
        return None
    model.load_state_dict(state["classifier"])
    decoders = {}
    for k, weights in sorted(state["decoders"].items()):
        decoders[k] = build(k)
        decoders[k].load_state_dict(weights)
        decoders[k].eval()
    return decoders
