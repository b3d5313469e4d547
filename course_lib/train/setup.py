"""What ``fit`` decides before the first step: device, precision, layout, optimizer, schedule."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .config import TrainConfig

AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def choose_device(device: str | torch.device | None = None) -> torch.device:
    """Return the device to train on: the one asked for, else CUDA, else MPS, else the CPU.

    Args:
        device: ``None`` to choose automatically, or a device name such as ``"cuda"``.

    Returns:
        A ``torch.device``.

    Example:
        >>> choose_device("cpu")
        device(type='cpu')
    """
    if device is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but no CUDA GPU is available; use None")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError("device 'mps' was asked for but MPS is not available; use None")
    return device


def resolve_precision(precision: str, device: torch.device) -> str:
    """Turn ``"auto"`` into ``"bf16"``, ``"fp16"`` or ``"fp32"`` for ``device``; check the rest.

    Automatic mixed precision: bf16 on CUDA GPUs of compute capability 8.0 and newer (A100,
    L4, H100), fp16 with a gradient scaler on older ones (T4, V100), fp32 on MPS and CPUs.

    Example:
        >>> resolve_precision("auto", torch.device("cpu"))
        'fp32'
    """
    if precision == "auto":
        if device.type != "cuda":
            return "fp32"
        major, _ = torch.cuda.get_device_capability(device)
        return "bf16" if major >= 8 and torch.cuda.is_bf16_supported() else "fp16"
    if precision == "fp16" and device.type != "cuda":
        raise ValueError(
            f"precision='fp16' needs a CUDA GPU; on {device.type} use 'bf16' or 'fp32'"
        )
    if precision == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise ValueError("this GPU does not support bf16; use precision='fp16' or 'auto'")
    return precision


def resolve_channels_last(channels_last: bool | str, device: torch.device) -> bool:
    """Turn ``"auto"`` into ``True`` on CUDA and CPUs, ``False`` on MPS.

    cuDNN's convolutions with tensor cores, and oneDNN's on CPUs, are fastest with images
    stored channels-last (N, H, W, C in memory; the tensor's shape stays (N, C, H, W)): about
    a quarter less time per step for LeNet on a CPU. Using it on both keeps the quick profile
    on the code path of the full one.

    Example:
        >>> resolve_channels_last("auto", torch.device("cpu"))
        True
    """
    if channels_last == "auto":
        return device.type in ("cuda", "cpu")
    return bool(channels_last)


def autocast(device: torch.device, precision: str) -> torch.autocast:
    """The mixed-precision context for forward passes (disabled for ``"fp32"``)."""
    return torch.autocast(
        device.type, dtype=AUTOCAST_DTYPES.get(precision), enabled=precision != "fp32"
    )


def to_device(
    X: torch.Tensor, y: torch.Tensor, device: torch.device, channels_last: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """Move a batch to ``device`` (a no-op for data that already lives there).

    Args:
        X: images, ``(N, C, H, W)``.
        y: labels, ``(N,)``.
        device: where the model is.
        channels_last: also store ``X`` in channels-last layout.

    Returns:
        ``(X, y)`` on ``device``.
    """
    X = X.to(device, non_blocking=True)
    y = y.to(device, non_blocking=True)
    if channels_last and X.dim() == 4:
        X = X.contiguous(memory_format=torch.channels_last)
    return X, y


def seed_everything(seed: int) -> None:
    """Seed torch (CPU and CUDA), Python's ``random`` and numpy's global generator."""
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)


def make_optimizer(
    model: nn.Module, config: TrainConfig, device: torch.device
) -> torch.optim.Optimizer:
    """Build the optimizer that ``config`` names over the model's trainable parameters.

    On CUDA the fused implementations are used: one kernel per step, and a gradient scaler
    can skip a step with inf/NaN gradients without waiting for the GPU.

    Example:
        >>> model = nn.Linear(3, 2)
        >>> config = TrainConfig(num_epochs=1, lr=0.1, momentum=0.9, nesterov=True)
        >>> make_optimizer(model, config, torch.device("cpu")).defaults["nesterov"]
        True
    """
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the model has no trainable parameters")
    fused = True if device.type == "cuda" else None
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            params,
            lr=config.lr,
            momentum=config.momentum,
            nesterov=config.nesterov,
            weight_decay=config.weight_decay,
            fused=fused,
        )
    optimizer_class = torch.optim.Adam if config.optimizer == "adam" else torch.optim.AdamW
    return optimizer_class(params, lr=config.lr, weight_decay=config.weight_decay, fused=fused)


def make_scheduler(
    optimizer: torch.optim.Optimizer, config: TrainConfig, steps_per_epoch: int
) -> tuple[torch.optim.lr_scheduler.LRScheduler | None, bool]:
    """Build the learning-rate schedule that ``config`` names.

    Args:
        optimizer: the optimizer whose learning rate the schedule sets.
        config: the run's configuration (``schedule`` and its fields).
        steps_per_epoch: batches per epoch, for the schedules that step every batch.

    Returns:
        ``(scheduler, per_step)``: the scheduler (``None`` for ``"constant"``) and whether it
        steps after every batch (one-cycle, cosine) rather than after every epoch (step).

    Example:
        >>> optimizer = torch.optim.SGD(nn.Linear(3, 2).parameters(), lr=0.1)
        >>> config = TrainConfig(num_epochs=2, lr=0.1, schedule="cosine")
        >>> scheduler, per_step = make_scheduler(optimizer, config, steps_per_epoch=5)
        >>> per_step, type(scheduler).__name__
        (True, 'CosineAnnealingLR')
    """
    schedulers = torch.optim.lr_scheduler
    total_steps = config.num_epochs * steps_per_epoch
    if config.schedule == "constant":
        return None, False
    if config.schedule == "step":
        return schedulers.StepLR(optimizer, step_size=config.step_size, gamma=config.gamma), False
    if config.schedule == "onecycle":
        warmup_end = float(config.pct_start * total_steps) - 1  # as OneCycleLR computes it
        if warmup_end == 0.0:  # a warm-up of zero length: OneCycleLR divides 0 by 0
            raise ValueError(
                f"pct_start={config.pct_start} of {total_steps} steps ({config.num_epochs} "
                f"epochs of {steps_per_epoch} batches) leaves the warm-up of the one-cycle "
                "schedule empty; change pct_start, the number of epochs or the batch size"
            )
        # The momentum stays what the config says (no momentum cycling), as in the fast
        # CIFAR-10 recipes.
        one_cycle = schedulers.OneCycleLR(
            optimizer,
            max_lr=config.lr,
            total_steps=total_steps,
            pct_start=config.pct_start,
            cycle_momentum=False,
        )
        return one_cycle, True
    return schedulers.CosineAnnealingLR(optimizer, T_max=total_steps, eta_min=config.min_lr), True


@dataclass
class Run:
    """The pieces of one training run that every epoch uses (made by ``prepare``)."""

    model: nn.Module
    config: TrainConfig
    device: torch.device
    precision: str
    channels_last: bool
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler | None
    per_step: bool
    scaler: torch.amp.GradScaler


def prepare(model: nn.Module, train: Iterable, config: TrainConfig) -> Run:
    """Start a run: seed, choose device and precision, place the model, build the optimizer.

    Args:
        model: the model to train; moved to the device (and to channels-last layout on CUDA).
            Lazy layers are given their shapes by one batch of ``train``.
        train: the training loader (``len(train)`` batches per epoch).
        config: the settings of the run.

    Returns:
        A ``Run`` holding the model, device, precision, optimizer, schedule and scaler.

    Example:
        >>> config = TrainConfig(num_epochs=1, lr=0.1, device="cpu", progress=False)
        >>> run = prepare(nn.Linear(2, 1), [(torch.zeros(4, 2), torch.zeros(4))], config)
        >>> run.device, run.precision, run.scheduler is None
        (device(type='cpu'), 'fp32', True)
    """
    device = choose_device(config.device)
    precision = resolve_precision(config.precision, device)
    channels_last = resolve_channels_last(config.channels_last, device)
    seed_everything(config.seed)
    model.to(device)
    if any(isinstance(p, nn.parameter.UninitializedParameter) for p in model.parameters()):
        # Lazy layers (nn.LazyConv2d, as in d2l) take their shapes from a first batch.
        X, _ = next(iter(train))
        was_training = model.training
        with torch.no_grad():
            model.eval()(X[:2].to(device))
        model.train(was_training)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    optimizer = make_optimizer(model, config, device)
    scheduler, per_step = make_scheduler(optimizer, config, steps_per_epoch=len(train))
    scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")
    if config.progress:
        layout = ", channels_last" if channels_last else ""
        epochs = f"{config.num_epochs} epoch" + ("s" if config.num_epochs != 1 else "")
        print(f"Training on {device} ({precision}{layout}) for {epochs}.")
    return Run(
        model, config, device, precision, channels_last, optimizer, scheduler, per_step, scaler
    )
