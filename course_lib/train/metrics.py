"""``evaluate``: loss, accuracy, per-class accuracy and confusion matrix of a model on a split."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.profile import limit_batches

from .setup import autocast, resolve_channels_last, resolve_precision, to_device


@dataclass
class Metrics:
    """What ``evaluate`` measured on one split.

    Attributes:
        loss: mean cross-entropy (without label smoothing).
        accuracy: fraction of examples classified correctly.
        per_class_accuracy: for each class, the fraction of its examples classified correctly
            (``nan`` for a class with no examples), length ``num_classes``.
        confusion_matrix: ``(num_classes, num_classes)`` int64 counts; row = true class,
            column = predicted class.
        num_examples: how many examples were evaluated.
    """

    loss: float
    accuracy: float
    per_class_accuracy: list[float]
    confusion_matrix: torch.Tensor
    num_examples: int

    def to_dict(self) -> dict[str, Any]:
        """The metrics as plain Python numbers and lists (for JSON or a table)."""
        return {
            "loss": self.loss,
            "accuracy": self.accuracy,
            "per_class_accuracy": list(self.per_class_accuracy),
            "confusion_matrix": self.confusion_matrix.tolist(),
            "num_examples": self.num_examples,
        }


def _model_device(model: nn.Module) -> torch.device:
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loader: Iterable[tuple[torch.Tensor, torch.Tensor]],
    device: str | torch.device | None = None,
    num_classes: int | None = None,
    precision: str = "auto",
    channels_last: bool | str = "auto",
) -> Metrics:
    """Evaluate a classifier on every batch of ``loader``, in eval mode, without gradients.

    The sums stay on the device during the pass; they are read once, at the end.

    Args:
        model: returns logits ``(N, num_classes)`` for images ``(N, C, H, W)``.
        loader: yields ``(X, y)`` with ``X`` ``(N, C, H, W)`` float and ``y`` ``(N,)`` int64.
        device: where the model is (batches are moved there); ``None`` reads it from the
            model's parameters.
        num_classes: number of classes; ``None`` takes the width of the model's logits.
        precision: ``"auto"``, ``"fp32"``, ``"bf16"`` or ``"fp16"`` (see ``TrainConfig``).
        channels_last: feed the images in channels-last layout; ``"auto"`` as in ``fit``.

    Returns:
        A ``Metrics``: loss, accuracy, per-class accuracy, confusion matrix, number of examples.

    Example:
        >>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
        >>> batches = [(torch.randn(5, 1, 2, 2), torch.tensor([0, 1, 2, 0, 1]))]
        >>> metrics = evaluate(model, batches)
        >>> metrics.confusion_matrix.shape, metrics.num_examples
        (torch.Size([3, 3]), 5)
    """
    device = _model_device(model) if device is None else torch.device(device)
    precision = resolve_precision(precision, device)
    channels_last = resolve_channels_last(channels_last, device)
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=device)
    confusion = None
    try:
        for X, y in limit_batches(loader):
            X, y = to_device(X, y, device, channels_last)
            with autocast(device, precision):
                logits = model(X)  # (N, num_classes)
            if confusion is None:
                num_classes = num_classes or logits.shape[1]
                confusion = torch.zeros(num_classes * num_classes, dtype=torch.long, device=device)
            loss_sum += F.cross_entropy(logits.float(), y, reduction="sum")
            # Count (true, predicted) pairs without leaving the device: index_add_ never syncs.
            pairs = y * num_classes + logits.argmax(dim=1)
            confusion.index_add_(0, pairs, torch.ones_like(pairs))
    finally:
        model.train(was_training)
    if confusion is None:
        raise ValueError("the loader yielded no batches")
    confusion = confusion.view(num_classes, num_classes).cpu()  # the one sync of the pass
    num_examples = int(confusion.sum())
    correct = confusion.diagonal()
    per_class = [
        c / n if n else math.nan
        for c, n in zip(correct.tolist(), confusion.sum(1).tolist(), strict=True)
    ]
    return Metrics(
        loss=loss_sum.item() / num_examples,
        accuracy=int(correct.sum()) / num_examples,
        per_class_accuracy=per_class,
        confusion_matrix=confusion,
        num_examples=num_examples,
    )
