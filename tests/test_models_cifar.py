"""The CIFAR networks of the lab report and of the tricks assignment, Ho's LeNet-5 and the CIFAR
ResNets: output shape, parameter count, a backward pass, pytorchcv's names."""

import pytest
import torch
from torch import nn

from course_lib.models.cifar import elexnet, shallow_cnn
from course_lib.models.cifar_tricks import example_cnn, trick_cnn
from course_lib.models.ho_lenet5 import lenet5
from course_lib.models.resnet_cifar import (
    ResNet,
    resnet18_cifar,
    resnet20_cifar,
    resnet56_cifar,
)
from course_lib.models.summary import count_parameters, layer_summary

# Independent counts, written from the layer lists of the documents.


def conv(in_channels, out_channels, k, bias=True):
    return in_channels * out_channels * k * k + (out_channels if bias else 0)


def linear(in_features, out_features):
    return in_features * out_features + out_features


def bn(channels):
    return 2 * channels  # scale and shift


def elexnet_count(channels, hidden, side):
    """Five convs (7, 5, 3, 3, 3) with batch norm after the first two; side: final map size."""
    c = (3, *channels)
    convs = sum(conv(c[i], c[i + 1], k) for i, k in enumerate((7, 5, 3, 3, 3)))
    fcs = linear(c[5] * side * side, hidden[0]) + linear(*hidden) + linear(hidden[1], 10)
    return convs + bn(c[1]) + bn(c[2]) + fcs


def trick_count(channels, k, side, batch_norm=False):
    c = (3, *channels)
    convs = sum(conv(a, b, k) + batch_norm * bn(b) for a, b in zip(c, c[1:], strict=False))
    return convs + linear(c[-1] * side * side, 64) + batch_norm * bn(64) + linear(64, 10)


def resnet_count(layers, widths, stem, num_classes):
    total, width = conv(3, stem, 3, bias=False) + bn(stem), stem
    for i, (num_blocks, out) in enumerate(zip(layers, widths, strict=True)):
        for j in range(num_blocks):
            total += 2 * bn(out) + conv(width, out, 3, False) + conv(out, out, 3, False)
            if j == 0 and (i > 0 or width != out):
                total += conv(width, out, 1, False) + bn(out)  # 1x1 shortcut
            width = out
    return total + linear(width, num_classes)


A = (16, 32, 64, 128, 96)  # ElexNet's conv widths in version a
B = (16, 64, 128, 256, 192)  # and from version b on
CIFAR, MNIST32 = (2, 3, 32, 32), (2, 1, 32, 32)

# name: (builder, input shape, number of outputs, parameter count)
MODELS = {
    "shallow_cnn": (shallow_cnn, CIFAR, 10, 62_006),
    # side: a, b: 32 -conv1-> 26 -pool-> 12 -pool-> 5 -pool-> 2; c: 26 -> 12 -> 6; d: 32 -> 15 -> 7
    "elexnet_a": (lambda: elexnet("a"), CIFAR, 10, elexnet_count(A, (384, 144), 2)),
    "elexnet_b": (lambda: elexnet("b"), CIFAR, 10, elexnet_count(B, (768, 96), 2)),
    "elexnet_c": (lambda: elexnet("c"), CIFAR, 10, elexnet_count(B, (1568, 1568), 6)),
    "elexnet_d": (elexnet, CIFAR, 10, 18_068_970),
    "elexnet_d_width_4": (
        lambda: elexnet("d", width=4), CIFAR, 10, elexnet_count((4, 16, 32, 64, 48), (392, 392), 7)
    ),
    "elexnet_a_width_2": (
        lambda: elexnet("a", width=2), CIFAR, 10, elexnet_count((2, 4, 8, 16, 12), (48, 18), 2)
    ),
    "example_cnn": (example_cnn, CIFAR, 10, 390_410),
    "model1": (trick_cnn, CIFAR, 10, trick_count((64, 64, 64), 5, 4)),
    "model2": (lambda: trick_cnn("model2"), CIFAR, 10, trick_count((32, 64, 128), 4, 4)),
    "model1_all_tricks": (
        lambda: trick_cnn(batch_norm=True, dropout=0.25, leaky_relu=0.1, kaiming_normal=True),
        CIFAR, 10, trick_count((64, 64, 64), 5, 4, batch_norm=True),
    ),
    "model2_all_tricks": (
        lambda: trick_cnn("model2", True, 0.25, 0.1, kaiming_normal=True),
        CIFAR, 10, trick_count((32, 64, 128), 4, 4, batch_norm=True),
    ),
    "trick_final": (lambda: trick_cnn("final"), CIFAR, 10, trick_count((128,) * 4, 5, 2, True)),
    "lenet5": (lenet5, MNIST32, 10, 61_706),
    "lenet5_dropout": (lambda: lenet5(dropout=True), MNIST32, 10, 61_706),
    "resnet18_cifar": (resnet18_cifar, CIFAR, 10, 11_173_962),
    "resnet20_cifar": (resnet20_cifar, CIFAR, 100, 278_324),
    "resnet56_cifar": (resnet56_cifar, CIFAR, 100, 861_620),
}  # fmt: skip


@pytest.mark.parametrize("name", MODELS)
def test_shape_parameters_and_backward(name):
    builder, shape, num_outputs, expected = MODELS[name]
    torch.manual_seed(0)
    model = builder()
    Y = model(torch.randn(shape))
    assert Y.shape == (shape[0], num_outputs)
    assert count_parameters(model) == expected
    Y.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_the_documents_counts_agree_with_the_layer_lists():
    assert elexnet_count(B, (1568, 1568), 7) == 18_068_970
    assert trick_count((32, 64, 128), 5, 4) == 390_410
    assert (
        linear(120, 84) + linear(84, 10) + conv(1, 6, 5) + conv(6, 16, 5) + conv(16, 120, 5)
        == 61_706
    )
    assert resnet_count((2, 2, 2, 2), (64, 128, 256, 512), 64, 10) == 11_173_962
    assert resnet_count((3, 3, 3), (16, 32, 64), 16, 100) == 278_324
    assert resnet_count((9, 9, 9), (16, 32, 64), 16, 100) == 861_620


def test_elexnet_summary_is_the_reports_table():
    rows = layer_summary(elexnet(), (1, 3, 32, 32), depth=None).rows
    table = [  # the report's table: type, output shape without the batch, parameters
        ("Conv2d", (16, 32, 32), 2368), ("ReLU", (16, 32, 32), 0),
        ("BatchNorm2d", (16, 32, 32), 32),
        ("Conv2d", (64, 32, 32), 25664), ("ReLU", (64, 32, 32), 0),
        ("BatchNorm2d", (64, 32, 32), 128), ("MaxPool2d", (64, 15, 15), 0),
        ("Conv2d", (128, 15, 15), 73856), ("ReLU", (128, 15, 15), 0),
        ("Conv2d", (256, 15, 15), 295168), ("ReLU", (256, 15, 15), 0),
        ("Conv2d", (192, 15, 15), 442560), ("ReLU", (192, 15, 15), 0),
        ("MaxPool2d", (192, 7, 7), 0),
        ("Linear", (1568,), 14753312), ("Linear", (1568,), 2460192), ("Linear", (10,), 15690),
    ]  # fmt: skip
    assert [(kind, shape[1:], n) for _, kind, shape, n in rows] == table


def test_lenet5_has_figure_1_names_and_dropout_only_in_training():
    names = ["conv1", "tanh1", "pool1", "conv2", "tanh2", "pool2", "conv3", "tanh3", "flatten"]
    names += ["linr1", "tanh4", "linr2"]
    assert list(lenet5()._modules) == names
    with_dropout = lenet5(dropout=True)
    assert [m.p for m in with_dropout.modules() if isinstance(m, nn.Dropout)] == [0.2] * 4
    plain = lenet5()
    with_dropout.load_state_dict(plain.state_dict())
    X = torch.randn(4, 1, 32, 32)
    torch.testing.assert_close(with_dropout.eval()(X), plain.eval()(X))


def test_trick_switches():
    final = trick_cnn("final")
    assert isinstance(final.classifier[1], nn.BatchNorm1d)
    assert [m.negative_slope for m in final.modules() if isinstance(m, nn.LeakyReLU)] == [0.2] * 5
    assert not any(
        isinstance(m, nn.BatchNorm2d) for m in trick_cnn("final", batch_norm=False).modules()
    )
    assert len(trick_cnn("final", channels=(128,) * 3).feature_extractor) == 12
    torch.manual_seed(0)
    fan_in = 64 * 5 * 5  # the second convolution of Model 1
    kaiming = trick_cnn(kaiming_normal=True).feature_extractor[3].weight
    default = trick_cnn().feature_extractor[3].weight
    assert kaiming.std().item() == pytest.approx((2 / fan_in) ** 0.5, rel=0.05)
    assert default.std().item() == pytest.approx((1 / (3 * fan_in)) ** 0.5, rel=0.05)
    narrow = trick_cnn("model2", width=0.25)
    assert [m.out_channels for m in narrow.modules() if isinstance(m, nn.Conv2d)] == [8, 16, 32]
    assert narrow.classifier[0].in_features == 32 * 4 * 4
    assert narrow(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    with pytest.raises(ValueError, match="width"):
        trick_cnn(width=0)


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="version must be one of"):
        elexnet("e")
    with pytest.raises(ValueError, match="width must be a positive int"):
        elexnet("d", width=0)
    with pytest.raises(ValueError, match="width must be a positive int"):
        elexnet("d", width=2.5)
    with pytest.raises(ValueError, match="variant must be one of"):
        trick_cnn("model3")
    with pytest.raises(ValueError, match="must lie in"):
        trick_cnn(dropout=1.0)
    with pytest.raises(ValueError, match="must lie in"):
        trick_cnn(leaky_relu=-0.1)
    with pytest.raises(ValueError, match="shrink a 32x32 image"):
        trick_cnn(channels=(64,) * 6)
    with pytest.raises(ValueError, match="channels must be positive"):
        trick_cnn(channels=())
    with pytest.raises(ValueError, match="dropout must be True or False"):
        lenet5(dropout=0.2)
    with pytest.raises(ValueError, match="num_classes must be positive"):
        shallow_cnn(num_classes=0)
    with pytest.raises(ValueError, match="one positive entry per stage"):
        ResNet((2, 2), (64,), init_channels=64)
    with pytest.raises(ValueError, match="divisible"):
        ResNet((1, 1, 1, 1), (8, 8, 8, 8), init_channels=8, image_size=20)


def test_resnet18_table_is_the_lab_reports_but_for_the_modules_it_calls_as_functions():
    """torchsummary of resnet18_cifar at batch 500 is the report's 58 rows once the block's
    last ReLU and the average pooling, which the report calls as functions, are left out."""
    import re

    from course_lib.models.summary import torchsummary
    from course_lib.scorecard import reference

    summary = torchsummary(resnet18_cifar(), (3, 32, 32), batch_size=500)
    kept = [
        ("ResidualBlock" if kind == "BasicBlock" else kind, list(shape), n)
        for name, kind, shape, n in summary.rows
        if not re.search(r"unit\d+\.activ$", name) and kind != "AvgPool2d"
    ]
    assert kept == [tuple(row) for row in reference("lab_report.resnet18_summary")]
    assert len(summary.rows) == 58 + 8 + 1
    assert summary.total_params == 11_173_962
