"""Training decoders on a frozen classifier: the MSE falls, the classifier is left as it was,
the CE term of equation 14 reaches the decoder, warm starts chain, evaluation agrees."""

import copy
import dataclasses
from types import SimpleNamespace

import pytest
import torch

from course_lib.models import ResNet, ResNetDecoder
from course_lib.train import TrainConfig
from course_lib.train.decoding import fit_decoder, fit_decoders, load_decoders, save_decoders
from course_lib.train.reconstruction import evaluate_decoder

SHAPE = dict(layers=(1, 1), channels=(8, 16), init_channels=8, num_classes=3, image_size=8)


pytestmark = pytest.mark.usefixtures("one_thread")


def small_decoder(k):
    return ResNetDecoder(k, **SHAPE)


@pytest.fixture
def setting():
    torch.manual_seed(0)
    model = ResNet(
        SHAPE["layers"], SHAPE["channels"], SHAPE["init_channels"], num_classes=3, image_size=8
    )
    X, y = torch.randn(48, 3, 8, 8), torch.arange(48) % 3
    X[y == 1] += 1.0
    train = [(X[i : i + 8], y[i : i + 8]) for i in range(0, 32, 8)]
    val = [(X[32:], y[32:])]
    config = TrainConfig(num_epochs=6, lr=3e-3, optimizer="adam", progress=False, device="cpu")
    return model, SimpleNamespace(train=train, val=val), config


def test_mse_falls_and_the_classifier_is_left_untouched(setting):
    model, data, config = setting
    model.train()  # fit_decoder must switch it to evaluation mode itself
    before = {name: value.clone() for name, value in model.state_dict().items()}
    history = fit_decoder(small_decoder(2), model, data, config, ce_weight=1.0)
    assert history["train_mse"][-1] < history["train_mse"][0]
    for name, value in model.state_dict().items():  # weights and batch-norm statistics
        assert torch.equal(value, before[name]), name
    assert all(p.requires_grad and p.grad is None for p in model.parameters())
    assert {"train_ce", "val_ce", "val_accuracy", "val_mse"} <= set(history.columns)
    assert history.info["ce_weight"] == 1.0 and history.info["checkpoint"] == 2


def test_the_cross_entropy_term_reaches_the_decoder(setting):
    model, data, config = setting
    config = dataclasses.replace(config, num_epochs=8)
    plain = fit_decoder(small_decoder(4), model, data, config, ce_weight=0.0)
    weighted = fit_decoder(small_decoder(4), model, data, config, ce_weight=5.0)
    assert "val_ce" not in plain.columns  # c = 0: the classifier is not run while training
    assert weighted["train_ce"][-1] < weighted["train_ce"][0]
    assert weighted["val_loss"][-1] == pytest.approx(
        weighted["val_mse"][-1] + 5.0 * weighted["val_ce"][-1]
    )


def test_early_stopping_keeps_the_best_epoch(setting):
    model, data, config = setting
    config = dataclasses.replace(config, num_epochs=4, lr=0.5, early_stopping_patience=1)
    decoder = small_decoder(1)
    history = fit_decoder(decoder, model, data, config)
    best = history.info["best_epoch"]
    assert history["val_mse"][best - 1] == min(history["val_mse"])
    measured = evaluate_decoder(decoder, model, data.val, classify=False)
    assert measured.mse == pytest.approx(min(history["val_mse"]), rel=1e-5)


def test_decoders_are_trained_in_order_each_from_the_one_before(setting):
    model, data, config = setting
    config = dataclasses.replace(config, num_epochs=1)
    first, _ = fit_decoders(model, data, config, checkpoints=(1,), build=small_decoder)
    tiny = dataclasses.replace(config, lr=1e-12)  # so that the warm start is all that changes
    decoders, histories = fit_decoders(
        model, data, tiny, checkpoints=(2, 4), num_epochs={4: 2}, start_from=first[1],
        build=small_decoder,
    )  # fmt: skip
    assert sorted(decoders) == [2, 4] and [len(histories[k]) for k in (2, 4)] == [1, 2]
    for name, value in first[1].state_dict().items():
        if "running" not in name and "num_batches" not in name:  # batch norm keeps moving
            assert torch.allclose(decoders[2].state_dict()[name], value, atol=1e-8), name
    stage2 = decoders[2].state_dict()
    for name, value in decoders[4].state_dict().items():
        if name.startswith(("stage2.", "stage1.")) and "weight" in name:
            assert torch.allclose(value, stage2[name], atol=1e-8), name
    with pytest.raises(ValueError, match="increasing"):
        fit_decoders(model, data, config, checkpoints=(2, 1), build=small_decoder)


def test_mistakes_are_explained(setting):
    model, data, config = setting
    with pytest.raises(ValueError, match="ce_weight"):
        fit_decoder(small_decoder(1), model, data, config, ce_weight=-1.0)
    with pytest.raises(ValueError, match="monitor='val_loss'"):
        config_accuracy = dataclasses.replace(config, monitor="val_accuracy")
        fit_decoder(small_decoder(1), model, data, config_accuracy)
    with pytest.raises(TypeError, match="ResNetDecoder"):
        fit_decoder(torch.nn.Linear(2, 2), model, data, config)
    no_val = SimpleNamespace(train=data.train, val=None)
    with pytest.raises(ValueError, match="data.val is None"):
        fit_decoder(
            small_decoder(1), model, no_val, dataclasses.replace(config, early_stopping_patience=2)
        )


def test_training_moves_the_learnable_unpooling_tensor(setting):
    model, data, config = setting
    decoder = small_decoder(3)  # checkpoint 3 of a two-stage ResNet: after the pooling
    before = decoder.final_pool.weight.detach().clone()
    fit_decoder(decoder, model, data, dataclasses.replace(config, num_epochs=1))
    after = decoder.final_pool.weight.detach()
    assert after.shape == before.shape == (16, 4, 4)
    assert not torch.equal(after, before)


def test_saved_decoders_come_back_only_with_the_same_settings(setting, tmp_path):
    model, data, config = setting
    decoders, _ = fit_decoders(model, data, config, checkpoints=(1, 2), build=small_decoder)
    path = save_decoders(tmp_path / "runs" / "run.pt", model, decoders, {"width": 16, "seed": 0})
    assert path.is_file() and [p.name for p in path.parent.iterdir()] == ["run.pt"]
    clone = copy.deepcopy(model)
    for p in clone.parameters():
        p.data.zero_()
    loaded = load_decoders(path, clone, {"width": 16, "seed": 0}, build=small_decoder)
    assert sorted(loaded) == [1, 2]
    for name, value in model.state_dict().items():
        assert torch.equal(clone.state_dict()[name].cpu(), value.cpu()), name
    for k in (1, 2):
        for name, value in decoders[k].state_dict().items():
            assert torch.equal(loaded[k].state_dict()[name], value.cpu()), name
    assert load_decoders(path, clone, {"width": 16, "seed": 1}, build=small_decoder) is None
    assert load_decoders(tmp_path / "missing.pt", clone, {}, build=small_decoder) is None
