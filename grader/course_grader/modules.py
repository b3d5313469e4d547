"""``torch.nn`` modules as values: a structural description, rebuilt with the receiver's classes.

A network built only from standard layers (``nn.Sequential`` of ``Conv2d``, ``ReLU``,
``Linear``...) crosses the sandbox boundary as plain data: the class's *name* (looked up in the
receiver's own ``torch.nn``, from :data:`ALLOWED`), its hyperparameters (ints, floats, strings,
tuples), its parameters and buffers (tensors), and its children. The receiver rebuilds it with
its own classes and code, so the grader gets a real module (autograd, optimizers, ``deepcopy``)
without running a line of the student's code. A module of any other class, or with hooks,
stays in the worker and crosses as a handle.

Identity is kept within one worker: the same remote module (or parameter) comes back as the
same local object, its values refreshed, and a module the grader sends back to the worker is
the worker's original object, its values set from the grader's copy.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

ALLOWED = frozenset(
    "Sequential ModuleList ModuleDict Identity Linear Bilinear Flatten Unflatten "
    "Conv1d Conv2d Conv3d ConvTranspose1d ConvTranspose2d ConvTranspose3d "
    "MaxPool1d MaxPool2d MaxPool3d AvgPool1d AvgPool2d AvgPool3d AdaptiveAvgPool1d "
    "AdaptiveAvgPool2d AdaptiveAvgPool3d AdaptiveMaxPool1d AdaptiveMaxPool2d "
    "ReLU ReLU6 LeakyReLU PReLU ELU SELU CELU GELU SiLU Mish Sigmoid Tanh Hardtanh Hardswish "
    "Hardsigmoid Softplus Softsign Softmax LogSoftmax Tanhshrink Threshold "
    "Dropout Dropout1d Dropout2d Dropout3d AlphaDropout BatchNorm1d BatchNorm2d BatchNorm3d "
    "LayerNorm GroupNorm InstanceNorm1d InstanceNorm2d LocalResponseNorm".split()
)
_INTERNALS = frozenset(vars(nn.Module()))
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # children of a Sequential are "0", "1"...
Encode = Callable[[Any], Any]


def _plain(value: Any, depth: int = 0) -> bool:
    if value is None or type(value) in (bool, int, float, str):
        return True
    return type(value) in (tuple, list) and depth < 2 and all(_plain(v, depth + 1) for v in value)


def describable(module: Any) -> bool:
    """Whether a module (and all its children) can cross as a description."""
    kind = type(module)
    if not kind.__module__.startswith("torch.nn.modules.") or kind.__name__ not in ALLOWED:
        return False
    hooks = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")
    if any(getattr(module, name, None) for name in hooks):
        return False
    return all(describable(child) for child in module._modules.values() if child is not None)


def fingerprint(module: nn.Module) -> tuple[Any, ...]:
    """What changes when a module is trained or rebuilt: its tensors' identities and versions,
    the modes and the children."""
    tensors = [*module.named_parameters(), *module.named_buffers()]
    state = [(name, id(t), t._version) for name, t in tensors]
    return tuple(state), tuple((id(m), m.training) for m in module.modules())


def describe(module: nn.Module, encode: Encode, origin: int | None = None) -> dict[str, Any]:
    """The plain-data description of a :func:`describable` module (tensors via ``encode``)."""
    attrs = {k: v for k, v in vars(module).items() if k not in _INTERNALS and _plain(v)}
    return {
        "$": "module",
        "class": type(module).__name__,
        "id": id(module),
        "origin": origin,
        "training": bool(module.training),
        "attrs": encode(attrs),
        "params": [[n, encode(p)] for n, p in module._parameters.items()],
        "buffers": [[n, encode(b)] for n, b in module._buffers.items()],
        "transient": sorted(module._non_persistent_buffers_set),
        "children": [
            [n, None if c is None else describe(c, encode)] for n, c in module._modules.items()
        ],
    }


def _tensor(value: Any) -> torch.Tensor | None:
    if value is not None and type(value) is not torch.Tensor:
        raise ValueError("a parameter or buffer is not a tensor")
    return value


def _names(pairs: Any) -> list[tuple[str, Any]]:
    if type(pairs) is not list or not all(type(p) is list and len(p) == 2 for p in pairs):
        raise ValueError("malformed module description")
    for name, _ in pairs:
        if type(name) is not str or not _KEY.match(name):
            raise ValueError(f"bad name {name!r} in a module description")
    return [(name, value) for name, value in pairs]


def _set_state(module: nn.Module, node: dict[str, Any], decode: Encode) -> None:
    """Give ``module`` the parameters, buffers and mode of a description of the same class."""
    for name, value in _names(node["params"]):
        tensor = _tensor(decode(value))
        old = module._parameters.get(name)
        if tensor is not None and old is not None and old.shape == tensor.shape:
            with torch.no_grad():
                old.copy_(tensor)
            old.requires_grad_(tensor.requires_grad)
        else:
            grad = tensor is not None and tensor.requires_grad
            module._parameters[name] = None if tensor is None else nn.Parameter(tensor, grad)
    for name, value in _names(node["buffers"]):
        module._buffers[name] = _tensor(decode(value))
    module._non_persistent_buffers_set = {str(n) for n in node.get("transient", [])}
    module.training = node["training"] is True


def refresh(module: nn.Module, node: dict[str, Any], decode: Encode) -> bool:
    """Update ``module`` in place from a description of the same structure; False if not."""
    children = _names(node["children"])
    if type(module).__name__ != node["class"] or [n for n, _ in children] != list(module._modules):
        return False
    for name, child in children:
        existing = module._modules[name]
        if (child is None) != (existing is None):
            return False
        if existing is not None and not refresh(existing, child, decode):
            return False
    _set_state(module, node, decode)
    return True


def _resolve(name: Any) -> type[nn.Module]:
    kind = getattr(nn, name, None) if isinstance(name, str) and name in ALLOWED else None
    if not isinstance(kind, type) or not issubclass(kind, nn.Module):
        raise ValueError(f"modules of class {name!r} cannot be rebuilt")
    return kind


def rebuild(
    node: dict[str, Any],
    decode: Encode,
    memo: dict[int, nn.Module],
    originals: Callable[[int], nn.Module | None] = lambda key: None,
) -> nn.Module:
    """Build (or refresh in place) a module from its description, with this process's classes.

    ``memo`` maps the sender's ids to modules built before; ``originals`` finds a module of
    this process that the sender's copy came from (a description's ``origin``).

    Raises:
        ValueError: when the description names a class outside :data:`ALLOWED` or is malformed.
    """
    kind = _resolve(node["class"])
    found = originals(node["origin"]) if type(node.get("origin")) is int else None
    found = found if found is not None else memo.get(node["id"])
    if found is not None and refresh(found, node, decode):
        return found
    module = kind.__new__(kind)
    nn.Module.__init__(module)
    attrs = decode(node["attrs"])
    for key, value in (attrs if isinstance(attrs, dict) else {}).items():
        declared = getattr(kind, key, None)
        if isinstance(key, str) and _NAME.match(key) and key not in _INTERNALS and _plain(value):
            if not callable(declared) and not isinstance(declared, property):
                module.__dict__[key] = value
    _set_state(module, node, decode)
    for name, child in _names(node["children"]):
        module._modules[name] = None if child is None else rebuild(child, decode, memo)
    memo[node["id"]] = module
    return module
