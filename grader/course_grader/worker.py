"""The sandboxed worker: runs the student's notebook, then answers calls with plain data.

Started by :mod:`course_grader.sandbox` as ``python -I -m course_grader.worker
FD_IN FD_OUT CONFIG`` (or forked from the zygote); it reads requests from ``FD_IN`` and writes
replies to ``FD_OUT`` (:mod:`course_grader.channel`). Everything here is untrusted once
the student's first cell has run: the grader believes nothing it says except plain data, which
it checks.

Requests (``op``): ``cell`` (run a cell), ``lookup`` (the values of names), ``call``,
``getattr``, ``setattr``, ``getitem``, ``len``, ``list``, ``next``, ``str``, ``deepcopy``,
``release``, ``exit``. A value that is not plain data is a module description
(:mod:`course_grader.modules`) or is kept here and sent as a handle (an id), which the
grader names with ``{"$": "ref", "id": N}``. Before each call ``random``, ``numpy`` and
``torch`` are set to the grader's generator states (:mod:`course_grader.rng`); module
arguments the call changed are described again after it (in-place training).
SIGINT interrupts student code (the grader sends it when a call runs out of time).
"""

from __future__ import annotations

import builtins
import copy
import importlib
import itertools
import json
import linecache
import os
import signal
import socket
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from course_grader import rng
from course_grader.channel import ChannelClosed, receive, send
from course_grader.codec import Encoder, ResultTooLarge
from course_grader.rebuild import Rebuilder, decode
from course_grader.worker_io import (
    Sink,
    display,
    error_reply,
    probe,
)
from course_lib.grading.calls import replaced

MAX_HANDLES = 100_000
MAX_ITEMS = 1_000_000
_OPS = {
    "getattr": lambda target, args: getattr(target, str(args[0])),
    "setattr": lambda target, args: setattr(target, str(args[0]), args[1]),
    "getitem": lambda target, args: target[args[0]],
    "len": lambda target, args: len(target),
    "next": lambda target, args: next(target),
    "str": lambda target, args: str(target)[:100_000],
    "deepcopy": lambda target, args: copy.deepcopy(target),
}


def _modules() -> Any:
    """:mod:`course_grader.modules`, when torch is imported (it needs torch)."""
    if "torch" not in sys.modules:
        return None
    from course_grader import modules

    return modules


class Worker:
    """The student's namespace, the objects handed out, and the request loop."""

    def __init__(self, fd_in: int, fd_out: int, limit: int) -> None:
        self.fd_in, self.fd_out, self.limit = fd_in, fd_out, limit
        module = types.ModuleType("__main__")
        module.__dict__.update(__builtins__=builtins, display=display)
        sys.modules["__main__"] = module
        self.namespace = module.__dict__
        self.objects: dict[int, Any] = {}
        self.described: dict[int, Any] = {}  # modules sent as descriptions, kept by id
        self.received: dict[Any, Any] = {}  # modules built from the grader's descriptions
        self.arguments: list[tuple[Any, Any, Any]] = []
        self.next_id = 0
        self.interruptible = self.interrupted = False
        self.counts: dict[str, int] = {}
        signal.signal(signal.SIGINT, self._on_interrupt)

    def _on_interrupt(self, signum: int, frame: Any) -> None:
        self.interrupted = True
        if self.interruptible:
            raise KeyboardInterrupt

    @contextmanager
    def student(self) -> Iterator[None]:
        """Run the body as student code: SIGINT interrupts it."""
        self.interruptible = True
        try:
            yield
        finally:
            self.interruptible = False

    def handle(self, obj: Any, encoder: Encoder) -> dict[str, Any]:
        """Describe a standard module, or keep ``obj`` here and return the handle naming it."""
        modules = _modules()
        if modules is not None and isinstance(obj, sys.modules["torch"].nn.Module):
            if modules.describable(obj):
                self.described.update({id(m): m for m in obj.modules()})
                return modules.describe(obj, encoder.encode)
        if len(self.objects) >= MAX_HANDLES:
            raise ResultTooLarge("too many remote objects")
        self.next_id += 1
        self.objects[self.next_id] = obj
        mro = [f"{c.__module__}.{c.__qualname__}"[:200] for c in type(obj).__mro__[:16]]
        return {
            "$": "handle",
            "id": self.next_id,
            "type": mro[0],
            "mro": mro,
            "callable": callable(obj),
        }

    def _resolve(self, node: dict[str, Any], rebuilder: Rebuilder) -> Any:
        tag = node["$"]
        if tag == "ref":
            return self.objects[node["id"]]
        if tag == "module" and _modules() is not None:
            module = _modules().rebuild(node, rebuilder.decode, self.received, self.described.get)
            self.arguments.append((node["id"], module, _modules().fingerprint(module)))
            return module
        if tag == "namedtuple":
            found = self.namespace.get(node["name"].rpartition(".")[2])
            if isinstance(found, type) and issubclass(found, tuple):
                if list(getattr(found, "_fields", ())) == node["fields"]:
                    return found(*node["values"])
            return None
        if tag == "import":
            value = importlib.import_module(node["module"])
            for part in node["name"].split("."):
                value = getattr(value, part)
            return value
        raise ValueError(f"unknown tag {tag!r}")

    def lookup(self, names: list[str], encoder: Encoder) -> dict[str, Any]:
        """Encode the values of those ``names`` the student defined (handles if need be)."""
        found = {}
        for name in names:
            if name in self.namespace:
                try:
                    found[name] = encoder.encode(self.namespace[name])
                except (ResultTooLarge, ValueError, TypeError):
                    found[name] = self.handle(self.namespace[name], encoder)
        return found

    def operate(self, header: dict[str, Any], buffers: list[bytes], encoder: Encoder) -> Any:
        """Carry out one request; return the encoded answer."""
        op = header["op"]
        if op == "cell":
            name, source = header["name"], header["source"]
            linecache.cache[name] = (len(source), None, source.splitlines(True), name)
            exec(compile(source, name, "exec"), self.namespace)  # noqa: S102 - the sandbox's job
            return None
        if op == "lookup":
            return self.lookup(header["names"], encoder)
        if op == "release":
            for key in header["ids"]:
                self.objects.pop(key, None)
            return None
        self.arguments = []
        args, kwargs = decode(header["args"], buffers, self._resolve)
        target = self.objects[header["target"]]
        with replaced(header.get("replace") or []) as self.counts:
            if op == "call":
                rng.apply(header["rng"])
                result = target(*args, **kwargs)
            elif op == "list":
                result = list(itertools.islice(iter(target), MAX_ITEMS + 1))
                if len(result) > MAX_ITEMS:
                    raise ResultTooLarge(f"more than {MAX_ITEMS} items")
            else:
                result = _OPS[op](target, args)
        return encoder.encode(result)

    def after(self, encoder: Encoder) -> list[list[Any]]:
        """Describe again the module arguments the last call changed (trained, say)."""
        modules = _modules()
        found = []
        for key, module, before in self.arguments if modules is not None else []:
            if modules.fingerprint(module) != before and modules.describable(module):
                found.append([key, modules.describe(module, encoder.encode)])
        return found

    def reply(self, header: dict[str, Any], buffers: list[bytes]) -> tuple[dict, list[bytes]]:
        """Answer one request; never raises."""
        self.interrupted, self.counts, self.arguments = False, {}, []
        encoder = Encoder(self.limit, self.handle)
        try:
            with self.student():
                value = self.operate(header, buffers, encoder)
                after = self.after(encoder)
            answer = {"ok": True, "value": value, "modules_after": after}
            return dict(answer, counts=self.counts), encoder.buffers
        except BaseException as exc:  # noqa: BLE001 - whatever the student raised
            try:
                return dict(error_reply(exc, self.interrupted), counts=self.counts), []
            except BaseException:  # noqa: BLE001
                return {
                    "ok": False,
                    "kind": "exception",
                    "type": "Exception",
                    "message": "",
                    "traceback": "",
                }, []

    def serve(self, hello: dict[str, Any]) -> None:
        """Send ``hello``, then answer requests until ``exit`` or until the pipe closes."""
        send(self.fd_out, dict(hello, op="hello"))
        while True:
            try:
                header, buffers = receive(self.fd_in)
            except ChannelClosed:
                return
            if header.get("op") == "exit":
                return
            answer, out = self.reply(header, buffers)
            send(self.fd_out, answer, out)


def main(argv: list[str]) -> None:
    """Entry point inside the sandbox: ``FD_IN FD_OUT CONFIG_JSON``."""
    fd_in, fd_out, config = int(argv[0]), int(argv[1]), json.loads(argv[2])
    sys.argv = ["notebook.ipynb"]
    sys.stdout = sys.stderr = Sink()  # type: ignore[assignment]
    rng.seed_all(config["seed"])
    hello = {
        "uid": os.getuid(),
        "pid": os.getpid(),
        "readable": probe(config["probe"]),
        "interfaces": [name for _, name in socket.if_nameindex()],
    }
    Worker(fd_in, fd_out, config["limit"]).serve(hello)
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
