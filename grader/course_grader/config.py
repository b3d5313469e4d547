"""The grader's settings: limits per submission and per test, and the test statuses."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

PASSED = "passed"
FAILED = "failed"
ERROR = "error"
TIMEOUT = "timeout"
MEMORY = "memory"
MISSING = "missing"
STATUSES = (PASSED, FAILED, ERROR, TIMEOUT, MEMORY, MISSING)

#: First user id of the sandboxed workers; slot ``k`` of a batch runs as ``UID_BASE + k``, so
#: that the per-user process limit and the final clean-up of one slot never touch another.
UID_BASE = 1_900_000_000


@dataclass(frozen=True)
class Limits:
    """What one submission may use. Times in seconds, sizes in MiB unless the name says otherwise.

    Attributes:
        cell_timeout: wall time of one cell of the student's notebook.
        call_timeout: wall time of one call into the student's code (a function call, an
            attribute read, ...).
        test_timeout: wall time of one graded test cell, all its calls together.
        submission_timeout: wall time of the whole submission; the batch kills it after that.
        memory_mb: memory of the student's processes (cgroup) or of each process (rlimit).
        processes: processes and threads the student's code may have at once.
        scratch_mb: size of the scratch folder and of the worker's ``/tmp``.
        file_mb: largest file the worker may write (RLIMIT_FSIZE).
        result_mb: largest message the worker may send back for one call.
        threads: the worker's torch/OpenMP threads.
        restarts: how many times a worker that died or hung is started again.
        seed: what ``torch``, ``numpy`` and ``random`` are seeded with.
        grader_memory_mb: memory of each trusted job process (RLIMIT_DATA), which runs the
            tests and the modules rebuilt from the student's descriptions.
        grace: seconds between the interrupt of a call that ran out of time and the kill.
    """

    cell_timeout: float = 60.0
    call_timeout: float = 30.0
    test_timeout: float = 120.0
    submission_timeout: float = 900.0
    memory_mb: int = 4096
    processes: int = 64
    scratch_mb: int = 256
    file_mb: int = 64
    result_mb: int = 64
    threads: int = 1
    restarts: int = 3
    seed: int = 0
    grace: float = 2.0
    grader_memory_mb: int = 16384

    def to_dict(self) -> dict[str, Any]:
        """Return the limits as plain data (for the JSON sent to a job)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Limits:
        """Rebuild limits from :meth:`to_dict`'s output, ignoring unknown keys."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})
