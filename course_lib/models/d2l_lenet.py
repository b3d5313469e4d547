"""LeNet (LeCun et al., 1998) in the form of Dive into Deep Learning, and a modern variant."""

from __future__ import annotations

from torch import nn

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh}
POOLS = {"avg": nn.AvgPool2d, "max": nn.MaxPool2d}


def init_cnn(module: nn.Module) -> None:
    """Xavier-uniform initialisation of conv and linear weights, as d2l's ``init_cnn``.

    Use as ``model.apply(init_cnn)``.
    """
    if isinstance(module, (nn.Linear, nn.Conv2d)):
        nn.init.xavier_uniform_(module.weight)


def lenet(
    num_classes: int = 10, in_channels: int = 1, activation: str = "sigmoid", pooling: str = "avg"
) -> nn.Sequential:
    """LeNet for 28x28 inputs: two conv layers (5x5) with pooling, then three linear layers.

    Args:
        num_classes: number of outputs (logits).
        in_channels: channels of the input images.
        activation: ``"sigmoid"`` (the original), ``"relu"`` or ``"tanh"``.
        pooling: ``"avg"`` (the original) or ``"max"``.

    Returns:
        An ``nn.Sequential`` mapping (N, in_channels, 28, 28) to (N, num_classes), initialised
        with Xavier-uniform weights.

    Example:
        >>> from course_lib.models import count_parameters
        >>> count_parameters(lenet())
        61706
    """
    if activation not in ACTIVATIONS or pooling not in POOLS:
        raise ValueError(
            f"activation must be one of {sorted(ACTIVATIONS)} and pooling one of {sorted(POOLS)},"
            f" got {activation!r} and {pooling!r}"
        )
    act, pool = ACTIVATIONS[activation], POOLS[pooling]
    model = nn.Sequential(
        nn.Conv2d(in_channels, 6, kernel_size=5, padding=2), act(),  # (N, 6, 28, 28)
        pool(kernel_size=2, stride=2),  # (N, 6, 14, 14)
        nn.Conv2d(6, 16, kernel_size=5), act(),  # (N, 16, 10, 10)
        pool(kernel_size=2, stride=2),  # (N, 16, 5, 5)
        nn.Flatten(),  # (N, 400)
        nn.Linear(16 * 5 * 5, 120), act(),
        nn.Linear(120, 84), act(),
        nn.Linear(84, num_classes),
    )  # fmt: skip
    model.apply(init_cnn)
    return model


def modern_lenet(num_classes: int = 10, in_channels: int = 1) -> nn.Sequential:
    """LeNet with ReLU activations and max pooling (d2l's exercise 7.6).

    Example:
        >>> modern_lenet()[1]
        ReLU()
    """
    return lenet(num_classes, in_channels, activation="relu", pooling="max")
