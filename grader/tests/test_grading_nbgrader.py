"""The export to nbgrader: the metadata of every cell, then nbgrader itself generating the
students' version from it (when nbgrader is installed)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from course_grader.assignment import load_assignment
from course_grader.nbgrader_export import export, to_nbgrader

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SOLUTION = FIXTURES / "solution.ipynb"
ROOT = Path(__file__).resolve().parents[2]


def test_every_cell_gets_nbgrader_metadata():
    notebook = to_nbgrader(nbformat.read(str(SOLUTION), as_version=4))
    tests = {t.id: t.points for t in load_assignment(SOLUTION).tests}
    graded = {}
    for cell in notebook.cells:
        meta = cell.metadata["nbgrader"]
        assert meta["schema_version"] == 3 and meta["grade_id"]
        if meta["grade"]:
            assert meta["locked"] and not meta["solution"]
            graded[meta["grade_id"]] = meta["points"]
        if meta["solution"]:
            assert "### BEGIN SOLUTION" in cell.source and not meta["locked"]
    assert graded == tests
    ids = [cell.metadata["nbgrader"]["grade_id"] for cell in notebook.cells]
    assert len(ids) == len(set(ids))


def test_nbgrader_generates_the_students_version(tmp_path):
    pytest.importorskip("nbgrader")
    source = export(SOLUTION, tmp_path, "demo")
    (tmp_path / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(tmp_path)!r}\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", "demo", "--force"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    release = tmp_path / "release" / "demo" / source.name
    student = json.loads(release.read_text())
    text = json.dumps(student)
    assert "BEGIN HIDDEN TESTS" not in text and "224, 7, p=3" not in text
    assert "YOUR CODE HERE" in text or "raise NotImplementedError" in text
    points = sum(
        c["metadata"]["nbgrader"].get("points", 0)
        for c in student["cells"]
        if c["metadata"].get("nbgrader", {}).get("grade")
    )
    assert points == load_assignment(SOLUTION).max_score
    shutil.rmtree(tmp_path / "release")
