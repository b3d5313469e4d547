"""Export an exercise to nbgrader's format, for courses that grade with nbgrader/formgrader.

``python -m course_grader.nbgrader_export SOLUTION --out COURSE`` writes the solution notebook,
with nbgrader's cell metadata (schema version 3), to ``COURSE/source/ASSIGNMENT/NAME.ipynb``:
nbgrader's ``generate_assignment`` then makes the students' version. The course's markers are
nbgrader's own (``### BEGIN SOLUTION``, ``### BEGIN HIDDEN TESTS``), so the cells keep their
source:

- a cell holding a solution region is an autograded answer (``solution``);
- a graded test cell (``{"grading": {"points": N}}``) is an autograded test (``grade``,
  ``locked``, ``points``), its ``grade_id`` the test's id;
- every other cell is read-only (``locked``), as under the course's own grader, which runs the
  solution's copy of them.

Under nbgrader the student's code and the tests share one kernel: nbgrader's own sandboxing
applies, not this grader's.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

from course_grader.assignment import load_assignment, resolve_solution
from course_lib.exercises import BEGIN_SOLUTION

SCHEMA_VERSION = 3
_ID = re.compile(r"[^A-Za-z0-9_-]+")


def _grade_id(text: str, taken: set[str]) -> str:
    base = _ID.sub("-", text).strip("-") or "cell"
    found, number = base, 2
    while found in taken:
        found, number = f"{base}-{number}", number + 1
    taken.add(found)
    return found


def to_nbgrader(solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of a solution notebook with nbgrader's metadata on every cell."""
    notebook = copy.deepcopy(solution)
    taken: set[str] = set()
    for index, cell in enumerate(notebook.cells):
        grading = cell.metadata.get("grading")
        meta = {"schema_version": SCHEMA_VERSION, "task": False}
        if cell.cell_type == "code" and isinstance(grading, dict) and "points" in grading:
            test_id = str(grading.get("id") or cell.get("id") or f"test-{index}")
            meta.update(grade=True, solution=False, locked=True, points=grading["points"])
            meta["grade_id"] = _grade_id(test_id, taken)
        elif cell.cell_type == "code" and BEGIN_SOLUTION in cell.source:
            meta.update(grade=False, solution=True, locked=False)
            meta["grade_id"] = _grade_id(str(cell.get("id") or f"answer-{index}"), taken)
        else:
            meta.update(grade=False, solution=False, locked=True)
            meta["grade_id"] = _grade_id(str(cell.get("id") or f"cell-{index}"), taken)
        cell.metadata["nbgrader"] = meta
    return notebook


def export(solution: Path, course: Path, assignment: str | None = None) -> Path:
    """Write the nbgrader source notebook of ``solution`` under ``course``; return its path."""
    load_assignment(solution)  # a solution notebook of the course's format, or an error
    name = assignment or solution.stem
    target = course / "source" / name / solution.name
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(to_nbgrader(nbformat.read(str(solution), as_version=4)), str(target))
    return target


def main(argv: list[str] | None = None) -> int:
    """``SOLUTION --out COURSE [--assignment NAME]``."""
    parser = argparse.ArgumentParser(prog="python -m course_grader.nbgrader_export")
    parser.add_argument("solution", help="solution notebook or assignment name")
    parser.add_argument("--out", type=Path, required=True, help="the nbgrader course folder")
    parser.add_argument("--assignment", help="nbgrader's assignment name (the notebook's name)")
    args = parser.parse_args(argv)
    path = export(resolve_solution(args.solution), args.out, args.assignment)
    print(f"Wrote {path}; then: nbgrader generate_assignment {path.parent.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
