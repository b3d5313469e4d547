"""The CIFAR-10 networks of a course assignment on CNN "tricks": the example model of Task 2,
Model 1 and Model 2 of Task 3, the switches it tries one at a time, and the final model past 80%.

Every network is ``feature_extractor`` (convolution blocks) -> ``flatten`` -> ``classifier``
(a linear layer of 64 units, its activation, a linear layer of ``num_classes``), the shape the
assignment prints, so ``model.feature_extractor[0]`` is the first convolution there and here.

The assignment's tricks and where they live here:

==================  =========================================  ==============================
trick               the assignment's setting                   here
==================  =========================================  ==============================
augmentation        random crops and flips, doubling the       the data pipeline, not the
                    training set                               model
Adam                lr 1e-3, L2 weight decay 1e-5 (baseline:   the optimizer, not the model
                    SGD, lr 0.05, batch size 64)
dropout             p = 0.25 after every convolution           ``dropout=0.25``
batch norm          2D after every convolution, 1D in the      ``batch_norm=True``
                    affine layers
Kaiming normal      instead of PyTorch's Kaiming uniform       ``kaiming_normal=True``
leaky ReLU          negative slope 0.1 (0.2 in the final one)  ``leaky_relu=0.1``
==================  =========================================  ==============================

Task 3e then combines the tricks that helped Model 1, each step with augmentation (test
accuracy in brackets): ``trick_cnn(batch_norm=True, leaky_relu=0.1)`` (77.5%), the slope 0.2
(77.9%), a fourth layer, ``channels=(64,) * 4`` (78.9%), and 128 filters, ``trick_cnn("final")``
(80.5%).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from torch import nn


@dataclass(frozen=True)
class TrickCNNConfig:
    """The convolutions of one of the assignment's networks, and its built-in tricks.

    Attributes:
        channels: filters of each convolution; one block per entry.
        kernel_size: size of every (square) kernel.
        stride: stride of every convolution.
        padding: zero padding of every convolution.
        max_pool: whether each block ends with 2x2 max pooling (stride 2).
        batch_norm: whether the model has batch norm by default.
        leaky_relu: its default negative slope (0 is a plain ReLU).
    """

    channels: tuple[int, ...]
    kernel_size: int
    stride: int
    padding: int
    max_pool: bool
    batch_norm: bool = False
    leaky_relu: float = 0.0

    def feature_size(self, image_size: int = 32) -> int:
        """Height (= width) of the last block's output for square inputs of ``image_size``."""
        size = image_size
        for _ in self.channels:
            size = (size + 2 * self.padding - self.kernel_size) // self.stride + 1
            size = size // 2 if self.max_pool else size
        return size


TRICK_CNN_VARIANTS = {
    # Task 2: three 5x5 convolutions (32, 64, 128 filters), each followed by max pooling.
    "example": TrickCNNConfig((32, 64, 128), kernel_size=5, stride=1, padding=2, max_pool=True),
    # Task 3, Model 1: the same blocks with 64 filters in every layer.
    "model1": TrickCNNConfig((64, 64, 64), kernel_size=5, stride=1, padding=2, max_pool=True),
    # Task 3, Model 2: 4x4 convolutions of stride 2 (padding 1) halve the size; no pooling.
    "model2": TrickCNNConfig((32, 64, 128), kernel_size=4, stride=2, padding=1, max_pool=False),
    # Task 3e: Model 1 with batch norm, leaky ReLU 0.2, one more layer and 128 filters.
    "final": TrickCNNConfig(
        (128, 128, 128, 128), 5, 1, 2, max_pool=True, batch_norm=True, leaky_relu=0.2
    ),
}


def trick_cnn(
    variant: str = "model1",
    batch_norm: bool | None = None,
    dropout: float = 0.0,
    leaky_relu: float | None = None,
    kaiming_normal: bool = False,
    channels: Sequence[int] | None = None,
    num_classes: int = 10,
    width: float = 1.0,
) -> nn.Sequential:
    """One of the assignment's networks, with the model tricks of Task 3c switched on or off.

    Each block is convolution, [``BatchNorm2d``], activation, [``Dropout``], [2x2 max pooling],
    the order of the assignment's printouts; the classifier is ``Linear(., 64)``,
    [``BatchNorm1d(64)``], activation, ``Linear(64, num_classes)``. Data augmentation and the
    Adam optimizer are tricks of the training, not of the model: set them in the data pipeline
    and in the training configuration.

    The assignment leaves three details open; we read them as follows.

    - The final model: the text adds "one layer of 64 filters" to Model 1 and then makes the
      filters 128, so ``"final"`` has four blocks of 128 filters (each with pooling, as every
      block of Model 1 has). The table printed at the end still shows three convolutions, and
      also ReLU in the affine layer; we take it as not updated. Its three-layer reading is
      ``trick_cnn("final", channels=(128, 128, 128))``.
    - Leaky ReLU replaces every ReLU, in the classifier too: the printed models hold a single
      ``activation`` module, a ``LeakyReLU(negative_slope=0.2)`` in the final one.
    - Dropout goes right after the activation of each convolution, the one place that exists
      in both Model 1 and Model 2 (which has no pooling).

    Args:
        variant: ``"example"`` (Task 2, 390,410 parameters), ``"model1"``, ``"model2"`` or
            ``"final"`` (see ``TRICK_CNN_VARIANTS``).
        batch_norm: add batch norm after every convolution and the hidden linear layer;
            None keeps the variant's own setting (on for ``"final"`` only).
        dropout: probability of the dropout after each convolution block; 0 adds none.
        leaky_relu: negative slope of a leaky ReLU replacing every ReLU (0 keeps ReLU); None
            keeps the variant's own setting (0.2 for ``"final"``, else 0).
        kaiming_normal: initialise every convolution and linear weight with Kaiming normal
            (He et al., 2015) instead of PyTorch's default Kaiming uniform; biases keep theirs.
        channels: filters of each convolution, replacing the variant's (e.g. ``(64,) * 4`` for
            the step of Task 3e that adds a layer to Model 1).
        num_classes: number of outputs (logits).
        width: the fraction of each convolution's filters to keep (rounded, at least 1): 1 is
            the assignment's network, 0.25 a narrow copy of the same layout for CPU runs. The
            classifier's 64 hidden units stay.

    Returns:
        An ``nn.Sequential`` with children ``feature_extractor``, ``flatten`` and
        ``classifier``, mapping (N, 3, 32, 32) to (N, num_classes).

    Example:
        >>> import torch
        >>> from course_lib.models.summary import count_parameters
        >>> count_parameters(trick_cnn("model1")), count_parameters(trick_cnn("model2"))
        (276042, 297386)
        >>> model = trick_cnn("final")
        >>> [type(layer).__name__ for layer in model.feature_extractor[:4]]
        ['Conv2d', 'BatchNorm2d', 'LeakyReLU', 'MaxPool2d']
        >>> model(torch.zeros(2, 3, 32, 32)).shape, model.classifier[0]
        (torch.Size([2, 10]), Linear(in_features=512, out_features=64, bias=True))
        >>> trick_cnn("model1", width=0.25).feature_extractor[0]
        Conv2d(3, 16, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
    """
    if variant not in TRICK_CNN_VARIANTS:
        raise ValueError(f"variant must be one of {list(TRICK_CNN_VARIANTS)}, got {variant!r}")
    config = TRICK_CNN_VARIANTS[variant]
    if channels is not None:
        if not channels or not all(isinstance(c, int) and c > 0 for c in channels):
            raise ValueError(f"channels must be positive ints, one per layer, got {channels!r}")
        config = replace(config, channels=tuple(channels))
    if not 0 < width <= 1:
        raise ValueError(f"width must lie in (0, 1], got {width}")
    config = replace(config, channels=tuple(max(1, round(c * width)) for c in config.channels))
    batch_norm = config.batch_norm if batch_norm is None else batch_norm
    slope = config.leaky_relu if leaky_relu is None else leaky_relu
    if not 0 <= dropout < 1 or not 0 <= slope < 1:
        raise ValueError(f"dropout and leaky_relu must lie in [0, 1), got {dropout} and {slope}")
    if config.feature_size() < 1:
        raise ValueError(f"{len(config.channels)} layers shrink a 32x32 image to nothing")
    if num_classes < 1:
        raise ValueError(f"num_classes must be positive, got {num_classes}")

    def activation() -> nn.Module:
        return nn.LeakyReLU(slope) if slope > 0 else nn.ReLU()

    blocks: list[nn.Module] = []
    width = 3
    for out_channels in config.channels:
        blocks.append(
            nn.Conv2d(width, out_channels, config.kernel_size, config.stride, config.padding)
        )
        blocks += [nn.BatchNorm2d(out_channels)] if batch_norm else []
        blocks.append(activation())
        blocks += [nn.Dropout(dropout)] if dropout > 0 else []
        blocks += [nn.MaxPool2d(kernel_size=2, stride=2)] if config.max_pool else []
        width = out_channels
    classifier = [nn.Linear(width * config.feature_size() ** 2, 64)]  # e.g. 128 * 4 * 4 = 2048
    classifier += [nn.BatchNorm1d(64)] if batch_norm else []
    classifier += [activation(), nn.Linear(64, num_classes)]
    model = nn.Sequential(
        OrderedDict(
            feature_extractor=nn.Sequential(*blocks),
            flatten=nn.Flatten(),  # (N, C * H * W)
            classifier=nn.Sequential(*classifier),
        )
    )
    if kaiming_normal:
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(module.weight, a=slope, nonlinearity="leaky_relu")
    return model


def example_cnn(num_classes: int = 10) -> nn.Sequential:
    """The example model of Task 2: three 5x5 conv + max-pool blocks (32, 64, 128), fc 64.

    Example:
        >>> from course_lib.models.summary import count_parameters
        >>> count_parameters(example_cnn())
        390410
    """
    return trick_cnn("example", num_classes=num_classes)
