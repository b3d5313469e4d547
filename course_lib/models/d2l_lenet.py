"""d2l's LeNet: LeNet (LeCun et al., 1998) as Dive into Deep Learning writes it, for 28x28 images.

``lenet`` is d2l's network with sized layers, ``lazy_lenet`` the same network exactly as d2l
writes it (lazy layers, sized by the first batch), ``modern_lenet`` d2l's variant with ReLU and
max pooling. Ho's LeNet-5 for 32x32 images, with his layer names, is in ``ho_lenet5``.
"""

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


def lazy_lenet(num_classes: int = 10) -> nn.Sequential:
    """LeNet exactly as d2l writes it: lazy layers, whose sizes the first batch sets.

    The weights do not exist until the first forward pass; initialise them after it with
    ``model.apply(init_cnn)`` as d2l does. The result has ``lenet()``'s layers and 61,706
    parameters for 28x28 inputs.

    Args:
        num_classes: number of outputs (logits).

    Returns:
        An uninitialised ``nn.Sequential`` mapping (N, C, 28, 28) to (N, num_classes).

    Example:
        >>> import torch
        >>> model = lazy_lenet()
        >>> model(torch.zeros(1, 1, 28, 28)).shape
        torch.Size([1, 10])
        >>> model.apply(init_cnn)[0]
        Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
    """
    return nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(),  # (N, 6, 28, 28)
        nn.AvgPool2d(kernel_size=2, stride=2),  # (N, 6, 14, 14)
        nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(),  # (N, 16, 10, 10)
        nn.AvgPool2d(kernel_size=2, stride=2),  # (N, 16, 5, 5)
        nn.Flatten(),  # (N, 400)
        nn.LazyLinear(120), nn.Sigmoid(),
        nn.LazyLinear(84), nn.Sigmoid(),
        nn.LazyLinear(num_classes),
    )  # fmt: skip


def modern_lenet(num_classes: int = 10, in_channels: int = 1) -> nn.Sequential:
    """LeNet with ReLU activations and max pooling (d2l's exercise 7.6).

    Example:
        >>> modern_lenet()[1]
        ReLU()
    """
    return lenet(num_classes, in_channels, activation="relu", pooling="max")
