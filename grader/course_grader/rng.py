"""The grader's random generators, handed to the worker with every call into the student's code.

In a notebook, ``torch.manual_seed(0); a = f(X)`` makes ``f`` draw from the generator the test
just seeded, and seeding again repeats the draw. Under the grader ``f`` runs in another
process, so with each call goes :func:`capture`: the states of the grader's ``random``, and of
``numpy`` and ``torch`` when imported, as plain data (base64 text). The worker sets its own
generators to them (:func:`apply`) before the call, so the student's code draws exactly the
numbers it would draw in the notebook. States travel one way only: the grader then advances its
own generators by one draw each, so that two calls in a row get different numbers, and nothing
the worker does reaches the grader's generators.
"""

from __future__ import annotations

import base64
import random
import sys
from array import array
from typing import Any


def _pack(values: Any, typecode: str) -> str:
    return base64.b64encode(array(typecode, values).tobytes()).decode("ascii")


def _unpack(text: str, typecode: str) -> array:
    values = array(typecode)
    values.frombytes(base64.b64decode(text))
    return values


def _seed() -> int:
    """A seed drawn from each generator (this advances them)."""
    seed = random.getrandbits(31)
    if "numpy" in sys.modules:
        seed = seed * 1_000_003 + int(sys.modules["numpy"].random.randint(2**31))
    if "torch" in sys.modules:
        seed = seed * 1_000_003 + int(sys.modules["torch"].randint(2**31, (1,)).item())
    return seed % 2**32  # numpy takes seeds below 2**32


def capture() -> dict[str, Any]:
    """The states of this process's generators, then advance them: for the next call.

    Returns:
        ``{"seed": int, "random": ..., "numpy": ..., "torch": ...}`` (JSON-ready); the seed is
        for the generators the worker has and this process has not imported.
    """
    version, internal, gauss = random.getstate()
    states: dict[str, Any] = {"random": [version, _pack(internal, "I"), gauss]}
    if "numpy" in sys.modules:
        name, keys, pos, has_gauss, cached = sys.modules["numpy"].random.get_state()
        states["numpy"] = [name, _pack(keys.tolist(), "I"), int(pos), int(has_gauss), cached]
    if "torch" in sys.modules:
        state = sys.modules["torch"].get_rng_state().numpy().tobytes()
        states["torch"] = base64.b64encode(state).decode("ascii")
    states["seed"] = _seed()
    return states


def seed_all(seed: int) -> None:
    """Seed ``random`` and, when imported, ``numpy`` and ``torch``."""
    random.seed(seed)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def apply(states: dict[str, Any]) -> None:
    """Set this process's generators to :func:`capture`'s states (the worker, before a call)."""
    seed_all(int(states["seed"]))
    version, internal, gauss = states["random"]
    random.setstate((int(version), tuple(_unpack(internal, "I")), gauss))
    numpy = sys.modules.get("numpy")
    if numpy is not None and "numpy" in states:
        name, keys, pos, has_gauss, cached = states["numpy"]
        keys = numpy.array(_unpack(keys, "I"), dtype=numpy.uint32)
        numpy.random.set_state((name, keys, int(pos), int(has_gauss), float(cached)))
    torch = sys.modules.get("torch")
    if torch is not None and "torch" in states:
        state = bytearray(base64.b64decode(states["torch"]))
        torch.set_rng_state(torch.frombuffer(state, dtype=torch.uint8))
