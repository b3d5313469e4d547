"""Rebuild values from the JSON trees and buffers of :mod:`course_grader.codec`.

Decoding builds only the plain types, from allowlisted dtypes and devices (no pickle, no
import of anything the other side names), and calls ``tag`` for handles, references, module
descriptions and named tuples. A named tuple is rebuilt by the receiving side with a class of
its own of the same name and fields, never with a class the other side sends (``tag``
returning None keeps a plain tuple).
"""

from __future__ import annotations

import re
from typing import Any

from course_grader.channel import ChannelError
from course_grader.codec import MAX_DEPTH, TORCH_DTYPES, Hook

_DEVICE = re.compile(r"^(cpu|cuda|mps|xpu)(:\d{1,3})?$")
_NP_DTYPE = re.compile(r"^[<>|=]?[biufc]\d{1,2}$")


class Rebuilder:
    """Rebuild values from a JSON tree and its buffers; ``tag`` handles ``handle``/``ref``."""

    def __init__(self, buffers: list[bytes], tag: Hook) -> None:
        self.buffers = buffers
        self.tag = tag

    def decode(self, node: Any, depth: int = 0) -> Any:
        """Return the value a JSON tree stands for.

        Raises:
            ChannelError: when the tree is malformed or names something not allowed.
        """
        if depth > MAX_DEPTH:
            raise ChannelError("value nested too deeply")
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is list:
            return [self.decode(item, depth + 1) for item in node]
        if type(node) is not dict or type(node.get("$")) is not str:
            raise ChannelError("malformed value")
        try:
            return self._tagged(node, depth + 1)
        except (KeyError, TypeError, ValueError, IndexError, RuntimeError) as exc:
            raise ChannelError(f"malformed {node['$']!r} value: {exc}") from None

    def _tagged(self, node: dict[str, Any], depth: int) -> Any:
        tag = node["$"]
        if tag == "namedtuple":
            values = tuple(self.decode(item, depth) for item in _list(node["v"]))
            fields = [str(field) for field in _list(node["fields"])]
            rebuilt = self.tag(
                {"$": "namedtuple", "name": str(node["name"]), "fields": fields, "values": values},
                self,
            )
            return values if rebuilt is None else rebuilt
        if tag in ("tuple", "set", "frozenset"):
            items = [self.decode(item, depth) for item in _list(node["v"])]
            return {"tuple": tuple, "set": set, "frozenset": frozenset}[tag](items)
        if tag == "dict":
            return {self.decode(k, depth): self.decode(v, depth) for k, v in _list(node["v"])}
        if tag == "complex":
            real, imag = node["v"]
            return complex(float(real), float(imag))
        if tag == "bytes":
            return bytes(self._buffer(node))
        if tag == "slice":
            return slice(*[self.decode(item, depth) for item in _list(node["v"])][:3])
        if tag == "range":
            return range(*[_int(item) for item in _list(node["v"])][:3])
        if tag == "ellipsis":
            return Ellipsis
        if tag in ("tensor", "size", "torch_dtype", "device"):
            return _decode_torch(self, node)
        if tag in ("ndarray", "npscalar", "np_dtype"):
            return _decode_numpy(self, node)
        return self.tag(node, self)

    def _buffer(self, node: dict[str, Any]) -> bytes:
        return self.buffers[_int(node["buf"])]


def _list(value: Any) -> list[Any]:
    if type(value) is not list:
        raise TypeError("expected a list")
    return value


def _int(value: Any) -> int:
    if type(value) is not int:
        raise TypeError("expected an int")
    return value


def _shape(value: Any) -> list[int]:
    shape = [_int(n) for n in _list(value)]
    if any(n < 0 for n in shape) or len(shape) > 64:
        raise ValueError("bad shape")
    return shape


def _device(torch: Any, name: Any) -> Any:
    if type(name) is not str or not _DEVICE.match(name):
        raise ValueError(f"device {name!r} is not allowed")
    return torch.device(name)


def _decode_torch(rebuilder: Rebuilder, node: dict[str, Any]) -> Any:
    import torch

    tag = node["$"]
    if tag == "size":
        return torch.Size(_shape(node["v"]))
    if tag == "device":
        return _device(torch, node["v"])
    name = node["v"] if tag == "torch_dtype" else node["dtype"]
    if name not in TORCH_DTYPES or not hasattr(torch, name):
        raise ValueError(f"dtype {name!r} is not allowed")
    dtype = getattr(torch, name)
    if tag == "torch_dtype":
        return dtype
    shape, raw = _shape(node["shape"]), rebuilder._buffer(node)
    size = torch.empty((), dtype=dtype).element_size()
    count = 1
    for n in shape:
        count *= n
    if len(raw) != count * size:
        raise ValueError("the buffer does not match the shape and dtype")
    flat = torch.frombuffer(bytearray(raw), dtype=torch.uint8) if raw else torch.empty(0)
    flat = flat.to(torch.uint8)
    tensor = (flat != 0) if dtype == torch.bool else flat.view(dtype)
    tensor = tensor.reshape(shape).to(_device(torch, node["device"]))
    if node.get("requires_grad") is True and (tensor.is_floating_point() or tensor.is_complex()):
        tensor.requires_grad_(True)
    return tensor


def _decode_numpy(rebuilder: Rebuilder, node: dict[str, Any]) -> Any:
    import numpy as np

    name = node["v"] if node["$"] == "np_dtype" else node["dtype"]
    if type(name) is not str or not _NP_DTYPE.match(name):
        raise ValueError(f"dtype {name!r} is not allowed")
    dtype = np.dtype(name)
    if node["$"] == "np_dtype":
        return dtype
    raw = rebuilder._buffer(node)
    if node["$"] == "npscalar":
        if len(raw) != dtype.itemsize:
            raise ValueError("the buffer does not match the dtype")
        return np.frombuffer(raw, dtype=dtype)[0]
    shape = _shape(node["shape"])
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def decode(tree: Any, buffers: list[bytes], tag: Hook) -> Any:
    """Rebuild the value of an encoded JSON tree.

    Example:
        >>> decode({"$": "tuple", "v": [1, {"$": "complex", "v": [0.0, 1.0]}]}, [], print)
        (1, 1j)
    """
    return Rebuilder(buffers, tag).decode(tree)
