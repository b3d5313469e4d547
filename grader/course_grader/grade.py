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
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from course_grader.assignment import Assignment, source_hash
from course_grader.cgroups import CgroupMaker
from course_grader.config import ERROR, MISSING, Limits
from course_grader.intake import find_notebook, stage
from course_grader.plan import SandboxPlan
from course_grader.runner import TestResult, TrustedRunner, as_dict
from course_grader.session import Session
from course_grader.spawn import Zygote

#: Longest text kept from the student's side in any report (a message, a note, a warning).
MAX_TEXT = 4000


def clip(text: object, limit: int = MAX_TEXT) -> str:
    """``text`` as a string of at most ``limit`` characters (the middle is cut)."""
    text = str(text)
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n[... {len(text) - limit} characters cut ...]\n{text[-half:]}"


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
    except RecursionError:
        raise ValueError("not a readable notebook: its JSON is nested too deeply") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a readable notebook: {clip(exc, 300)}") from None
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
    readable = hello.get("readable")
    if readable:
        text = ", ".join(map(str, readable)) if isinstance(readable, list) else str(readable)
        found.append(clip("SECURITY: the worker could read " + text, 1000))
    interfaces = hello.get("interfaces")
    interfaces = [str(n) for n in interfaces if n != "lo"] if isinstance(interfaces, list) else []
    if interfaces:
        found.append(
            clip("SECURITY: the worker had network interfaces " + ", ".join(interfaces), 1000)
        )
    return found


def grade(
    assignment: Assignment,
    student: str,
    submission: Path,
    plan: SandboxPlan,
    limits: Limits,
    slot: int,
    cgroups: CgroupMaker | None,
    zygote: Zygote | None = None,
    on_test: Callable[[TestResult], None] | None = None,
    staging_parent: str | None = None,
) -> dict[str, Any]:
    """Grade one submission; return its result as plain data (never raises for its content).

    ``on_test`` is called with each test's result as soon as it is known, so that what was
    graded survives a submission that runs out of time as a whole.
    """
    result: dict[str, Any] = {"student": student, "notes": [], "cell_errors": [], "warnings": []}
    staging = Path(tempfile.mkdtemp(prefix="staging-", dir=staging_parent))
    try:
        try:
            result["notes"] = stage(submission, staging, assignment.name + ".ipynb")
            notebook = find_notebook(staging, assignment.name + ".ipynb")
            cells = read_submission_cells(notebook)
        except (OSError, ValueError) as exc:
            reason = f"the submission could not be read: {clip(exc, 500)}"
            return _finish(result, _all(assignment, MISSING, reason))
        run, notes = select_cells(assignment, cells)
        result["notes"] += notes
        if not plan.namespaces and plan.drop:
            owner = plan.uid_base + slot
            for path in [staging, *staging.rglob("*")]:
                os.chown(path, owner, owner)
        session = Session(
            run, assignment.student_names, plan, limits, slot, staging, cgroups, zygote
        )
        try:
            runner = TrustedRunner(assignment, session, limits, on_test)
            tests = runner.run()
            result["problems"] = [clip(p) for p in runner.problems]
        except Exception as exc:  # noqa: BLE001 - a grader bug must not stop the batch
            tests = _all(assignment, ERROR, f"the grader failed on this submission: {clip(exc)}")
        finally:
            session.close()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result["warnings"] = _warnings(session.hello)
    labels = {cell["index"]: cell for cell in run}
    result["cell_errors"] = [
        {"cell": index, "message": clip(message)}
        for index, message in sorted(session.cell_errors.items())
        if index in labels
    ][:100]
    return _finish(result, tests)


def _finish(result: dict[str, Any], tests: list[TestResult]) -> dict[str, Any]:
    result["notes"] = [clip(note, 1000) for note in result["notes"][:100]]
    result["tests"] = [dict(as_dict(test), message=clip(test.message)) for test in tests]
    result["score"] = sum(test.score for test in tests)
    result["max_score"] = sum(test.points for test in tests)
    return result
