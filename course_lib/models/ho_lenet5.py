"""Ho's LeNet-5: LeNet-5 (LeCun et al., 1998) as Ho (2022, "Complexity of Representations in
Deep Learning") implements it for 32x32 MNIST: tanh and average pooling, with the layer names of
Ho's Figure 1. d2l's LeNet for 28x28 images is in ``d2l_lenet``.

The names matter there: Ho records the data at the entry and exit of every layer with forward
hooks and plots the complexity layer by layer, so ``model.conv1``, ``model.tanh1`` ...
``model.linr2`` are the layers of his figures.
"""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

DROPOUT_P = 0.2  # Ho, Section VI: "A drop out rate of p=0.2 ... at each dropout layer"


def lenet5(dropout: bool = False, num_classes: int = 10) -> nn.Sequential:
    """LeNet-5 of Ho's Figure 1, or with ``dropout=True`` the variant of his Figure 4.

    The layers, named as in Figure 1: ``conv1`` (1 -> 6, 5x5), ``tanh1``, ``pool1`` (2x2
    average), ``conv2`` (6 -> 16, 5x5), ``tanh2``, ``pool2``, ``conv3`` (16 -> 120, 5x5),
    ``tanh3``, ``linr1`` (120 -> 84), ``tanh4``, ``linr2`` (84 -> num_classes); a ``flatten``
    between ``tanh3`` and ``linr1`` turns (N, 120, 1, 1) into (N, 120). ``conv1`` through
    ``tanh3`` are the feature extractor, ``linr1`` and ``linr2`` the classifier; the softmax is
    left to the loss. 61,706 parameters for 10 classes.

    Figure 4 adds four dropout layers with p = 0.2, "after the convolution layers" as the text
    says. The figure itself is not in our copy of the paper; we place ``drop1`` ... ``drop4``
    right after ``tanh1`` ... ``tanh4``, i.e. after each of the three convolutions and after
    ``linr1`` with their activations: one reading that gives four layers, and a guess.

    Args:
        dropout: add the four dropout layers of Figure 4.
        num_classes: number of outputs (logits).

    Returns:
        An ``nn.Sequential`` mapping (N, 1, 32, 32) to (N, num_classes).

    Example:
        >>> import torch
        >>> from course_lib.models.summary import count_parameters
        >>> model = lenet5()
        >>> count_parameters(model), model(torch.zeros(2, 1, 32, 32)).shape
        (61706, torch.Size([2, 10]))
        >>> [name for name in lenet5(dropout=True)._modules if name.startswith("drop")]
        ['drop1', 'drop2', 'drop3', 'drop4']
    """
    if not isinstance(dropout, bool):
        raise ValueError(f"dropout must be True or False (Figure 4 or Figure 1), got {dropout!r}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be positive, got {num_classes}")

    def drop(i: int) -> list[tuple[str, nn.Module]]:
        return [(f"drop{i}", nn.Dropout(DROPOUT_P))] if dropout else []

    layers = [
        ("conv1", nn.Conv2d(1, 6, 5)), ("tanh1", nn.Tanh()), *drop(1),  # (N, 6, 28, 28)
        ("pool1", nn.AvgPool2d(kernel_size=2)),  # (N, 6, 14, 14)
        ("conv2", nn.Conv2d(6, 16, 5)), ("tanh2", nn.Tanh()), *drop(2),  # (N, 16, 10, 10)
        ("pool2", nn.AvgPool2d(kernel_size=2)),  # (N, 16, 5, 5)
        ("conv3", nn.Conv2d(16, 120, 5)), ("tanh3", nn.Tanh()), *drop(3),  # (N, 120, 1, 1)
        ("flatten", nn.Flatten()),  # (N, 120)
        ("linr1", nn.Linear(120, 84)), ("tanh4", nn.Tanh()), *drop(4),  # (N, 84)
        ("linr2", nn.Linear(84, num_classes)),  # (N, num_classes)
    ]  # fmt: skip
    return nn.Sequential(OrderedDict(layers))
