"""Put notebooks into their committed form.

Each notebook is executed in the ``quick`` profile (from its own folder, as Jupyter Book and
nbval run it); then every output is removed except those of cells tagged
``nbval-check-output`` (nbval compares these exactly), execution counts are cleared (the
tagged cells are numbered, as nbval needs) and missing cell ids are added. With ``--check``
nothing is executed or written: the notebooks are only checked to be in that form.

    python tools/normalize_notebooks.py notebooks/part1/*.ipynb
    python tools/normalize_notebooks.py --check notebooks solutions
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

CHECK_TAG = "nbval-check-output"
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def keeps_output(cell: nbformat.NotebookNode) -> bool:
    """Whether a code cell's outputs stay in the committed notebook."""
    return cell.cell_type == "code" and CHECK_TAG in cell.metadata.get("tags", [])


def strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove outputs and execution counts of unmarked cells; keep metadata minimal.

    Marked cells are numbered 1, 2, ... (nbval skips cells without an execution count)."""
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if keeps_output(cell):
            count += 1
            cell.execution_count = count
            for output in cell.outputs:
                if "execution_count" in output:
                    output.execution_count = count
        else:
            cell.execution_count = None
            cell.outputs = []
        cell.metadata.pop("execution", None)
    nb.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    return nb


def problems_with(path: Path) -> list[str]:
    """Return what keeps a notebook from its committed form."""
    nb = nbformat.read(path, as_version=4)
    problems = []
    for index, cell in enumerate(nb.cells):
        if "id" not in cell:
            problems.append(f"{path}: cell {index} has no id")
        if cell.cell_type != "code":
            continue
        if cell.execution_count is not None and not keeps_output(cell):
            problems.append(f"{path}: cell {index} has an execution count")
        if cell.outputs and not keeps_output(cell):
            problems.append(f"{path}: cell {index} keeps outputs but is not tagged {CHECK_TAG}")
        if keeps_output(cell) and not cell.outputs:
            problems.append(f"{path}: cell {index} is tagged {CHECK_TAG} but stores no output")
    return problems


def normalize(path: Path, timeout: int = 1200) -> None:
    """Execute one notebook in the quick profile and write it back in committed form."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validator.normalize(nb)  # adds missing cell ids
    os.environ["COURSE_PROFILE"] = "quick"
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    nbformat.write(strip(nb), path)


def notebooks_in(paths: list[Path]) -> list[Path]:
    found = []
    for path in paths:
        found += sorted(path.rglob("*.ipynb")) if path.is_dir() else [path]
    return [p for p in found if ".ipynb_checkpoints" not in p.parts]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", type=Path, help="notebooks or folders")
    parser.add_argument("--check", action="store_true", help="check only; execute nothing")
    args = parser.parse_args(argv)
    problems = []
    for path in notebooks_in(args.paths):
        if args.check:
            problems += problems_with(path)
        else:
            print(f"executing {path}", flush=True)
            normalize(path)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
