"""Every notebook follows the book's conventions (CONTRIBUTING.md)."""

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from check_site import toc_files  # noqa: E402
from normalize_notebooks import problems_with  # noqa: E402

CHAPTERS = sorted((ROOT / "notebooks").rglob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").rglob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").rglob("*.ipynb"))
ALL = CHAPTERS + SOLUTIONS + EXERCISES


def repository_url():
    return yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def short(path):
    return str(path.relative_to(ROOT))


def test_there_are_chapters_and_all_are_in_the_toc():
    assert CHAPTERS
    listed = set(toc_files())
    missing = [short(p) for p in CHAPTERS + EXERCISES if short(p)[:-6] not in listed]
    assert missing == [], f"notebooks not in _toc.yml: {missing}"


@pytest.mark.parametrize("path", ALL, ids=short)
def test_opens_with_a_title_then_the_colab_cell(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    first_code = code_cells(nb)[0].source
    expected = f'%pip install --quiet "course-lib @ git+{repository_url()}@main"'
    assert 'if "google.colab" in sys.modules:' in first_code and expected in first_code, (
        "the first code cell must install course_lib on Colab from the repository of _config.yml; "
        "run `python tools/set_repository.py URL`"
    )
    assert not re.search(r"--upgrade|-U\b|torch|numpy|matplotlib", first_code.split("%pip")[1])


@pytest.mark.parametrize("path", CHAPTERS, ids=short)
def test_chapter_has_parameters_cell_then_imports_resolving_the_profile(path):
    cells = code_cells(nbformat.read(path, as_version=4))
    assert "parameters" in cells[1].metadata.get("tags", []), "second code cell must be tagged"
    assert re.search(r"^COURSE_PROFILE = None", cells[1].source, re.M)
    assert "resolve_profile(COURSE_PROFILE)" in cells[2].source


@pytest.mark.parametrize("path", CHAPTERS + SOLUTIONS, ids=short)
def test_is_in_committed_form(path):
    assert problems_with(path) == [], "run `python tools/normalize_notebooks.py` on it"


@pytest.mark.parametrize("path", CHAPTERS, ids=short)
def test_figures_have_captions_and_are_referenced(path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for cell in code_cells(nb):
        figure = cell.metadata.get("mystnb", {}).get("figure")
        if figure is None:
            continue
        assert figure.get("caption") and figure.get("name", "").startswith("fig-"), figure
        assert f"`{figure['name']}`" in text, f"{figure['name']} is never referenced"


@pytest.mark.parametrize("path", ALL, ids=short)
def test_figures_are_png_not_svg(path):
    assert "image/svg+xml" not in json.dumps(nbformat.read(path, as_version=4))
