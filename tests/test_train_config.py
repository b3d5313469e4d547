"""course_lib.train.config: ``TrainConfig`` refuses bad settings and says why."""

import pytest

from course_lib.train import (
    fit,
)


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
def test_config_rejects_bad_values(changes, message, tiny):
    with pytest.raises(ValueError, match=message):
        tiny.config(**changes)


def test_config_rejects_wrong_types(tiny):
    with pytest.raises(TypeError, match="num_epochs must be an int"):
        tiny.config(num_epochs=2.0)
    with pytest.raises(TypeError, match="seed must be an int"):
        tiny.config(seed="0")
    with pytest.raises(TypeError, match="config must be a TrainConfig"):
        fit(tiny.cnn(), tiny.data(), {"num_epochs": 1})


@pytest.mark.parametrize("schedule", ["onecycle", "cosine"])
def test_early_stopping_with_an_annealing_schedule_is_refused(schedule, tiny):
    with pytest.raises(ValueError, match="never annealed.*early_stopping_with_annealing=True"):
        tiny.config(schedule=schedule, early_stopping_patience=2)
    assert tiny.config(
        schedule=schedule, early_stopping_patience=2, early_stopping_with_annealing=True
    )
