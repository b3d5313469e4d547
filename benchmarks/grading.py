"""How long the grader takes for a class: N submissions of one exercise, in the sandbox.

    python benchmarks/grading.py                       # 30 submissions of part1/conv_arithmetic
    python benchmarks/grading.py --count 60 --jobs 4 --assignment part1/transposed_conv
    python benchmarks/grading.py --fresh-interpreter   # each worker a new interpreter

The submissions are made from the solution: two thirds with every answer right, one sixth
with the first answer left blank, one sixth blank (the exercise as students get it). The
command line grades them after its preflight; the script prints the time of the whole command,
of the batch alone, and per submission, with the machine's core count.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from course_grader.assignment import resolve_solution

from course_lib.exercises import END_SOLUTION, make_exercise


def filled(solution: nbformat.NotebookNode, blank_cells: int) -> nbformat.NotebookNode:
    """The solution as a student would hand it in, the first ``blank_cells`` answers blank."""
    exercise = make_exercise(solution)
    answered = 0
    for cell, source in zip(exercise.cells, solution.cells, strict=True):
        if cell.cell_type != "code" or END_SOLUTION not in source.source:
            continue
        answered += 1
        if answered > blank_cells:
            lines = source.source.splitlines()
            cell.source = "\n".join(line for line in lines if "### " not in line.strip()[:4])
    return exercise


def make_submissions(solution_path: Path, count: int, folder: Path) -> None:
    """Write ``count`` submissions of the exercise into ``folder``."""
    solution = nbformat.read(str(solution_path), as_version=4)
    for index in range(count):
        kind = index % 6
        if kind < 4:
            notebook = filled(solution, 0)
        elif kind == 4:
            notebook = filled(solution, 1)
        else:
            notebook = make_exercise(solution)
        nbformat.write(notebook, str(folder / f"student{index:03d}.ipynb"))


def main() -> None:
    """Build the submissions, grade them, print the times."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default="part1/conv_arithmetic")
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--fresh-interpreter", action="store_true")
    args = parser.parse_args()
    solution = resolve_solution(args.assignment)
    with tempfile.TemporaryDirectory() as work:
        submissions, out = Path(work) / "submissions", Path(work) / "out"
        submissions.mkdir()
        make_submissions(solution, args.count, submissions)
        command = [
            sys.executable,
            "-m",
            "course_grader",
            str(solution),
            str(submissions),
            "--out",
            str(out),
            "--jobs",
            str(args.jobs),
        ]
        if args.fresh_interpreter:
            command.append("--fresh-interpreter")
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        total = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(done.stderr[-3000:])
        batch = float(re.findall(r"\[\d+/\d+, (\d+) s\]", done.stderr)[-1])
        graded = (out / "gradebook.csv").read_text().count("\n") - 1
    print(f"{args.assignment}: {graded} submissions, --jobs {args.jobs}, {os.cpu_count()} cores")
    print(f"whole command (preflight included): {total:.1f} s")
    print(f"batch: {batch:.0f} s, {batch / graded:.2f} s per submission")


if __name__ == "__main__":
    main()
