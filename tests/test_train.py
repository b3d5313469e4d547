import json
import math
import os
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.train import (
    EarlyStopping,
    History,
    TrainConfig,
    choose_device,
    evaluate,
    fit,
    load_weights,
)
from course_lib.train.checkpoint import load_checkpoint
from course_lib.train.setup import make_scheduler, resolve_precision


class TensorLoader:
    """A tiny loader that follows the data protocol: the order of an epoch is a function of
    the seed and the epoch."""

    def __init__(self, X, y, batch_size=16, seed=0, shuffle=True):
        self.X, self.y, self.batch_size, self.seed, self.shuffle = X, y, batch_size, seed, shuffle
        self.dataset_size, self.device, self.epoch, self.epochs_set = len(y), X.device, 0, []

    def set_epoch(self, epoch):
        self.epoch = epoch
        self.epochs_set.append(epoch)

    def __len__(self):
        return math.ceil(self.dataset_size / self.batch_size)

    def __iter__(self):
        generator = torch.Generator().manual_seed(1000 * self.seed + self.epoch)
        n = self.dataset_size
        order = torch.randperm(n, generator=generator) if self.shuffle else torch.arange(n)
        for start in range(0, n, self.batch_size):
            batch = order[start : start + self.batch_size]
            yield self.X[batch], self.y[batch]


def blobs(n, num_classes=3, seed=0, flip=False):
    """Images (n, 1, 6, 6) whose class shifts the mean of one row: learnable in an epoch."""
    generator = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % num_classes
    X = torch.randn(n, 1, 6, 6, generator=generator)
    X[torch.arange(n), 0, y] += 2.0
    return X, (num_classes - 1 - y) if flip else y


def make_data(n_train=96, n_val=48, num_classes=3, flip_val=False, test=True):
    train = TensorLoader(*blobs(n_train, num_classes, seed=1), seed=5)
    val = TensorLoader(*blobs(n_val, num_classes, seed=2, flip=flip_val), shuffle=False)
    test_loader = TensorLoader(*blobs(n_val, num_classes, seed=3), shuffle=False) if test else None
    classes = [f"class {i}" for i in range(num_classes)]
    return SimpleNamespace(
        train=train, val=val, test=test_loader, num_classes=num_classes, classes=classes
    )


def small_cnn(num_classes=3, seed=0, dropout=0.0):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 4, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Dropout(dropout),
        nn.Linear(4 * 6 * 6, num_classes),
    )


def config(**changes):
    settings = dict(num_epochs=2, lr=0.1, momentum=0.9, progress=False)
    settings.update(changes)
    return TrainConfig(**settings)


# --- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"optimizer": "rmsprop"}, "optimizer must be one of 'sgd', 'adam', 'adamw'"),
        ({"schedule": "linear"}, "schedule must be one of 'constant', 'step', 'onecycle'"),
        ({"precision": "fp8"}, "precision must be one of 'auto', 'fp32', 'bf16', 'fp16'"),
        ({"monitor": "loss"}, "monitor must be one of 'val_loss', 'val_accuracy'"),
        ({"channels_last": "yes"}, "channels_last must be True, False or 'auto'"),
        ({"nesterov": True, "momentum": 0.0}, "nesterov=True needs"),
        ({"label_smoothing": 1.0}, "label_smoothing must be in"),
        ({"num_epochs": 0}, "num_epochs must be at least 1"),
        ({"lr": 0.0}, "lr must be positive"),
        ({"pct_start": 1.5}, "pct_start"),
        ({"grad_clip": -1.0}, "grad_clip"),
        ({"device": "gpu"}, "device must be None"),
        ({"early_stopping_patience": 0}, "early_stopping_patience must be at least 1"),
    ],
)
def test_config_rejects_bad_values(changes, message):
    with pytest.raises(ValueError, match=message):
        config(**changes)


def test_config_rejects_wrong_types():
    with pytest.raises(TypeError, match="num_epochs must be an int"):
        config(num_epochs=2.0)
    with pytest.raises(TypeError, match="seed must be an int"):
        config(seed="0")
    with pytest.raises(TypeError, match="config must be a TrainConfig"):
        fit(small_cnn(), make_data(), {"num_epochs": 1})


def test_precision_follows_the_gpu(monkeypatch):
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert resolve_precision("auto", cpu) == "fp32"
    assert resolve_precision("bf16", cpu) == "bf16"
    with pytest.raises(ValueError, match="fp16' needs a CUDA GPU"):
        resolve_precision("fp16", cpu)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (7, 5))  # T4
    assert resolve_precision("auto", cuda) == "fp16"
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (8, 0))  # A100
    assert resolve_precision("auto", cuda) == "bf16"


def test_device_is_chosen_and_checked(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert choose_device() == torch.device("cpu")
    with pytest.raises(ValueError, match="no CUDA GPU"):
        choose_device("cuda")


# --- training --------------------------------------------------------------------------------


def test_fit_learns_and_records_every_epoch():
    data = make_data()
    history = fit(small_cnn(), data, config(num_epochs=3, eval_test=True))
    assert len(history) == 3 and history["epoch"] == [1, 2, 3]
    assert history.columns == [
        "epoch",
        "train_loss",
        "train_accuracy",
        "val_loss",
        "val_accuracy",
        "test_loss",
        "test_accuracy",
        "lr",
        "epoch_time",
    ]
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history.last["val_accuracy"] > 0.8 and history.last["test_accuracy"] > 0.8
    assert all(t > 0 for t in history["epoch_time"]) and history["lr"] == [0.1] * 3
    assert history.info["device"] == "cpu" and history.info["precision"] == "fp32"
    assert history.info["channels_last"] is True  # "auto": on CUDA and CPUs
    assert history.info["config"]["momentum"] == 0.9
    assert data.train.epochs_set == [0, 1, 2] and data.val.epochs_set == [0, 1, 2]


def test_train_metrics_are_the_mean_over_the_epoch():
    # With lr tiny, the weights hardly move: the epoch's train loss is the full-batch loss.
    data = make_data(test=False)
    model = small_cnn()
    expected = evaluate(model, data.train)
    history = fit(model, data, config(num_epochs=1, lr=1e-9, momentum=0.0))
    assert history.last["train_loss"] == pytest.approx(expected.loss, rel=1e-5)
    assert history.last["train_accuracy"] == pytest.approx(expected.accuracy)


def test_same_seed_same_run_and_plain_dataloaders_work():
    dataset = torch.utils.data.TensorDataset(*blobs(64))
    loader = torch.utils.data.DataLoader(dataset, batch_size=16, shuffle=True)
    data = SimpleNamespace(train=loader, val=None, test=None, num_classes=3, classes=None)
    lazy = [nn.Sequential(nn.Flatten(), nn.LazyLinear(3)) for _ in range(2)]
    histories = [fit(model, data, config(seed=7, progress=True)) for model in lazy]
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
def test_optimizers_and_options_train(changes):
    history = fit(small_cnn(), make_data(test=False), config(num_epochs=2, **changes))
    assert history["train_loss"][-1] < history["train_loss"][0]


def test_schedules_set_the_learning_rate():
    data = make_data(test=False)
    step = fit(small_cnn(), data, config(num_epochs=4, schedule="step", step_size=2, gamma=0.5))
    assert step["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05])
    cosine = fit(small_cnn(), data, config(num_epochs=3, schedule="cosine"))
    assert cosine["lr"][0] == 0.1 and cosine["lr"][0] > cosine["lr"][1] > cosine["lr"][2]
    one_cycle = fit(small_cnn(), data, config(num_epochs=3, schedule="onecycle", pct_start=0.5))
    assert one_cycle["lr"][0] == pytest.approx(0.1 / 25)  # starts at lr / div_factor
    assert one_cycle["lr"][1] > one_cycle["lr"][0]


def test_schedules_step_every_batch():
    optimizer = torch.optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1)
    scheduler, per_step = make_scheduler(optimizer, config(schedule="cosine", min_lr=0.01), 5)
    for _ in range(10):  # 2 epochs of 5 steps
        optimizer.step()
        scheduler.step()
    assert per_step and optimizer.param_groups[0]["lr"] == pytest.approx(0.01)


def test_fit_says_what_is_missing():
    data = make_data(test=False)
    with pytest.raises(ValueError, match="data.test is None"):
        fit(small_cnn(), data, config(eval_test=True))
    data.val = None
    with pytest.raises(ValueError, match="early stopping watches the validation split"):
        fit(small_cnn(), data, config(early_stopping_patience=2))
    with pytest.raises(TypeError, match="has no 'val'"):
        fit(small_cnn(), SimpleNamespace(train=data.train), config())


# --- early stopping ----------------------------------------------------------------------


def test_early_stopping_restores_the_best_weights(capsys):
    # The validation labels are the reverse of the training labels: the better the model
    # learns the training set, the worse its validation loss, so epoch 1 stays the best.
    data = make_data(flip_val=True, test=False)
    model = small_cnn()
    history = fit(model, data, config(num_epochs=10, early_stopping_patience=2))
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


# --- checkpoints and resuming -----------------------------------------------------------------


def assert_same_weights(a, b):
    a, b = a.state_dict(), b.state_dict()
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_resumed_run_ends_with_the_same_weights(tmp_path, capsys):
    # Dropout draws from torch's generator: the weights match only if its state is restored.
    settings = dict(num_epochs=3, weight_decay=1e-3, nesterov=True, early_stopping_patience=5)
    uninterrupted = small_cnn(dropout=0.5)
    expected = fit(uninterrupted, make_data(), config(**settings))

    path = tmp_path / "runs" / "lenet.pt"
    fit(
        small_cnn(dropout=0.5),
        make_data(),
        config(**{**settings, "num_epochs": 2}, checkpoint=path),
    )
    assert load_checkpoint(path)["epoch"] == 2 and os.listdir(path.parent) == ["lenet.pt"]
    resumed = small_cnn(seed=1, dropout=0.5)  # a fresh model: its own weights are replaced
    history = fit(resumed, make_data(), config(**settings, checkpoint=path))
    assert "Resumed from" in capsys.readouterr().out
    assert_same_weights(resumed, uninterrupted)
    assert history["val_loss"] == expected["val_loss"] and history.info["resumed_at"] == [2]


class CrashingLoader(TensorLoader):
    """Dies in the middle of epoch ``crash_epoch``, like a Colab session that is cut off."""

    def __init__(self, *args, crash_epoch, **kwargs):
        super().__init__(*args, **kwargs)
        self.crash_epoch = crash_epoch

    def __iter__(self):
        for step, batch in enumerate(super().__iter__()):
            if self.epoch == self.crash_epoch and step == 2:
                raise KeyboardInterrupt("the session died")
            yield batch


def test_crash_mid_epoch_resumes_exactly_with_a_per_step_schedule(tmp_path):
    settings = dict(num_epochs=3, schedule="onecycle", label_smoothing=0.1, seed=3)
    uninterrupted = small_cnn(dropout=0.3)
    fit(uninterrupted, make_data(), config(**settings))

    path = tmp_path / "run.pt"
    data = make_data()
    data.train = CrashingLoader(data.train.X, data.train.y, seed=5, crash_epoch=2)
    with pytest.raises(KeyboardInterrupt):
        fit(small_cnn(dropout=0.3), data, config(**settings, checkpoint=path))
    assert load_checkpoint(path)["epoch"] == 2
    resumed = small_cnn(dropout=0.3)
    history = fit(resumed, make_data(), config(**settings, checkpoint=path))
    assert len(history) == 3
    assert_same_weights(resumed, uninterrupted)


def test_checkpoint_holds_the_whole_state(tmp_path):
    path = tmp_path / "run.pt"
    fit(small_cnn(), make_data(), config(schedule="cosine", checkpoint=path))
    state = torch.load(path, weights_only=True)  # plain tensors and containers only
    assert {"model", "optimizer", "scheduler", "scaler", "history", "epoch", "rng"} <= set(state)
    assert set(state["rng"]) == {"torch", "cuda", "python", "numpy"}
    assert History.from_dict(state["history"])["epoch"] == [1, 2]
    model = load_weights(small_cnn(seed=9), path)
    assert torch.equal(model[0].weight, state["model"]["0.weight"])


def test_load_weights_takes_a_plain_state_dict_and_names_a_missing_file(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save(small_cnn(seed=3).state_dict(), path)
    model = load_weights(small_cnn(seed=9), path)
    assert torch.equal(model[0].weight, small_cnn(seed=3)[0].weight)
    with pytest.raises(ValueError, match="plain state dict"):
        load_weights(small_cnn(), path, best=True)
    with pytest.raises(FileNotFoundError, match="torch.save"):
        load_weights(small_cnn(), tmp_path / "missing.pt")


def test_finished_run_is_not_trained_again(tmp_path, capsys):
    path = tmp_path / "run.pt"
    model = small_cnn()
    fit(model, make_data(), config(checkpoint=path))
    again = small_cnn(seed=4)
    history = fit(again, make_data(), config(checkpoint=path))
    assert len(history) == 2 and "nothing left to do" in capsys.readouterr().out
    assert_same_weights(again, model)


def test_checkpoint_of_another_run_is_refused(tmp_path):
    path = tmp_path / "run.pt"
    fit(small_cnn(), make_data(), config(checkpoint=path))
    with pytest.raises(ValueError, match="lr=0.1 then, 0.05 now"):
        fit(small_cnn(), make_data(), config(lr=0.05, checkpoint=path))


# --- evaluation and history ------------------------------------------------------------------


def test_evaluate_matches_a_direct_computation():
    X, y = blobs(40, num_classes=4)
    y[y == 3] = 0  # class 3 has no examples
    model = small_cnn(num_classes=4)
    model.train()
    metrics = evaluate(model, TensorLoader(X, y, batch_size=16, shuffle=False), num_classes=4)
    assert model.training  # evaluate puts the mode back
    logits = model.eval()(X)
    predicted = logits.argmax(1)
    assert metrics.loss == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-5)
    assert metrics.accuracy == pytest.approx((predicted == y).float().mean().item())
    expected = torch.zeros(4, 4, dtype=torch.long)
    for true, guess in zip(y.tolist(), predicted.tolist(), strict=True):
        expected[true, guess] += 1
    assert torch.equal(metrics.confusion_matrix, expected) and metrics.num_examples == 40
    for k in range(3):
        expected_k = (predicted[y == k] == k).float().mean().item()
        assert metrics.per_class_accuracy[k] == pytest.approx(expected_k)
    assert math.isnan(metrics.per_class_accuracy[3])
    assert json.loads(json.dumps(metrics.to_dict()))["confusion_matrix"] == expected.tolist()


def test_history_round_trip_and_rows(tmp_path):
    history = fit(small_cnn(), make_data(test=False), config())
    history.save(tmp_path / "history.json")
    loaded = History.load(tmp_path / "history.json")
    assert loaded == history
    rows = loaded.rows(digits=3)
    assert len(rows) == 2 and list(rows[0]) == history.columns
    assert rows[0]["train_loss"] == round(history["train_loss"][0], 3)
    assert "2 epochs" in repr(history)
    with pytest.raises(KeyError, match="no column 'test_loss'"):
        history["test_loss"]
    with pytest.raises(ValueError, match="needs its 'epoch'"):
        history.append({"val_loss": 1.0})
    history.append({"epoch": 3, "complexity": 0.1, "train_loss": 0.2})
    assert history.columns[-1] == "complexity" and list(history.rows()[-1]) == [
        "epoch",
        "train_loss",
        "complexity",
    ]


def test_a_one_cycle_schedule_with_an_empty_warm_up_is_refused_clearly():
    optimizer = torch.optim.SGD(nn.Linear(3, 2).parameters(), lr=0.1)
    config = TrainConfig(num_epochs=1, lr=0.1, schedule="onecycle", pct_start=0.25)
    with pytest.raises(ValueError, match="warm-up of the one-cycle schedule"):
        make_scheduler(optimizer, config, steps_per_epoch=4)  # 0.25 * 4 steps = 1: torch's 0 / 0
    scheduler, per_step = make_scheduler(optimizer, config, steps_per_epoch=8)
    assert per_step and type(scheduler).__name__ == "OneCycleLR"


@pytest.mark.parametrize("schedule", ["onecycle", "cosine"])
def test_early_stopping_with_an_annealing_schedule_is_refused(schedule):
    with pytest.raises(ValueError, match="never annealed.*early_stopping_with_annealing=True"):
        config(schedule=schedule, early_stopping_patience=2)
    assert config(schedule=schedule, early_stopping_patience=2, early_stopping_with_annealing=True)


def test_smoke_run_takes_two_steps_per_epoch_and_two_evaluation_batches(monkeypatch):
    monkeypatch.setenv("COURSE_SMOKE", "1")
    data = make_data(n_train=96, n_val=48)
    data.train.batch_size = data.val.batch_size = 8  # 12 and 6 batches
    model = small_cnn()
    training_steps = []
    model.register_forward_hook(lambda module, *args: training_steps.append(module.training))
    history = fit(model, data, config(num_epochs=3, eval_test=True, schedule="onecycle"))
    assert len(history) == 2 and sum(training_steps) == 2 * 2  # two epochs of two steps
    assert len(training_steps) == 2 * (2 + 2 + 2)  # training, validation and test batches
    assert evaluate(model, data.val).num_examples == 2 * 8
