"""The trusted side of grading one submission: the grader's own tests against the student's names.

The grader walks the cells of the *solution* notebook in order, in a namespace of its own:
provided cells run as the solution has them; a solution cell contributes its imports and the
student's names (plain values, handles, or :class:`~course_grader.handles.Missing`);
each test cell runs, hidden lines included, in that namespace (so that a helper a test
defines serves later tests, as in the notebook), after seeding ``random``, ``numpy`` and
``torch``. The namespace holds the instructor's code and plain data; the student's objects
appear in it only as handles. When the worker dies, it is started again and
the walk starts over with the tests not yet graded.
"""

from __future__ import annotations

import builtins
import linecache
import math
import signal
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from types import FrameType
from typing import Any

from course_grader import rng
from course_grader.assignment import Assignment, Cell, transform_magics
from course_grader.config import ERROR, FAILED, PASSED, Limits
from course_grader.handles import Missing
from course_grader.remote import CallTimeout, GradingStop, StudentError, WorkerDied
from course_grader.session import Session
from course_lib.grading import calls


@dataclass
class TestResult:
    """The outcome of one graded test."""

    id: str
    points: float
    score: float
    status: str
    message: str


def _compile(cell: Cell, label: str) -> Any:
    source = transform_magics(cell.source)
    linecache.cache[label] = (len(source), None, source.splitlines(True), label)
    return compile(source, label, "exec")


def _where(exc: BaseException, cell: Cell, label: str) -> str:
    """Where in the test cell the exception came from, without showing hidden lines."""
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == label]
    if not lines or lines[-1] is None:
        return "the test"
    if lines[-1] in cell.hidden_lines:
        return "a hidden test"
    code = linecache.getline(label, lines[-1]).strip()
    return f"line {lines[-1]} (`{code}`)"


def explain(exc: BaseException, cell: Cell, label: str) -> tuple[str, str]:
    """Turn what a test raised into a status and a message for the student."""
    if isinstance(exc, GradingStop):
        return exc.status, str(exc)
    where = _where(exc, cell, label)
    if isinstance(exc, StudentError):
        trace = f"\n{exc.remote_traceback}" if exc.remote_traceback else ""
        return ERROR, f"at {where}, your code raised {exc.remote_type}: {exc}{trace}"
    message = str(exc).strip()[:1500]
    if isinstance(exc, AssertionError):
        return FAILED, f"{where} failed" + (f": {message}" if message else "")
    return ERROR, f"{where} raised {type(exc).__name__}: {message}"


class _Alarm:
    """A wall-clock limit for trusted code (a test looping on the student's answers)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = False

    def _fire(self, signum: int, frame: FrameType | None) -> None:
        self.fired = True
        raise CallTimeout(f"the test ran for more than {self.seconds:g} s")

    def __enter__(self) -> _Alarm:
        signal.signal(signal.SIGALRM, self._fire)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *_: Any) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)


class TrustedRunner:
    """Runs the grader's copy of every test against one student's session."""

    def __init__(
        self,
        assignment: Assignment,
        session: Session,
        limits: Limits,
        on_test: Callable[[TestResult], None] | None = None,
    ) -> None:
        self.assignment, self.session, self.limits = assignment, session, limits
        self.on_test = on_test
        self.results: dict[str, TestResult] = {}
        self.problems: list[str] = []

    def run(self) -> list[TestResult]:
        """Grade every test; return the results in notebook order."""
        namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        self.session.translator.namespace = namespace  # named tuples: the grader's classes
        calls.REMOTE["enabled"] = True
        try:
            while len(self.results) < len(self.assignment.tests):
                try:
                    self.session.ensure()
                except WorkerDied as exc:
                    for cell in self.assignment.tests:
                        self.results.setdefault(cell.id, self._result(cell, ERROR, str(exc)))
                    break
                self._walk(namespace)
        finally:
            calls.REMOTE["enabled"] = False
        return [self.results[cell.id] for cell in self.assignment.tests]

    def _result(self, cell: Cell, status: str, message: str) -> TestResult:
        score = cell.points if status == PASSED else 0.0
        return TestResult(cell.id, cell.points, score, status, message)

    def _walk(self, namespace: dict[str, Any]) -> None:
        """One pass through the solution's cells; stops early if the worker dies.

        After a restart the walk starts over in the same namespace: provided cells run again
        (with the new worker's handles), tests already graded are not run again, and what
        they defined (helpers used by later tests) is still there.
        """
        values = self.session.namespace_values()
        for cell in self.assignment.cells:
            if cell.kind == "provided":
                self._provided(cell, namespace)
            elif cell.kind == "solution":
                namespace.update({name: values[name] for name in cell.names})
                self._provided(cell, namespace)
            elif cell.id not in self.results:
                self.results[cell.id] = self.run_test(cell, namespace)
                if self.on_test is not None:
                    self.on_test(self.results[cell.id])
            if not self.session.alive:
                return

    def _provided(self, cell: Cell, namespace: dict[str, Any]) -> None:
        """Run a provided cell of the solution; names it failed to bind stop later tests."""
        rng.seed_all(self.limits.seed)
        label = f"<given code of cell {cell.index}>"
        try:
            with _Alarm(self.limits.test_timeout):
                exec(_compile(cell, label), namespace)  # noqa: S102 - the instructor's code
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001
            status, message = explain(exc, cell, label)
            stop = GradingStop(f"a given cell (cell {cell.index}) failed with your code: {message}")
            stop.status = status
            self.problems.append(str(stop))
            for name in cell.names:
                namespace.setdefault(name, Missing(name, stop))

    def run_test(self, cell: Cell, namespace: dict[str, Any]) -> TestResult:
        """Run one test cell (the grader's copy) and say how it went."""
        rng.seed_all(self.limits.seed)
        label = f"<test {cell.id}>"
        self.session.deadline = time.monotonic() + self.limits.test_timeout
        alarm = _Alarm(self.limits.test_timeout + 2 * self.limits.grace + 5)
        try:
            with alarm:
                exec(_compile(cell, label), namespace)  # noqa: S102 - the instructor's code
            return self._result(cell, PASSED, "")
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - every other outcome is a verdict
            if alarm.fired and self.session.worker is not None:
                self.session.worker.kill()
            return self._result(cell, *explain(exc, cell, label))
        finally:
            self.session.deadline = math.inf


def as_dict(result: TestResult) -> dict[str, Any]:
    """A test result as plain data."""
    return asdict(result)
