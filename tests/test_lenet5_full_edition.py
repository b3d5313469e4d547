"""The LeNet-5 complexity chapter, run to its last cell on the CPU in both editions.

Real MNIST cannot be downloaded where the tests run, so the full edition runs on files in
MNIST's own format (idx files, read by torchvision's ``MNIST``) that hold real handwriting:
scikit-learn's handwritten digits, upscaled into MNIST's 28x28 frame as the stand-ins are
(``digits_standin``). To the chapter these are MNIST: ``data.standin`` is False and its
scorecard judges the run. The chapter runs in ``full`` without a smoke run, with smaller sizes
set in a cell after its parameters cell, as papermill injects them; everything else is Ho's
recipe (15 epochs, every epoch measured).

Each test takes minutes on one CPU thread, so they run only when ``COURSE_LONG_TESTS=1``:

    COURSE_LONG_TESTS=1 OMP_NUM_THREADS=1 .venv/bin/python -m pytest -n 0 -q -s \
        tests/test_lenet5_full_edition.py
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from course_lib.data import digits_standin

CHAPTER = Path(__file__).resolve().parents[1] / "notebooks" / "part4" / "lenet5_complexity.ipynb"
TEST_SIZE = 360  # every digit of the stand-ins' test pool once
TRAIN_SIZE = 6 * TEST_SIZE  # Ho's proportions; the 1,437 training digits, some at new offsets

pytestmark = pytest.mark.skipif(
    os.environ.get("COURSE_LONG_TESTS") != "1", reason="takes minutes: set COURSE_LONG_TESTS=1"
)


# Appended to the chapter: the scorecard's rows, and the test set's complexity (%) at the
# distinct positions of the plain network trained on the full set, after the last epoch.
REPORT = """import json
profile_at_exit = {p.label: round(100 * p.error, 2) for p in basic["test"] if p.measured}
print(json.dumps({"rows": card.rows, "profile": profile_at_exit}))"""


def write_idx(path: Path, array: np.ndarray) -> None:
    """An idx file as MNIST's: magic (0, 0, 0x08 for uint8, dimensions), sizes, then the data."""
    header = struct.pack(">I", 0x0800 + array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def write_handwritten_mnist(root: Path) -> None:
    """``<root>/MNIST/raw/``: MNIST's four files, holding scikit-learn's handwritten digits."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for split, n, train in (("train", TRAIN_SIZE, True), ("t10k", TEST_SIZE, False)):
        images, labels = digits_standin(n, train=train, size=28, seed=0)
        write_idx(raw / f"{split}-images-idx3-ubyte", images[:, 0].numpy())
        write_idx(raw / f"{split}-labels-idx1-ubyte", labels.numpy())


def run_chapter(env: dict[str, str], parameters: str) -> tuple[list[list[str]], str]:
    """Execute the chapter with ``parameters`` injected after its parameters cell; return the
    scorecard's rows (quantity, reported, this run, status, source) and every text output."""
    nb = nbformat.read(CHAPTER, as_version=4)
    where = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    injected = nbformat.v4.new_code_cell(parameters, metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(where + 1, injected)
    nb.cells.append(nbformat.v4.new_code_cell(REPORT))
    saved = dict(os.environ)
    os.environ.update(env)
    os.environ.pop("COURSE_SMOKE", None)
    try:
        NotebookClient(
            nb, timeout=3600, kernel_name="python3",
            resources={"metadata": {"path": str(CHAPTER.parent)}},
        ).execute()  # fmt: skip
    finally:
        os.environ.clear()
        os.environ.update(saved)
    texts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", ""))
            texts += [str(v) for k, v in output.get("data", {}).items() if k.startswith("text/")]
    report = json.loads(nb.cells[-1].outputs[0]["text"])
    print("test set's complexity (%) through the plain network:", report["profile"])
    return report["rows"], "\n".join(texts)


def no_temporary_path(text: str) -> bool:
    return tempfile.gettempdir() not in text and "Resumed from" not in text


def test_full_edition_on_handwritten_digits_in_mnist_format(tmp_path):
    write_handwritten_mnist(tmp_path)
    env = {"COURSE_PROFILE": "full", "COURSE_OFFLINE": "1", "COURSE_PROGRESS": "0",
           "COURSE_DATA": str(tmp_path)}  # fmt: skip
    rows, text = run_chapter(env, f"test_size = {TEST_SIZE}\ntrain_size = {TRAIN_SIZE}")
    statuses = {quantity: status for quantity, _, _, status, _ in rows}
    for quantity, reported, measured, status, _ in rows:
        print(f"{quantity} | {reported} | {measured} | {status}")
    assert "Stand-in data" not in text and no_temporary_path(text)
    assert not any(s.startswith("not comparable") for s in statuses.values())
    # Ho's findings that these data show clearly, and the one they cannot show by construction.
    # The others are printed, not asserted: on this run (torch 2.14, one CPU thread) "falls
    # through the layers" came out reproduced by the narrowest margin (5 falls, 5 rises; with 10
    # epochs instead of 15 it was not), the rises across the dropout layers while dropping not
    # (one of four layers lowered the complexity), and Table I's errors differ from Ho's.
    assert statuses["training set's complexity at the exit below the test set's (TR, TE)"] == (
        "reproduced"
    )
    assert statuses["reduced set ends with higher test complexity (reduced, full)"] == "reproduced"
    rises = "complexity rises across each dropout layer, in evaluation mode (Ho's text)"
    assert statuses[rises] == "not reproduced"  # a dropout layer in evaluation mode is the identity


def test_quick_edition_offline_compares_nothing_and_prints_no_temporary_path():
    env = {
        "COURSE_PROFILE": "quick",
        "COURSE_OFFLINE": "1",
        "COURSE_PROGRESS": "0",
        "COURSE_DATA": "/nonexistent/course-data",
    }  # no data: the stand-in, as in the book
    rows, text = run_chapter(env, "")
    assert rows and all(status.startswith("not comparable") for *_, status, _ in rows)
    assert no_temporary_path(text)
