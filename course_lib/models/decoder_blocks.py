"""The layers of the decoders, each the mirror of a layer of the CIFAR ResNet (Björklund, 2024).

- ``conv_transpose_block``: the mirror of ``conv_block``, a transposed convolution with batch norm;
- ``DecoderBlock``: the mirror of ``BasicBlock``, a residual block of transposed convolutions;
- ``Unpool``: the mirror of the global average pooling, with a learnable scale.

``decoders`` assembles them into the decoder for each checkpoint.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import Tensor, nn


def conv_transpose_block(
    in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, relu: bool = True
) -> nn.Sequential:
    """Transposed convolution without bias, batch norm and (unless ``relu=False``) ReLU.

    The mirror of ``conv_block``: with the same kernel size, stride and padding, the output has
    the shape of that convolution's input. A stride-2 convolution maps both 7 and 8 pixels to
    4, so the transposed one needs ``output_padding=1`` to choose 8.

    Example:
        >>> block = conv_transpose_block(8, 4, kernel_size=3, stride=2)
        >>> block(torch.zeros(1, 8, 4, 4)).shape
        torch.Size([1, 4, 8, 8])
    """
    conv = nn.ConvTranspose2d(
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding=kernel_size // 2,
        output_padding=stride - 1,
        bias=False,
    )
    layers: OrderedDict[str, nn.Module] = OrderedDict(conv=conv, bn=nn.BatchNorm2d(out_channels))
    if relu:
        layers["activ"] = nn.ReLU(inplace=True)
    return nn.Sequential(layers)


class DecoderBlock(nn.Module):
    """A residual block of two 3x3 transposed conv + batch-norm layers, the mirror of BasicBlock.

    The first transposed convolution keeps the channels; the second changes them to
    ``out_channels`` and, with ``stride=2``, doubles the height and width. The shortcut is the
    input itself, or a 1x1 transposed convolution with the same stride when the shape changes.

    Args:
        in_channels: channels of the input (the output channels of the block it mirrors).
        out_channels: channels of the output (the input channels of the block it mirrors).
        stride: stride of the last transposed convolution; 2 doubles the height and width.

    Example:
        >>> DecoderBlock(32, 16, stride=2)(torch.zeros(1, 32, 4, 4)).shape
        torch.Size([1, 16, 8, 8])
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.body = nn.Sequential(
            OrderedDict(
                conv1=conv_transpose_block(in_channels, in_channels, 3),
                conv2=conv_transpose_block(in_channels, out_channels, 3, stride, relu=False),
            )
        )
        self.identity_conv = None
        if stride != 1 or in_channels != out_channels:
            self.identity_conv = conv_transpose_block(
                in_channels, out_channels, 1, stride, relu=False
            )
        self.activ = nn.ReLU(inplace=True)

    def forward(self, X: Tensor) -> Tensor:
        shortcut = X if self.identity_conv is None else self.identity_conv(X)
        return self.activ(self.body(X) + shortcut)  # (N, out, H * stride, W * stride)


class Unpool(nn.Module):
    """Undo global average pooling: replicate each value to ``size x size``, scale learnably.

    The scale is one learnable ``(channels, size, size)`` tensor shared by every image of a
    batch, initialised to ones, so that at first the output averages back to the input.

    Args:
        channels: channels of the pooled input ``(N, channels, 1, 1)``.
        size: height and width of the output.

    Example:
        >>> unpool = Unpool(2, 3)
        >>> unpool(torch.ones(5, 2, 1, 1)).shape, unpool.weight.shape
        (torch.Size([5, 2, 3, 3]), torch.Size([2, 3, 3]))
    """

    def __init__(self, channels: int, size: int) -> None:
        super().__init__()
        self.channels, self.size = channels, size
        self.weight = nn.Parameter(torch.ones(channels, size, size))

    def forward(self, X: Tensor) -> Tensor:
        replicated = X.expand(-1, -1, self.size, self.size)  # (N, C, size, size), no copy
        return replicated * self.weight  # the weight broadcasts over the batch

    def extra_repr(self) -> str:
        return f"channels={self.channels}, size={self.size}"
