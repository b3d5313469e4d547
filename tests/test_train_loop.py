"""course_lib.train.loop: ``fit`` learns, records every epoch, schedules, stops early."""

from types import SimpleNamespace

import pytest
import torch
from torch import nn

from course_lib.train import (
    EarlyStopping,
    evaluate,
    fit,
)
from course_lib.train.history import COLUMNS


def test_fit_learns_and_records_every_epoch(tiny):
    data = tiny.data()
    history = fit(tiny.cnn(), data, tiny.config(num_epochs=3, eval_test=True))
    assert len(history) == 3 and history["epoch"] == [1, 2, 3]
    assert history.columns == list(COLUMNS)  # every column, with a test split
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history.last["val_accuracy"] > 0.8 and history.last["test_accuracy"] > 0.8
    assert all(t > 0 for t in history["epoch_time"]) and history["lr"] == [0.1] * 3
    assert history.info["device"] == "cpu" and history.info["precision"] == "fp32"
    assert history.info["channels_last"] is True  # "auto": on CUDA and CPUs
    assert history.info["config"]["momentum"] == 0.9
    assert data.train.epochs_set == [0, 1, 2] and data.val.epochs_set == [0, 1, 2]


def test_train_metrics_are_the_mean_over_the_epoch(tiny):
    # With lr tiny, the weights hardly move: the epoch's train loss is the full-batch loss.
    data = tiny.data(test=False)
    model = tiny.cnn()
    expected = evaluate(model, data.train)
    history = fit(model, data, tiny.config(num_epochs=1, lr=1e-9, momentum=0.0))
    assert history.last["train_loss"] == pytest.approx(expected.loss, rel=1e-5)
    assert history.last["train_accuracy"] == pytest.approx(expected.accuracy)


def test_same_seed_same_run_and_plain_dataloaders_work(tiny):
    dataset = torch.utils.data.TensorDataset(*tiny.blobs(64))
    loader = torch.utils.data.DataLoader(dataset, batch_size=16, shuffle=True)
    data = SimpleNamespace(train=loader, val=None, test=None, num_classes=3, classes=None)
    lazy = [nn.Sequential(nn.Flatten(), nn.LazyLinear(3)) for _ in range(2)]
    histories = [fit(model, data, tiny.config(seed=7, progress=True)) for model in lazy]
    without_time = [[{**r, "epoch_time": 0} for r in h.rows()] for h in histories]
    assert without_time[0] == without_time[1]
    assert torch.equal(lazy[0][1].weight, lazy[1][1].weight)


@pytest.mark.parametrize(
    "changes",
    [
        {"optimizer": "adam", "lr": 1e-2, "momentum": 0.0, "weight_decay": 1e-4},
        {"optimizer": "adamw", "lr": 1e-2, "momentum": 0.0, "weight_decay": 0.05},
        {"nesterov": True, "weight_decay": 5e-4, "label_smoothing": 0.1, "grad_clip": 1.0},
        {"precision": "bf16"},
        {"channels_last": False},
    ],
)
def test_optimizers_and_options_train(changes, tiny):
    history = fit(tiny.cnn(), tiny.data(test=False), tiny.config(num_epochs=2, **changes))
    assert history["train_loss"][-1] < history["train_loss"][0]


def test_schedules_set_the_learning_rate(tiny):
    data = tiny.data(test=False)
    step = fit(tiny.cnn(), data, tiny.config(num_epochs=4, schedule="step", step_size=2, gamma=0.5))
    assert step["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05])
    cosine = fit(tiny.cnn(), data, tiny.config(num_epochs=3, schedule="cosine"))
    assert cosine["lr"][0] == 0.1 and cosine["lr"][0] > cosine["lr"][1] > cosine["lr"][2]
    one_cycle = fit(tiny.cnn(), data, tiny.config(num_epochs=3, schedule="onecycle", pct_start=0.5))
    assert one_cycle["lr"][0] == pytest.approx(0.1 / 25)  # starts at lr / div_factor
    assert one_cycle["lr"][1] > one_cycle["lr"][0]


def test_fit_says_what_is_missing(tiny):
    data = tiny.data(test=False)
    with pytest.raises(ValueError, match="data.test is None"):
        fit(tiny.cnn(), data, tiny.config(eval_test=True))
    data.val = None
    with pytest.raises(ValueError, match="early stopping watches the validation split"):
        fit(tiny.cnn(), data, tiny.config(early_stopping_patience=2))
    with pytest.raises(TypeError, match="has no 'val'"):
        fit(tiny.cnn(), SimpleNamespace(train=data.train), tiny.config())


def test_early_stopping_restores_the_best_weights(capsys, tiny):
    # The validation labels are the reverse of the training labels: the better the model
    # learns the training set, the worse its validation loss, so epoch 1 stays the best.
    data = tiny.data(flip_val=True, test=False)
    model = tiny.cnn()
    history = fit(model, data, tiny.config(num_epochs=10, early_stopping_patience=2))
    assert len(history) == 3
    assert history.info["stopped_early"] and history.info["best_epoch"] == 1
    assert evaluate(model, data.val).loss == pytest.approx(history["val_loss"][0], rel=1e-6)
    out = capsys.readouterr().out
    assert "Stopped early after epoch 3" in out and "Restored the weights of epoch 1" in out


def test_early_stopping_on_accuracy():
    stopper = EarlyStopping(patience=1, monitor="val_accuracy")
    model = nn.Linear(2, 1)
    stopper.update({"val_accuracy": 0.5}, model, 1)
    stopper.update({"val_accuracy": 0.7}, model, 2)
    assert not stopper.should_stop and stopper.best_epoch == 2
    stopper.update({"val_accuracy": 0.7}, model, 3)
    assert stopper.should_stop


def test_smoke_run_takes_two_steps_per_epoch_and_two_evaluation_batches(monkeypatch, tiny):
    monkeypatch.setenv("COURSE_SMOKE", "1")
    data = tiny.data(n_train=96, n_val=48)
    data.train.batch_size = data.val.batch_size = 8  # 12 and 6 batches
    model = tiny.cnn()
    training_steps = []
    model.register_forward_hook(lambda module, *args: training_steps.append(module.training))
    history = fit(model, data, tiny.config(num_epochs=3, eval_test=True, schedule="onecycle"))
    assert len(history) == 2 and sum(training_steps) == 2 * 2  # two epochs of two steps
    assert len(training_steps) == 2 * (2 + 2 + 2)  # training, validation and test batches
    assert evaluate(model, data.val).num_examples == 2 * 8
