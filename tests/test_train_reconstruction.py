"""Measuring decoders: several at once agree with one at a time, reconstructions come with
the classifier's verdicts, checkpoints are read where the hooks read them."""

import pytest
import torch

from course_lib.models import ResNet, ResNetDecoder, resnet18_cifar
from course_lib.train.reconstruction import (
    checkpoint_name,
    evaluate_decoder,
    evaluate_decoders,
    reconstruct,
)

SHAPE = dict(layers=(1, 1), channels=(8, 16), init_channels=8, num_classes=3, image_size=8)


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def setting():
    torch.manual_seed(0)
    model = ResNet(SHAPE["layers"], SHAPE["channels"], 8, num_classes=3, image_size=8)
    X, y = torch.randn(16, 3, 8, 8), torch.arange(16) % 3
    decoders = {k: ResNetDecoder(k, **SHAPE) for k in (1, 3, 4)}
    return model, [(X[:8], y[:8]), (X[8:], y[8:])], decoders


def test_evaluating_several_decoders_at_once_agrees_with_one_at_a_time(setting):
    model, batches, decoders = setting
    together = evaluate_decoders(decoders, model, batches)
    for k, decoder in decoders.items():
        alone = evaluate_decoder(decoder, model, batches)
        assert together[k].mse == pytest.approx(alone.mse, rel=1e-5)
        assert together[k].accuracy == alone.accuracy
        assert together[k].num_examples == 16
    X, y = batches[0]
    with torch.no_grad():
        R = decoders[3].eval()(model.eval().features[:4](X))
        expected = torch.nn.functional.mse_loss(R, X).item()
    assert evaluate_decoder(decoders[3], model, [batches[0]]).mse == pytest.approx(expected)
    unclassified = evaluate_decoder(decoders[1], model, batches, classify=False)
    assert unclassified.accuracy != unclassified.accuracy  # nan: not measured


def test_reconstruct_puts_originals_first_and_classifies_every_column(setting):
    model, batches, decoders = setting
    X = batches[0][0][:3]
    model.train()
    images, verdicts = reconstruct({"CP 4": decoders[4], "CP 1": decoders[1]}, model, X)
    assert images.shape == (3, 3, 3, 8, 8) and verdicts.shape == (3, 3)
    assert torch.equal(images[:, 0], X) and model.training  # modes are restored
    with torch.no_grad():
        model.eval()
        R = decoders[1].eval()(model.features[:2](X))
        assert torch.allclose(images[:, 2], R, atol=1e-6)
        assert torch.equal(verdicts[:, 2], model(R).argmax(dim=1))
    with pytest.raises(ValueError, match="empty"):
        reconstruct({}, model, X)


def test_checkpoint_names_are_the_hooked_modules():
    names = [checkpoint_name(resnet18_cifar(), k) for k in range(1, 7)]
    assert names[:4] == [f"features.stage{s}" for s in range(1, 5)]
    assert names[4:] == ["features.final_pool", "output"]
    with pytest.raises(ValueError, match="1 to 6"):
        checkpoint_name(resnet18_cifar(), 0)
