"""course_lib.models.probes: the thesis's checkpoints, read with hooks or by truncating the
network."""

import pytest
import torch
from torch import nn

from course_lib.models import (
    CHECKPOINTS,
    checkpoints,
    encoder_upto,
    resnet18_cifar,
    resnet20_cifar,
)

pytestmark = pytest.mark.usefixtures("one_thread")


def test_resnet18_checkpoints_have_the_shapes_of_table_1():
    model = resnet18_cifar().eval()
    X = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        Ys = checkpoints(model, X)
        expected_output = model(X)
    shapes = [(64, 32, 32), (128, 16, 16), (256, 8, 8), (512, 4, 4), (512, 1, 1), (10,)]
    assert [tuple(Y.shape) for Y in Ys] == [(2, *s) for s in shapes]
    assert len(CHECKPOINTS) == 6
    torch.testing.assert_close(Ys[-1], expected_output)
    assert not model.features.stage1._forward_hooks  # the hooks are removed again


@pytest.mark.parametrize("k", range(1, 7))
def test_the_truncated_encoder_computes_what_the_hook_records(resnet_and_checkpoints, k):
    model, X, Zs = resnet_and_checkpoints
    with torch.no_grad():
        assert torch.allclose(encoder_upto(model, k)(X), Zs[k - 1])
    assert CHECKPOINTS[k - 1] in dict(model.named_modules())


def test_encoder_upto_rejects_other_models_and_checkpoints():
    with pytest.raises(TypeError, match="CIFAR ResNet"):
        encoder_upto(nn.Linear(2, 2), 1)
    with pytest.raises(ValueError, match="1 to 6"):
        encoder_upto(resnet18_cifar(), 7)


def test_checkpoints_names_the_modules_a_model_lacks():
    with pytest.raises(ValueError, match="no modules named"):
        checkpoints(resnet20_cifar(), torch.zeros(1, 3, 32, 32), names=("layer1",))
