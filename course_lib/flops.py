"""The arithmetic of a model, counted, and the time a training run needs, estimated from it.

``count_flops`` runs a model once under ``torch.utils.flop_counter.FlopCounterMode``, which
counts the floating-point operations of convolutions and matrix products (two per
multiply-add), forward and backward. ``run_flops`` multiplies them out over a run, and
``estimate_minutes`` divides by an assumed throughput: an estimate for a GPU the reader has
and the machine that built the book may not have.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


@dataclass(frozen=True)
class Flops:
    """Floating-point operations per image of one model.

    Attributes:
        forward: one forward pass (evaluation).
        training: one training step: forward, loss and backward (the weight update and the
            layers that are not convolutions or matrix products are left out: they are small).
    """

    forward: int
    training: int


def count_flops(model: nn.Module, input_size: tuple[int, ...] = (3, 32, 32)) -> Flops:
    """Count the FLOPs per image of a forward pass and of a training step of ``model``.

    The model runs on a batch of two random images, in eval mode for the forward pass and in
    train mode with a cross-entropy loss and ``backward()`` for the training step; the
    gradients are cleared and the modes restored afterwards. (Batch norm's running averages
    move once, as after one training step.)

    Args:
        model: a classifier mapping ``(N, *input_size)`` to logits ``(N, num_classes)``.
        input_size: the shape of one image, without the batch.

    Returns:
        ``Flops(forward, training)``, per image.

    Example:
        >>> flops = count_flops(nn.Sequential(nn.Flatten(), nn.Linear(12, 10)), (3, 2, 2))
        >>> flops.forward, flops.training  # 2 * 12 * 10; backward adds the weight gradient
        (240, 480)
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if not all(type(n) is int and n > 0 for n in input_size):
        raise ValueError(f"input_size must be positive ints, e.g. (3, 32, 32), got {input_size}")
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    generator = torch.Generator(device=device).manual_seed(0)
    X = torch.randn((2, *input_size), generator=generator, device=device)
    modes = {module: module.training for module in model.modules()}
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as forward:
            logits = model.eval()(X)
        with FlopCounterMode(display=False) as training:
            logits = model.train()(X)
            F.cross_entropy(logits, torch.zeros(2, dtype=torch.long, device=device)).backward()
    finally:
        model.zero_grad(set_to_none=True)
        for module, mode in modes.items():
            module.training = mode
    return Flops(forward.get_total_flops() // 2, training.get_total_flops() // 2)


def run_flops(
    flops: Flops,
    *,
    train_images: int,
    num_epochs: int,
    eval_images_per_epoch: int = 0,
    eval_images_at_end: int = 0,
) -> int:
    """The FLOPs of a whole run: training steps and evaluations.

    Args:
        flops: per-image counts from :func:`count_flops`.
        train_images: images in the training split (one training step each per epoch).
        num_epochs: epochs of training.
        eval_images_per_epoch: images evaluated after every epoch (validation, test curves).
        eval_images_at_end: images evaluated once at the end (the test set).

    Returns:
        The total number of floating-point operations.

    Example:
        >>> run_flops(Flops(forward=1, training=3), train_images=10, num_epochs=2,
        ...           eval_images_per_epoch=5, eval_images_at_end=4)
        74
    """
    counts = (train_images, num_epochs, eval_images_per_epoch, eval_images_at_end)
    if not all(isinstance(n, int) and n >= 0 for n in counts):
        raise ValueError(f"image counts and epochs must be ints >= 0, got {counts}")
    per_epoch = flops.training * train_images + flops.forward * eval_images_per_epoch
    return per_epoch * num_epochs + flops.forward * eval_images_at_end


def estimate_minutes(
    total_flops: float, tflops: float, steps: int = 0, seconds_per_step: float = 0.0
) -> float:
    """Minutes a run takes at a sustained ``tflops`` TFLOP/s, plus a fixed cost per step.

    The arithmetic alone underestimates small networks, whose steps are too short to keep a GPU
    busy: launching the kernels of a step and updating the weights take time of their own,
    which ``steps * seconds_per_step`` adds. Both rates are assumptions, so the result is an
    estimate.

    Args:
        total_flops: the run's floating-point operations (:func:`run_flops`).
        tflops: assumed sustained throughput, in TFLOP/s.
        steps: the run's training steps.
        seconds_per_step: assumed fixed cost of one step, in seconds.

    Returns:
        Minutes.

    Example:
        >>> estimate_minutes(6e14, tflops=10.0)
        1.0
        >>> estimate_minutes(6e14, tflops=10.0, steps=6000, seconds_per_step=0.005)
        1.5
    """
    if not tflops > 0:
        raise ValueError(f"tflops must be positive, got {tflops!r}")
    if steps < 0 or seconds_per_step < 0:
        raise ValueError(
            f"steps and seconds_per_step must be >= 0, got {steps} and {seconds_per_step}"
        )
    return (total_flops / (tflops * 1e12) + steps * seconds_per_step) / 60
