"""The networks of the book, one family per module, and tools to inspect them."""

from course_lib.models.cifar import ElexNet, ShallowCNN, elexnet, shallow_cnn
from course_lib.models.cifar_tricks import example_cnn, trick_cnn
from course_lib.models.decoders import (
    DecoderBlock,
    ResNetDecoder,
    Unpool,
    encoder_upto,
    resnet18_decoder,
    warm_start,
)
from course_lib.models.imagenet import WeightsNotFoundError, imagenet_categories, imagenet_resnet18
from course_lib.models.lenet import init_cnn, lenet, modern_lenet
from course_lib.models.lenet5 import lenet5
from course_lib.models.pretrained import pytorchcv_resnet
from course_lib.models.resnet import Residual, resnet18
from course_lib.models.resnet_cifar import (
    CHECKPOINTS,
    BasicBlock,
    ResNet,
    checkpoints,
    load_pretrained,
    resnet18_cifar,
    resnet20_cifar,
    resnet56_cifar,
)
from course_lib.models.summary import LayerSummary, count_parameters, layer_summary
from course_lib.models.vgg import vgg, vgg11, vgg16, vgg19, vgg_block

__all__ = [
    "CHECKPOINTS",
    "BasicBlock",
    "DecoderBlock",
    "ElexNet",
    "LayerSummary",
    "ResNet",
    "ResNetDecoder",
    "Residual",
    "ShallowCNN",
    "Unpool",
    "WeightsNotFoundError",
    "checkpoints",
    "elexnet",
    "encoder_upto",
    "example_cnn",
    "imagenet_categories",
    "imagenet_resnet18",
    "lenet5",
    "load_pretrained",
    "pytorchcv_resnet",
    "resnet18_cifar",
    "resnet18_decoder",
    "resnet20_cifar",
    "resnet56_cifar",
    "shallow_cnn",
    "trick_cnn",
    "count_parameters",
    "init_cnn",
    "layer_summary",
    "lenet",
    "modern_lenet",
    "resnet18",
    "vgg",
    "vgg11",
    "vgg16",
    "vgg19",
    "vgg_block",
    "warm_start",
]
