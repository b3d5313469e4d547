"""course_lib.train.resume: a run resumed from its resume file ends as an uninterrupted one."""

import os

import pytest
import torch

from course_lib.train import (
    History,
    fit,
    load_weights,
)
from course_lib.train.resume import load_run_state


def assert_same_weights(a, b):
    a, b = a.state_dict(), b.state_dict()
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_resumed_run_ends_with_the_same_weights(tmp_path, capsys, tiny):
    # Dropout draws from torch's generator: the weights match only if its state is restored.
    settings = dict(num_epochs=3, weight_decay=1e-3, nesterov=True, early_stopping_patience=5)
    uninterrupted = tiny.cnn(dropout=0.5)
    expected = fit(uninterrupted, tiny.data(), tiny.config(**settings))

    path = tmp_path / "runs" / "lenet.pt"
    fit(
        tiny.cnn(dropout=0.5),
        tiny.data(),
        tiny.config(**{**settings, "num_epochs": 2}, resume_file=path),
    )
    assert load_run_state(path)["epoch"] == 2 and os.listdir(path.parent) == ["lenet.pt"]
    resumed = tiny.cnn(seed=1, dropout=0.5)  # a fresh model: its own weights are replaced
    history = fit(resumed, tiny.data(), tiny.config(**settings, resume_file=path))
    assert "Resumed from" in capsys.readouterr().out
    assert_same_weights(resumed, uninterrupted)
    assert history["val_loss"] == expected["val_loss"] and history.info["resumed_at"] == [2]


class CrashingLoader:
    """Wraps a loader and dies in the middle of epoch ``crash_epoch``, like a Colab session
    that is cut off."""

    def __init__(self, loader, crash_epoch):
        self.loader, self.crash_epoch = loader, crash_epoch

    def __getattr__(self, name):
        return getattr(self.loader, name)

    def __len__(self):
        return len(self.loader)

    def set_epoch(self, epoch):
        self.loader.set_epoch(epoch)

    def __iter__(self):
        for step, batch in enumerate(self.loader):
            if self.loader.epoch == self.crash_epoch and step == 2:
                raise KeyboardInterrupt("the session died")
            yield batch


def test_crash_mid_epoch_resumes_exactly_with_a_per_step_schedule(tmp_path, tiny):
    settings = dict(num_epochs=3, schedule="onecycle", label_smoothing=0.1, seed=3)
    uninterrupted = tiny.cnn(dropout=0.3)
    fit(uninterrupted, tiny.data(), tiny.config(**settings))

    path = tmp_path / "run.pt"
    data = tiny.data()
    data.train = CrashingLoader(data.train, crash_epoch=2)
    with pytest.raises(KeyboardInterrupt):
        fit(tiny.cnn(dropout=0.3), data, tiny.config(**settings, resume_file=path))
    assert load_run_state(path)["epoch"] == 2
    resumed = tiny.cnn(dropout=0.3)
    history = fit(resumed, tiny.data(), tiny.config(**settings, resume_file=path))
    assert len(history) == 3
    assert_same_weights(resumed, uninterrupted)


def test_resume_file_holds_the_whole_state(tmp_path, tiny):
    path = tmp_path / "run.pt"
    fit(tiny.cnn(), tiny.data(), tiny.config(schedule="cosine", resume_file=path))
    state = torch.load(path, weights_only=True)  # plain tensors and containers only
    assert {"model", "optimizer", "scheduler", "scaler", "history", "epoch", "rng"} <= set(state)
    assert set(state["rng"]) == {"torch", "cuda", "python", "numpy"}
    assert History.from_dict(state["history"])["epoch"] == [1, 2]
    model = load_weights(tiny.cnn(seed=9), path)
    assert torch.equal(model[0].weight, state["model"]["0.weight"])


def test_load_weights_takes_a_plain_state_dict_and_names_a_missing_file(tmp_path, tiny):
    path = tmp_path / "weights.pt"
    torch.save(tiny.cnn(seed=3).state_dict(), path)
    model = load_weights(tiny.cnn(seed=9), path)
    assert torch.equal(model[0].weight, tiny.cnn(seed=3)[0].weight)
    with pytest.raises(ValueError, match="plain state dict"):
        load_weights(tiny.cnn(), path, best=True)
    with pytest.raises(FileNotFoundError, match="torch.save"):
        load_weights(tiny.cnn(), tmp_path / "missing.pt")


def test_finished_run_is_not_trained_again(tmp_path, capsys, tiny):
    path = tmp_path / "run.pt"
    model = tiny.cnn()
    fit(model, tiny.data(), tiny.config(resume_file=path))
    again = tiny.cnn(seed=4)
    history = fit(again, tiny.data(), tiny.config(resume_file=path))
    assert len(history) == 2 and "nothing left to do" in capsys.readouterr().out
    assert_same_weights(again, model)


def test_resume_file_of_another_run_is_refused(tmp_path, tiny):
    path = tmp_path / "run.pt"
    fit(tiny.cnn(), tiny.data(), tiny.config(resume_file=path))
    with pytest.raises(ValueError, match="lr=0.1 then, 0.05 now"):
        fit(tiny.cnn(), tiny.data(), tiny.config(lr=0.05, resume_file=path))
