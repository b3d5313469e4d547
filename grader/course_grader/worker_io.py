"""Helpers of the sandboxed worker: output sink, probing, error replies."""

from __future__ import annotations

import os
import traceback
from typing import Any

from course_grader.codec import ResultTooLarge
from course_lib.grading.calls import ForbiddenCall

_MEMORY_WORDS = ("can't allocate memory", "out of memory", "cannot allocate memory")


class Sink:
    """A write-only text stream that counts what it is given and keeps nothing."""

    encoding = "utf-8"

    def __init__(self) -> None:
        self.written = 0

    def write(self, text: str) -> int:
        """Count ``text`` and drop it."""
        self.written += len(text)
        return len(text)

    def flush(self) -> None:
        """Nothing to flush."""

    def isatty(self) -> bool:
        """Not a terminal."""
        return False


def display(*objects: Any, **_: Any) -> None:
    """Stand-in for IPython's ``display``: prints nothing that matters for grading."""
    print(*objects)


def probe(paths: list[str]) -> list[str]:
    """Return those of ``paths`` this process can read (files) or list (folders)."""
    readable = []
    for path in paths:
        try:
            if os.path.isdir(path):
                os.listdir(path)
            else:
                with open(path, "rb") as handle:
                    handle.read(1)
            readable.append(path)
        except OSError:
            pass
    return readable


def _kind(exc: BaseException, message: str, interrupted: bool) -> str:
    if interrupted and isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, ResultTooLarge):
        return "too_large"
    if isinstance(exc, ForbiddenCall):
        return "forbidden"
    if isinstance(exc, StopIteration):
        return "stop"
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return "memory"
    if isinstance(exc, RuntimeError) and any(word in message for word in _MEMORY_WORDS):
        return "memory"
    return "exception"


def error_reply(exc: BaseException, interrupted: bool) -> dict[str, Any]:
    """Describe an exception of student code as plain data."""
    try:
        message = str(exc)[:2000]
    except BaseException:  # noqa: BLE001 - a student's __str__ may raise anything
        message = "<the exception could not be printed>"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith("<cell")]
    trace = "".join(traceback.format_list(frames[-12:]))[-4000:]
    return {
        "ok": False,
        "kind": _kind(exc, message, interrupted),
        "type": type(exc).__name__[:100],
        "message": message,
        "traceback": trace,
    }
