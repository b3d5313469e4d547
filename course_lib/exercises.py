"""Write the student notebooks (``exercises/``) from the solution notebooks (``solutions/``).

Solutions are authored once, with nbgrader-style markers:

- in code cells, ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` enclose the student's part,
  which becomes ``raise NotImplementedError(...)`` at the indentation of the marker;
  in markdown cells the region becomes ``YOUR ANSWER HERE``;
- ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` enclose tests the student never sees;
- a test cell carries ``{"grading": {"points": N}}`` in its metadata.

Outputs and execution counts are cleared; cell ids and metadata are kept, so that a graded cell
has the same id in the solution, the exercise and the student's submission.

Command line::

    python -m course_lib.exercises solutions exercises          # write exercises/
    python -m course_lib.exercises solutions exercises --check  # fail if out of sync
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
CODE_STUB = 'raise NotImplementedError("Replace this line with your solution.")'
MARKDOWN_STUB = "YOUR ANSWER HERE"


def _replace_regions(source: str, begin: str, end: str, stub: str | None, where: str) -> str:
    """Replace each ``begin``...``end`` region of ``source`` by ``stub`` (or drop it if None)."""
    out: list[str] = []
    inside = False
    for number, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker == begin:
            if inside:
                raise ValueError(f"{where}, line {number}: {begin!r} inside another region")
            inside = True
            if stub is not None:
                indent = line[: len(line) - len(line.lstrip())]
                out.append(indent + stub)
        elif marker == end:
            if not inside:
                raise ValueError(f"{where}, line {number}: {end!r} without {begin!r}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: {begin!r} is never closed by {end!r}")
    return "\n".join(out)


def exercise_cell_source(cell: nbformat.NotebookNode, where: str) -> str:
    """Return the student's version of one solution cell's source.

    Args:
        cell: a notebook cell (code or markdown).
        where: a description of the cell for error messages.

    Returns:
        The source with solution regions stubbed and hidden tests removed.

    Example:
        >>> cell = nbformat.v4.new_code_cell("def f():\\n    ### BEGIN SOLUTION\\n    return 1\\n"
        ...                                  "    ### END SOLUTION")
        >>> print(exercise_cell_source(cell, "example"))
        def f():
            raise NotImplementedError("Replace this line with your solution.")
    """
    stub = CODE_STUB if cell.cell_type == "code" else MARKDOWN_STUB
    source = _replace_regions(cell.source, BEGIN_SOLUTION, END_SOLUTION, stub, where)
    return _replace_regions(source, BEGIN_HIDDEN, END_HIDDEN, None, where)


def make_exercise(solution: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """Return the exercise notebook made from a solution notebook (the input is not changed)."""
    exercise = nbformat.from_dict(solution)
    for index, cell in enumerate(exercise.cells):
        cell.source = exercise_cell_source(cell, f"{name}, cell {index} ({cell.get('id')})")
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return exercise


def _serialize(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb, version=4) + ("" if nbformat.writes(nb).endswith("\n") else "\n")


def expected_exercises(solutions_dir: Path) -> dict[Path, str]:
    """Map each exercise path (relative to the exercises folder) to its expected text."""
    solutions_dir = Path(solutions_dir)
    if not solutions_dir.is_dir():
        raise ValueError(f"solutions folder {solutions_dir} does not exist")
    expected = {}
    for path in sorted(solutions_dir.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        relative = path.relative_to(solutions_dir)
        solution = nbformat.read(path, as_version=4)
        expected[relative] = _serialize(make_exercise(solution, str(relative)))
    return expected


def write_exercises(solutions_dir: Path, exercises_dir: Path) -> list[Path]:
    """Write every exercise and delete exercises whose solution is gone; return written paths."""
    exercises_dir = Path(exercises_dir)
    expected = expected_exercises(solutions_dir)
    for stale in exercises_dir.rglob("*.ipynb") if exercises_dir.exists() else []:
        if stale.relative_to(exercises_dir) not in expected:
            stale.unlink()
    written = []
    for relative, text in expected.items():
        target = exercises_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def check_exercises(solutions_dir: Path, exercises_dir: Path) -> list[str]:
    """Return a list of problems: exercises missing, stale or different from what is generated."""
    exercises_dir = Path(exercises_dir)
    expected = expected_exercises(solutions_dir)
    problems = []
    for relative, text in expected.items():
        target = exercises_dir / relative
        if not target.exists():
            problems.append(f"{target} is missing")
        elif target.read_text(encoding="utf-8") != text:
            problems.append(f"{target} differs from what {Path(solutions_dir) / relative} makes")
    existing = exercises_dir.rglob("*.ipynb") if exercises_dir.exists() else []
    for path in existing:
        if (
            ".ipynb_checkpoints" not in path.parts
            and path.relative_to(exercises_dir) not in expected
        ):
            problems.append(f"{path} has no solution notebook")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("solutions", type=Path, help="folder of solution notebooks")
    parser.add_argument("exercises", type=Path, help="folder to write the exercises into")
    parser.add_argument("--check", action="store_true", help="only check that they are in sync")
    args = parser.parse_args(argv)
    if args.check:
        problems = check_exercises(args.solutions, args.exercises)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("Run `make exercises` to regenerate exercises/.", file=sys.stderr)
        return 1 if problems else 0
    for path in write_exercises(args.solutions, args.exercises):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
