"""ResNet-18 (He et al., 2016) in the form of Dive into Deep Learning (7x7 stem, for 96-pixel
Fashion-MNIST)."""

from __future__ import annotations

import torch  # noqa: F401  (used by the doctests)
from torch import Tensor, nn
from torch.nn import functional as F

from course_lib.models.d2l_lenet import init_cnn


class Residual(nn.Module):
    """Two 3x3 conv + batch-norm layers whose output is added to the block's input.

    With ``use_1x1conv`` the shortcut is a 1x1 convolution (with ``stride``), so that the
    block can change the number of channels and halve the size.

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        use_1x1conv: whether the shortcut is a 1x1 convolution instead of the identity.
        stride: stride of the first convolution (and of the 1x1 shortcut).

    Example:
        >>> Residual(3, 6, use_1x1conv=True, stride=2)(torch.zeros(4, 3, 6, 6)).shape
        torch.Size([4, 6, 3, 3])
    """

    def __init__(
        self, in_channels: int, out_channels: int, use_1x1conv: bool = False, stride: int = 1
    ) -> None:
        super().__init__()
        if not use_1x1conv and (in_channels != out_channels or stride != 1):
            raise ValueError(
                "an identity shortcut needs in_channels == out_channels and stride 1; "
                "pass use_1x1conv=True to change channels or size"
            )
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1, stride=stride)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.conv3 = nn.Conv2d(in_channels, out_channels, 1, stride=stride) if use_1x1conv else None
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)

    def forward(self, X: Tensor) -> Tensor:
        Y = F.relu(self.bn1(self.conv1(X)))  # (N, out, H / stride, W / stride)
        Y = self.bn2(self.conv2(Y))
        shortcut = X if self.conv3 is None else self.conv3(X)
        return F.relu(Y + shortcut)


def resnet_stage(
    in_channels: int, out_channels: int, num_residuals: int, first: bool
) -> nn.Sequential:
    """``num_residuals`` residual blocks; unless ``first``, the first one halves the size."""
    blocks = []
    for i in range(num_residuals):
        if i == 0 and not first:
            blocks.append(Residual(in_channels, out_channels, use_1x1conv=True, stride=2))
        else:
            blocks.append(Residual(out_channels, out_channels))
    return nn.Sequential(*blocks)


def resnet18(num_classes: int = 10, in_channels: int = 1) -> nn.Sequential:
    """ResNet-18: a 7x7 stem with max pooling, four stages of two residual blocks, a classifier.

    Args:
        num_classes: number of outputs (logits).
        in_channels: channels of the input images.

    Returns:
        An ``nn.Sequential`` of six parts (stem, four stages, head); on (N, 1, 96, 96) inputs
        they output (N, 64, 24, 24), (N, 64, 24, 24), (N, 128, 12, 12), (N, 256, 6, 6),
        (N, 512, 3, 3) and (N, num_classes).

    Example:
        >>> resnet18()(torch.zeros(2, 1, 96, 96)).shape
        torch.Size([2, 10])
    """
    stem = nn.Sequential(
        nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3),
        nn.BatchNorm2d(64), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )  # fmt: skip
    stages = [
        resnet_stage(64, 64, 2, first=True),
        resnet_stage(64, 128, 2, first=False),
        resnet_stage(128, 256, 2, first=False),
        resnet_stage(256, 512, 2, first=False),
    ]
    head = nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(512, num_classes))
    model = nn.Sequential(stem, *stages, head)
    model.apply(init_cnn)
    return model
