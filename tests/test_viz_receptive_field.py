"""Receptive fields by the recurrence over the layers and by autograd, and their drawing."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from course_lib.models import modern_lenet, vgg_block  # noqa: E402
from course_lib.viz import draw_receptive_field, receptive_field  # noqa: E402


def randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def recurrence(layers):
    """r and j of a stack of (k, s, p, d) layers, and the first pixel seen by unit 0."""
    r, j, start = 1, 1, 0
    for k, s, p, d in layers:
        r, j, start = r + d * (k - 1) * j, j * s, start - p * j
    return r, j, start


STACK = [(3, 1, 0, 1), (3, 1, 0, 1), (2, 2, 0, 1), (3, 1, 1, 1), (2, 2, 0, 1)]


def conv_pool_stack():
    return nn.Sequential(
        nn.Conv2d(2, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3), nn.BatchNorm2d(4), nn.ReLU(),
        nn.MaxPool2d(2), nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
    )  # fmt: skip


@pytest.mark.parametrize("unit", [(0, 0, 0), (3, 2, 3), (7, 4, 4), (1, 0, 4)])
def test_receptive_field_matches_the_recurrence_and_autograd(unit):
    model = conv_pool_stack()
    rf = receptive_field(model, (2, 24, 24), unit=unit)
    r, j, start = recurrence(STACK)
    assert (r, j) == (12, 4) and rf.size == (r, r) and rf.jump == (j, j)
    top, left = start + unit[1] * j, start + unit[2] * j
    assert rf.region == (top, left, top + r, left + r)
    assert rf.mask_bounds == rf.bounds  # the autograd mask fills the region, clipped
    assert rf.mask.sum() == (rf.bounds[2] - rf.bounds[0]) * (rf.bounds[3] - rf.bounds[1])
    # The real model (random weights, ReLU, max pooling) ignores every pixel outside the mask.
    X = randn(1, 2, 24, 24, seed=6).float()
    model.eval()
    Y = model(X)[(0, *unit)]
    noise = randn(1, 2, 24, 24, seed=7).float() * ~rf.mask
    assert model(X + noise)[(0, *unit)] == Y


def test_receptive_field_of_lenet_and_vgg():
    rf = receptive_field(modern_lenet()[:6], (1, 28, 28), unit=(3, 1, 1))
    assert rf.output_shape == (16, 5, 5) and rf.size == (16, 16) and rf.jump == (4, 4)
    assert rf.bounds == rf.mask_bounds == (2, 2, 18, 18)
    rf = receptive_field(modern_lenet()[:6], (1, 28, 28), unit=(0, 0, 0))
    assert rf.region == (-2, -2, 14, 14) and rf.bounds == rf.mask_bounds == (0, 0, 14, 14)
    vgg_first_blocks = nn.Sequential(vgg_block(1, 1, 64), vgg_block(1, 64, 128))  # as vgg11()[:2]
    rf = receptive_field(vgg_first_blocks, (1, 32, 32))  # the centre unit of channel 0
    assert rf.unit == (0, 4, 4) and rf.size == (10, 10) and rf.jump == (4, 4)
    assert rf.mask_bounds == rf.bounds == (13, 13, 23, 23)


def test_receptive_field_with_holes_and_dilation():
    rf = receptive_field(nn.Sequential(nn.Conv2d(1, 1, 1, stride=2), nn.Conv2d(1, 1, 3)),
                         (1, 12, 12), unit=(0, 1, 1))  # fmt: skip
    assert rf.size == (5, 5) and int(rf.mask.sum()) == 9 and rf.mask_bounds == rf.bounds
    rf = receptive_field(nn.Conv2d(1, 1, 3, dilation=2, padding="same"), (1, 9, 9), (0, 4, 4))
    assert rf.size == (5, 5) and rf.region == (2, 2, 7, 7) and int(rf.mask.sum()) == 9


def test_receptive_field_leaves_the_model_alone_and_rejects_bad_input():
    model = conv_pool_stack()
    before = [p.clone() for p in model.parameters()]
    receptive_field(model, (2, 24, 24))
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    with pytest.raises(TypeError, match="Flatten"):
        receptive_field(modern_lenet(), (1, 28, 28))
    with pytest.raises(ValueError, match="not in the output"):
        receptive_field(model, (2, 24, 24), unit=(0, 5, 0))
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        receptive_field(model, (24, 24))


def test_draw_receptive_field():
    rf = receptive_field(modern_lenet()[:6], (1, 28, 28), unit=(3, 0, 4))
    fig, ax = draw_receptive_field(rf, image=torch.rand(1, 28, 28))
    assert ax.get_xlabel() == "input column" and ax.get_ylabel() == "input row"
    box = [p for p in ax.patches if p.get_linestyle() == "--"][0]
    assert (box.get_x(), box.get_y(), box.get_width()) == (14 - 0.5, -2 - 0.5, 16)
    assert "padding" in fig.legends[0].get_texts()[1].get_text()
