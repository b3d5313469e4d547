"""ResNets for 32x32 CIFAR images (He et al., 2016, https://arxiv.org/abs/1512.03385).

Unlike the ImageNet ResNet of ``resnet.py``, the stem is a single 3x3 convolution with no max
pooling, so the first stage still sees the whole 32x32 image. Three networks are built here:

- ``resnet18_cifar``: four stages of two blocks (64 ... 512 channels), the ResNet-18 of the
  CIFAR-10 lab report (11,173,962 parameters) and of the decoder thesis, which reads it at six
  checkpoints (``probes``).
- ``resnet20_cifar`` and ``resnet56_cifar``: three stages of 3 or 9 blocks (16, 32, 64 channels),
  the networks of He et al.'s CIFAR experiments as the pytorchcv model zoo ships them
  (Ho, Appendices A and B).

All three use pytorchcv's module names (``features.init_block.conv``,
``features.stage1.unit1.body.conv1.conv``, ``identity_conv``, ``final_pool``, ``output``), so a
state dict saved from pytorchcv loads with ``load_state_dict(strict=True)`` (``pretrained``
loads them); the report's code calls the same layers ``conv1``, ``layer1`` ... ``layer4`` and
``fc``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import Tensor, nn


def conv_block(
    in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, relu: bool = True
) -> nn.Sequential:
    """Convolution without bias, batch norm and (unless ``relu=False``) ReLU.

    pytorchcv calls this a ``ConvBlock`` with children ``conv``, ``bn`` and ``activ``; the
    padding keeps the size when ``stride`` is 1.

    Example:
        >>> block = conv_block(3, 16, kernel_size=3)
        >>> [name for name, _ in block.named_children()]
        ['conv', 'bn', 'activ']
        >>> block.conv.bias is None, block.conv.padding
        (True, (1, 1))
    """
    layers: OrderedDict[str, nn.Module] = OrderedDict(
        conv=nn.Conv2d(
            in_channels, out_channels, kernel_size, stride, padding=kernel_size // 2, bias=False
        ),
        bn=nn.BatchNorm2d(out_channels),
    )
    if relu:
        layers["activ"] = nn.ReLU(inplace=True)
    return nn.Sequential(layers)


class BasicBlock(nn.Module):
    """Two 3x3 conv + batch-norm layers whose output is added to a shortcut, then ReLU.

    The shortcut is the input itself, or a 1x1 convolution with batch norm (``identity_conv``)
    when the block changes the number of channels or the size.

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        stride: stride of the first convolution; 2 halves the height and width.

    Example:
        >>> import torch
        >>> BasicBlock(16, 32, stride=2)(torch.zeros(1, 16, 8, 8)).shape
        torch.Size([1, 32, 4, 4])
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.body = nn.Sequential(
            OrderedDict(
                conv1=conv_block(in_channels, out_channels, 3, stride),
                conv2=conv_block(out_channels, out_channels, 3, relu=False),
            )
        )
        self.identity_conv = None
        if stride != 1 or in_channels != out_channels:
            self.identity_conv = conv_block(in_channels, out_channels, 1, stride, relu=False)
        self.activ = nn.ReLU(inplace=True)

    def forward(self, X: Tensor) -> Tensor:
        Y = self.body(X)  # (N, out, H / stride, W / stride)
        # The shortcut runs after the body, as in torchvision and the lab report's code, so a
        # layer-by-layer table lists the layers in the report's order.
        shortcut = X if self.identity_conv is None else self.identity_conv(X)
        return self.activ(Y + shortcut)


class ResNet(nn.Module):
    """A CIFAR ResNet: a 3x3 stem, stages of ``BasicBlock`` s, average pooling, a linear layer.

    Every stage but the first starts with a block of stride 2, so the last stage works at
    ``image_size / 2 ** (len(layers) - 1)`` pixels, which the final pooling averages away.

    Args:
        layers: number of blocks in each stage, e.g. ``(2, 2, 2, 2)`` for ResNet-18.
        channels: output channels of each stage, e.g. ``(64, 128, 256, 512)``.
        init_channels: output channels of the stem.
        num_classes: number of outputs (logits).
        in_channels: channels of the input images.
        image_size: height and width of the inputs.

    Example:
        >>> import torch
        >>> model = ResNet((1, 1), (8, 16), init_channels=8, num_classes=3, image_size=8)
        >>> model(torch.zeros(2, 3, 8, 8)).shape
        torch.Size([2, 3])
    """

    def __init__(
        self,
        layers: Sequence[int],
        channels: Sequence[int],
        init_channels: int,
        num_classes: int = 10,
        in_channels: int = 3,
        image_size: int = 32,
    ) -> None:
        super().__init__()
        if len(layers) != len(channels) or not layers or min(*layers, *channels) < 1:
            raise ValueError(
                f"layers and channels need one positive entry per stage, got {tuple(layers)} "
                f"and {tuple(channels)}"
            )
        final_size = image_size // 2 ** (len(layers) - 1)
        if final_size < 1 or image_size % 2 ** (len(layers) - 1):
            raise ValueError(
                f"image_size {image_size} must be divisible by 2**{len(layers) - 1} for "
                f"{len(layers)} stages"
            )
        if num_classes < 1:
            raise ValueError(f"num_classes must be positive, got {num_classes}")
        self.layers, self.num_classes = tuple(layers), num_classes
        self.features = nn.Sequential()
        self.features.add_module("init_block", conv_block(in_channels, init_channels, 3))
        width = init_channels
        for i, (num_blocks, out_channels) in enumerate(zip(layers, channels, strict=True)):
            stage = nn.Sequential()
            for j in range(num_blocks):
                stride = 2 if j == 0 and i > 0 else 1
                stage.add_module(f"unit{j + 1}", BasicBlock(width, out_channels, stride))
                width = out_channels
            self.features.add_module(f"stage{i + 1}", stage)
        self.features.add_module("final_pool", nn.AvgPool2d(kernel_size=final_size, stride=1))
        self.output = nn.Linear(width, num_classes)
        for module in self.modules():  # as torchvision's ResNet
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, X: Tensor) -> Tensor:
        Y = self.features(X)  # (N, C, 1, 1)
        return self.output(torch.flatten(Y, 1))  # (N, num_classes)


def resnet18_cifar(num_classes: int = 10, width: int = 64) -> ResNet:
    """ResNet-18 for CIFAR-10: 3x3 stem, stages of 2 blocks with 64, 128, 256, 512 channels.

    Args:
        num_classes: number of logits.
        width: channels of the stem and the first stage; the stages have ``width`` times
            1, 2, 4, 8 (64: the lab report's network; a smaller width makes a narrow copy of
            the same architecture, for runs on a CPU).

    Example:
        >>> from course_lib.models.summary import count_parameters
        >>> count_parameters(resnet18_cifar()), count_parameters(resnet18_cifar(width=16))
        (11173962, 701466)
    """
    if not isinstance(width, int) or width < 1:
        raise ValueError(f"width must be a positive int, got {width!r}")
    channels = (width, 2 * width, 4 * width, 8 * width)
    return ResNet((2, 2, 2, 2), channels, init_channels=width, num_classes=num_classes)


def resnet20_cifar(num_classes: int = 100) -> ResNet:
    """ResNet-20 for CIFAR: stages of 3 blocks with 16, 32, 64 channels (pytorchcv's names).

    Example:
        >>> from course_lib.models.summary import count_parameters
        >>> count_parameters(resnet20_cifar())
        278324
    """
    return ResNet((3, 3, 3), (16, 32, 64), init_channels=16, num_classes=num_classes)


def resnet56_cifar(num_classes: int = 100) -> ResNet:
    """ResNet-56 for CIFAR: stages of 9 blocks with 16, 32, 64 channels (pytorchcv's names).

    Example:
        >>> from course_lib.models.summary import count_parameters
        >>> count_parameters(resnet56_cifar())
        861620
    """
    return ResNet((9, 9, 9), (16, 32, 64), init_channels=16, num_classes=num_classes)
