"""The Gradescope autograder: the bundle's layout, and a run against Gradescope's folders
(``/autograder/submission`` in, ``/autograder/results/results.json`` out) in a temporary root."""

import json
import shutil
import stat
import zipfile
from pathlib import Path

import pytest
from course_grader.config import Limits
from course_grader.gradescope import bundle, run
from course_grader.plan import capabilities

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SOLUTION = FIXTURES / "solution.ipynb"


def test_the_bundle_holds_setup_run_the_solution_and_both_packages(tmp_path):
    path = bundle(SOLUTION, tmp_path / "autograder.zip")
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        mode = archive.getinfo("run_autograder").external_attr >> 16
        run_text = archive.read("run_autograder").decode()
    assert {"setup.sh", "run_autograder", "solution.ipynb"} <= names
    assert "grader_src/pyproject.toml" in names and "course_lib_src/pyproject.toml" in names
    assert "grader_src/course_grader/sandbox.py" in names
    assert "course_lib_src/course_lib/grading/calls.py" in names
    assert not any("tests/" in n or n.endswith(".pyc") for n in names)
    assert mode & stat.S_IXUSR and "--run /autograder" in run_text


@pytest.mark.skipif(not capabilities()["namespaces"], reason="needs a sandbox (root or userns)")
def test_run_autograder_grades_the_submission_folder(tmp_path):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "source").mkdir()
    shutil.copy(SOLUTION, root / "source" / "solution.ipynb")
    shutil.copy(FIXTURES / "submissions" / "wrong.ipynb", root / "submission" / "solution.ipynb")
    limits = Limits(cell_timeout=15, call_timeout=5, test_timeout=30, memory_mb=2048)
    found = run(root, limits=limits)
    written = json.loads((root / "results" / "results.json").read_text())
    assert written == found and written["score"] == 5 and len(written["tests"]) == 5
