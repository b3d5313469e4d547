"""Decoders that rebuild an image from a checkpoint of the CIFAR ResNet-18 (Björklund, 2024).

The decoder for checkpoint ``k`` mirrors the part of ``resnet18_cifar`` in front of that
checkpoint, run backwards (the thesis's Figures 8 and 9):

- ``output``: a linear layer from the 10 logits back to 512 features (checkpoint 6 only);
- ``final_pool``: ``Unpool``, the 512x1x1 vector replicated to 512x4x4 and multiplied
  element-wise by a learnable 512x4x4 tensor (checkpoints 5 and 6);
- ``stage4`` ... ``stage1``: ``DecoderBlock`` s, each a residual block with transposed
  convolutions in place of convolutions and the order reversed: where an encoder block
  starts with a stride-2 convolution and has its 1x1 shortcut in its first residual
  connection, the mirrored block ends with the stride-2 transposed convolution and has the
  1x1 transposed shortcut in its second residual connection;
- ``init_block``: a 3x3 transposed convolution to the 3 colour channels.

Each module has the name of the encoder module it undoes, so ``decoder.stage3`` reverses
``model.features.stage3``, and the decoder for checkpoint ``k + 1`` holds every module of the
decoder for ``k`` under the same name: ``warm_start`` copies them over. The thesis numbers its
decoder blocks in the order the data flows through the full decoder, so its block 1 is our
``stage4`` and its block 4 (the one without a 1x1 shortcut) is our ``stage1``.

The blocks themselves (``DecoderBlock``, ``Unpool``) are in ``decoder_blocks``; the part of the
classifier in front of a checkpoint (``encoder_upto``) is in ``probes``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch import Tensor, nn

from course_lib.models.decoder_blocks import DecoderBlock, Unpool


def init_decoder(module: nn.Module) -> None:
    """Initialise a decoder as the thesis does: weights and biases from U(-sqrt(t), sqrt(t)).

    ``t = 1 / (c_out k^2)`` for a transposed convolution with ``c_out`` output channels and
    kernel size ``k``, and ``t = 1 / in_features`` for the linear layer (PyTorch's defaults for
    both; the thesis prints ``t = 10`` for the linear layer, whose input has 10 features, which
    would draw weights of size about 2: we read it as ``1 / 10``). Batch norm starts at scale 1,
    shift 0, and ``Unpool`` at ones.

    Example:
        >>> layer = nn.ConvTranspose2d(4, 2, 3)
        >>> init_decoder(layer)
        >>> bool(layer.weight.abs().max() <= 1 / math.sqrt(2 * 9))
        True
    """
    for layer in module.modules():
        if isinstance(layer, (nn.ConvTranspose2d, nn.Linear)):
            if isinstance(layer, nn.Linear):
                t = 1 / layer.in_features
            else:
                t = 1 / (layer.out_channels * math.prod(layer.kernel_size))
            bound = math.sqrt(t)
            nn.init.uniform_(layer.weight, -bound, bound)
            if layer.bias is not None:
                nn.init.uniform_(layer.bias, -bound, bound)
        elif isinstance(layer, nn.BatchNorm2d):
            layer.reset_parameters()
        elif isinstance(layer, Unpool):
            nn.init.ones_(layer.weight)


class ResNetDecoder(nn.Module):
    """The decoder for one checkpoint of a CIFAR ResNet: the layers before it, mirrored.

    Args:
        checkpoint: ``s`` after stage ``s``, then one after the average pooling and one after
            the linear layer: for ResNet-18, 1-4 after stages 1-4, 5 and 6 (the thesis's
            Table 1; ``course_lib.models.CHECKPOINTS`` names them).
        layers: blocks per stage of the encoder, e.g. ``(2, 2, 2, 2)`` for ResNet-18.
        channels: output channels of each stage of the encoder.
        init_channels: output channels of the encoder's stem.
        num_classes: logits of the encoder (the input at checkpoint 6).
        out_channels: channels of the reconstructed images.
        image_size: height and width of the reconstructed images.

    Example:
        >>> import torch
        >>> decoder = ResNetDecoder(4, (1, 1), (8, 16), init_channels=8, image_size=8)
        >>> [name for name, _ in decoder.named_children()]
        ['output', 'final_pool', 'stage2', 'stage1', 'init_block']
        >>> decoder(torch.zeros(2, 10)).shape
        torch.Size([2, 3, 8, 8])
    """

    def __init__(
        self,
        checkpoint: int,
        layers: Sequence[int],
        channels: Sequence[int],
        init_channels: int,
        num_classes: int = 10,
        out_channels: int = 3,
        image_size: int = 32,
    ) -> None:
        super().__init__()
        stages = len(layers)
        if len(channels) != stages or not layers or min(*layers, *channels) < 1:
            raise ValueError(
                f"layers and channels need one positive entry per stage, got {tuple(layers)} "
                f"and {tuple(channels)}"
            )
        if isinstance(checkpoint, bool) or checkpoint not in range(1, stages + 3):
            raise ValueError(
                f"checkpoint must be 1 to {stages + 2} (after each of the {stages} stages, the "
                f"pooling and the linear layer), got {checkpoint!r}"
            )
        if image_size % 2 ** (stages - 1):
            raise ValueError(f"image_size {image_size} must be divisible by 2**{stages - 1}")
        self.checkpoint = checkpoint
        final_size = image_size // 2 ** (stages - 1)
        widths = (init_channels, *channels)  # widths[s]: channels after encoder stage s
        if checkpoint == stages + 2:
            self.add_module("output", nn.Linear(num_classes, widths[-1]))
        if checkpoint >= stages + 1:
            self.add_module("final_pool", Unpool(widths[-1], final_size))
        for s in range(min(checkpoint, stages), 0, -1):  # stage s undone, the last one first
            self.add_module(f"stage{s}", _decoder_stage(layers[s - 1], widths[s], widths[s - 1], s))
        self.add_module("init_block", nn.ConvTranspose2d(init_channels, out_channels, 3, padding=1))
        self.output_shape = (out_channels, image_size, image_size)
        if checkpoint == stages + 2:
            self.input_shape: tuple[int, ...] = (num_classes,)
        elif checkpoint == stages + 1:
            self.input_shape = (widths[-1], 1, 1)
        else:
            side = image_size // 2 ** (checkpoint - 1)
            self.input_shape = (widths[checkpoint], side, side)
        init_decoder(self)

    def forward(self, X: Tensor) -> Tensor:
        if tuple(X.shape[1:]) != self.input_shape:
            raise ValueError(
                f"the decoder for checkpoint {self.checkpoint} takes (N, "
                f"{', '.join(map(str, self.input_shape))}), got {tuple(X.shape)}"
            )
        for name, module in self.named_children():
            X = module(X)
            if name == "output":
                X = X[:, :, None, None]  # (N, C) -> (N, C, 1, 1), what the pooling output
        return X  # (N, out_channels, image_size, image_size)


def _decoder_stage(num_blocks: int, in_channels: int, out_channels: int, s: int) -> nn.Sequential:
    """The mirror of encoder stage ``s``: its blocks reversed, the resizing one last."""
    stage = nn.Sequential()
    for j in range(num_blocks):
        last = j == num_blocks - 1
        stride = 2 if last and s > 1 else 1
        width = out_channels if last else in_channels
        stage.add_module(f"unit{j + 1}", DecoderBlock(in_channels, width, stride))
    return stage


def resnet18_decoder(checkpoint: int, width: int = 64) -> ResNetDecoder:
    """The decoder for checkpoint ``checkpoint`` (1-6) of ``resnet18_cifar(width=width)``.

    Example:
        >>> for k in range(1, 7):
        ...     print(k, resnet18_decoder(k).input_shape)
        1 (64, 32, 32)
        2 (128, 16, 16)
        3 (256, 8, 8)
        4 (512, 4, 4)
        5 (512, 1, 1)
        6 (10,)
    """
    channels = (width, 2 * width, 4 * width, 8 * width)
    return ResNetDecoder(checkpoint, (2, 2, 2, 2), channels, init_channels=width)


def warm_start(decoder: nn.Module, previous: nn.Module) -> list[str]:
    """Copy into ``decoder`` the weights of every module it shares with ``previous``, by name.

    The thesis trains the decoders one checkpoint after the other and starts each from the one
    before: the modules they share (all of ``previous``) begin where ``previous`` ended, the new
    ones stay as ``init_decoder`` drew them.

    Args:
        decoder: the decoder to start, e.g. ``resnet18_decoder(k + 1)``.
        previous: a trained decoder all of whose modules ``decoder`` has, e.g. for ``k``.

    Returns:
        The names of the copied top-level modules.

    Example:
        >>> names = warm_start(resnet18_decoder(2), resnet18_decoder(1))
        >>> names
        ['stage1', 'init_block']
    """
    ours, theirs = dict(decoder.named_children()), dict(previous.named_children())
    missing = [name for name in theirs if name not in ours]
    if missing:
        raise ValueError(
            f"the decoder has no modules {missing} of the previous one: warm-start a decoder "
            "from the one for an earlier checkpoint"
        )
    state = decoder.state_dict()
    state.update(previous.state_dict())  # same names, same shapes: load_state_dict checks
    decoder.load_state_dict(state)
    return list(theirs)
