"""Grade one submission from start to end, in a trusted job process; the result is plain data.

Steps: copy the submission's regular files into a fresh staging folder (no symlinks), read its
code cells as plain JSON, leave out the cells that are the grader's tests (by cell id, by
grading metadata, or by content hash), note tests the student changed or deleted, run the
notebook in a sandboxed worker, run the grader's tests, and clean up.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any

from course_grader.assignment import Assignment, source_hash
from course_grader.cgroups import CgroupMaker
from course_grader.config import ERROR, MISSING, Limits
from course_grader.plan import SandboxPlan
from course_grader.runner import TestResult, TrustedRunner, as_dict
from course_grader.session import Session
from course_grader.spawn import Zygote

MAX_SUBMISSION_BYTES = 256 << 20


def stage(submission: Path, owner: int | None, parent: str | None = None) -> Path:
    """Copy a submission (a notebook, or a folder) into a fresh 0700 folder; return it.

    Only regular files are copied (never through a symlink), up to 256 MiB in all. ``parent``
    is where to make it (the batch's private folder, removed at the end even if a job is
    killed); the worker must be able to reach it when it has no mount namespace.
    """
    staging = Path(tempfile.mkdtemp(prefix="course-grading-", dir=parent))
    sources = [submission] if submission.is_file() else sorted(submission.rglob("*"))
    copied = 0
    for source in sources:
        info = source.lstat()
        relative = source.name if source == submission else source.relative_to(submission)
        if not stat.S_ISREG(info.st_mode) or copied + info.st_size > MAX_SUBMISSION_BYTES:
            continue
        if any(part.startswith(".") for part in Path(relative).parts):
            continue
        target = staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target, follow_symlinks=False)
        copied += info.st_size
    if owner is not None:
        for path in [staging, *staging.rglob("*")]:
            os.chown(path, owner, owner)
    return staging


def read_submission_cells(path: Path, max_bytes: int = 64 << 20) -> list[dict[str, Any]]:
    """Read the code cells of a submitted notebook as plain dicts (id, source, grading).

    The file is untrusted: it is parsed as plain JSON, never validated by running anything.

    Raises:
        ValueError: when the file is too large or not a notebook.
    """
    if path.stat().st_size > max_bytes:
        raise ValueError(f"the notebook is larger than {max_bytes >> 20} MiB")
    try:
        data = json.loads(path.read_bytes())
        cells = data["cells"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a readable notebook: {exc}") from None
    found = []
    for index, cell in enumerate(cells if isinstance(cells, list) else []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(map(str, source)) if isinstance(source, list) else str(source)
        meta = cell.get("metadata")
        graded = isinstance(meta, dict) and isinstance(meta.get("grading"), dict)
        found.append(
            {"id": str(cell.get("id") or ""), "index": index, "source": source, "graded": graded}
        )
    return found


def select_cells(
    assignment: Assignment, cells: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Return the student's cells to run (not tests) and notes about changed or deleted tests."""
    tests = assignment.tests
    test_cell_ids = {cell.cell_id for cell in tests}
    test_hashes = {cell.student_hash for cell in tests}
    by_id = {cell["id"]: cell for cell in cells if cell["id"]}
    notes = []
    for test in tests:
        theirs = by_id.get(test.cell_id)
        if theirs is None:
            notes.append(
                f"The test cell `{test.id}` is missing from your notebook; "
                "it was graded with the original."
            )
        elif source_hash(theirs["source"]) not in (test.student_hash, source_hash(test.source)):
            notes.append(
                f"The test cell `{test.id}` was changed in your notebook; "
                "your version was ignored and the original was used."
            )
    run = [
        cell
        for cell in cells
        if not cell["graded"]
        and cell["id"] not in test_cell_ids
        and source_hash(cell["source"]) not in test_hashes
    ]
    return run, notes


def _all(assignment: Assignment, status: str, message: str) -> list[TestResult]:
    return [TestResult(c.id, c.points, 0.0, status, message) for c in assignment.tests]


def _warnings(hello: dict[str, Any]) -> list[str]:
    found = []
    readable = hello.get("readable") or []
    if readable:
        found.append("SECURITY: the worker could read " + ", ".join(map(str, readable)))
    interfaces = [name for name in hello.get("interfaces") or [] if name != "lo"]
    if interfaces:
        found.append("SECURITY: the worker had network interfaces " + ", ".join(interfaces))
    return found


def find_notebook(submission: Path, preferred: str) -> Path | None:
    """The notebook of a submission: the file itself, or in a folder the one named like the
    solution, else the only notebook there."""
    if submission.is_file():
        return submission
    found = [p for p in sorted(submission.rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts]
    named = [p for p in found if p.name == preferred]
    return (named or found)[0] if len(named) == 1 or len(found) == 1 else None


def grade(
    assignment: Assignment,
    student: str,
    submission: Path,
    plan: SandboxPlan,
    limits: Limits,
    slot: int,
    cgroups: CgroupMaker | None,
    zygote: Zygote | None = None,
) -> dict[str, Any]:
    """Grade one submission; return its result as plain data (never raises for its content)."""
    result: dict[str, Any] = {"student": student, "notes": [], "cell_errors": [], "warnings": []}
    notebook = find_notebook(submission, assignment.name + ".ipynb")
    try:
        if notebook is None:
            raise ValueError("no notebook (or more than one) in the submission")
        cells = read_submission_cells(notebook)
    except (OSError, ValueError) as exc:
        tests = _all(assignment, MISSING, f"the submission could not be read: {exc}")
        return _finish(result, tests)
    run, result["notes"] = select_cells(assignment, cells)
    owner = None if plan.namespaces or not plan.drop else plan.uid_base + slot
    parent = os.environ.get("COURSE_GRADING_STAGING") if plan.namespaces else None
    staging = stage(notebook if submission.is_file() else submission, owner, parent)
    session = Session(run, assignment.student_names, plan, limits, slot, staging, cgroups, zygote)
    try:
        runner = TrustedRunner(assignment, session, limits)
        tests = runner.run()
        result["problems"] = runner.problems
    except Exception as exc:  # noqa: BLE001 - a grader bug must not stop the batch
        tests = _all(assignment, ERROR, f"the grader failed on this submission: {exc!r}")
    finally:
        session.close()
        shutil.rmtree(staging, ignore_errors=True)
    result["warnings"] = _warnings(session.hello)
    labels = {cell["index"]: cell for cell in run}
    result["cell_errors"] = [
        {"cell": index, "message": message}
        for index, message in sorted(session.cell_errors.items())
        if index in labels
    ]
    return _finish(result, tests)


def _finish(result: dict[str, Any], tests: list[TestResult]) -> dict[str, Any]:
    result["tests"] = [as_dict(test) for test in tests]
    result["score"] = sum(test.score for test in tests)
    result["max_score"] = sum(test.points for test in tests)
    return result
