"""Build the HTML book as `make book` does and check its pages as a reader would see them.

The book is built once per test run (a module fixture; pytest-xdist keeps a file on one worker):
this executes every chapter (in the profile of the environment: `make test` sets quick) and
must raise no Sphinx warning, like the real build. Its pages are then read as HTML
(`tools/check_site.py`) and opened in headless Chromium (`tools/check_browser.py`)."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from check_browser import check_in_browser  # noqa: E402
from check_site import check_site, colab_url  # noqa: E402


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """Build the book once; yield the build's result and its HTML folder."""
    out = tmp_path_factory.mktemp("book")
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    env = {
        **os.environ,
        "COURSE_PROFILE": os.environ.get("COURSE_PROFILE", "quick"),
        "COURSE_PROGRESS": "0",  # as `make book`: no progress bars in the pages
    }
    result = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "--path-output", str(out), "--warningiserror",
         "--keep-going"],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )  # fmt: skip
    yield result, out / "_build" / "html"
    shutil.rmtree(out, ignore_errors=True)


def test_book_builds_without_warnings(book):
    result, _ = book
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]


CHAPTERS = sorted((ROOT / "notebooks").rglob("*.ipynb"))


def _checked_outputs(cell, merged: bool) -> tuple[str, list[str]]:
    """What a reader checks by eye in a cell's outputs: its printed text and its plain-text
    results. ``merged``: the build's copy, where myst-nb has merged every stdout stream of the
    cell into the first (the page shows that one; the later ones stay behind in the file)."""
    printed, results = [], []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream" and output["name"] == "stdout":
            printed.append("".join(output["text"]))
        elif "text/plain" in output.get("data", {}):
            results.append("".join(output["data"]["text/plain"]))
    text = printed[0] if merged and printed else "".join(printed)
    return text.rstrip(), results


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_the_build_ran_every_chapter(book, chapter):
    """Each chapter ran to its last cell in the build (the one run of the chapters in `make
    test`), and its cells tagged `nbval-check-output` printed exactly what the notebook holds."""
    import nbformat

    _, html = book
    executed = html.parent / "jupyter_execute" / chapter.relative_to(ROOT)
    assert executed.exists(), f"{chapter.relative_to(ROOT)} was not executed by the build"
    ran = nbformat.read(executed, as_version=4).cells
    stored = nbformat.read(chapter, as_version=4).cells
    assert [c.source for c in ran] == [c.source for c in stored]
    code = [c for c in ran if c.cell_type == "code"]
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, errors[0].get("evalue")
    assert all(c.get("execution_count") for c in code if c.source.strip()), "a cell did not run"
    for mine, theirs in zip(stored, ran, strict=True):
        if "nbval-check-output" in mine.metadata.get("tags", []):
            found, stored_output = _checked_outputs(theirs, True), _checked_outputs(mine, False)
            assert found == stored_output, mine.source[:200]


def test_pages_are_complete(book):
    _, html = book
    problems = check_site(html)
    assert problems == [], "\n".join(problems)


def test_pages_work_in_a_browser(book):
    """Every page in Chromium: no console error, math typeset, images loaded, outputs
    wrapped, the repository's Colab link, and an animation that plays."""
    _, html = book
    if not (html / "index.html").exists():
        pytest.fail("the book was not built (see test_book_builds_without_warnings)")
    start = time.monotonic()
    problems, seconds = check_in_browser(html)
    took = time.monotonic() - start
    print(f"browser check: {len(seconds)} pages in {took:.1f} s")
    assert problems == [], "\n".join(problems)


def _page(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"


def test_the_browser_check_sees_what_a_reader_sees(tmp_path):
    """Without building the book: a page that works passes; a broken one shows each fault."""
    from course_lib.viz import animate, conv_frames

    link = colab_url("notebooks/good")
    good = _page(
        f'<div class="cell_output"><pre>{"a long output line " * 40}</pre></div>'
        f'<a href="{link}">Colab</a>{animate(conv_frames(3, 2), dpi=30).data}',
        head="<style>div.cell_output pre { white-space: pre-wrap; }</style>",
    )
    bad = _page(
        f'<div class="cell_output"><pre style="overflow-x: auto">{"x" * 400}</pre></div>'
        '<a href="https://colab.research.google.com/github/someone/else/blob/main/x.ipynb">C</a>'
        f'<img src="missing.png">{animate(conv_frames(3, 2), dpi=30, autoplay=False).data}',
        head="<script>const URL_ONCE = 1;</script><script>const URL_ONCE = 1;</script>",
    )
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "good.html").write_text(good)
    (tmp_path / "notebooks" / "bad.html").write_text(bad)
    problems, _ = check_in_browser(tmp_path, ["notebooks/good", "notebooks/bad"])
    assert not [p for p in problems if p.startswith("notebooks/good")], problems
    found = "\n".join(problems)
    for fault in [
        "Identifier 'URL_ONCE' has already been declared",
        "scrolls sideways",
        "the Colab link is https://colab.research.google.com/github/someone/else",
        "an image did not load",
        "does not play when the page shows it",
    ]:
        assert fault in found, found
