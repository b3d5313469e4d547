"""Every model of the book: output shape, parameter count, a backward pass, layer shapes."""

import pytest
import torch
from torch import nn

from course_lib.models import count_parameters, layer_summary
from course_lib.models.d2l_lenet import lazy_lenet, lenet, modern_lenet
from course_lib.models.resnet import Residual, resnet18
from course_lib.models.vgg import VGG11, VGG16, VGG19, vgg, vgg11, vgg16, vgg19
from course_lib.scorecard import reference


def d2l_style_vgg(arch, width=4096):
    """VGG as d2l writes it (``width`` 4096), with lazy layers: an independent count."""
    blocks = []
    for num_convs, channels in arch:
        layers = []
        for _ in range(num_convs):
            layers += [nn.LazyConv2d(channels, 3, padding=1), nn.ReLU()]
        blocks.append(nn.Sequential(*layers, nn.MaxPool2d(2, 2)))
    head = [nn.Flatten(), nn.LazyLinear(width), nn.ReLU(), nn.LazyLinear(width), nn.ReLU()]
    head.append(nn.LazyLinear(10))
    return nn.Sequential(*blocks, *head)


def lazy_count(model, shape):
    model(torch.zeros(shape))
    return count_parameters(model)


SMALL_VGG = ((1, 16), (1, 32), (2, 64), (2, 128), (2, 128))  # d2l's VGG for training

# (builder, input shape, expected parameter count or a callable giving it)
MODELS = {
    "lenet": (lenet, (2, 1, 28, 28), 61_706),
    "modern_lenet": (modern_lenet, (2, 1, 28, 28), 61_706),
    "lazy_lenet": (lazy_lenet, (2, 1, 28, 28), 61_706),
    "vgg_small_32": (
        lambda: vgg(SMALL_VGG, image_size=32),
        (2, 1, 32, 32),
        lambda: lazy_count(d2l_style_vgg(SMALL_VGG), (1, 1, 32, 32)),
    ),
    "vgg_small_32_narrow_classifier": (  # the VGG chapter's quick network
        lambda: vgg(SMALL_VGG, image_size=32, classifier_width=512),
        (2, 1, 32, 32),
        lambda: lazy_count(d2l_style_vgg(SMALL_VGG, width=512), (1, 1, 32, 32)),
    ),
    "resnet18": (resnet18, (2, 1, 96, 96), None),
}


@pytest.mark.parametrize("name", MODELS)
def test_shape_parameters_and_backward(name):
    builder, shape, expected = MODELS[name]
    torch.manual_seed(0)
    model = builder()
    X = torch.randn(shape)
    Y = model(X)
    assert Y.shape == (shape[0], 10)
    if expected is not None:
        assert count_parameters(model) == (expected() if callable(expected) else expected)
    Y.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("builder, arch", [(vgg11, VGG11), (vgg16, VGG16), (vgg19, VGG19)])
def test_vgg_parameter_counts_match_d2l_construction(builder, arch):
    assert count_parameters(builder()) == lazy_count(d2l_style_vgg(arch), (1, 1, 224, 224))


def test_resnet18_parameter_count_matches_the_blocks():
    model = resnet18()
    stem = 64 * 49 + 64 + 2 * 64  # conv (weights, bias), batch-norm scale and shift
    expected = stem + sum(count_parameters(stage) for stage in model[1:5]) + 512 * 10 + 10
    assert count_parameters(model) == expected
    assert count_parameters(Residual(64, 64)) == 2 * (64 * 64 * 9 + 64) + 2 * 2 * 64


@pytest.mark.parametrize(
    "builder, shape, key",
    [
        (lenet, (1, 1, 28, 28), "lenet_28x28"),
        (vgg11, (1, 1, 224, 224), "vgg11_224"),
        (resnet18, (1, 1, 96, 96), "resnet18_96"),
    ],
)
def test_layer_shapes_are_those_the_homework_prints(builder, shape, key):
    shapes = [list(s) for s in layer_summary(builder(), shape).shapes()]
    assert shapes == reference(f"d2l_homework.layer_summaries.{key}")


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="activation must be one of"):
        lenet(activation="gelu")
    with pytest.raises(ValueError, match="divisible by 2\\*\\*5"):
        vgg11(image_size=100)
    with pytest.raises(ValueError, match="use_1x1conv=True"):
        Residual(3, 6)
