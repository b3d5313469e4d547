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
from concurrent.futures import ProcessPoolExecutor, as_completed
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


def run_chain(paths: list[Path], timeout: int) -> list[tuple[Path, float, str | None]]:
    """Run notebooks one after the other; after a failure, the later ones are not run."""
    results = []
    for path in paths:
        results.append(run(path, timeout))
        if results[-1][2] is not None:
            results += [(later, 0.0, f"not run: {path} failed") for later in paths[len(results) :]]
            break
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", type=Path, help="notebooks or folders")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument(
        "--chain",
        type=Path,
        action="append",
        default=[],
        help="a notebook run, in the order given, one after the other on one worker that starts "
        "first (a later one may read what an earlier one writes); the others fill the rest",
    )
    args = parser.parse_args(argv)
    settings = ", ".join(f"{k}={os.environ[k]}" for k in SWITCHES if k in os.environ)
    print(f"Running chapters with {settings or 'no COURSE_ settings'}", flush=True)
    failed, done, total = [], 0, time.perf_counter()
    chained = [path.resolve() for path in args.chain]
    rest = [path for path in notebooks_in(args.paths) if path.resolve() not in chained]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        jobs = [pool.submit(run_chain, args.chain, args.timeout)] if args.chain else []
        jobs += [pool.submit(run_chain, [path], args.timeout) for path in rest]
        for job in as_completed(jobs):
            for path, seconds, error in job.result():
                done += 1
                print(f"{'FAILED' if error else 'ok':>6}  {seconds:7.1f} s  {path}", flush=True)
                if error:
                    failed.append(path)
                    print(error, file=sys.stderr)
    print(f"{time.perf_counter() - total:.0f} s in all")
    print(f"{done - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
