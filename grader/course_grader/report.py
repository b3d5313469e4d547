"""What the instructor and the students get: gradebook CSV, feedback, Gradescope results.json.

Layout of the output folder::

    gradebook.csv            one row per student: the safe id, the name exactly as submitted,
                             the score, one column per test (points) and one per test status;
                             a cell that a spreadsheet would take for a formula is escaped
    skipped.md               the entries of the submissions folder that are not submissions
    grades.json              every result, as plain data
    summary.md               the sandbox, the preflight, status counts, security warnings
    STUDENT/feedback.md      what failed and why (never the code of hidden tests)
    STUDENT/results.json     Gradescope's format
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

from course_grader.config import PASSED, STATUSES
from course_grader.intake import RESERVED


def _points(value: float) -> str:
    return f"{value:g}"


def _block(text: str) -> str:
    return "```text\n" + text.replace("```", "'''").strip() + "\n```"


def feedback(assignment: str, result: dict[str, Any]) -> str:
    """The markdown feedback of one student."""
    lines = [
        f"# {assignment}: feedback for {result['student']}",
        "",
        f"**Score: {_points(result['score'])} / {_points(result['max_score'])}**",
        "",
        "| Test | Points | Status |",
        "| --- | --- | --- |",
    ]
    for test in result["tests"]:
        score = f"{_points(test['score'])} / {_points(test['points'])}"
        lines.append(f"| `{test['id']}` | {score} | {test['status']} |")
    wrong = [test for test in result["tests"] if test["status"] != PASSED]
    if wrong:
        lines += ["", "## What went wrong"]
        for test in wrong:
            lines += ["", f"### `{test['id']}`: {test['status']}", "", _block(test["message"])]
    if result.get("cell_errors"):
        lines += ["", "## Errors while running your notebook", ""]
        for error in result["cell_errors"]:
            lines += [f"Cell {error['cell']}:", "", _block(error["message"]), ""]
    if result.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {note}" for note in result["notes"]]
    return "\n".join(lines).rstrip() + "\n"


def gradescope(result: dict[str, Any]) -> dict[str, Any]:
    """One submission's result in Gradescope's ``results.json`` format."""
    tests = []
    for test in result["tests"]:
        output = f"status: {test['status']}" + (f"\n{test['message']}" if test["message"] else "")
        tests.append(
            {
                "name": test["id"],
                "score": test["score"],
                "max_score": test["points"],
                "status": "passed" if test["status"] == PASSED else "failed",
                "output": output,
                "visibility": "visible",
            }
        )
    notes = result.get("notes", []) + [
        f"Cell {e['cell']}: {e['message']}" for e in result.get("cell_errors", [])
    ]
    return {"score": result["score"], "output": "\n".join(notes), "tests": tests}


def cell(value: Any) -> str:
    """A CSV cell that no spreadsheet takes for a formula: text starting with ``= + - @``, a
    tab or a carriage return gets a leading apostrophe (numbers are written as they are)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_gradebook(path: Path, test_ids: list[str], results: list[dict[str, Any]]) -> None:
    """Write the CSV: student id, name, score, max_score, one column per test, one status
    per test."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "student",
                "name",
                "score",
                "max_score",
                *test_ids,
                *[f"{test_id} status" for test_id in test_ids],
            ]
        )
        for result in results:
            by_id = {test["id"]: test for test in result["tests"]}
            scores = [_points(by_id[t]["score"]) for t in test_ids]
            statuses = [cell(by_id[t]["status"]) for t in test_ids]
            writer.writerow(
                [
                    cell(result["student"]),
                    cell(result.get("name", result["student"])),
                    _points(result["score"]),
                    _points(result["max_score"]),
                    *scores,
                    *statuses,
                ]
            )


def summary(assignment: str, results: list[dict[str, Any]], header: list[str]) -> str:
    """The batch summary: the sandbox and preflight (``header``), statuses, warnings."""
    counts = Counter(test["status"] for result in results for test in result["tests"])
    lines = [
        f"# Grading of {assignment}",
        "",
        *[f"- {line}" for line in header],
        "",
        f"{len(results)} submissions graded.",
        "",
        "| Status | Tests |",
        "| --- | --- |",
    ]
    lines += [f"| {status} | {counts.get(status, 0)} |" for status in STATUSES]
    refused = [(r["student"], r["refused"]) for r in results if r.get("refused")]
    if refused:
        lines += ["", "## Refused (not graded)", ""] + [f"- {s}: {why}" for s, why in refused]
    warned = [(r["student"], w) for r in results for w in r.get("warnings", [])]
    if warned:
        lines += ["", "## Security warnings", ""] + [f"- {s}: {w}" for s, w in warned]
    return "\n".join(lines) + "\n"


def _student_folder(out: Path, student: str) -> Path:
    """The folder of a student's feedback: ids are safe names, never the reports' own."""
    if student.lower() in RESERVED or not student or "/" in student or student.startswith("."):
        raise ValueError(f"{student!r} is not a student id")
    return out / student


def write_reports(
    out: Path,
    assignment: str,
    test_ids: list[str],
    results: list[dict[str, Any]],
    header: list[str],
    skipped: list[str] = (),
) -> None:
    """Write every output of a batch into ``out``; the students' files first, so that no
    name of theirs can stand where a report goes."""
    out.mkdir(parents=True, exist_ok=True)
    for result in results:
        folder = _student_folder(out, result["student"])
        folder.mkdir(exist_ok=True)
        (folder / "feedback.md").write_text(feedback(assignment, result), encoding="utf-8")
        text = json.dumps(gradescope(result), indent=1) + "\n"
        (folder / "results.json").write_text(text, encoding="utf-8")
    write_gradebook(out / "gradebook.csv", test_ids, results)
    (out / "grades.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    (out / "summary.md").write_text(summary(assignment, results, header), encoding="utf-8")
    lines = ["# Entries of the submissions folder that were not graded", ""]
    lines += [f"- {line}" for line in skipped] or ["None."]
    (out / "skipped.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
