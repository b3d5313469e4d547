"""One submission's worker over its lifetime: run the notebook, look up names, serve handles.

The student's code cells run in order, each with ``cell_timeout``; a cell that raises is
recorded and the next one runs (as in Jupyter). A cell that kills or hangs the worker is
skipped when the worker is started again, at most ``restarts`` times, so that the functions
defined before and after it can still be graded.
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path
from typing import Any

from course_grader import rng
from course_grader.assignment import transform_magics
from course_grader.cgroups import CgroupMaker
from course_grader.channel import ChannelError
from course_grader.config import Limits
from course_grader.handles import Missing, RemoteHandle
from course_grader.plan import SandboxPlan
from course_grader.remote import (
    CallTimeout,
    GradingStop,
    StudentError,
    WorkerDied,
    WorkerProcess,
)
from course_grader.spawn import Zygote
from course_grader.translate import Translator
from course_lib.grading import calls


class Session:
    """The worker of one submission, started again when it dies, and the student's names."""

    def __init__(
        self,
        cells: list[dict[str, Any]],
        names: list[str],
        plan: SandboxPlan,
        limits: Limits,
        slot: int,
        staging: Path,
        cgroups: CgroupMaker | None,
        zygote: Zygote | None = None,
    ) -> None:
        self.cells, self.names, self.plan, self.limits = cells, names, plan, limits
        self.slot, self.staging, self.cgroups, self.zygote = slot, staging, cgroups, zygote
        self.worker: WorkerProcess | None = None
        self.generation = 0
        self.skip: set[int] = set()
        self.cell_errors: dict[int, str] = {}
        self.values: dict[str, Any] = {}
        self.deadline = math.inf
        self.hello: dict[str, Any] = {}
        self.startup_error = ""
        self.translator = Translator(self)

    @property
    def alive(self) -> bool:
        """Whether the current worker is running."""
        return self.worker is not None and self.worker.alive

    def ensure(self) -> None:
        """Start the worker if it is not running, within the restart budget.

        Raises:
            WorkerDied: when the budget is spent.
        """
        while not self.alive:
            if self.generation > self.limits.restarts:
                why = self.startup_error or "the worker stopped too many times"
                raise WorkerDied(f"{why}; the remaining tests get 0")
            self._start()

    def _start(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None
        self.generation += 1
        self.translator.new_worker(self.generation)
        cgroup = None
        if self.cgroups is not None:
            name = f"slot{self.slot}-{time.monotonic_ns()}"
            cgroup = self.cgroups.create(name, self.limits.memory_mb << 20, self.limits.processes)
        with tempfile.TemporaryFile() as log:
            try:
                self.worker = WorkerProcess(
                    self.plan,
                    self.limits,
                    self.slot,
                    str(self.staging),
                    log.fileno(),
                    cgroup,
                    self.zygote,
                )
            except (GradingStop, OSError) as exc:
                log.seek(0)
                tail = log.read()[-800:].decode(errors="replace").strip()
                self.startup_error = f"{exc}" + (f": {tail}" if tail else "")
                if cgroup is not None:
                    cgroup.remove()
                return
        self.hello = self.worker.hello
        for cell in self.cells:
            if cell["index"] not in self.skip and not self._run_cell(cell):
                return
        self._lookup()

    def _lookup(self) -> None:
        """Ask the worker for the student's names; keep their values, handles or modules."""
        assert self.worker is not None
        try:
            value, buffers = self.worker.request({"op": "lookup", "names": self.names}, [], 60.0)
        except GradingStop:
            return
        self.values = {}
        for name, tree in (value if isinstance(value, dict) else {}).items():
            if name in self.names:
                try:
                    self.values[name] = self.decode(tree, buffers)
                except (ChannelError, ValueError):
                    pass

    def _run_cell(self, cell: dict[str, Any]) -> bool:
        """Run one student cell; return False when the worker must be started again."""
        assert self.worker is not None
        header = {
            "op": "cell",
            "source": transform_magics(cell["source"]),
            "name": f"<cell {cell['index']}>",
        }
        try:
            self.worker.request(header, [], self.limits.cell_timeout)
        except StudentError as exc:
            self.cell_errors.setdefault(cell["index"], f"{exc.remote_type}: {exc}")
        except GradingStop as exc:
            self.cell_errors.setdefault(cell["index"], str(exc))
            if isinstance(exc, CallTimeout) and self.worker.alive:
                return True
            self.skip.add(cell["index"])
            return False
        return True

    def namespace_values(self) -> dict[str, Any]:
        """The student's names as the trusted side sees them: values, handles or Missing."""
        return {name: self.values.get(name, Missing(name)) for name in self.names}

    def decode(self, tree: Any, buffers: list[bytes]) -> Any:
        """Decode a value from the worker (see :mod:`course_grader.translate`)."""
        return self.translator.decode(tree, buffers)

    def operate(self, op: str, handle: RemoteHandle, args: tuple, kwargs: dict) -> Any:
        """Carry out one request on the object ``handle`` names (see :mod:`handles`)."""
        if object.__getattribute__(handle, "_generation") != self.generation or not self.alive:
            raise WorkerDied("this object belonged to a worker that has stopped")
        assert self.worker is not None
        tree, buffers = self.translator.request(args, kwargs)
        header = {"op": op, "target": object.__getattribute__(handle, "_id"), "args": tree}
        if op == "call":
            header["rng"] = rng.capture()
        if calls.active():
            header["replace"] = calls.active()
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise CallTimeout("the test ran out of time")
        try:
            value, out = self.worker.request(
                header, buffers, min(self.limits.call_timeout, remaining)
            )
        finally:
            calls.record(self.worker.counts)
        self.translator.take_back(self.worker.reply, out)
        return self.decode(value, out)

    def close(self) -> None:
        """Stop the worker for good."""
        if self.worker is not None:
            self.worker.close()
