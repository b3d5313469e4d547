import pytest
import torch
from torch import nn

from course_lib.flops import Flops, count_flops, estimate_minutes, run_flops
from course_lib.models import resnet18_cifar, shallow_cnn


def test_counts_a_linear_layer_and_a_convolution_by_hand():
    linear = count_flops(nn.Sequential(nn.Flatten(), nn.Linear(12, 10)), (3, 2, 2))
    assert linear == Flops(forward=2 * 12 * 10, training=2 * 2 * 12 * 10)  # no input gradient
    conv = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten())  # 4 x 2 x 2 outputs of 27 MACs
    assert count_flops(conv, (3, 4, 4)).forward == 2 * 27 * 16


def test_shallow_cnn_and_resnet18_and_modes_restored():
    net = shallow_cnn()
    macs = 6 * 75 * 28 * 28 + 16 * 150 * 10 * 10 + 400 * 120 + 120 * 84 + 84 * 10
    assert count_flops(net).forward == 2 * macs
    resnet = resnet18_cifar().train()
    resnet.features.stage1.eval()
    flops = count_flops(resnet)
    assert 1.1e9 < flops.forward < 1.12e9  # 0.56 G multiply-adds per 32x32 image
    assert 2.9 < flops.training / flops.forward < 3.0  # backward: about twice the forward
    assert resnet.training and not resnet.features.stage1.training
    assert all(p.grad is None for p in resnet.parameters())


def test_run_flops_and_minutes():
    flops = Flops(forward=10, training=30)
    assert run_flops(flops, train_images=100, num_epochs=3) == 9_000
    total = run_flops(flops, train_images=100, num_epochs=3, eval_images_per_epoch=20,
                      eval_images_at_end=50)  # fmt: skip
    assert total == 9_000 + 600 + 500
    assert estimate_minutes(1.2e15, tflops=10) == pytest.approx(2.0)
    assert estimate_minutes(0, tflops=10, steps=600, seconds_per_step=0.1) == pytest.approx(1.0)


def test_bad_arguments():
    with pytest.raises(ValueError, match="must be ints >= 0"):
        run_flops(Flops(1, 3), train_images=-1, num_epochs=1)
    with pytest.raises(ValueError, match="tflops must be positive"):
        estimate_minutes(1e12, tflops=0)
    with pytest.raises(TypeError, match="nn.Module"):
        count_flops(lambda X: X)
    with pytest.raises(ValueError, match="input_size"):
        count_flops(nn.Linear(2, 2), (0, 2))
    assert torch.is_grad_enabled()
