"""Grade a folder of submissions of one exercise, after checking the grader on the solution.

Command line::

    python -m course_grader SOLUTION SUBMISSIONS --out OUT [--jobs N] [limits...]
    python -m course_grader SOLUTION            # the preflight only
    python -m course_grader solutions/          # the preflight of every solution

SOLUTION is a solution notebook or an assignment name (``part1/conv_arithmetic``, looked up
under ``solutions/``). The preflight grades the solution, which must score full marks, and the
blank exercise (``make_exercise``), which should score 0, through the same sandbox; the batch
does not start when the solution loses points (exit status 2).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import signal
import sys
from pathlib import Path
from typing import Any

import nbformat

from course_grader.assignment import (
    Assignment,
    load_assignment,
    mock_warnings,
    resolve_solution,
)
from course_grader.batch import grade_all, refused_result
from course_grader.cgroups import CgroupMaker
from course_grader.config import UID_BASE, Limits
from course_grader.intake import discover
from course_grader.plan import UID_BLOCK, capabilities, make_plan, reserved_uids
from course_grader.report import feedback, write_reports
from course_grader.settings import JobConfig
from course_grader.state import work_folder
from course_lib.exercises import make_exercise

NO_SANDBOX = """\
This machine gives the grader no sandbox: it is not run as root, and unprivileged user
namespaces are not available (see /proc/sys/user/max_user_namespaces, or the
kernel.apparmor_restrict_unprivileged_userns setting). Without one, the students' code would
run as your user: it could read the solutions and the hidden tests, change the grader and the
other students' results, use the network and leave processes running. The grader will not run
it. Run it as root, enable user namespaces, or, if you accept all of the above (your own
notebooks, say), pass --unsafe-no-sandbox."""

_LIMIT_HELP = {
    "cell_timeout": "seconds per cell of the student's notebook",
    "call_timeout": "seconds per call into the student's code",
    "test_timeout": "seconds per graded test",
    "submission_timeout": "seconds per submission, everything included",
    "memory_mb": "MiB of memory per submission",
    "processes": "processes and threads per submission",
    "scratch_mb": "MiB of scratch space (and /tmp) per submission",
    "result_mb": "MiB one call may send back",
}


def _preflight(
    assignment: Assignment, solution: Path, config: JobConfig, jobs: int, work: Path
) -> tuple[list[dict[str, Any]], list[str], bool]:
    """Grade the solution and the blank exercise; return results, summary lines, and whether
    the solution scored full marks."""
    blank = work / "blank" / solution.name
    blank.parent.mkdir()
    nbformat.write(make_exercise(nbformat.read(solution, as_version=4)), str(blank))
    items = [("solution", solution), ("blank", blank)]
    results = grade_all(assignment, config, items, min(jobs, 2), work, progress=False)
    for result, name in zip(results, ("solution", "blank"), strict=True):
        result["name"] = name
    solved, empty = results
    ok = solved["score"] == solved["max_score"]
    lines = [
        f"preflight: the solution scores {solved['score']:g} / {solved['max_score']:g}",
        f"preflight: the blank exercise scores {empty['score']:g}",
    ]
    if empty["score"] > 0:
        lines.append("WARNING: the blank exercise scores above 0: some test gives free points")
    return results, lines, ok


def _grade(
    assignment: Assignment,
    config: JobConfig,
    submissions: Path,
    out: Path,
    jobs: int,
    header: list[str],
    checked: list[dict[str, Any]],
) -> None:
    """Grade the submissions after a successful preflight and write every output."""
    found, skipped = discover(submissions)
    for line in skipped:
        print(f"skipped: {line}", file=sys.stderr)
    graded = [s for s in found if not s.refused]
    results = iter(
        grade_all(assignment, config, [(s.student, s.path) for s in graded], jobs, out / "logs")
    )
    rows = []
    for submission in found:
        if submission.refused:
            print(f"refused: {submission.name!r}: {submission.refused}", file=sys.stderr)
            row = refused_result(assignment, submission)
        else:
            row = next(results)
        rows.append(dict(row, name=submission.name))
    write_reports(out, assignment.name, [c.id for c in assignment.tests], rows, header, skipped)
    for warning in sorted({w for r in checked + rows for w in r.get("warnings", [])}):
        print(f"WARNING: {warning}", file=sys.stderr)
    print(
        f"Wrote {out / 'gradebook.csv'} and the feedback of {len(rows)} students.",
        file=sys.stderr,
    )


def grade_assignment(
    solution: Path,
    submissions: Path | None,
    out: Path | None,
    limits: Limits,
    jobs: int,
    allow: list[Path],
    uid_base: int = UID_BASE,
    fresh: bool = False,
    unsafe: bool = False,
) -> int:
    """Preflight, then grade every submission; return the exit status (0, 2, or 3)."""
    found = capabilities()
    if not (found["namespaces"] or unsafe):
        print(NO_SANDBOX, file=sys.stderr)
        return 3
    with contextlib.ExitStack() as stack:
        if found["drop"]:  # root: this batch's own block of worker uids
            uid_base = stack.enter_context(reserved_uids(uid_base, jobs))
        assignment = load_assignment(solution, solution.stem)
        work = stack.enter_context(work_folder(found["drop"] and not found["namespaces"]))
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
        cgroups = CgroupMaker.detect(str(os.getpid())) if os.geteuid() == 0 else None
        try:
            folders = [p for p in (submissions, out, work) if p is not None]
            plan = make_plan(solution, folders, allow, cgroups, uid_base, found)
            config = JobConfig(assignment, plan, limits, fresh, str(work))
            checked, lines, ok = _preflight(assignment, solution, config, jobs, work)
            header = plan.describe() + lines + mock_warnings(assignment)
            print("\n".join(header), file=sys.stderr)
            if out is not None:
                tests = [cell.id for cell in assignment.tests]
                write_reports(out / "preflight", assignment.name, tests, checked, header)
            if not ok:
                print(feedback(assignment.name, checked[0]), file=sys.stderr)
                print("The solution does not score full marks: not grading.", file=sys.stderr)
                return 2
            if submissions is not None and out is not None:
                _grade(assignment, config, submissions, out, jobs, header, checked)
            return 0
        finally:
            if cgroups is not None:
                cgroups.remove()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m course_grader", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("solution", help="solution notebook, assignment name, or folder of them")
    parser.add_argument("submissions", nargs="?", type=Path, help="folder of submissions")
    parser.add_argument("--out", type=Path, help="output folder (required with submissions)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel jobs")
    parser.add_argument(
        "--allow",
        type=Path,
        action="append",
        default=[],
        help="a folder the students' code may read (repeatable)",
    )
    parser.add_argument(
        "--uid-base",
        type=int,
        default=UID_BASE,
        help="first worker uid (a batch running already has its block: the next is taken)",
    )
    parser.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="run the students' code without a sandbox where this machine has none (no root, "
        "no user namespaces): their code can then read and change whatever your user can "
        "(the solutions too), use the network and leave processes behind",
    )
    parser.add_argument(
        "--fresh-interpreter",
        action="store_true",
        help="start every worker as a new interpreter (slower) instead of "
        "forking it from a template that imported numpy and torch",
    )
    for name, text in _LIMIT_HELP.items():
        default = getattr(Limits(), name)
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, type=type(default), default=default, help=text)
    return parser


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and grade; return the exit status."""
    signal.signal(signal.SIGTERM, _interrupt)  # stop the jobs and their workers, as Ctrl-C does
    args = _parser().parse_args(argv)
    limits = dataclasses.replace(Limits(), **{n: getattr(args, n) for n in _LIMIT_HELP})
    if not 1 <= args.jobs <= UID_BLOCK:
        raise SystemExit(f"--jobs must be between 1 and {UID_BLOCK}, got {args.jobs}")
    common = (
        limits,
        args.jobs,
        args.allow,
        args.uid_base,
        args.fresh_interpreter,
        args.unsafe_no_sandbox,
    )
    folder = Path(args.solution)
    if folder.is_dir():
        if args.submissions is not None:
            raise SystemExit("give one solution notebook to grade submissions")
        notebooks = [
            p for p in sorted(folder.rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts
        ]
        out = args.out
        codes = [
            grade_assignment(p.resolve(), None, out and out / p.stem, *common) for p in notebooks
        ]
        return max(codes, default=0)
    try:
        solution = resolve_solution(args.solution)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    if args.submissions is not None and args.out is None:
        raise SystemExit("--out is required when grading submissions")
    return grade_assignment(solution, args.submissions, args.out, *common)


def run() -> None:
    """The console script ``course-grader``: :func:`main`, with Ctrl-C stopping every job."""
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("Interrupted: the jobs and their workers were stopped.", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    run()
