"""What the rules accept: sequences of floats (lists, tensors, arrays), read by ``finite``."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

Values = Sequence[float]
Names = Sequence[str]


def finite(values: Iterable[float] | float, unit: bool = False) -> list[float] | None:
    """The values as floats; None when empty or not all finite. ``unit``: must lie in [0, 1]."""
    if hasattr(values, "tolist"):  # a tensor or an array
        values = values.tolist()
    if isinstance(values, (int, float)):
        values = [values]
    try:
        out = [float(v) for v in values]
    except (TypeError, ValueError):
        return None
    if not out or not all(math.isfinite(v) for v in out):
        return None
    if unit and not all(0.0 <= v <= 1.0 for v in out):
        raise ValueError(f"expected fractions in [0, 1], got {out} (percentages?)")
    return out
