"""Library functions the student's code must not call, or must call, during a test.

A test cell that checks *how* a result was computed cannot use ``unittest.mock.patch``: under
the grader the student's code runs in another process, which the patch never reaches. It
writes instead::

    from course_lib.grading.calls import counted, forbidden

    with (
        forbidden("torch.nn.functional.avg_pool2d", "course_lib.ops.pool2d",
                  message="compute the average with F.conv2d, not a pooling function"),
        counted("torch.nn.functional.conv2d") as conv2d,
    ):
        Y = avg_pool_by_conv(X, 2)
    assert conv2d.count >= 1, "use F.conv2d to compute the average"

This replaces the named functions in the current process, as a patch would. Under the
grader, every call into the student's code made inside the block also carries the names; the
worker replaces them for the duration of the call (a forbidden function raises
:class:`ForbiddenCall`, an ``AssertionError``, with the message; a counted one counts and
runs) and sends the counts back. Like a
patch, it sees calls made through the module attribute (``F.conv2d(...)``), not calls through
a reference taken before.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: Set by the grader's runner: the names then go to the worker with each call.
REMOTE = {"enabled": False}
_ACTIVE: list[dict[str, str]] = []
_COUNTERS: list[Calls] = []


class ForbiddenCall(AssertionError):
    """Raised by a forbidden function; the grader reports the test as failed."""


class Calls:
    """How many times the student's code called ``name`` inside a :func:`counted` block."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0


def active() -> list[dict[str, str]]:
    """The replacements in force (``module``, ``name``, ``kind``, ``message``), for the worker."""
    return list(_ACTIVE)


def record(counts: dict[str, int]) -> None:
    """Add the counts the worker sent back to the counters in force."""
    for counter in _COUNTERS:
        value = counts.get(counter.name, 0)
        counter.count += value if type(value) is int and value > 0 else 0


def _replacement(spec: dict[str, str], original: Any, counts: dict[str, int]) -> Any:
    key = f"{spec['module']}.{spec['name']}"

    def replacement(*args: Any, **kwargs: Any) -> Any:
        """Refuse the call, or count it and make it."""
        if spec["kind"] == "forbid":
            raise ForbiddenCall(spec["message"])
        counts[key] = counts.get(key, 0) + 1
        return original(*args, **kwargs)

    return replacement


@contextmanager
def replaced(specs: list[dict[str, str]]) -> Iterator[dict[str, int]]:
    """Replace each ``module.name`` of ``specs``; yield the counts of the counted ones."""
    saved, counts = [], {}
    try:
        for spec in specs:
            module = importlib.import_module(spec["module"])
            original = getattr(module, spec["name"])
            saved.append((module, spec["name"], original))
            setattr(module, spec["name"], _replacement(spec, original, counts))
        yield counts
    finally:
        for module, name, value in reversed(saved):
            setattr(module, name, value)


def _specs(names: tuple[str, ...], kind: str, message: str) -> list[dict[str, str]]:
    specs = []
    for name in names:
        module, _, attribute = name.rpartition(".")
        if not module:
            raise ValueError(f"{name!r} is not a dotted path like 'torch.conv2d'")
        specs.append({"module": module, "name": attribute, "kind": kind, "message": message})
    return specs


@contextmanager
def _in_force(specs: list[dict[str, str]], counter: Calls | None) -> Iterator[None]:
    """Replace the functions here (the grader's own modules run here too) and, under the
    grader, in the worker for every call made in the block."""
    if counter is not None:
        _COUNTERS.append(counter)
    if REMOTE["enabled"]:
        _ACTIVE.extend(specs)
    try:
        with replaced(specs) as counts:
            yield
        record(counts)
    finally:
        if REMOTE["enabled"]:
            del _ACTIVE[len(_ACTIVE) - len(specs) :]
        if counter is not None:
            _COUNTERS.remove(counter)


@contextmanager
def forbidden(*names: str, message: str = "this function may not be used here") -> Iterator[None]:
    """In the block, the functions ``names`` (dotted paths) raise ``AssertionError(message)``.

    Raises:
        ValueError: when a name has no module part.
    """
    with _in_force(_specs(names, "forbid", message), None):
        yield


@contextmanager
def counted(name: str) -> Iterator[Calls]:
    """Count the calls of the function ``name`` (a dotted path) in the block.

    Raises:
        ValueError: when the name has no module part.
    """
    counter = Calls(name)
    with _in_force(_specs((name,), "count", ""), counter):
        yield counter
