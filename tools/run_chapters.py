"""Execute chapter notebooks to their last cell, each in a fresh kernel, and time each one.

The profile and the switches come from the environment, so that one command checks any edition:

    COURSE_PROFILE=full COURSE_OFFLINE=1 COURSE_SMOKE=1 python tools/run_chapters.py notebooks
    COURSE_PROFILE=quick COURSE_OFFLINE=1 python tools/run_chapters.py notebooks/part3/tricks.ipynb

Nothing is written back. Exit status 1 if any notebook fails; the failing cell's error is shown.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from normalize_notebooks import notebooks_in  # tools/, beside this script

SWITCHES = ("COURSE_PROFILE", "COURSE_OFFLINE", "COURSE_SMOKE", "COURSE_PROGRESS", "COURSE_DATA")


def run(path: Path, timeout: int) -> tuple[Path, float, str | None]:
    """Execute one notebook from its own folder; return its path, seconds and error (or None)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    try:
        client.execute()
        error = None
    except CellExecutionError as failure:
        error = str(failure)[-3000:]
    except TimeoutError as failure:
        error = f"timed out: {failure}"
    return path, time.perf_counter() - start, error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", type=Path, help="notebooks or folders")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument(
        "--first",
        type=Path,
        action="append",
        default=[],
        help="a notebook to run before all others (one that later ones read files of)",
    )
    args = parser.parse_args(argv)
    settings = ", ".join(f"{k}={os.environ[k]}" for k in SWITCHES if k in os.environ)
    print(f"Running chapters with {settings or 'no COURSE_ settings'}", flush=True)
    failed, total = [], time.perf_counter()
    first = [path.resolve() for path in args.first]
    rest = [path for path in notebooks_in(args.paths) if path.resolve() not in first]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        jobs = [pool.submit(run, path, args.timeout) for path in args.first]
        for job in jobs:
            job.result()  # wait: the others may read what these write
        jobs += [pool.submit(run, path, args.timeout) for path in rest]
        for job in jobs:
            path, seconds, error = job.result()
            print(f"{'FAILED' if error else 'ok':>6}  {seconds:7.1f} s  {path}", flush=True)
            if error:
                failed.append(path)
                print(error, file=sys.stderr)
    print(f"{time.perf_counter() - total:.0f} s in all")
    print(f"{len(jobs) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
