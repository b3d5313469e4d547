"""The small CIFAR-10 networks of the image-classification lab report (Wang and Tao): the
Shallow CNN of PyTorch's CIFAR-10 tutorial and "ElexNet", an AlexNet shrunk for 32x32 images,
in the four versions the report trains (70% -> 72% -> 77% -> 79% test accuracy).

Both are written as the report and the tutorial write them: an ``nn.Module`` whose ``forward``
applies the fully connected layers with ``F.relu``. That is why ``layer_summary(elexnet("d"),
(500, 3, 32, 32), depth=None)`` lists exactly the 17 rows of the report's parameter table: the
functional ReLUs and the flattening are not modules, so torchsummary did not list them either.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn import functional as F


class ShallowCNN(nn.Module):
    """The network of PyTorch's "Training a Classifier" tutorial: two 5x5 convolutions with ReLU
    and 2x2 max pooling, then three linear layers (120, 84, num_classes).

    Args:
        num_classes: number of outputs (logits).

    Example:
        >>> import torch
        >>> ShallowCNN()(torch.zeros(2, 3, 32, 32)).shape
        torch.Size([2, 10])
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        if num_classes < 1:
            raise ValueError(f"num_classes must be positive, got {num_classes}")
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, X: Tensor) -> Tensor:
        X = self.pool(F.relu(self.conv1(X)))  # (N, 6, 14, 14)
        X = self.pool(F.relu(self.conv2(X)))  # (N, 16, 5, 5)
        X = torch.flatten(X, 1)  # (N, 400)
        X = F.relu(self.fc1(X))
        X = F.relu(self.fc2(X))
        return self.fc3(X)  # (N, num_classes)


def shallow_cnn(num_classes: int = 10) -> ShallowCNN:
    """The report's Shallow CNN, PyTorch's tutorial network (62,006 parameters, about 55%).

    Example:
        >>> from course_lib.models.summary import count_parameters
        >>> count_parameters(shallow_cnn())
        62006
    """
    return ShallowCNN(num_classes)


@dataclass(frozen=True)
class ElexNetConfig:
    """The knobs the lab report turns between its ElexNet versions.

    Attributes:
        channels: output channels of conv1 ... conv5.
        hidden: widths of fc1 and fc2.
        first_pool: whether ``max_pool_1`` (3x3, stride 2) follows conv1.
        first_padding: padding of conv1 (7x7, stride 1).
    """

    channels: tuple[int, int, int, int, int]
    hidden: tuple[int, int]
    first_pool: bool
    first_padding: int

    def feature_size(self, image_size: int = 32) -> int:
        """Height (= width) of the feature maps after ``max_pool_3``."""
        size = image_size + 2 * self.first_padding - 7 + 1  # conv1
        if self.first_pool:
            size = (size - 3) // 2 + 1  # max_pool_1
        size = (size - 3) // 2 + 1  # conv2 keeps the size; max_pool_2
        return size // 2  # conv3 ... conv5 keep the size; max_pool_3

    def narrowed(self, width: int) -> ElexNetConfig:
        """The same version with conv1's ``width`` channels instead of 16, and every other
        convolution and linear layer scaled by the same factor (``width / 16``)."""
        if not isinstance(width, int) or isinstance(width, bool) or width < 1:
            raise ValueError(f"width must be a positive int, got {width!r}")
        c1, c2, c3, c4, c5 = (c * width // ELEXNET_WIDTH for c in self.channels)  # all k * 16
        h1, h2 = (h * width // ELEXNET_WIDTH for h in self.hidden)
        return ElexNetConfig((c1, c2, c3, c4, c5), (h1, h2), self.first_pool, self.first_padding)


ELEXNET_WIDTH = 16  # channels of conv1 in every version of the report
ELEXNET_VERSIONS = {
    "a": ElexNetConfig((16, 32, 64, 128, 96), (384, 144), first_pool=True, first_padding=0),
    "b": ElexNetConfig((16, 64, 128, 256, 192), (768, 96), first_pool=True, first_padding=0),
    "c": ElexNetConfig((16, 64, 128, 256, 192), (1568, 1568), first_pool=False, first_padding=0),
    "d": ElexNetConfig((16, 64, 128, 256, 192), (1568, 1568), first_pool=False, first_padding=3),
}


class ElexNet(nn.Module):
    """ElexNet: five convolutions (7x7, 5x5, three 3x3) and three linear layers, after AlexNet.

    ``features`` holds the report's layers under the report's names, in its order (conv, ReLU,
    then batch norm, for conv1 and conv2): ``conv1, relu1, bn1, [max_pool_1,] conv2, relu2, bn2,
    max_pool_2, conv3, relu3, conv4, relu4, conv5, relu5, max_pool_3``; then ``fc1``, ``fc2``
    and ``fc3``.

    Args:
        config: the version, e.g. ``ELEXNET_VERSIONS["d"]``.
        num_classes: number of outputs (logits).

    Example:
        >>> import torch
        >>> ElexNet(ELEXNET_VERSIONS["a"])(torch.zeros(2, 3, 32, 32)).shape
        torch.Size([2, 10])
    """

    def __init__(self, config: ElexNetConfig, num_classes: int = 10) -> None:
        super().__init__()
        if num_classes < 1:
            raise ValueError(f"num_classes must be positive, got {num_classes}")
        c1, c2, c3, c4, c5 = config.channels
        layers = [
            ("conv1", nn.Conv2d(3, c1, 7, padding=config.first_padding)),
            ("relu1", nn.ReLU()), ("bn1", nn.BatchNorm2d(c1)),
            ("max_pool_1", nn.MaxPool2d(3, 2)),
            ("conv2", nn.Conv2d(c1, c2, 5, padding=2)),
            ("relu2", nn.ReLU()), ("bn2", nn.BatchNorm2d(c2)),
            ("max_pool_2", nn.MaxPool2d(3, 2)),
            ("conv3", nn.Conv2d(c2, c3, 3, padding=1)), ("relu3", nn.ReLU()),
            ("conv4", nn.Conv2d(c3, c4, 3, padding=1)), ("relu4", nn.ReLU()),
            ("conv5", nn.Conv2d(c4, c5, 3, padding=1)), ("relu5", nn.ReLU()),
            ("max_pool_3", nn.MaxPool2d(2, 2)),
        ]  # fmt: skip
        if not config.first_pool:
            layers = [(name, layer) for name, layer in layers if name != "max_pool_1"]
        self.features = nn.Sequential(OrderedDict(layers))
        h1, h2 = config.hidden
        self.fc1 = nn.Linear(c5 * config.feature_size() ** 2, h1)
        self.fc2 = nn.Linear(h1, h2)
        self.fc3 = nn.Linear(h2, num_classes)

    def forward(self, X: Tensor) -> Tensor:
        X = self.features(X)  # d: (N, 192, 7, 7)
        X = torch.flatten(X, 1)  # d: (N, 9408)
        X = F.relu(self.fc1(X))
        X = F.relu(self.fc2(X))
        return self.fc3(X)  # (N, num_classes)


def elexnet(version: str = "d", num_classes: int = 10, width: int = ELEXNET_WIDTH) -> ElexNet:
    """ElexNet of the lab report, in one of its four versions.

    - ``"a"``: the first version (conv widths 16, 32, 64, 128, 96; fc 384, 144; 70%).
    - ``"b"``: more filters in every convolution (16, 64, 128, 256, 192; fc 768, 96; 72%).
    - ``"c"``: no max pooling after conv1, which lost detail of the small images (77%).
    - ``"d"``: c with padding 3 on conv1 (7x7), so that the image borders are used (79%). The
      report's final network, whose parameter table it prints: fc1 and fc2 of 1568 units each,
      18,068,970 parameters. Its section e then tunes only the learning rate.

    The report shows the code of a and b, the parameter table of d, and describes c in words
    only: c removes the first pooling, and d then adds the padding and, by the text, nothing
    else. So c is given d's linear layers (1568, 1568) here, with fc1's input of
    192 x 6 x 6 instead of 192 x 7 x 7. That is our reading: between b's (768, 96) and d's
    table the linear layers widened, and the report does not say in which step. The table lists
    no activation between the linear layers, but torchsummary lists only modules and a stack of
    linear layers without one would collapse into a single linear map, so ``forward`` applies
    ``F.relu`` between them, as the tutorial network does.

    Args:
        version: ``"a"``, ``"b"``, ``"c"`` or ``"d"``.
        num_classes: number of outputs (logits).
        width: channels of conv1 (16: the report's networks); every other convolution and
            linear layer is scaled by ``width / 16``, a narrow copy of the same architecture for
            runs on a CPU.

    Returns:
        An ``ElexNet`` mapping (N, 3, 32, 32) to (N, num_classes).

    Example:
        >>> from course_lib.models.summary import count_parameters
        >>> count_parameters(elexnet()), count_parameters(elexnet("d", width=4))
        (18068970, 1133442)
    """
    if version not in ELEXNET_VERSIONS:
        raise ValueError(f"version must be one of {list(ELEXNET_VERSIONS)}, got {version!r}")
    config = ELEXNET_VERSIONS[version]
    if width != ELEXNET_WIDTH:
        config = config.narrowed(width)
    return ElexNet(config, num_classes)
