"""The networks of the book, one family per module, and tools to inspect them."""

from course_lib.models.lenet import init_cnn, lenet, modern_lenet
from course_lib.models.resnet import Residual, resnet18
from course_lib.models.summary import LayerSummary, count_parameters, layer_summary
from course_lib.models.vgg import vgg, vgg11, vgg16, vgg19, vgg_block

__all__ = [
    "LayerSummary",
    "Residual",
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
]
