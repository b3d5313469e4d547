"""course_lib.models.summary: ``layer_summary`` and ``count_parameters``, lazy layers included."""

import pytest
import torch
from torch import nn

from course_lib.models import LayerSummary, count_parameters, layer_summary
from course_lib.models import lazy_lenet as lenet  # d2l's LeNet, lazy layers

LENET_SHAPES = [
    (1, 6, 28, 28),
    (1, 6, 28, 28),
    (1, 6, 14, 14),
    (1, 16, 10, 10),
    (1, 16, 10, 10),
    (1, 16, 5, 5),
    (1, 400),
    (1, 120),
    (1, 120),
    (1, 84),
    (1, 84),
    (1, 10),
]


def cifar_3_conv():
    """The assignment's model: three 5x5 conv blocks, then two fully connected layers."""
    layers = []
    for c_in, c_out in [(3, 32), (32, 64), (64, 128)]:
        layers += [nn.Conv2d(c_in, c_out, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2)]
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(2048, 64), nn.ReLU(), nn.Linear(64, 10))


def test_lenet_shapes_and_parameters():
    net = lenet()
    with pytest.raises(ValueError, match="uninitialized lazy parameters.*layer_summary"):
        count_parameters(net)
    summary = layer_summary(net, (1, 1, 28, 28))
    assert isinstance(summary, LayerSummary)
    assert summary.shapes() == LENET_SHAPES
    assert summary.total_params == summary.trainable_params == count_parameters(net) == 61_706
    assert [row[3] for row in summary.rows] == [156, 0, 0, 2416, 0, 0, 0, 48120, 0, 10164, 0, 850]
    assert [row[1] for row in summary.rows][:3] == ["Conv2d", "Sigmoid", "AvgPool2d"]
    assert net[0].weight.requires_grad


def test_lenet_str_and_d2l_formats():
    summary = layer_summary(lenet(), (1, 1, 28, 28))
    text = str(summary)
    for piece in ["Layer (type)", "Output shape", "Param #", "0 (Conv2d)", "[1, 16, 10, 10]"]:
        assert piece in text
    assert "Total params: 61,706" in text and "Trainable params: 61,706" in text
    assert "Non-trainable params: 0" in text and "48,120" in text
    lines = summary.d2l().splitlines()
    assert len(lines) == 12
    assert lines[0] == "Conv2d output shape:\t torch.Size([1, 6, 28, 28])"
    assert lines[6] == "Flatten output shape:\t torch.Size([1, 400])"


def test_cifar_model_parameters():
    net = cifar_3_conv()
    assert count_parameters(net) == 390_410
    summary = layer_summary(net, (1, 3, 32, 32))
    assert summary.total_params == 390_410
    assert summary.shapes()[8] == (1, 128, 4, 4)
    assert summary.shapes()[9:] == [(1, 2048), (1, 64), (1, 64), (1, 10)]
    conv_params = sum(n for _, kind, _, n in summary.rows if kind == "Conv2d")
    assert conv_params == 258_624


def test_trainable_only_and_frozen_layers():
    net = cifar_3_conv()
    for p in net[0].parameters():
        p.requires_grad_(False)
    assert count_parameters(net, trainable_only=True) == 390_410 - 2432
    summary = layer_summary(net, (1, 3, 32, 32))
    assert summary.trainable_params == 390_410 - 2432
    assert "Non-trainable params: 2,432" in str(summary)


def test_depth_none_reports_leaves_and_depth_1_the_children():
    net = nn.Sequential(
        nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU()),
        nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2)),
    )
    by_block = layer_summary(net, (2, 1, 8, 8))
    assert [row[:2] for row in by_block.rows] == [("0", "Sequential"), ("1", "Sequential")]
    assert by_block.shapes() == [(2, 4, 8, 8), (2, 2)]
    assert [row[3] for row in by_block.rows] == [40 + 8, 10]
    leaves = layer_summary(net, (2, 1, 8, 8), depth=None)
    assert [row[0] for row in leaves.rows] == ["0.0", "0.1", "0.2", "1.0", "1.1", "1.2"]
    assert leaves.shapes()[3:] == [(2, 4, 1, 1), (2, 4), (2, 2)]
    assert sum(row[3] for row in leaves.rows) == leaves.total_params == 58
    assert layer_summary(net, (2, 1, 8, 8), depth=2).shapes() == leaves.shapes()


def test_single_layer_model_reports_itself():
    summary = layer_summary(nn.Conv2d(1, 2, 3), (1, 1, 5, 5))
    assert summary.rows == [("", "Conv2d", (1, 2, 3, 3), 20)]
    assert "Conv2d" in str(summary)


def test_modes_restored_and_global_rng_untouched():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Dropout(0.5), nn.BatchNorm2d(2))
    net.train()
    net[2].eval()  # a frozen batch-norm layer stays in eval mode
    state = torch.get_rng_state()
    running_mean = net[2].running_mean.clone()
    layer_summary(net, (1, 1, 5, 5))
    assert net.training and net[1].training and not net[2].training
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(net[2].running_mean, running_mean)  # eval mode: statistics untouched
    net.eval()
    layer_summary(net, (1, 1, 5, 5))
    assert not net.training and not net[0].training


def test_modes_restored_when_forward_fails():
    net = nn.Sequential(nn.Linear(3, 2))
    with pytest.raises(RuntimeError):
        layer_summary(net, (1, 4))
    assert net.training
    assert not net[0]._forward_hooks


def test_tuple_outputs_report_the_first_tensor():
    class TwoHeads(nn.Module):
        def forward(self, X):
            return X.sum(1), X

    net = nn.Sequential(TwoHeads())
    assert layer_summary(net, (2, 3)).shapes() == [(2,)]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"input_shape": 28}, r"input_shape must be a tuple of positive ints"),
        ({"input_shape": (1, 0, 28)}, r"input_shape must be a tuple of positive ints"),
        ({"input_shape": (1, 1, 28, 28), "depth": 0}, r"depth must be a positive int or None"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layer_summary(lenet(), **kwargs)


def test_non_module_raises_type_error():
    with pytest.raises(TypeError, match="expects an nn.Module, got list"):
        count_parameters([nn.Linear(2, 2)])
    with pytest.raises(TypeError, match="expects an nn.Module"):
        layer_summary(lambda X: X, (1, 2))


def test_torchsummary_lists_blocks_after_their_layers_and_counts_own_parameters():
    from course_lib.models.summary import TorchSummary, torchsummary

    class Block(nn.Module):  # a module that is not a container: torchsummary lists it
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(2, 2, 3, padding=1), nn.BatchNorm2d(2))
            self.scale = nn.Parameter(torch.ones(1))

        def forward(self, X):
            return self.body(X) * self.scale

    net = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), Block(), nn.Flatten(), nn.Linear(32, 3))
    summary = torchsummary(net, (1, 4, 4), batch_size=500)
    assert isinstance(summary, TorchSummary)
    kinds = [kind for _, kind, _, _ in summary.rows]
    assert kinds == ["Conv2d", "Conv2d", "BatchNorm2d", "Block", "Flatten", "Linear"]
    assert [n for *_, n in summary.rows] == [20, 38, 4, 1, 0, 99]  # Block: only its own scale
    assert summary.shapes()[0] == (500, 2, 4, 4) and summary.shapes()[-1] == (500, 3)
    assert summary.total_params == count_parameters(net) == 162
    text = str(summary).splitlines()
    assert text[1].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#"]
    assert text[3].split() == ["Conv2d-1", "[500,", "2,", "4,", "4]", "20"]
    assert "Total params: 162" in text and "Params size (MB): 0.00" in text
    per_image = torchsummary(net, (1, 4, 4))
    assert per_image.shapes()[0] == (-1, 2, 4, 4)
    outputs = 4 * 32 + 32 + 3  # four (2, 4, 4) maps, the flattened 32 and the 3 scores
    assert per_image.sizes_mb()["forward_backward"] == pytest.approx(2 * outputs * 4 / 2**20)
    with pytest.raises(ValueError, match="batch_size must be a positive int or -1"):
        torchsummary(net, (1, 4, 4), batch_size=0)


def test_torchsummary_sizes_reproduce_the_lab_reports_resnet18_footer():
    """The report's ResNet-18 rows (58, batch 500) give the sizes it prints at their foot."""
    from course_lib.models.summary import TorchSummary
    from course_lib.scorecard import reference

    rows = [
        (str(i), kind, tuple(shape), n)
        for i, (kind, shape, n) in enumerate(reference("lab_report.resnet18_summary"))
    ]
    total = sum(n for *_, n in rows)
    summary = TorchSummary(rows, (3, 32, 32), total, total, batch_size=500)
    printed = reference("lab_report.resnet18_summary_sizes_mb")
    assert {k: round(v, 2) for k, v in summary.sizes_mb().items()} == printed
    assert "Forward/backward pass size (MB): 6812.54" in str(summary)
