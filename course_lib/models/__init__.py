"""The networks of the book, one family per module, and tools to inspect them.

- ``d2l_lenet``: d2l's LeNet for 28x28 images (``lenet``, ``lazy_lenet``, ``modern_lenet``);
- ``ho_lenet5``: Ho's LeNet-5 for 32x32 images, with the layer names of his figures;
- ``vgg``, ``resnet``: VGG and ResNet-18 in d2l's form;
- ``cifar``: the small CIFAR-10 networks of the lab report (``shallow_cnn``, ``elexnet``);
- ``cifar_tricks``: the CIFAR-10 networks of the assignment on CNN tricks;
- ``resnet_cifar``: the CIFAR ResNets (ResNet-18, -20, -56) with pytorchcv's module names;
- ``pretrained``: pytorchcv's pretrained weights for them;
- ``imagenet``: torchvision's ImageNet ResNet-18;
- ``probes``: the decoder thesis's checkpoints, the layers whose outputs it reads;
- ``decoder_blocks``, ``decoders``: the decoders that rebuild an image from a checkpoint;
- ``summary``: ``layer_summary``, ``layer_macs`` and ``count_parameters``.
"""

from course_lib.models.cifar import ELEXNET_VERSIONS, ElexNet, ShallowCNN, elexnet, shallow_cnn
from course_lib.models.cifar_tricks import example_cnn, trick_cnn
from course_lib.models.d2l_lenet import init_cnn, lazy_lenet, lenet, modern_lenet
from course_lib.models.decoder_blocks import DecoderBlock, Unpool
from course_lib.models.decoders import ResNetDecoder, resnet18_decoder, warm_start
from course_lib.models.ho_lenet5 import lenet5
from course_lib.models.imagenet import WeightsNotFoundError, imagenet_categories, imagenet_resnet18
from course_lib.models.pretrained import PYTORCHCV, load_pretrained, pytorchcv_resnet
from course_lib.models.probes import CHECKPOINTS, checkpoints, encoder_upto
from course_lib.models.resnet import Residual, resnet18
from course_lib.models.resnet_cifar import (
    BasicBlock,
    ResNet,
    resnet18_cifar,
    resnet20_cifar,
    resnet56_cifar,
)
from course_lib.models.summary import (
    LayerSummary,
    TorchSummary,
    count_parameters,
    layer_macs,
    layer_summary,
    torchsummary,
)
from course_lib.models.vgg import VGG11, vgg, vgg11, vgg16, vgg19, vgg_block

__all__ = [
    "CHECKPOINTS",
    "ELEXNET_VERSIONS",
    "PYTORCHCV",
    "VGG11",
    "BasicBlock",
    "DecoderBlock",
    "ElexNet",
    "LayerSummary",
    "ResNet",
    "ResNetDecoder",
    "Residual",
    "ShallowCNN",
    "TorchSummary",
    "Unpool",
    "WeightsNotFoundError",
    "checkpoints",
    "count_parameters",
    "elexnet",
    "encoder_upto",
    "example_cnn",
    "imagenet_categories",
    "imagenet_resnet18",
    "init_cnn",
    "layer_macs",
    "layer_summary",
    "lazy_lenet",
    "lenet",
    "lenet5",
    "load_pretrained",
    "modern_lenet",
    "pytorchcv_resnet",
    "resnet18",
    "resnet18_cifar",
    "resnet18_decoder",
    "resnet20_cifar",
    "resnet56_cifar",
    "shallow_cnn",
    "torchsummary",
    "trick_cnn",
    "vgg",
    "vgg11",
    "vgg16",
    "vgg19",
    "vgg_block",
    "warm_start",
]
