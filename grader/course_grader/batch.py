"""Grade a folder of submissions in parallel, after the preflight; one failure never stops it.

Each slot (``--jobs``) is a thread that drives one trusted job process
(:mod:`course_grader.job`); a job that crashes or runs past ``submission_timeout`` is
killed (with its workers) and started again, and that submission gets an ``error``.
"""

from __future__ import annotations

import json
import os
import queue
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from course_grader.assignment import Assignment
from course_grader.config import ERROR, TIMEOUT
from course_grader.intake import Submission
from course_grader.remote import adopt_orphans, reap_orphans, sweep_uid
from course_grader.settings import JobConfig

#: Longest line a job may write (one result; every text in it is clipped already).
MAX_LINE = 64 << 20


class _Lines:
    """Lines from a pipe, read with deadlines (no buffering that ``select`` cannot see)."""

    def __init__(self, fd: int) -> None:
        self.fd, self.data = fd, bytearray()

    def read(self, deadline: float) -> bytes | None:
        """The next line, or None when the deadline passes or the pipe closes."""
        while b"\n" not in self.data:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.fd], [], [], remaining)[0]:
                return None
            chunk = os.read(self.fd, 1 << 20)
            if not chunk or len(self.data) > MAX_LINE:
                return None
            self.data += chunk
        line, _, rest = bytes(self.data).partition(b"\n")
        self.data = bytearray(rest)
        return line


class JobSlot:
    """One trusted job process, started on demand and replaced when it fails."""

    def __init__(self, slot: int, config: JobConfig, log: Path) -> None:
        self.slot, self.config, self.log = slot, config.for_slot(slot), log
        self.process: subprocess.Popen[bytes] | None = None
        self.lines: _Lines | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        threads = str(self.config.limits.threads)
        env = dict(os.environ, OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
        with open(self.log, "a") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "course_grader.job"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
                env=env,
            )
        assert process.stdin is not None and process.stdout is not None
        self.lines = _Lines(process.stdout.fileno())
        process.stdin.write(self.config.to_json().encode() + b"\n")
        process.stdin.flush()
        return process

    def stop(self) -> None:
        """Kill the job and everything of this slot's uid."""
        if self.process is not None:
            try:
                os.killpg(self.process.pid, 9)
            except ProcessLookupError:
                pass
            self.process.wait()
            self.process = None
        plan = self.config.plan
        if plan.drop:
            sweep_uid(plan.uid_base + self.slot)

    def grade(
        self, student: str, path: Path, timeout: float
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]], str]:
        """Grade one submission; return its result (None if the job failed), the tests graded
        before it failed, and why it failed."""
        graded: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        try:
            if self.process is None or self.process.poll() is not None:
                self.process = self._start()
            assert self.process.stdin is not None and self.lines is not None
            request = json.dumps({"student": student, "path": str(path)}) + "\n"
            self.process.stdin.write(request.encode())
            self.process.stdin.flush()
            while True:
                line = self.lines.read(deadline)
                if line is None:
                    break
                message = json.loads(line)
                if message.get("event") == "result":
                    return message["result"], graded, ""
                if message.get("event") == "test":
                    graded.append(message["test"])
            late = time.monotonic() >= deadline
            why = f"ran for more than {timeout:g} s in all" if late else "stopped"
        except (OSError, ValueError) as exc:
            why = f"failed ({exc})"
        self.stop()
        return None, graded, f"the grading of this submission {why}"


def failed_result(
    assignment: Assignment, student: str, message: str, graded: list[dict[str, Any]] = ()
) -> dict[str, Any]:
    """The result of a submission whose grading failed or ran out of time: the tests graded
    before keep their result, the others are errors (timeouts if it ran out of time)."""
    status = TIMEOUT if "ran for more than" in message else ERROR
    done = {test["id"]: test for test in graded if isinstance(test, dict)}
    tests = [
        done.get(t.id)
        or {"id": t.id, "points": t.points, "score": 0.0, "status": status, "message": message}
        for t in assignment.tests
    ]
    return {
        "student": student,
        "score": sum(test["score"] for test in tests),
        "max_score": assignment.max_score,
        "tests": tests,
        "notes": [message] if done else [],
        "cell_errors": [],
        "warnings": [],
    }


def refused_result(assignment: Assignment, submission: Submission) -> dict[str, Any]:
    """The row of an entry that is not graded: a link, a special file."""
    result = failed_result(assignment, submission.student, f"not graded: {submission.refused}")
    for test in result["tests"]:
        test["status"] = "missing"
    result["refused"] = submission.refused
    return result


class _Batch:
    """The shared state of one batch: the queue of submissions and their results."""

    def __init__(
        self,
        assignment: Assignment,
        config: JobConfig,
        items: list[tuple[str, Path]],
        log_dir: Path,
        progress: bool,
    ) -> None:
        self.assignment, self.config, self.items = assignment, config, items
        self.log_dir, self.progress = log_dir, progress
        self.timeout = config.limits.submission_timeout
        self.todo: queue.Queue[int] = queue.Queue()
        for index in range(len(items)):
            self.todo.put(index)
        self.results: list[dict[str, Any] | None] = [None] * len(items)
        self.started = time.monotonic()
        self.runners: list[JobSlot] = []

    def work(self, slot: int) -> None:
        """Grade submissions from the queue with one job process until it is empty."""
        runner = JobSlot(slot, self.config, self.log_dir / f"job-{slot}.log")
        self.runners.append(runner)
        try:
            while True:
                try:
                    index = self.todo.get_nowait()
                except queue.Empty:
                    return
                student, path = self.items[index]
                found, graded, why = runner.grade(student, path, self.timeout)
                if found is None:
                    found = failed_result(self.assignment, student, why, graded)
                self.results[index] = found
                self.report(student, found)
        finally:
            runner.stop()

    def report(self, student: str, result: dict[str, Any]) -> None:
        """Print one line of progress."""
        if self.progress:
            done, elapsed = (
                sum(r is not None for r in self.results),
                time.monotonic() - self.started,
            )
            print(
                f"[{done}/{len(self.items)}, {elapsed:.0f} s] {student}: "
                f"{result['score']:g}/{result['max_score']:g}",
                file=sys.stderr,
            )


def grade_all(
    assignment: Assignment,
    config: JobConfig,
    items: list[tuple[str, Path]],
    jobs: int,
    log_dir: Path,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Grade ``(student, path)`` items with ``jobs`` slots; results in the items' order."""
    log_dir.mkdir(parents=True, exist_ok=True)
    batch = _Batch(assignment, config, items, log_dir, progress)
    adopt_orphans()  # workers of a job killed for its time come here, and are reaped below
    threads = [
        threading.Thread(target=batch.work, args=(slot,), daemon=True)
        for slot in range(max(1, jobs))
    ]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException:  # Ctrl-C: stop every job and its workers before leaving
        for runner in batch.runners:
            runner.stop()
        raise
    reap_orphans()
    return [
        r if r is not None else failed_result(assignment, s, "not graded")
        for r, (s, _) in zip(batch.results, items, strict=True)
    ]
