"""``TrainConfig``: every knob of a training run in one typed, validated dataclass."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any

import torch

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "step", "onecycle", "cosine")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
MONITORS = ("val_loss", "val_accuracy")


@dataclass
class TrainConfig:
    """The settings of one call to ``fit``.

    Args:
        num_epochs: passes over the training set.
        lr: the learning rate; for ``schedule="onecycle"`` the peak learning rate.
        optimizer: ``"sgd"``, ``"adam"`` or ``"adamw"``.
        momentum: SGD momentum.
        nesterov: use Nesterov momentum (SGD; needs ``momentum > 0``).
        weight_decay: L2 penalty (SGD, Adam) or decoupled weight decay (AdamW).
        schedule: ``"constant"``; ``"step"`` (multiply the lr by ``gamma`` every ``step_size``
            epochs); ``"onecycle"`` (warm up to ``lr`` over the first ``pct_start`` of the steps,
            then anneal, Smith & Topin 2017, https://arxiv.org/abs/1708.07120); ``"cosine"``
            (from ``lr`` down to ``min_lr``, Loshchilov & Hutter 2016,
            https://arxiv.org/abs/1608.03983). One-cycle and cosine change the lr every step.
        step_size: epochs between two decays of the ``"step"`` schedule.
        gamma: the factor of each decay of the ``"step"`` schedule.
        pct_start: fraction of the steps that the one-cycle schedule spends warming up.
        min_lr: the last learning rate of the cosine schedule.
        label_smoothing: cross-entropy label smoothing (Szegedy et al. 2016), in ``[0, 1)``.
        grad_clip: clip the gradient norm to this value; ``None`` for no clipping.
        precision: ``"auto"`` (bf16 on CUDA GPUs that have it, fp16 with a gradient scaler on
            older ones such as the T4, fp32 elsewhere), ``"fp32"``, ``"bf16"`` or ``"fp16"``.
        channels_last: store images and weights in channels-last layout (faster convolutions);
            ``"auto"`` means on CUDA and CPUs, not on MPS.
        device: ``"cuda"``, ``"mps"``, ``"cpu"`` (or ``"cuda:1"``...); ``None`` picks the first
            of these that is available.
        seed: seeds torch, ``random`` and numpy when the run starts.
        early_stopping_patience: stop after this many epochs without improvement of
            ``monitor`` on the validation split; ``None`` trains all epochs.
        monitor: ``"val_loss"`` or ``"val_accuracy"``, watched by early stopping.
        restore_best: with early stopping, end with the weights of the best epoch.
        early_stopping_with_annealing: allow early stopping with a schedule that anneals the
            learning rate every step (``"onecycle"``, ``"cosine"``). Refused by default: such a
            run can stop while the learning rate is high and keep weights never annealed.
        resume_file: the resume file, where ``fit`` writes the state of the run after every
            epoch; if it exists, ``fit`` resumes from it.
        announce_resume: print a line when ``fit`` resumes from the resume file (a loop that
            resumes on purpose, one epoch per call, turns it off).
        eval_test: evaluate the test split after every epoch as well.
        progress: show a progress bar per epoch.
        log_every: refresh the progress bar's loss and accuracy every this many steps.

    Example:
        >>> TrainConfig(num_epochs=10, lr=0.1, optimizer="sgd", momentum=0.9).schedule
        'constant'
        >>> TrainConfig(num_epochs=10, lr=0.1, optimizer="rmsprop")
        Traceback (most recent call last):
        ...
        ValueError: optimizer must be one of 'sgd', 'adam', 'adamw', got 'rmsprop'
    """

    num_epochs: int
    lr: float
    optimizer: str = "sgd"
    momentum: float = 0.0
    nesterov: bool = False
    weight_decay: float = 0.0
    schedule: str = "constant"
    step_size: int = 30
    gamma: float = 0.1
    pct_start: float = 0.3
    min_lr: float = 0.0
    label_smoothing: float = 0.0
    grad_clip: float | None = None
    precision: str = "auto"
    channels_last: bool | str = "auto"
    device: str | None = None
    seed: int = 0
    early_stopping_patience: int | None = None
    monitor: str = "val_loss"
    restore_best: bool = True
    early_stopping_with_annealing: bool = False
    resume_file: str | os.PathLike | None = None
    announce_resume: bool = True
    eval_test: bool = False
    progress: bool = True
    log_every: int = 25

    def __post_init__(self) -> None:
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("schedule", self.schedule, SCHEDULES)
        _choice("precision", self.precision, PRECISIONS)
        _choice("monitor", self.monitor, MONITORS)
        if self.channels_last not in (True, False, "auto"):
            raise ValueError(
                f"channels_last must be True, False or 'auto', got {self.channels_last!r}"
            )
        _positive_int("num_epochs", self.num_epochs)
        _positive_int("step_size", self.step_size)
        _positive_int("log_every", self.log_every)
        if self.early_stopping_patience is not None:
            _positive_int("early_stopping_patience", self.early_stopping_patience)
            if self.schedule in ("onecycle", "cosine") and not self.early_stopping_with_annealing:
                raise ValueError(
                    f"early stopping with the {self.schedule!r} schedule can stop while the "
                    "learning rate is still high and test weights that were never annealed; "
                    "train all epochs (early_stopping_patience=None), use a 'constant' or "
                    "'step' schedule, or pass early_stopping_with_annealing=True to do it anyway"
                )
        if not isinstance(self.seed, int):
            raise TypeError(f"seed must be an int, got {type(self.seed).__name__}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr!r}")
        if not (self.momentum >= 0 and self.weight_decay >= 0 and self.min_lr >= 0):
            raise ValueError("momentum, weight_decay and min_lr must be >= 0")
        if self.nesterov and (self.optimizer != "sgd" or self.momentum <= 0):
            raise ValueError("nesterov=True needs optimizer='sgd' and momentum > 0")
        if not 0 <= self.label_smoothing < 1:
            raise ValueError(f"label_smoothing must be in [0, 1), got {self.label_smoothing!r}")
        if not 0 < self.pct_start < 1:
            raise ValueError(f"pct_start must be in (0, 1), got {self.pct_start!r}")
        if not 0 < self.gamma <= 1:
            raise ValueError(f"gamma must be in (0, 1], got {self.gamma!r}")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise ValueError(f"grad_clip must be positive or None, got {self.grad_clip!r}")
        if self.device is not None:
            try:
                torch.device(self.device)
            except (RuntimeError, TypeError) as error:
                raise ValueError(
                    f"device must be None, 'cuda', 'mps' or 'cpu', got {self.device!r}"
                ) from error

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-friendly dict (paths and devices as strings).

        Example:
            >>> TrainConfig(num_epochs=2, lr=0.1).to_dict()["lr"]
            0.1
        """
        fields = dataclasses.asdict(self)
        for key in ("resume_file", "device"):
            if fields[key] is not None:
                fields[key] = str(fields[key])
        return fields


def _choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {options}, got {value!r}")


def _positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
