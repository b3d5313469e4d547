"""The resume file: the state of a run, everything it needs to continue exactly where it stopped.

``fit`` writes the run state (weights, optimizer, schedule, early stopping, history, random
generators) to ``TrainConfig.resume_file`` after every epoch, atomically, and continues from it
when the file exists. ``load_weights`` takes the weights out of such a file.
"""

from __future__ import annotations

import contextlib
import os
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn


def rng_states() -> dict[str, Any]:
    """The states of every random generator a training step may draw from.

    Returns:
        torch's CPU generator, every CUDA generator (if any), Python's ``random`` and numpy's
        global generator, in types that ``torch.load(weights_only=True)`` accepts.
    """
    version, mt_state, gauss = random.getstate()
    name, keys, position, has_gauss, cached_gauss = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "python": [version, list(mt_state), gauss],
        "numpy": [name, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, cached_gauss],
    }


def set_rng_states(states: dict[str, Any]) -> None:
    """Restore the generators from ``rng_states()``."""
    torch.set_rng_state(states["torch"])
    if states["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
    version, mt_state, gauss = states["python"]
    random.setstate((version, tuple(mt_state), gauss))
    name, keys, position, has_gauss, cached_gauss = states["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), position, has_gauss, cached_gauss))


def save_run_state(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """Write ``state`` with ``torch.save`` so that ``path`` is always a complete file.

    The state goes to a temporary file in the same folder first, which then replaces ``path``
    in one step (``os.replace``): a session that dies while writing leaves the previous
    file intact.

    Args:
        path: the resume file; its folder is created if needed.
        state: tensors, dicts, lists and numbers.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     save_run_state(f"{folder}/run.pt", {"epoch": 3})
        ...     torch.load(f"{folder}/run.pt")["epoch"]
        3
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(state, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def load_run_state(path: str | os.PathLike) -> dict[str, Any]:
    """Read the run state in a resume file written by ``fit`` (tensors land on the CPU)."""
    return torch.load(Path(path), map_location="cpu", weights_only=True)


def load_weights(model: nn.Module, path: str | os.PathLike, best: bool = False) -> nn.Module:
    """Load into ``model`` the weights of a resume file that ``fit`` wrote, or a saved state dict.

    Args:
        model: a model of the same architecture as the one trained.
        path: the resume file (``TrainConfig.resume_file``), or a file written by
            ``torch.save(model.state_dict(), path)``.
        best: load the weights of the best epoch that early stopping kept, instead of those
            of the last completed epoch (resume files of ``fit`` only).

    Returns:
        ``model``, with the weights loaded.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     save_run_state(f"{folder}/run.pt", {"model": nn.Linear(2, 1).state_dict()})
        ...     load_weights(nn.Linear(2, 1), f"{folder}/run.pt")
        Linear(in_features=2, out_features=1, bias=True)
    """
    if not Path(path).is_file():
        raise FileNotFoundError(
            f"no weights at {path}: give a resume file written by fit (TrainConfig(resume_file="
            "path)) or a file written by torch.save(model.state_dict(), path)"
        )
    state = load_run_state(path)
    if "model" not in state and state and all(isinstance(v, torch.Tensor) for v in state.values()):
        if best:
            raise ValueError(f"{path} is a plain state dict: it holds no best weights")
        model.load_state_dict(state)  # a state dict saved with torch.save
        return model
    if "model" not in state:
        raise ValueError(f"{path} holds no model weights; was it written by fit?")
    weights = state["model"]
    if best:
        weights = (state.get("early_stopping") or {}).get("best_state")
        if weights is None:
            raise ValueError(f"{path} holds no best weights: the run had no early stopping")
    model.load_state_dict(weights)
    return model
