"""``assert_matches``: the comparison test cells use, strict on type before values.

It checks, in order: the kind of value (by exact type, so neither a subclass nor an object of
the student's code that is not plain data passes), then for tensors and arrays the shape,
dtype and device, then the values, with tolerances suited to the dtype and, for float32 on a
GPU (TF32 convolutions), to the device. NaN matches NaN only with ``equal_nan=True``.
Containers are compared element by element, with the path of the first mismatch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

#: (rtol, atol) per dtype; the same as ``torch.testing.assert_close``'s defaults.
TOLERANCES = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
}
#: (rtol, atol) on a GPU, where float32 convolutions may run in TF32.
GPU_TOLERANCES = {
    "float16": (5e-3, 1e-3),
    "bfloat16": (2e-2, 1e-2),
    "float32": (1e-3, 1e-3),
    "complex64": (1e-3, 1e-3),
}


def _kind(value: Any) -> str:
    """The kind of a value by its exact type: numpy and Python scalars of a kind agree."""
    kind = type(value)
    if kind is torch.Tensor:
        return "torch.Tensor"
    if kind is np.ndarray:
        return "numpy.ndarray"
    if kind in (bool, np.bool_):
        return "bool"
    if kind is int or (issubclass(kind, np.integer) and kind.__module__ == "numpy"):
        return "int"
    if kind is float or (issubclass(kind, np.floating) and kind.__module__ == "numpy"):
        return "float"
    if kind is complex or (issubclass(kind, np.complexfloating) and kind.__module__ == "numpy"):
        return "complex"
    if kind in (str, list, tuple, dict, type(None), bytes, torch.Size):
        return kind.__name__
    return f"{kind.__module__}.{kind.__qualname__} object"


def tolerance(dtype: Any, device: str = "cpu") -> tuple[float, float]:
    """The (rtol, atol) for a torch or numpy dtype on a device; (0, 0) for exact dtypes."""
    name = str(dtype).removeprefix("torch.")
    if device.startswith("cuda") and name in GPU_TOLERANCES:
        return GPU_TOLERANCES[name]
    return TOLERANCES.get(name, (0.0, 0.0))


def _fail(name: str, what: str, expected: Any, actual: Any) -> None:
    what = f"{what} " if what else ""
    raise AssertionError(f"{name}: expected {what}{expected}, got {actual}")


def _tensors(
    actual: torch.Tensor,
    expected: torch.Tensor,
    name: str,
    rtol: float | None,
    atol: float | None,
    equal_nan: bool,
) -> None:
    if tuple(actual.shape) != tuple(expected.shape):
        _fail(name, "shape", tuple(expected.shape), tuple(actual.shape))
    if actual.dtype != expected.dtype:
        _fail(name, "dtype", expected.dtype, actual.dtype)
    if actual.device != expected.device:
        _fail(name, "device", expected.device, actual.device)
    default = tolerance(expected.dtype, str(expected.device))
    rtol, atol = default[0] if rtol is None else rtol, default[1] if atol is None else atol
    try:
        torch.testing.assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan)
    except AssertionError as exc:
        raise AssertionError(f"{name}: values differ. {exc}") from None


def _arrays(
    actual: np.ndarray,
    expected: np.ndarray,
    name: str,
    rtol: float | None,
    atol: float | None,
    equal_nan: bool,
) -> None:
    if actual.shape != expected.shape:
        _fail(name, "shape", expected.shape, actual.shape)
    if actual.dtype != expected.dtype:
        _fail(name, "dtype", expected.dtype, actual.dtype)
    default = tolerance(expected.dtype)
    rtol, atol = default[0] if rtol is None else rtol, default[1] if atol is None else atol
    try:
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan)
    except AssertionError as exc:
        raise AssertionError(f"{name}: values differ. {exc}") from None


def _numbers(
    actual: Any, expected: Any, name: str, rtol: float | None, atol: float | None, equal_nan: bool
) -> None:
    both_nan = equal_nan and all(math.isnan(abs(v)) for v in (actual, expected))
    rtol = TOLERANCES["float64"][0] if rtol is None else rtol
    atol = TOLERANCES["float64"][1] if atol is None else atol
    if not both_nan and not abs(actual - expected) <= atol + rtol * abs(expected):
        _fail(name, "", expected, actual)


def _containers(actual: Any, expected: Any, name: str, options: dict[str, Any]) -> None:
    """Compare sequences element by element, dicts key by key."""
    if isinstance(expected, dict):
        if set(actual) != set(expected):
            _fail(name, "keys", sorted(map(repr, expected)), sorted(map(repr, actual)))
        for key in expected:
            assert_matches(actual[key], expected[key], name=f"{name}[{key!r}]", **options)
        return
    if len(actual) != len(expected):
        _fail(name, "length", len(expected), len(actual))
    for index, (a, e) in enumerate(zip(actual, expected, strict=True)):
        assert_matches(a, e, name=f"{name}[{index}]", **options)


def assert_matches(
    actual: Any,
    expected: Any,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = False,
    name: str = "result",
) -> None:
    """Assert that ``actual`` matches ``expected``: kind, then shape/dtype/device, then values.

    Args:
        actual: the student's value.
        expected: the right value (a tensor, array, number, string, or container of them).
        rtol, atol: tolerances; by default those of :func:`tolerance` for the dtype.
        equal_nan: whether NaN in both places counts as equal.
        name: what to call the value in the message.

    Raises:
        AssertionError: saying what differs first.

    Example:
        >>> assert_matches(torch.ones(2), torch.ones(2))
        >>> assert_matches(3.0, 3)
        Traceback (most recent call last):
        AssertionError: result: expected int, got float (3.0)
    """
    kind, wanted = _kind(actual), _kind(expected)
    if kind != wanted:
        shown = kind if kind in ("torch.Tensor", "numpy.ndarray") else repr(actual)[:80]
        raise AssertionError(f"{name}: expected {wanted}, got {kind} ({shown})")
    options = {"rtol": rtol, "atol": atol, "equal_nan": equal_nan}
    if kind == "torch.Tensor":
        _tensors(actual, expected, name, **options)
    elif kind == "numpy.ndarray":
        _arrays(actual, expected, name, **options)
    elif kind in ("float", "complex"):
        _numbers(actual, expected, name, **options)
    elif kind in ("list", "tuple", "Size", "dict"):
        _containers(actual, expected, name, options)
    elif actual != expected:
        _fail(name, "", repr(expected), repr(actual))
