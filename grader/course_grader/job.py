"""A trusted grading job: one per slot, it grades submissions one after the other.

Started by the batch as ``python -m course_grader.job``. The first line on stdin is the
batch's configuration (the assignment with its hidden tests, the sandbox plan, the limits, the
slot); each following line names one submission, and the job answers each with one line of
JSON on stdout. Nothing of this reaches the workers: they get neither the job's stdin nor its
memory, and the job keeps no file of the tests. The job limits its own memory (RLIMIT_DATA,
``grader_memory_mb``): a network rebuilt from a student's description runs here, and one with
absurd hyperparameters must not take the machine down.
"""

from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path

from course_grader.assignment import Assignment
from course_grader.cgroups import CgroupMaker
from course_grader.config import Limits
from course_grader.grade import grade
from course_grader.plan import SandboxPlan, worker_env
from course_grader.sandbox import SCRATCH
from course_grader.spawn import Zygote


def main() -> None:
    """Read the configuration, then grade each submission named on stdin."""
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    config = json.loads(sys.stdin.readline())
    if config.get("staging"):
        os.environ["COURSE_GRADING_STAGING"] = config["staging"]
    assignment = Assignment.from_dict(config["assignment"])
    plan = SandboxPlan.from_dict(config["plan"])
    limits = Limits.from_dict(config["limits"])
    hard = resource.getrlimit(resource.RLIMIT_DATA)[1]
    soft = limits.grader_memory_mb << 20 if hard < 0 else min(limits.grader_memory_mb << 20, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))  # the workers set their own
    cgroups = None
    if plan.cgroup_version:
        cgroups = CgroupMaker([Path(p) for p in plan.cgroup_parents], plan.cgroup_version)
    zygote = None if config["fresh"] else Zygote(worker_env(limits, SCRATCH))
    try:
        for line in sys.stdin:
            request = json.loads(line)
            result = grade(
                assignment,
                request["student"],
                Path(request["path"]),
                plan,
                limits,
                config["slot"],
                cgroups,
                zygote,
            )
            replies.write(json.dumps(result, allow_nan=False) + "\n")
            replies.flush()
    finally:
        if zygote is not None:
            zygote.close()


if __name__ == "__main__":
    main()
