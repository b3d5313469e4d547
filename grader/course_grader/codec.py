"""Plain data across the sandbox boundary: JSON trees plus raw buffers, never pickle.

Both sides use this module (encoding; :mod:`course_grader.rebuild` decodes). What crosses:
``None``, ``bool``, ``int``, ``float``, ``str``, lists, tuples, named tuples, dicts, sets,
``complex``, ``bytes``, slices, ranges, ``Ellipsis``, torch tensors and numpy arrays (numeric
or bool dtypes; dtype, shape, device and ``requires_grad`` kept), numpy scalars,
``torch.Size``, dtypes and devices. A subclass of one of these is sent as its base type
holding the values the base type stores, so an overridden ``__eq__``, ``__float__`` or
``__iter__`` never crosses. Anything else goes to the ``other`` hook: the worker describes a
standard module or hands out a handle, the grader sends references or refuses.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

TORCH_DTYPES = (
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "bool",
)
MAX_DEPTH = 48
Hook = Callable[[Any, Any], Any]  # (object or node, the Encoder or Rebuilder at work)


class ResultTooLarge(Exception):
    """The value to send is larger than the limit."""


class Encoder:
    """Turn values into JSON trees, appending raw data to ``self.buffers``, within ``limit``."""

    def __init__(self, limit: int, other: Hook) -> None:
        self.limit = limit
        self.other = other
        self.buffers: list[bytes] = []
        self.size = 0

    def count(self, size: int) -> None:
        """Add ``size`` bytes to the total; raise :class:`ResultTooLarge` past the limit."""
        self.size += size
        if self.size > self.limit:
            raise ResultTooLarge(f"the value is larger than {self.limit >> 20} MiB")

    def check(self, size: int) -> None:
        """Raise :class:`ResultTooLarge` if ``size`` more bytes would pass the limit (before
        a large copy is made; :meth:`buffer` counts them)."""
        if self.size + size > self.limit:
            raise ResultTooLarge(f"the value is larger than {self.limit >> 20} MiB")

    def buffer(self, data: bytes) -> int:
        """Store ``data`` as a buffer; return its index."""
        self.count(len(data))
        self.buffers.append(data)
        return len(self.buffers) - 1

    def items(self, values: Any, depth: int) -> list[Any]:
        """Encode every element of an iterable."""
        return [self.encode(value, depth + 1) for value in values]

    def encode(self, obj: Any, depth: int = 0) -> Any:
        """Return the JSON tree of ``obj``."""
        if depth > MAX_DEPTH:
            raise ValueError("the value is nested too deeply")
        self.count(16)
        kind = type(obj)
        if obj is None or kind in (bool, int, float):
            return obj
        if kind is str:
            self.count(len(obj))
            return obj
        torch, np = sys.modules.get("torch"), sys.modules.get("numpy")
        found = _encode_torch(self, torch, obj) if torch is not None else None
        if found is None and np is not None:
            found = _encode_numpy(self, np, obj)
        return found if found is not None else self._builtin(obj, depth)

    def _builtin(self, obj: Any, depth: int) -> Any:
        if isinstance(obj, bool):
            return bool(int.__int__(obj))
        if isinstance(obj, int):
            return int.__int__(obj)
        if isinstance(obj, float):
            return float.__float__(obj)
        if isinstance(obj, str):
            return self.encode(str.__str__(obj), depth)
        if isinstance(obj, complex):
            value = complex.__complex__(obj)
            return {"$": "complex", "v": [value.real, value.imag]}
        if isinstance(obj, (bytes, bytearray)):
            return {"$": "bytes", "buf": self.buffer(bytes(obj))}
        if isinstance(obj, slice):
            return {"$": "slice", "v": self.items([obj.start, obj.stop, obj.step], depth)}
        if isinstance(obj, range):
            return {"$": "range", "v": [obj.start, obj.stop, obj.step]}
        if obj is Ellipsis:
            return {"$": "ellipsis"}
        fields = getattr(type(obj), "_fields", None) if isinstance(obj, tuple) else None
        if isinstance(fields, tuple) and all(type(f) is str for f in fields):
            values = self.items(tuple.__iter__(obj), depth)
            name = f"{type(obj).__module__}.{type(obj).__qualname__}"[:300]
            return {"$": "namedtuple", "name": name, "fields": list(fields), "v": values}
        for base, tag in ((list, "list"), (tuple, "tuple"), (frozenset, "frozenset"), (set, "set")):
            if isinstance(obj, base):
                values = self.items(base.__iter__(obj), depth)
                return values if tag == "list" else {"$": tag, "v": values}
        if isinstance(obj, dict):
            pairs = [self.items(pair, depth) for pair in dict.items(obj)]
            return {"$": "dict", "v": pairs}
        return self.other(obj, self)


def _encode_torch(encoder: Encoder, torch: Any, obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return _encode_tensor(encoder, torch, obj)
    if isinstance(obj, torch.Size):
        return {"$": "size", "v": [int(n) for n in tuple.__iter__(obj)]}
    if isinstance(obj, torch.dtype):
        return {"$": "torch_dtype", "v": str(obj).removeprefix("torch.")}
    if isinstance(obj, torch.device):
        return {"$": "device", "v": str(obj)}
    return None


def _encode_tensor(encoder: Encoder, torch: Any, obj: Any) -> dict[str, Any]:
    with torch._C.DisableTorchFunctionSubclass():
        if obj.layout != torch.strided or obj.is_quantized:
            raise TypeError(f"tensors with layout {obj.layout} cannot be sent")
        device, grad = str(obj.device), bool(obj.requires_grad)
        data = obj.detach().to("cpu").resolve_conj().resolve_neg().contiguous()
        name = str(data.dtype).removeprefix("torch.")
        if name not in TORCH_DTYPES:
            raise TypeError(f"tensors of dtype {data.dtype} cannot be sent")
        shape = [int(n) for n in data.shape]
        encoder.check(data.numel() * data.element_size())
        raw = data.reshape(-1).view(torch.uint8).numpy().tobytes() if data.numel() else b""
    return {
        "$": "tensor",
        "dtype": name,
        "shape": shape,
        "device": device,
        "requires_grad": grad,
        "buf": encoder.buffer(raw),
    }


def _encode_numpy(encoder: Encoder, np: Any, obj: Any) -> Any:
    if isinstance(obj, np.ndarray) and obj.dtype.kind in "biufc" and obj.dtype.names is None:
        encoder.check(obj.nbytes)
        array = np.ascontiguousarray(obj.view(np.ndarray))
        return {
            "$": "ndarray",
            "dtype": array.dtype.str,
            "shape": list(array.shape),
            "buf": encoder.buffer(array.tobytes()),
        }
    if isinstance(obj, np.generic) and obj.dtype.kind in "biufc":
        return {"$": "npscalar", "dtype": obj.dtype.str, "buf": encoder.buffer(obj.tobytes())}
    if isinstance(obj, np.dtype) and obj.kind in "biufc":
        return {"$": "np_dtype", "v": obj.str}
    return None


def encode(value: Any, limit: int, other: Hook) -> tuple[Any, list[bytes]]:
    """Encode ``value``; return its JSON tree and buffers.

    Raises:
        ResultTooLarge: when the encoding exceeds ``limit`` bytes.

    Example:
        >>> encode((1, [2.5, "a"]), 1000, lambda obj, encoder: repr(obj))
        ({'$': 'tuple', 'v': [1, [2.5, 'a']]}, [])
    """
    encoder = Encoder(limit, other)
    return encoder.encode(value), encoder.buffers
