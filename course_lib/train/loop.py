"""``fit``: the training loop, with mixed precision, a resume file and early stopping."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from course_lib.profile import SMOKE_BATCHES, is_smoke, last_epoch, limit_batches, show_progress

from .config import TrainConfig
from .early_stopping import EarlyStopping
from .history import History
from .metrics import evaluate
from .resume import load_run_state, rng_states, save_run_state, set_rng_states
from .setup import Run, autocast, prepare, to_device


class Loader(Protocol):
    """What ``fit`` needs of a loader: batches ``(X, y)`` and their number per epoch.

    Loaders of ``course_lib.data`` also have ``set_epoch(epoch)``, which makes each epoch's
    order and augmentation a function of the loader's seed and the epoch; ``fit`` calls it
    before every epoch when it is there.
    """

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]: ...

    def __len__(self) -> int: ...


class DataBundle(Protocol):
    """What ``fit`` needs of ``data``: the splits (``val`` and ``test`` may be ``None``)."""

    train: Loader
    val: Loader | None
    test: Loader | None
    num_classes: int
    classes: Sequence[str]


def fit(model: nn.Module, data: DataBundle, config: TrainConfig) -> History:
    """Train a classifier with cross-entropy and return what was measured, epoch by epoch.

    Each epoch trains on ``data.train`` and evaluates ``data.val`` (and ``data.test`` with
    ``config.eval_test``). Losses and correct counts are summed on the device and read once per
    epoch, so the GPU never waits for the CPU. With ``config.resume_file`` the state of the run is
    saved there after every epoch, and a later call with the same file continues from there.

    Args:
        model: returns logits ``(N, num_classes)`` for images ``(N, C, H, W)``; it is moved to
            the device and trained in place.
        data: has ``train``, ``val`` and ``test`` loaders (the last two may be ``None``) that
            yield ``(X, y)``, ``X`` float ``(N, C, H, W)``, ``y`` int64 ``(N,)``.
        config: the settings of the run (``TrainConfig``).

    Returns:
        The ``History``: one record per epoch (losses, accuracies, lr, seconds).

    Example:
        >>> from types import SimpleNamespace
        >>> X, y = torch.randn(64, 1, 4, 4), torch.arange(64) % 2
        >>> X[y == 1] += 1.0
        >>> batches = [(X[i : i + 16], y[i : i + 16]) for i in range(0, 64, 16)]
        >>> data = SimpleNamespace(train=batches, val=batches, test=None, num_classes=2)
        >>> model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
        >>> config = TrainConfig(num_epochs=3, lr=0.1, progress=False)
        >>> history = fit(model, data, config)
        >>> len(history), history["train_loss"][-1] < history["train_loss"][0]
        (3, True)
    """
    _check_arguments(model, data, config)
    run = prepare(model, data.train, config)
    history = History(info=_run_info(run))
    patience = config.early_stopping_patience
    stopper = EarlyStopping(patience, config.monitor) if patience is not None else None
    start = 0
    if config.resume_file is not None and os.path.exists(config.resume_file):
        start = _resume(run, history, stopper)
    for epoch in range(start, last_epoch(start, config.num_epochs)):
        if stopper is not None and stopper.should_stop:
            break
        for loader in (data.train, data.val, data.test):
            if loader is not None and hasattr(loader, "set_epoch"):
                loader.set_epoch(epoch)  # this epoch's order and augmentation, reproducibly
        bar = None
        if config.progress and show_progress():
            desc = f"epoch {epoch + 1}/{config.num_epochs}"
            steps = len(data.train) if not is_smoke() else min(len(data.train), SMOKE_BATCHES)
            bar = tqdm(total=steps, desc=desc, unit="batch", leave=True)
        lr = run.optimizer.param_groups[0]["lr"]  # the learning rate of the epoch's first step
        started = time.perf_counter()
        record: dict[str, float] = {"epoch": epoch + 1, **_train_epoch(run, data.train, bar)}
        record.update(_evaluate_splits(run, data))
        if run.scheduler is not None and not run.per_step:
            run.scheduler.step()  # the step schedule moves once per epoch
        record.update(lr=lr, epoch_time=time.perf_counter() - started)
        history.append(record)
        if bar is not None:
            bar.set_postfix(_short(record))
            bar.close()
        if stopper is not None:
            stopper.update(record, model, epoch + 1)
        if config.resume_file is not None:
            save_run_state(config.resume_file, _run_state(run, history, stopper))
    if stopper is not None:
        _finish_early_stopping(run, history, stopper)
    return history


def _train_epoch(run: Run, loader: Loader, bar: Any) -> dict[str, float]:
    """One pass over the training set; returns the mean loss and the accuracy."""
    model, optimizer, scaler, config = run.model, run.optimizer, run.scaler, run.config
    model.train()
    # Running sums stay on the device: reading one (.item()) makes the CPU wait for the GPU.
    loss_sum = torch.zeros((), device=run.device)
    correct = torch.zeros((), dtype=torch.long, device=run.device)
    seen = 0
    for step, (X, y) in enumerate(limit_batches(loader), start=1):
        X, y = to_device(X, y, run.device, run.channels_last)
        with autocast(run.device, run.precision):
            logits = model(X)  # (N, num_classes)
            loss = F.cross_entropy(logits, y, label_smoothing=config.label_smoothing)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()  # the scaler is a no-op unless precision is fp16
        if config.grad_clip is not None:
            scaler.unscale_(optimizer)
            nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        scaler.step(optimizer)
        scaler.update()
        if run.per_step:
            run.scheduler.step()
        loss_sum += loss.detach() * len(y)
        correct += (logits.argmax(dim=1) == y).sum()
        seen += len(y)
        if bar is not None:
            bar.update()
            if step % config.log_every == 0:  # one sync every log_every steps, for the display
                shown = {
                    "train_loss": loss_sum.item() / seen,
                    "train_accuracy": correct.item() / seen,
                }
                bar.set_postfix(_short(shown), refresh=False)
    if seen == 0:
        raise ValueError("the training loader yielded no batches")
    return {"train_loss": loss_sum.item() / seen, "train_accuracy": correct.item() / seen}


def _evaluate_splits(run: Run, data: DataBundle) -> dict[str, float]:
    """Loss and accuracy on the validation split, and on the test split if asked for."""
    record = {}
    splits = {"val": data.val, "test": data.test if run.config.eval_test else None}
    for split, loader in splits.items():
        if loader is not None:
            metrics = evaluate(
                run.model, loader, run.device, data.num_classes, run.precision, run.channels_last
            )
            record[f"{split}_loss"], record[f"{split}_accuracy"] = metrics.loss, metrics.accuracy
    return record


def _check_arguments(model: nn.Module, data: DataBundle, config: TrainConfig) -> None:
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    for name in ("train", "val", "test", "num_classes"):
        if not hasattr(data, name):
            raise TypeError(f"data must have train, val, test and num_classes; it has no {name!r}")
    if data.train is None or len(data.train) == 0:
        raise ValueError("data.train is empty: there is nothing to train on")
    if config.early_stopping_patience is not None and data.val is None:
        raise ValueError("early stopping watches the validation split, but data.val is None")
    if config.eval_test and data.test is None:
        raise ValueError("eval_test=True but data.test is None")


def _run_info(run: Run) -> dict[str, Any]:
    return {
        "device": str(run.device),
        "precision": run.precision,
        "channels_last": run.channels_last,
        "config": run.config.to_dict(),
    }


def _run_state(run: Run, history: History, stopper: EarlyStopping | None) -> dict:
    return {
        "epoch": len(history),
        "model": run.model.state_dict(),
        "optimizer": run.optimizer.state_dict(),
        "scheduler": run.scheduler.state_dict() if run.scheduler is not None else None,
        "scaler": run.scaler.state_dict(),
        "early_stopping": stopper.state_dict() if stopper is not None else None,
        "history": history.to_dict(),
        "config": run.config.to_dict(),
        "rng": rng_states(),
    }


# Settings that may differ between a run and its resumption.
_MAY_CHANGE = {"progress", "log_every", "resume_file", "device", "eval_test", "announce_resume"}


def _resume(run: Run, history: History, stopper: EarlyStopping | None) -> int:
    """Load the resume file into the run; return the number of epochs it had completed."""
    path, config = run.config.resume_file, run.config
    state = load_run_state(path)
    may_change = _MAY_CHANGE | ({"num_epochs"} if not run.per_step else set())
    changed = [
        f"{key}={state['config'].get(key)!r} then, {value!r} now"
        for key, value in config.to_dict().items()
        if key not in may_change and state["config"].get(key) != value
    ]
    if changed:
        raise ValueError(
            f"the resume file {path} holds a run with other settings ({'; '.join(changed)}); "
            "pass the same TrainConfig to resume it, or another resume_file to start afresh"
        )
    run.model.load_state_dict(state["model"])
    run.optimizer.load_state_dict(state["optimizer"])
    if run.scheduler is not None:
        run.scheduler.load_state_dict(state["scheduler"])
    if run.scaler.is_enabled() and state["scaler"]:
        run.scaler.load_state_dict(state["scaler"])
    if stopper is not None:
        stopper.load_state_dict(state["early_stopping"])
    set_rng_states(state["rng"])
    saved = History.from_dict(state["history"])
    history.records = saved.records
    history.info["resumed_at"] = saved.info.get("resumed_at", []) + [state["epoch"]]
    left = "nothing left to do" if state["epoch"] >= config.num_epochs else "continuing"
    if config.announce_resume:
        print(f"Resumed from {path}: {state['epoch']} of {config.num_epochs} epochs done, {left}.")
    return state["epoch"]


def _finish_early_stopping(run: Run, history: History, stopper: EarlyStopping) -> None:
    history.info.update(stopped_early=stopper.should_stop, best_epoch=stopper.best_epoch)
    if stopper.should_stop:
        print(
            f"Stopped early after epoch {len(history)}: {stopper.monitor} has not improved "
            f"for {stopper.patience} epochs."
        )
    if run.config.restore_best and stopper.best_state is not None:
        run.model.load_state_dict(stopper.best_state)
        if stopper.best_epoch != len(history):  # the last epoch's weights are already there
            print(f"Restored the weights of epoch {stopper.best_epoch} (best {stopper.monitor}).")


def _short(record: dict[str, float]) -> dict[str, str]:
    """Progress-bar names: train_loss -> loss, val_accuracy -> val_acc."""
    names = {"train_loss": "loss", "train_accuracy": "acc", "val_loss": "val_loss"}
    names.update(val_accuracy="val_acc", test_loss="test_loss", test_accuracy="test_acc")
    return {short: f"{record[key]:.4f}" for key, short in names.items() if key in record}
