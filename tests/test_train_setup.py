"""course_lib.train.setup: precision, device and learning-rate schedules."""

import pytest
import torch
from torch import nn

from course_lib.train import (
    TrainConfig,
    choose_device,
)
from course_lib.train.setup import make_scheduler, resolve_precision


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


def test_schedules_step_every_batch(tiny):
    optimizer = torch.optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1)
    scheduler, per_step = make_scheduler(optimizer, tiny.config(schedule="cosine", min_lr=0.01), 5)
    for _ in range(10):  # 2 epochs of 5 steps
        optimizer.step()
        scheduler.step()
    assert per_step and optimizer.param_groups[0]["lr"] == pytest.approx(0.01)


def test_a_one_cycle_schedule_with_an_empty_warm_up_is_refused_clearly():
    optimizer = torch.optim.SGD(nn.Linear(3, 2).parameters(), lr=0.1)
    config = TrainConfig(num_epochs=1, lr=0.1, schedule="onecycle", pct_start=0.25)
    with pytest.raises(ValueError, match="warm-up of the one-cycle schedule"):
        make_scheduler(optimizer, config, steps_per_epoch=4)  # 0.25 * 4 steps = 1: torch's 0 / 0
    scheduler, per_step = make_scheduler(optimizer, config, steps_per_epoch=8)
    assert per_step and type(scheduler).__name__ == "OneCycleLR"
