"""Framed messages over a pipe: a JSON header and raw binary buffers, never pickle.

A frame is ``b"CLG1"``, the total length (8 bytes), the header length (4 bytes), the header
(UTF-8 JSON; its ``"buffers"`` key lists the lengths of the buffers) and the buffers. The
reader checks the announced length against its limit before reading anything else, and every
read of the trusted side has a deadline.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import Any

MAGIC = b"CLG1"
#: Most JSON values (counted by their brackets and commas) a header may hold: a header of a few
#: MiB of ``[[],[],...]`` would otherwise become gigabytes of Python objects when parsed.
MAX_NODES = 2_000_000
_PREFIX = struct.Struct("<4sQI")


class ChannelError(Exception):
    """The other side broke the protocol."""


class ChannelClosed(ChannelError):
    """The other side closed the pipe (it exited or crashed)."""


class ChannelTimeout(ChannelError):
    """No complete message arrived before the deadline.

    ``partial`` is True when part of a message was read: the stream is then out of step.
    """

    def __init__(self, partial: bool = False) -> None:
        super().__init__("deadline passed")
        self.partial = partial


class MessageTooLarge(ChannelError):
    """The other side announced a message larger than the reader accepts."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"a message of {size} bytes is larger than the limit of {limit}")
        self.size = size
        self.limit = limit


def _wait(fd: int, deadline: float | None, partial: bool, write: bool = False) -> None:
    """Block until ``fd`` is ready, or raise :class:`ChannelTimeout` at ``deadline``."""
    if deadline is None:
        return
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ChannelTimeout(partial)
    ready = (
        select.select([], [fd], [], remaining) if write else select.select([fd], [], [], remaining)
    )
    if not any(ready):
        raise ChannelTimeout(partial)


def _read_exact(fd: int, size: int, deadline: float | None, started: bool) -> bytes:
    data = bytearray()
    while len(data) < size:
        _wait(fd, deadline, started or bool(data))
        try:
            chunk = os.read(fd, min(size - len(data), 1 << 20))
        except BlockingIOError:
            continue
        if not chunk:
            raise ChannelClosed("the pipe was closed")
        data += chunk
    return bytes(data)


def _write_all(fd: int, data: bytes, deadline: float | None) -> None:
    view = memoryview(data)
    while view:
        _wait(fd, deadline, True, write=True)
        try:
            written = os.write(fd, view[: 1 << 20])
        except BlockingIOError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            raise ChannelClosed("the pipe was closed") from None
        view = view[written:]


def send(
    fd: int, header: dict[str, Any], buffers: list[bytes] = (), deadline: float | None = None
) -> None:
    """Write one message: ``header`` (JSON-serialisable) and ``buffers``."""
    header = dict(header, buffers=[len(b) for b in buffers])
    head = json.dumps(header, allow_nan=True, separators=(",", ":")).encode()
    total = len(head) + sum(len(b) for b in buffers)
    _write_all(fd, _PREFIX.pack(MAGIC, total, len(head)) + head, deadline)
    for buffer in buffers:
        _write_all(fd, bytes(buffer), deadline)


def receive(
    fd: int, deadline: float | None = None, limit: int = 1 << 62
) -> tuple[dict[str, Any], list[bytes]]:
    """Read one message; return its header and buffers.

    Raises:
        ChannelTimeout: when ``deadline`` (a :func:`time.monotonic` value) passes first.
        MessageTooLarge: when the announced size exceeds ``limit`` bytes (nothing more is read).
        ChannelClosed: when the pipe is closed; ChannelError: on a malformed message.
    """
    magic, total, head_size = _PREFIX.unpack(_read_exact(fd, _PREFIX.size, deadline, False))
    if magic != MAGIC or head_size > total:
        raise ChannelError("malformed message")
    if total > limit:
        raise MessageTooLarge(total, limit)
    body = _read_exact(fd, total, deadline, True)
    head = body[:head_size]
    if head.count(b",") + head.count(b"[") + head.count(b"{") > MAX_NODES:
        raise ChannelError(f"the header holds more than {MAX_NODES} values")
    try:
        header = json.loads(head)
    except (ValueError, RecursionError) as exc:
        raise ChannelError(f"malformed header: {exc}") from None
    sizes = header.get("buffers") if isinstance(header, dict) else None
    if not isinstance(sizes, list) or not all(type(s) is int and s >= 0 for s in sizes):
        raise ChannelError("malformed buffer list")
    if head_size + sum(sizes) != total:
        raise ChannelError("buffer sizes do not add up")
    buffers, offset = [], head_size
    for size in sizes:
        buffers.append(body[offset : offset + size])
        offset += size
    return header, buffers
