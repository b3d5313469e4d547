"""Early stopping: end training when the validation split has stopped improving."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class EarlyStopping:
    """Watch a validation metric, remember the best weights, and say when to stop.

    Args:
        patience: stop after this many epochs in a row without improvement.
        monitor: ``"val_loss"`` (lower is better) or ``"val_accuracy"`` (higher is better).

    Example:
        >>> stopper = EarlyStopping(patience=2, monitor="val_loss")
        >>> model = nn.Linear(2, 1)
        >>> for epoch, loss in enumerate([0.9, 0.7, 0.8, 0.75], start=1):
        ...     stopper.update({"val_loss": loss}, model, epoch)
        >>> stopper.best_epoch, stopper.should_stop
        (2, True)
    """

    def __init__(self, patience: int, monitor: str = "val_loss") -> None:
        self.patience = patience
        self.monitor = monitor
        self.best_value: float | None = None
        self.best_epoch = 0
        self.bad_epochs = 0
        self.best_state: dict[str, torch.Tensor] | None = None

    def _improved(self, value: float) -> bool:
        if self.best_value is None:
            return True
        if self.monitor == "val_accuracy":
            return value > self.best_value
        return value < self.best_value

    def update(self, record: dict[str, float], model: nn.Module, epoch: int) -> None:
        """Take the record of a finished epoch; keep a copy of the weights if it is the best."""
        value = record[self.monitor]
        if self._improved(value):
            self.best_value, self.best_epoch, self.bad_epochs = value, epoch, 0
            self.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            self.bad_epochs += 1

    @property
    def should_stop(self) -> bool:
        """Whether ``patience`` epochs in a row have passed without improvement."""
        return self.bad_epochs >= self.patience

    def state_dict(self) -> dict[str, Any]:
        """The state to put in the resume file."""
        return {
            "best_value": self.best_value,
            "best_epoch": self.best_epoch,
            "bad_epochs": self.bad_epochs,
            "best_state": self.best_state,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the state from ``state_dict()``."""
        self.best_value = state["best_value"]
        self.best_epoch = state["best_epoch"]
        self.bad_epochs = state["bad_epochs"]
        self.best_state = state["best_state"]
