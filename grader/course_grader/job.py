"""A trusted grading job: one per slot, it grades submissions one after the other.

Started by the batch as ``python -m course_grader.job``. The first line on stdin is the
batch's :class:`~course_grader.settings.JobConfig` (the assignment with its hidden tests, the
sandbox plan, the limits, the slot); each following line names one submission. For each, the
job writes one line of JSON per test as soon as it is graded (``{"event": "test", ...}``), so
that a submission that runs out of time as a whole keeps what it earned, then the whole result
(``{"event": "result", ...}``). Nothing of this reaches the workers: they get neither the
job's stdin nor its memory, and the job keeps no file of the tests. The job limits its own
memory (RLIMIT_DATA, ``grader_memory_mb``): a network rebuilt from a student's description
runs here, and one with absurd hyperparameters must not take the machine down.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import traceback
from pathlib import Path
from typing import Any, TextIO

from course_grader.cgroups import CgroupMaker
from course_grader.config import ERROR
from course_grader.grade import clip, grade
from course_grader.plan import worker_env
from course_grader.runner import TestResult, as_dict
from course_grader.sandbox import SCRATCH
from course_grader.settings import JobConfig
from course_grader.spawn import Zygote


def _write(replies: TextIO, message: dict[str, Any]) -> None:
    replies.write(json.dumps(message, allow_nan=False) + "\n")
    replies.flush()


def failed(config: JobConfig, student: str, message: str) -> dict[str, Any]:
    """The result of a submission whose grading itself failed: every test is an error."""
    tests = [
        {"id": t.id, "points": t.points, "score": 0.0, "status": ERROR, "message": message}
        for t in config.assignment.tests
    ]
    return {
        "student": student,
        "score": 0.0,
        "max_score": config.assignment.max_score,
        "tests": tests,
        "notes": [],
        "cell_errors": [],
        "warnings": [],
    }


def main() -> None:
    """Read the configuration, then grade each submission named on stdin."""
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    config = JobConfig.from_json(sys.stdin.readline())
    limits, plan = config.limits, config.plan
    hard = resource.getrlimit(resource.RLIMIT_DATA)[1]
    soft = limits.grader_memory_mb << 20 if hard < 0 else min(limits.grader_memory_mb << 20, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))  # the workers set their own
    cgroups = None
    if plan.cgroup_version:
        cgroups = CgroupMaker([Path(p) for p in plan.cgroup_parents], plan.cgroup_version)
    zygote = None if config.fresh else Zygote(worker_env(limits, SCRATCH))

    def on_test(test: TestResult) -> None:
        _write(replies, {"event": "test", "test": as_dict(test)})

    try:
        for line in sys.stdin:
            request = json.loads(line)
            try:
                result = grade(
                    config.assignment,
                    request["student"],
                    Path(request["path"]),
                    plan,
                    limits,
                    config.slot,
                    cgroups,
                    zygote,
                    on_test,
                    config.work,
                )
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # noqa: BLE001 - one submission never stops the job
                traceback.print_exc()
                message = f"the grader failed on this submission: {clip(repr(exc), 500)}"
                result = failed(config, request["student"], message)
            _write(replies, {"event": "result", "result": result})
    finally:
        if zygote is not None:
            zygote.close()


if __name__ == "__main__":
    main()
