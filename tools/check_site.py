"""Check the built HTML book as a reader would see it.

For every chapter notebook in `_toc.yml` the page must exist, show executed code output and no
error, show each figure the notebook names (with its caption and an image file that exists),
and link to Colab at the notebook's own path in the repository named in `_config.yml`.

    python tools/check_site.py _build/html
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import yaml
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent


def toc_files(root: Path = ROOT) -> list[str]:
    """Every file named in `_toc.yml`, without suffix, in order."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                found.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    toc = yaml.safe_load((root / "_toc.yml").read_text())
    found.append(toc["root"])
    walk(toc.get("parts", []))
    return found


def colab_url(notebook: str, root: Path = ROOT) -> str:
    """The Colab link a chapter page must carry for `notebook` (path without suffix)."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    repo = config["repository"]["url"].removeprefix("https://github.com/")
    branch = config["repository"].get("branch", "main")
    base = config["launch_buttons"]["colab_url"].rstrip("/")
    return f"{base}/github/{repo}/blob/{branch}/{notebook}.ipynb"


def named_figures(notebook: Path) -> list[tuple[str, str]]:
    """(name, caption) of every figure a notebook declares in its cell metadata."""
    figures = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        figure = cell.metadata.get("mystnb", {}).get("figure")
        if figure and "name" in figure:
            figures.append((figure["name"], figure.get("caption", "")))
    return figures


def check_page(html_dir: Path, notebook: str, root: Path = ROOT) -> list[str]:
    """Return what is wrong with one chapter's page (an empty list when nothing is)."""
    page = html_dir / f"{notebook}.html"
    if not page.exists():
        return [f"{page} was not built"]
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    problems = []
    if not soup.select("div.cell_output"):
        problems.append(f"{page}: no code output (was the notebook executed?)")
    for output in soup.select("div.cell_output"):
        if "Traceback (most recent call last)" in output.get_text():
            problems.append(f"{page}: a cell shows a traceback")
    expected = colab_url(notebook, root)
    if not soup.find("a", href=expected):
        problems.append(f"{page}: no Colab link to {expected}")
    if not (root / f"{notebook}.ipynb").exists():
        problems.append(f"{page}: the Colab link points at {notebook}.ipynb, which does not exist")
    for name, caption in named_figures(root / f"{notebook}.ipynb"):
        figure = soup.find(id=name)
        if figure is None:
            problems.append(f"{page}: figure {name!r} is missing")
            continue
        images = figure.find_all("img")
        if not images:
            problems.append(f"{page}: figure {name!r} has no image")
        for image in images:
            if not image.get("src"):  # the player of an animation (to_jshtml) sets it from script
                if "data:image/png;base64," not in str(figure):
                    problems.append(f"{page}: figure {name!r} is an animation without frames")
                continue
            source = (page.parent / image["src"]).resolve()
            if not source.exists() or source.stat().st_size == 0:
                problems.append(f"{page}: figure {name!r} shows a missing image {image['src']}")
        words = _plain(caption).split()[:4]
        if words and " ".join(words) not in " ".join(_plain(figure.get_text()).split()):
            problems.append(f"{page}: figure {name!r} lacks its caption")
    return problems


def _plain(text: str) -> str:
    """Text with Sphinx's typographic quotes and dashes turned back into plain ones."""
    return text.translate(
        str.maketrans(
            {
                "\u2018": "'",
                "\u2019": "'",
                "\u201c": '"',
                "\u201d": '"',
                "\u2013": "--",
                "\u2014": "---",
            }
        )
    )


def check_site(html_dir: Path, root: Path = ROOT) -> list[str]:
    """Check every chapter page of the built book; return the problems found."""
    problems = []
    for entry in toc_files(root):
        if entry.startswith("notebooks/"):
            problems += check_page(html_dir, entry, root)
        elif not (html_dir / f"{entry}.html").exists():
            problems.append(f"{html_dir / entry}.html was not built")
    return problems


if __name__ == "__main__":
    html_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "_build/html")
    problems = check_site(html_dir)
    for problem in problems:
        print(problem, file=sys.stderr)
    pages = sum(1 for e in toc_files() if e.startswith("notebooks/"))
    print(f"checked {pages} chapter pages: {'OK' if not problems else f'{len(problems)} problems'}")
    sys.exit(1 if problems else 0)
