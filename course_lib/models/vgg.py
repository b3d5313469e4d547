"""VGG (Simonyan and Zisserman, 2015): blocks of 3x3 convolutions, each block halving the size."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from course_lib.models.d2l_lenet import init_cnn

VGG11 = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))
VGG16 = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))
VGG19 = ((2, 64), (2, 128), (4, 256), (4, 512), (4, 512))


def vgg_block(num_convs: int, in_channels: int, out_channels: int) -> nn.Sequential:
    """``num_convs`` 3x3 convolutions (padding 1) with ReLU, then 2x2 max pooling.

    Maps (N, in_channels, H, W) to (N, out_channels, H // 2, W // 2).

    Example:
        >>> import torch
        >>> vgg_block(2, 3, 8)(torch.zeros(1, 3, 32, 32)).shape
        torch.Size([1, 8, 16, 16])
    """
    if num_convs < 1:
        raise ValueError(f"a VGG block needs at least one convolution, got num_convs={num_convs}")
    layers: list[nn.Module] = []
    for _ in range(num_convs):
        layers += [nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1), nn.ReLU()]
        in_channels = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def vgg(
    arch: Sequence[tuple[int, int]],
    num_classes: int = 10,
    in_channels: int = 1,
    image_size: int = 224,
    classifier_width: int = 4096,
) -> nn.Sequential:
    """A VGG network: one block per ``(num_convs, out_channels)`` of ``arch``, then the classifier.

    Args:
        arch: the blocks, e.g. ``VGG11``; each block halves the height and width.
        num_classes: number of outputs (logits).
        in_channels: channels of the input images.
        image_size: height and width of the inputs; must stay >= 1 after all the halvings.
        classifier_width: units of the two hidden linear layers (4096 in VGG).

    Returns:
        An ``nn.Sequential`` of the blocks, ``Flatten`` and three linear layers
        (classifier_width, classifier_width, num_classes) with ReLU and dropout 0.5, mapping
        (N, in_channels, image_size, image_size)
        to (N, num_classes).

    Example:
        >>> model = vgg(((1, 16), (1, 32)), image_size=32)
        >>> model[2], model[3]
        (Flatten(start_dim=1, end_dim=-1), Linear(in_features=2048, out_features=4096, bias=True))
        >>> vgg(((1, 16), (1, 32)), image_size=32, classifier_width=512)[3].out_features
        512
    """
    side = image_size >> len(arch)
    if side < 1 or image_size % (2 ** len(arch)):
        raise ValueError(
            f"image_size {image_size} must be divisible by 2**{len(arch)} = {2 ** len(arch)} "
            f"for {len(arch)} VGG blocks"
        )
    blocks, channels = [], in_channels
    for num_convs, out_channels in arch:
        blocks.append(vgg_block(num_convs, channels, out_channels))
        channels = out_channels
    model = nn.Sequential(
        *blocks,
        nn.Flatten(),
        nn.Linear(channels * side * side, classifier_width), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(classifier_width, classifier_width), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(classifier_width, num_classes),
    )  # fmt: skip
    model.apply(init_cnn)
    return model


def vgg11(num_classes: int = 10, in_channels: int = 1, image_size: int = 224) -> nn.Sequential:
    """VGG-11 (8 conv + 3 linear layers). Example: ``vgg11()(torch.zeros(1, 1, 224, 224))``."""
    return vgg(VGG11, num_classes, in_channels, image_size)


def vgg16(num_classes: int = 10, in_channels: int = 1, image_size: int = 224) -> nn.Sequential:
    """VGG-16 (13 conv + 3 linear layers)."""
    return vgg(VGG16, num_classes, in_channels, image_size)


def vgg19(num_classes: int = 10, in_channels: int = 1, image_size: int = 224) -> nn.Sequential:
    """VGG-19 (16 conv + 3 linear layers)."""
    return vgg(VGG19, num_classes, in_channels, image_size)
