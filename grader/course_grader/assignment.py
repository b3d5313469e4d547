"""Read a solution notebook into what the grader needs: provided cells, student names, tests.

A code cell of the solution notebook is one of:

- a **test** cell: its metadata is ``{"grading": {"points": N}}`` (optionally ``"id"``); it
  is run by the trusted grader, hidden lines included;
- a **solution** cell: it holds ``### BEGIN SOLUTION``; the names bound at module level by
  its statements that overlap a solution region (functions, classes, variables, found with
  :mod:`ast`) are the student's; its other statements (imports, given classes) are run by
  the grader from the solution;
- a **provided** cell: everything else (imports, given data); the grader runs the solution's
  copy, never the student's.
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nbformat

import course_lib
from course_lib.exercises import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_SOLUTION,
    exercise_cell_source,
)

REPOSITORY = Path(course_lib.__file__).resolve().parents[1]
_KEPT_CELL_MAGICS = {"time", "capture", "timeit"}


@dataclass
class Cell:
    """One code cell of the solution notebook, as the grader sees it."""

    kind: str
    index: int
    id: str
    source: str
    names: list[str] = field(default_factory=list)
    points: float = 0.0
    hidden_lines: list[int] = field(default_factory=list)
    student_hash: str = ""
    cell_id: str = ""


@dataclass
class Assignment:
    """A solution notebook split into cells, with its tests and the names students define."""

    name: str
    cells: list[Cell]

    @property
    def tests(self) -> list[Cell]:
        """The graded test cells, in notebook order."""
        return [cell for cell in self.cells if cell.kind == "test"]

    @property
    def max_score(self) -> float:
        """The sum of the points of all tests."""
        return sum(cell.points for cell in self.tests)

    @property
    def student_names(self) -> list[str]:
        """Every name that some solution cell binds, in order, without repeats."""
        return list(dict.fromkeys(n for c in self.cells if c.kind == "solution" for n in c.names))

    def to_dict(self) -> dict[str, Any]:
        """Return plain data, for the JSON sent to a grading job."""
        return {"name": self.name, "cells": [asdict(cell) for cell in self.cells]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Assignment:
        """Rebuild an assignment from :meth:`to_dict`'s output."""
        return cls(data["name"], [Cell(**cell) for cell in data["cells"]])


def resolve_solution(name: str, root: Path = REPOSITORY) -> Path:
    """Find a solution notebook from a path or an assignment name like ``part1/conv_arithmetic``.

    Raises:
        ValueError: when no such notebook exists (the message lists where it was looked for).
    """
    given = Path(name)
    stem = name if name.endswith(".ipynb") else name + ".ipynb"
    tried = [given, Path(stem), root / "solutions" / stem, Path.cwd() / "solutions" / stem]
    for path in tried:
        if path.is_file():
            return path.resolve()
    raise ValueError(f"no solution notebook {name!r}; looked at " + ", ".join(map(str, tried)))


def transform_magics(source: str) -> str:
    """Return ``source`` with IPython magics and shell escapes made harmless.

    A line starting with ``%`` or ``!`` becomes ``pass`` at its indentation; a cell magic
    (``%%name``) is dropped with its cell unless it only times or captures the cell.

    Example:
        >>> transform_magics("if False:\\n    %pip install x")
        'if False:\\n    pass'
    """
    lines = source.splitlines()
    first = next((line.strip() for line in lines if line.strip()), "")
    if first.startswith("%%"):
        if first[2:].split(" ")[0] not in _KEPT_CELL_MAGICS:
            return "pass"
        lines = lines[[line.strip() for line in lines].index(first) + 1 :]
    out = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            line = line[: len(line) - len(stripped)] + "pass"
        out.append(line)
    return "\n".join(out)


def _module_level_nodes(tree: ast.Module) -> list[ast.AST]:
    """Every node executed at module level: not inside a function, class body or lambda."""
    found: list[ast.AST] = []
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        found.append(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return found


def _names(nodes: list[ast.stmt]) -> list[str]:
    """The names bound at module level by ``nodes``, imports excepted, in order."""
    names: list[str] = []
    found = _module_level_nodes(ast.Module(body=nodes, type_ignores=[]))
    for node in sorted(found, key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.append(node.id)
    return list(dict.fromkeys(names))


def bound_names(source: str) -> tuple[list[str], str]:
    """Return the names a cell binds at module level (imports excepted) and its imports.

    Example:
        >>> bound_names("import math\\ndef f(x):\\n    y = 1\\nA, B = 1, 2")
        (['f', 'A', 'B'], 'import math')
    """
    tree = ast.parse(transform_magics(source))
    imports = [ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    return _names(tree.body), "\n".join(imports)


def split_solution_cell(source: str) -> tuple[list[str], str]:
    """Split a solution cell into the student's names and the code the grader runs itself.

    A top-level statement that overlaps a solution region is the student's: the names it
    binds are looked up in the worker. Every other statement (imports, a ``NamedTuple`` the
    exercise provides...) is returned as source for the grader to run from the solution.

    Example:
        >>> split_solution_cell("import math\\nK = 2\\ndef f():\\n    ### BEGIN SOLUTION\\n"
        ...                     "    return K\\n    ### END SOLUTION")
        (['f'], 'import math\\nK = 2')
    """
    source = transform_magics(source)
    regions, start = [], 0
    for number, line in enumerate(source.splitlines(), start=1):
        if line.strip() == BEGIN_SOLUTION:
            start = number
        elif line.strip() == END_SOLUTION:
            regions.append((start, number))
    student, provided = [], []
    for node in ast.parse(source).body:
        end = node.end_lineno or node.lineno
        imports = isinstance(node, (ast.Import, ast.ImportFrom))
        overlaps = any(node.lineno <= last and first <= end for first, last in regions)
        (student if overlaps and not imports else provided).append(node)
    lines = source.splitlines()
    code = ["\n".join(lines[n.lineno - 1 : n.end_lineno]) for n in provided]
    return _names(student), "\n".join(code)


def hidden_lines(source: str) -> list[int]:
    """The 1-based numbers of the lines inside hidden-test regions, markers included."""
    inside, found = False, []
    for number, line in enumerate(source.splitlines(), start=1):
        if line.strip() == BEGIN_HIDDEN:
            inside = True
        if inside:
            found.append(number)
        if line.strip() == END_HIDDEN:
            inside = False
    return found


def source_hash(source: str) -> str:
    """A hash of a cell's source that ignores trailing whitespace."""
    text = "\n".join(line.rstrip() for line in source.strip().splitlines())
    return hashlib.sha256(text.encode()).hexdigest()


def _grading(cell: nbformat.NotebookNode) -> dict[str, Any] | None:
    grading = cell.get("metadata", {}).get("grading")
    return grading if isinstance(grading, dict) and "points" in grading else None


def _read_cell(cell: nbformat.NotebookNode, index: int, where: str) -> Cell:
    cell_id = str(cell.get("id") or f"cell-{index}")
    grading = _grading(cell)
    if grading is not None:
        points = grading["points"]
        if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
            raise ValueError(f"{where}: points must be a positive number, not {points!r}")
        test_id = str(grading.get("id") or cell_id)
        student = exercise_cell_source(cell, where)
        return Cell(
            "test",
            index,
            test_id,
            cell.source,
            [],
            float(points),
            hidden_lines(cell.source),
            source_hash(student),
            cell_id,
        )
    if BEGIN_SOLUTION in cell.source:
        names, provided = split_solution_cell(cell.source)
        return Cell("solution", index, cell_id, provided, names, cell_id=cell_id)
    names, _ = bound_names(cell.source)
    return Cell("provided", index, cell_id, cell.source, names, cell_id=cell_id)


def load_assignment(path: Path, name: str | None = None) -> Assignment:
    """Read a solution notebook.

    Raises:
        ValueError: when the notebook has no test cell, two tests share an id, a test has
            invalid points, or a solution cell is not valid Python.
    """
    notebook = nbformat.read(str(path), as_version=4)
    cells = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            where = f"{path}, cell {index} ({cell.get('id')})"
            try:
                cells.append(_read_cell(cell, index, where))
            except SyntaxError as exc:
                raise ValueError(f"{where}: {exc}") from None
    assignment = Assignment(name or Path(path).stem, cells)
    ids = [cell.id for cell in assignment.tests]
    if not ids:
        raise ValueError(f"{path} has no test cell (metadata {{'grading': {{'points': N}}}})")
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: two test cells share an id: {ids}")
    return assignment


def mock_warnings(assignment: Assignment) -> list[str]:
    """Warn about cells that patch with ``unittest.mock``: under the grader the patch stays in
    the grader's process and never reaches the student's code."""
    return [
        f"WARNING: cell `{cell.id}` uses mock.patch, which cannot reach the student's code "
        "under the grader; use course_lib.grading.calls (forbidden, counted) instead"
        for cell in assignment.cells
        if cell.kind != "solution"
        and ("mock.patch" in cell.source or "patch.object" in cell.source)
    ]
