"""Grade a folder of submissions in parallel, after the preflight; one failure never stops it.

Each slot (``--jobs``) is a thread that drives one trusted job process
(:mod:`course_grader.job`); a job that crashes or runs past ``submission_timeout`` is
killed (with its workers) and started again, and that submission gets an ``error``.
"""

from __future__ import annotations

import json
import os
import queue
import re
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from course_grader.assignment import Assignment
from course_grader.config import ERROR, Limits
from course_grader.remote import adopt_orphans, reap_orphans, sweep_uid

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]")


class JobSlot:
    """One trusted job process, started on demand and replaced when it fails."""

    def __init__(self, slot: int, config: dict[str, Any], log: Path) -> None:
        self.slot, self.config, self.log = slot, dict(config, slot=slot), log
        self.process: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        threads = str(self.config["limits"]["threads"])
        env = dict(os.environ, OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
        with open(self.log, "a") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "course_grader.job"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                start_new_session=True,
                env=env,
            )
        process.stdin.write(json.dumps(self.config) + "\n")
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
        plan = self.config["plan"]
        if plan["drop"]:
            sweep_uid(plan["uid_base"] + self.slot)

    def grade(self, student: str, path: Path, timeout: float) -> dict[str, Any] | str:
        """Grade one submission; return its result, or a message saying why that failed."""
        try:
            if self.process is None or self.process.poll() is not None:
                self.process = self._start()
            self.process.stdin.write(json.dumps({"student": student, "path": str(path)}) + "\n")
            self.process.stdin.flush()
            ready, _, _ = select.select([self.process.stdout], [], [], timeout)
            line = self.process.stdout.readline() if ready else ""
            if line:
                return json.loads(line)
            why = f"took longer than {timeout:g} s" if not ready else "stopped"
        except (OSError, ValueError) as exc:
            why = f"failed ({exc})"
        self.stop()
        return f"the grader {why} on this submission"


def failed_result(assignment: Assignment, student: str, message: str) -> dict[str, Any]:
    """The result of a submission whose grading itself failed: every test is an error."""
    tests = [
        {"id": t.id, "points": t.points, "score": 0.0, "status": ERROR, "message": message}
        for t in assignment.tests
    ]
    return {
        "student": student,
        "score": 0.0,
        "max_score": assignment.max_score,
        "tests": tests,
        "notes": [],
        "cell_errors": [],
        "warnings": [],
    }


class _Batch:
    """The shared state of one batch: the queue of submissions and their results."""

    def __init__(
        self,
        assignment: Assignment,
        config: dict[str, Any],
        items: list[tuple[str, Path]],
        log_dir: Path,
        progress: bool,
    ) -> None:
        self.assignment, self.config, self.items = assignment, config, items
        self.log_dir, self.progress = log_dir, progress
        self.timeout = Limits.from_dict(config["limits"]).submission_timeout
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
                found = runner.grade(student, path, self.timeout)
                if isinstance(found, str):
                    found = failed_result(self.assignment, student, found)
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
    config: dict[str, Any],
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


def student_id(name: str, taken: set[str]) -> str:
    """A file-name-safe, unique student id made from a submission's file or folder name."""
    base = _UNSAFE.sub("_", name).strip("._") or "student"
    found, number = base, 2
    while found in taken:
        found, number = f"{base}-{number}", number + 1
    taken.add(found)
    return found


def discover(folder: Path) -> list[tuple[str, Path]]:
    """The submissions in a folder: ``STUDENT.ipynb`` files and ``STUDENT/`` folders."""
    taken: set[str] = set()
    found = []
    for entry in sorted(folder.resolve().iterdir()):
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        if entry.is_file() and entry.suffix == ".ipynb":
            found.append((student_id(entry.stem, taken), entry))
        elif entry.is_dir():
            found.append((student_id(entry.name, taken), entry))
    return found
