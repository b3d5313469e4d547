"""course_lib.models.decoders: shapes for every checkpoint, the mirrored layout, parameter
counts, initialisation and warm starts."""

import math

import pytest
import torch
from torch import nn

from course_lib.models import (
    ResNet,
    ResNetDecoder,
    checkpoints,
    count_parameters,
    encoder_upto,
    resnet18_cifar,
    resnet18_decoder,
    warm_start,
)

TABLE_1 = [(64, 32, 32), (128, 16, 16), (256, 8, 8), (512, 4, 4), (512, 1, 1), (10,)]


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("k", range(1, 7))
def test_each_decoder_rebuilds_the_input_shape_from_its_checkpoint(resnet_and_checkpoints, k):
    _, X, Zs = resnet_and_checkpoints
    decoder = resnet18_decoder(k).eval()
    assert decoder.input_shape == TABLE_1[k - 1] == tuple(Zs[k - 1].shape[1:])
    with torch.no_grad():
        assert decoder(Zs[k - 1]).shape == X.shape


def test_a_decoder_takes_only_its_own_checkpoint():
    with pytest.raises(ValueError, match=r"checkpoint 3 takes \(N, 256, 8, 8\)"):
        resnet18_decoder(3)(torch.zeros(1, 128, 16, 16))
    for bad in (0, 7, True):
        with pytest.raises(ValueError, match="checkpoint must be 1 to 6"):
            resnet18_decoder(bad)


def test_a_decoder_holds_only_what_undoes_the_layers_before_its_checkpoint():
    names = {k: [n for n, _ in resnet18_decoder(k).named_children()] for k in range(1, 7)}
    assert names[1] == ["stage1", "init_block"]
    assert names[4] == ["stage4", "stage3", "stage2", "stage1", "init_block"]
    assert names[5] == ["final_pool", *names[4]]
    assert names[6] == ["output", *names[5]]
    for k in range(1, 6):  # each decoder contains the one before it
        assert names[k + 1][-len(names[k]) :] == names[k]


def _decoder_count(k):
    """Parameters of decoder k, counted from the thesis's layer list."""

    def convt(a, b, kernel, bias=False):
        return a * b * kernel * kernel + (b if bias else 0)

    def block(a, b):  # two 3x3 transposed convs with batch norm, a 1x1 shortcut if a != b
        shortcut = convt(a, b, 1) + 2 * b if a != b else 0
        return convt(a, a, 3) + 2 * a + convt(a, b, 3) + 2 * b + shortcut

    widths = (64, 64, 128, 256, 512)
    total = convt(64, 3, 3, bias=True)
    for s in range(1, min(k, 4) + 1):
        total += block(widths[s], widths[s]) + block(widths[s], widths[s - 1])
    if k >= 5:
        total += 512 * 4 * 4  # the unpooling's learnable tensor
    if k == 6:
        total += 10 * 512 + 512
    return total


@pytest.mark.parametrize("k", range(1, 7))
def test_parameter_counts_follow_from_the_layer_list(k):
    assert count_parameters(resnet18_decoder(k)) == _decoder_count(k)


def test_initialisation_draws_from_the_thesis_bounds():
    torch.manual_seed(0)
    decoder = resnet18_decoder(6)
    for module in decoder.modules():
        if isinstance(module, nn.ConvTranspose2d):
            bound = math.sqrt(1 / (module.out_channels * math.prod(module.kernel_size)))
            w = module.weight
            assert w.abs().max() <= bound and w.abs().max() > 0.9 * bound
            assert abs(w.std().item() - bound / math.sqrt(3)) < 0.1 * bound  # uniform
    bound = math.sqrt(1 / 10)
    assert decoder.output.weight.abs().max() <= bound
    assert decoder.output.weight.abs().max() > 0.9 * bound
    assert torch.equal(decoder.final_pool.weight, torch.ones(512, 4, 4))


def test_warm_start_copies_every_shared_module_and_leaves_new_ones():
    torch.manual_seed(0)
    previous, decoder = resnet18_decoder(4), resnet18_decoder(5)
    with torch.no_grad():
        previous.stage2.unit1.body.conv1.bn.running_mean.fill_(0.5)  # buffers travel too
    fresh_unpool = decoder.final_pool.weight.detach().clone()
    assert warm_start(decoder, previous) == ["stage4", "stage3", "stage2", "stage1", "init_block"]
    for name, value in previous.state_dict().items():
        assert torch.equal(decoder.state_dict()[name], value), name
    assert torch.equal(decoder.final_pool.weight, fresh_unpool)
    with pytest.raises(ValueError, match="no modules"):
        warm_start(resnet18_decoder(3), resnet18_decoder(4))


def test_decoders_of_other_resnets_mirror_them_too():
    model = ResNet((3, 1), (8, 16), init_channels=4, num_classes=3, image_size=8).eval()
    X = torch.randn(2, 3, 8, 8)
    for k in range(1, 5):
        decoder = ResNetDecoder(k, (3, 1), (8, 16), init_channels=4, num_classes=3, image_size=8)
        with torch.no_grad():
            assert decoder(encoder_upto(model, k)(X)).shape == X.shape
    stage1 = ResNetDecoder(1, (3, 1), (8, 16), init_channels=4, image_size=8).stage1
    assert [unit.identity_conv is None for unit in stage1] == [True, True, False]  # 8 -> 4 last
    with pytest.raises(ValueError, match="divisible"):
        ResNetDecoder(1, (1, 1, 1), (4, 8, 16), init_channels=4, image_size=6)


def test_narrow_decoders_mirror_a_narrow_resnet18():
    from course_lib.train.reconstruction import checkpoint_name

    model = resnet18_cifar(width=8).eval()
    X = torch.zeros(2, 3, 32, 32)
    names = [checkpoint_name(model, k) for k in range(1, 7)]
    for k, Z in zip(range(1, 7), checkpoints(model, X, names), strict=True):
        decoder = resnet18_decoder(k, width=8)
        assert tuple(Z.shape[1:]) == decoder.input_shape and decoder(Z).shape == X.shape
