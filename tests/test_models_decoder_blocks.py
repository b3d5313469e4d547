"""course_lib.models.decoder_blocks: the mirrored residual blocks and the learnable unpooling."""

import pytest
import torch
from torch import nn

from course_lib.models import (
    Unpool,
    resnet18_decoder,
)
from course_lib.models.decoder_blocks import DecoderBlock

pytestmark = pytest.mark.usefixtures("one_thread")


def test_blocks_mirror_the_residual_blocks_stride_and_shortcut_come_last():
    decoder = resnet18_decoder(6)
    final = decoder.init_block
    assert isinstance(final, nn.ConvTranspose2d)
    assert (final.in_channels, final.out_channels) == (64, 3)
    assert decoder.output.in_features == 10 and decoder.output.out_features == 512
    for s, (c_in, c_out) in {1: (64, 64), 2: (128, 64), 3: (256, 128), 4: (512, 256)}.items():
        first, last = getattr(decoder, f"stage{s}")
        assert first.identity_conv is None and first.body.conv2.conv.stride == (1, 1)
        conv2 = last.body.conv2.conv
        assert (conv2.in_channels, conv2.out_channels) == (c_in, c_out)
        if s == 1:  # stage 1 of the encoder has no 1x1 shortcut, nor does its mirror
            assert last.identity_conv is None and conv2.stride == (1, 1)
        else:  # the stride-2 transposed convolution and the 1x1 shortcut end the stage
            shortcut = last.identity_conv.conv
            assert conv2.stride == (2, 2) and conv2.output_padding == (1, 1)
            assert shortcut.kernel_size == (1, 1) and shortcut.stride == (2, 2)
            assert shortcut.padding == (0, 0)


def test_unpooling_replicates_and_then_averages_back():
    unpool = Unpool(3, 4)
    Z = torch.randn(5, 3, 1, 1)
    Y = unpool(Z)
    assert Y.shape == (5, 3, 4, 4) and torch.equal(Y, Z.expand(5, 3, 4, 4))
    assert torch.allclose(nn.AvgPool2d(4)(Y), Z)


@pytest.mark.parametrize("batch", [1, 7])
def test_unpooling_tensor_is_learned_whatever_the_batch_size(batch):
    torch.manual_seed(0)
    decoder = resnet18_decoder(5)
    weight = decoder.final_pool.weight
    assert weight.shape == (512, 4, 4) and weight.requires_grad
    assert any(p is weight for p in decoder.parameters())  # so the optimizer holds it
    optimizer = torch.optim.Adam(decoder.parameters(), lr=1e-2)
    before = weight.detach().clone()
    loss = (decoder(torch.randn(batch, 512, 1, 1)) - torch.randn(batch, 3, 32, 32)).pow(2).mean()
    loss.backward()
    assert weight.grad is not None and weight.grad.abs().sum() > 0
    optimizer.step()
    assert weight.shape == (512, 4, 4)
    assert (weight.detach() - before).abs().min() > 0  # every entry moved


def test_decoder_block_doubles_the_size_with_stride_2():
    assert DecoderBlock(8, 4, stride=2)(torch.zeros(3, 8, 5, 5)).shape == (3, 4, 10, 10)
    assert DecoderBlock(8, 8)(torch.zeros(1, 8, 5, 5)).shape == (1, 8, 5, 5)
