"""``complexity_profile``: the complexity of the data at the entry and exit of every layer.

Ho (2022) passes the data through a trained network in evaluation mode, records each layer's
input and output with forward hooks, and measures the nearest-neighbour error of every one of
these representations. ``complexity_profile`` does that, in the order the layers run:

1. A probe with one image finds the positions (every layer's "in" and "out"), their
   dimensions, and which positions hold the very same tensor (the output of ``conv1`` *is* the
   input of ``tanh1``): those are measured once.
2. The positions are grouped so that their captured representations, ``N x D`` float32 each,
   fit in ``max_bytes``; for each group the data pass through the network in batches, hooks copy
   the group's representations into buffers, and the pass stops after the group's last layer.
3. Each buffer is measured (``nn_error`` by default) on the device, without TF32.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from course_lib.complexity.nn import nn_error
from course_lib.complexity.precision import full_precision
from course_lib.complexity.search import threads_for

SKIPPED = (nn.Flatten, nn.Identity)  # change no distance: left out unless named in ``layers``


@dataclass(frozen=True)
class LayerComplexity:
    """The complexity of the data at one position of a network.

    Attributes:
        layer: the module's name in ``model.named_modules()`` (``"#2"`` added for its second
            call within one forward pass, if any).
        position: "in" (the layer's input) or "out" (its output).
        kind: the module's class name, e.g. "Conv2d", "BatchNorm2d", "Dropout".
        dim: the dimension D of the flattened representation.
        error: the measure there (the leave-one-out 1-NN error unless another was given).
        measured: False when the position holds the very tensor of an earlier one (a layer's
            input that is the previous layer's output), whose error it repeats.
    """

    layer: str
    position: str
    kind: str
    dim: int
    error: float
    measured: bool = True

    @property
    def label(self) -> str:
        """``"conv1 in"``: how a plot names the position."""
        return f"{self.layer} {self.position}"


class _Stop(Exception):
    """Raised by a hook once a group's last position has been captured."""


def _layers(model: nn.Module, layers: Sequence[str] | None) -> list[tuple[str, nn.Module]]:
    modules = dict(model.named_modules())
    if layers is None:
        return [(name, m) for name, m in modules.items()
                if name and not any(m.children()) and not isinstance(m, SKIPPED)]  # fmt: skip
    missing = [name for name in layers if name not in modules]
    if missing:
        raise ValueError(f"the model has no modules {missing}; see model.named_modules()")
    return [(name, modules[name]) for name in layers]


@contextmanager
def _hooks(layers: list[tuple[str, nn.Module]], seen: Callable[..., None]) -> Iterator[None]:
    """Call ``seen(name, module, position, tensor)`` at every layer's entry and exit."""

    def pre(name: str, module: nn.Module, args: tuple) -> None:
        if args and isinstance(args[0], Tensor):
            seen(name, module, "in", args[0])

    def post(name: str, module: nn.Module, args: tuple, out: Any) -> None:
        if isinstance(out, Tensor):
            seen(name, module, "out", out)

    handles = []
    for name, module in layers:
        handles.append(module.register_forward_pre_hook(lambda m, a, n=name: pre(n, m, a)))
        handles.append(module.register_forward_hook(lambda m, a, o, n=name: post(n, m, a, o)))
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


@dataclass
class _Position:
    layer: str
    position: str
    kind: str
    dim: int
    source: int  # index of the first position that holds the same tensor (itself if none)


def _probe(model: nn.Module, layers: list, X: Tensor) -> list[_Position]:
    """Run one input; return the positions in the order they fire, with their aliases."""
    found: list[_Position] = []
    tensors: dict[tuple, tuple[int, Tensor]] = {}  # what the tensor holds -> (index, tensor)
    calls: dict[str, int] = {}

    def seen(name: str, module: nn.Module, position: str, t: Tensor) -> None:
        count = calls[name] = calls.get(name, 0) + (position == "in")
        layer = name if count <= 1 else f"{name}#{count}"
        # The same memory, unchanged since (same version), holds the same values: a layer's
        # output that is the next one's input, or a flattened view of it.
        held = (t.data_ptr(), t.numel(), t._version) if t.is_contiguous() else (id(t), t._version)
        index, _ = tensors.setdefault(held, (len(found), t))  # keeps t alive while probing
        found.append(_Position(layer, position, type(module).__name__, t[0].numel(), index))

    with _hooks(layers, seen):
        model(X)
    return found


def _groups(positions: list[_Position], n: int, max_bytes: int) -> list[list[int]]:
    """Consecutive positions to capture, each group within ``max_bytes`` (one at least)."""
    groups, size = [[]], 0
    for i, p in enumerate(positions):
        if p.source != i:
            continue
        if groups[-1] and size + 4 * n * p.dim > max_bytes:
            groups, size = groups + [[]], 0
        groups[-1].append(i)
        size += 4 * n * p.dim
    return groups


def _capture(
    model: nn.Module,
    layers: list,
    X: Tensor,
    positions: list[_Position],
    group: list[int],
    batch_size: int,
    device: torch.device,
) -> dict[int, Tensor]:
    """The representations of ``group``'s positions for all of ``X``, ``(N, D)`` each."""
    buffers = {i: torch.empty(len(X), positions[i].dim, device=device) for i in group}
    where = {"batch": 0, "index": 0}
    wanted, last = set(group), max(group)
    model_device = next(model.parameters(), torch.empty(0)).device

    def seen(name: str, module: nn.Module, position: str, t: Tensor) -> None:
        i = where["index"]
        where["index"] += 1
        if i in wanted:
            start = where["batch"]
            buffers[i][start : start + len(t)] = t.detach().reshape(len(t), -1)
        if i == last:
            raise _Stop

    with _hooks(layers, seen):
        for start in range(0, len(X), batch_size):
            where.update(batch=start, index=0)
            try:
                model(X[start : start + batch_size].to(model_device))
            except _Stop:
                pass
    return buffers


@contextmanager
def _evaluation(model: nn.Module, dropout_active: bool, seed: int) -> Iterator[None]:
    """Evaluation mode (dropout too unless ``dropout_active``), restored afterwards."""
    modes = {m: m.training for m in model.modules()}
    model.eval()
    if dropout_active:
        for m in model.modules():
            if isinstance(m, nn.modules.dropout._DropoutNd):
                m.train()
    try:
        yield
    finally:
        for m, training in modes.items():
            m.train(training)


def _default_max_bytes(device: torch.device) -> int:
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free // 4)  # the measure needs about as much again, the model some more
    return 1 << 30


def complexity_profile(
    model: nn.Module,
    X: Tensor,
    y: Tensor,
    *,
    layers: Sequence[str] | None = None,
    measure: Callable[..., float] = nn_error,
    subsets: int = 1,
    batch_size: int = 500,
    device: str | torch.device | None = None,
    max_bytes: int | None = None,
    dropout_active: bool = False,
    seed: int = 0,
) -> list[LayerComplexity]:
    """The complexity of ``(X, y)`` at the entry and exit of every layer of ``model``.

    The model runs in evaluation mode (restored afterwards), without gradients and without
    TF32, on the device where its parameters are.

    Args:
        model: the network; its layers are found with ``named_modules()``.
        X: the inputs ``(N, ...)`` as the model takes them (moved to the model's device in
            batches).
        y: the labels ``(N,)``.
        layers: names of the modules to hook; None: every leaf module but ``Flatten`` and
            ``Identity`` (they change no distance).
        measure: ``measure(R, y, device=...)`` for a representation R ``(N, D)``: ``nn_error``
            or, e.g., ``measures.n2``.
        subsets: Ho's protocol for the training set: measure each of ``subsets`` interleaved
            parts ``X[i::subsets]`` (truncated to one size) and average. 1: all of ``X``.
        batch_size: images per forward pass.
        device: where representations are kept and measured; None: the model's device.
        max_bytes: memory for the captured representations of one pass; None: a quarter of
            the free GPU memory, or 1 GiB on a CPU. Positions that do not fit in one pass get
            another pass each (a pass stops after its last layer).
        dropout_active: keep the dropout layers in training mode (random masks, from
            ``seed``) while the rest is in evaluation mode.
        seed: the seed of the dropout masks; the caller's random state is left untouched.

    Returns:
        One ``LayerComplexity`` per (layer, position), in the order the layers ran.

    Example:
        >>> from course_lib.models import lenet5
        >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
        <torch._C.Generator object at ...>
        >>> X, y = torch.rand(40, 1, 32, 32), torch.arange(40) % 4
        >>> profile = complexity_profile(lenet5(), X, y)
        >>> [p.label for p in profile[:3]], profile[0].dim, profile[-1].dim
        (['conv1 in', 'conv1 out', 'tanh1 in'], 1024, 10)
    """
    chosen = _layers(model, layers)
    if not isinstance(subsets, int) or subsets < 1 or len(X) // subsets < 2:
        raise ValueError(f"subsets must be an int >= 1 leaving 2 points each, got {subsets!r}")
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} points but y has {len(y)} labels")
    size = len(X) // subsets
    parts = [(X[i::subsets][:size], y[i::subsets][:size]) for i in range(subsets)]
    runs = [
        _profile(model, chosen, Xi, yi, measure, batch_size, device, max_bytes,
                 dropout_active, seed)
        for Xi, yi in parts
    ]  # fmt: skip
    mean = [sum(run[k][4] for run in runs) / subsets for k in range(len(runs[0]))]
    return [
        LayerComplexity(*row[:4], error, measured=row[5])
        for row, error in zip(runs[0], mean, strict=True)
    ]


def _profile(model, layers, X, y, measure, batch_size, device, max_bytes, dropout_active, seed):
    """One profile, as tuples ``(layer, position, kind, dim, error, measured)``."""
    model_device = next(model.parameters(), torch.empty(0)).device
    device = torch.device(device) if device is not None else model_device
    budget = max_bytes or _default_max_bytes(device)
    forks = [model_device] if model_device.type == "cuda" else []
    errors: dict[int, float] = {}
    small = threads_for(len(X), model_device if device.type == "cpu" else device)
    with torch.no_grad(), full_precision(), _evaluation(model, dropout_active, seed), small:
        with torch.random.fork_rng(devices=forks):  # dropout masks leave no trace outside
            positions = _probe(model, layers, X[:1].to(model_device))
        for group in _groups(positions, len(X), budget):
            with torch.random.fork_rng(devices=forks):
                torch.manual_seed(seed)  # the same masks in every pass
                buffers = _capture(model, layers, X, positions, group, batch_size, device)
            for i, R in buffers.items():
                errors[i] = measure(R, y, device=device)
            del buffers
    return [
        (p.layer, p.position, p.kind, p.dim, errors[p.source], p.source == i)
        for i, p in enumerate(positions)
    ]


def classification_error(model: nn.Module, X: Tensor, y: Tensor, *, batch_size: int = 500) -> float:
    """The end-to-end error of ``model`` on ``(X, y)``: the fraction of wrong argmax classes.

    Evaluation mode (restored afterwards), no gradients, no TF32.

    Example:
        >>> model = nn.Linear(1, 2)
        >>> with torch.no_grad():
        ...     _ = model.weight.copy_(torch.tensor([[-1.0], [1.0]])), model.bias.zero_()
        >>> X, y = torch.tensor([[-2.0], [3.0], [4.0]]), torch.tensor([0, 1, 0])
        >>> classification_error(model, X, y)  # predicts 0, 1, 1
        0.3333333333333333
    """
    model_device = next(model.parameters(), torch.empty(0)).device
    wrong = 0
    with torch.no_grad(), full_precision(), _evaluation(model, False, 0):
        for start in range(0, len(X), batch_size):
            logits = model(X[start : start + batch_size].to(model_device))
            labels = y[start : start + batch_size].to(logits.device)
            wrong += int((logits.argmax(1) != labels).sum())
    return wrong / len(X)
