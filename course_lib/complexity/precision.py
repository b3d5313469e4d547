"""``full_precision``: float32 matrix products and convolutions computed in float32, no TF32.

On NVIDIA GPUs since Ampere, PyTorch lets cuDNN convolutions (and, if asked, matrix products)
run in TF32, which keeps only 10 bits of the mantissa: 1,000 times coarser than float32.
That is harmless for training and wrong for nearest-neighbour distances, where two candidates
often differ in the fifth digit. Inside ``full_precision()`` every float32 product and
convolution is computed in IEEE float32 (on CPUs too: oneDNN may otherwise use bfloat16), and
autocast is off; the settings the caller had come back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

import torch


def _backends() -> list[object]:
    """The backends that have a ``fp32_precision`` setting (PyTorch 2.9 and later)."""
    b = torch.backends
    candidates = [getattr(b.cuda, "matmul", None), getattr(b.cudnn, "conv", None)]
    if hasattr(b, "mkldnn"):
        candidates += [getattr(b.mkldnn, "matmul", None), getattr(b.mkldnn, "conv", None)]
    return [c for c in candidates if c is not None and hasattr(c, "fp32_precision")]


@contextmanager
def full_precision() -> Iterator[None]:
    """Compute float32 matrix products and convolutions in IEEE float32 inside the block.

    Example:
        >>> with full_precision():
        ...     torch.get_float32_matmul_precision()
        'highest'
    """
    backends = _backends()
    if backends:  # the new API; mixing it with allow_tf32 is an error in recent PyTorch
        saved = [backend.fp32_precision for backend in backends]
        for backend in backends:
            backend.fp32_precision = "ieee"
    else:  # older PyTorch, e.g. on Colab
        saved = [torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32]
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
        matmul_precision = torch.get_float32_matmul_precision()
        torch.set_float32_matmul_precision("highest")
    try:
        with torch.autocast("cpu", enabled=False):
            if torch.cuda.is_available():
                with torch.autocast("cuda", enabled=False):
                    yield
            else:
                yield
    finally:
        if backends:
            for backend, value in zip(backends, saved, strict=True):
                with suppress(RuntimeError):
                    backend.fp32_precision = value
        else:
            torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved
            torch.set_float32_matmul_precision(matmul_precision)
