"""A Gradescope autograder made from one exercise, and what it runs on Gradescope.

``python -m course_grader.gradescope SOLUTION --out autograder.zip`` writes the zip file to
upload as a Gradescope "programming assignment" autograder. It holds the solution notebook, the
course's ``course_lib`` and this grader (as source, installed by ``setup.sh``), ``setup.sh`` and
``run_autograder``. On Gradescope, ``run_autograder`` runs ``python -m course_grader.gradescope
--run`` which grades the files of ``/autograder/submission`` as one student's submission, in the
same sandbox and with the same preflight as the command line, and writes
``/autograder/results/results.json`` in Gradescope's format.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

import course_grader
import course_lib
from course_grader.assignment import load_assignment, resolve_solution
from course_grader.config import Limits

SETUP = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
set -euo pipefail
apt-get update && apt-get install -y python3 python3-pip python3-venv
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet torch torchvision numpy matplotlib nbformat pyyaml \\
    tqdm scikit-learn scikit-image
/autograder/venv/bin/pip install --quiet --no-deps /autograder/source/course_lib_src \\
    /autograder/source/grader_src
"""
RUN = """\
#!/usr/bin/env bash
# Gradescope runs this for each submission: the files are in /autograder/submission.
cd /autograder/source
exec /autograder/venv/bin/python -m course_grader.gradescope --run /autograder
"""
_PYPROJECT_LIB = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "course-lib"
version = "0.1.0"

[tool.setuptools.packages.find]
include = ["course_lib*"]

[tool.setuptools.package-data]
course_lib = ["*.yaml"]
"""


def _add_tree(archive: zipfile.ZipFile, folder: Path, prefix: str) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            archive.write(path, f"{prefix}/{path.relative_to(folder.parent)}")


def bundle(solution: Path, out: Path) -> Path:
    """Write the autograder zip of ``solution`` to ``out``; return ``out``."""
    load_assignment(solution)  # refuse a notebook that is not a solution before anything
    grader = Path(course_grader.__file__).resolve().parent
    library = Path(course_lib.__file__).resolve().parent
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (("setup.sh", SETUP), ("run_autograder", RUN)):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            archive.writestr(info, text)
        archive.write(solution, "solution.ipynb")
        _add_tree(archive, library, "course_lib_src")
        archive.writestr("course_lib_src/pyproject.toml", _PYPROJECT_LIB)
        _add_tree(archive, grader, "grader_src")
        archive.write(grader.parent / "pyproject.toml", "grader_src/pyproject.toml")
    return out


def run(
    root: Path, solution: Path | None = None, limits: Limits | None = None, unsafe: bool = False
) -> dict:
    """Grade ``root/submission`` as one student and write ``root/results/results.json``."""
    from course_grader.__main__ import grade_assignment

    solution = solution or root / "source" / "solution.ipynb"
    results_file = root / "results" / "results.json"
    results_file.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        submissions = Path(work) / "submissions"
        submissions.mkdir()
        # links in the student's files stay links (and are refused), never followed
        shutil.copytree(root / "submission", submissions / "submission", symlinks=True)
        out = Path(work) / "out"
        code = grade_assignment(
            solution, submissions, out, limits or Limits(), 1, [], unsafe=unsafe
        )
        graded = out / "grades.json"
        if code != 0 or not graded.exists():
            found = {"score": 0, "output": f"The autograder failed (exit status {code}).",
                     "tests": []}  # fmt: skip
        else:
            from course_grader.report import gradescope

            found = gradescope(json.loads(graded.read_text())[0])
    results_file.write_text(json.dumps(found, indent=1) + "\n", encoding="utf-8")
    return found


def main(argv: list[str] | None = None) -> int:
    """``SOLUTION --out ZIP`` makes a bundle; ``--run ROOT`` grades on Gradescope."""
    parser = argparse.ArgumentParser(prog="python -m course_grader.gradescope")
    parser.add_argument("solution", nargs="?", help="solution notebook or assignment name")
    parser.add_argument("--out", type=Path, default=Path("autograder.zip"))
    parser.add_argument("--run", type=Path, help="grade ROOT/submission (on Gradescope)")
    parser.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="with --run: grade even where the container allows no namespaces (see the README)",
    )
    args = parser.parse_args(argv)
    if args.run is not None:
        run(args.run, unsafe=args.unsafe_no_sandbox)
        return 0
    if args.solution is None:
        parser.error("give a solution notebook, or --run ROOT")
    path = bundle(resolve_solution(args.solution), args.out)
    print(f"Wrote {path}: upload it as the autograder of a Gradescope assignment.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
