"""Check the built HTML book as a reader would see it.

For every chapter notebook in `_toc.yml` the page must exist, show executed code output and no
error, show each figure the notebook names (with its caption and an image file that exists),
number its figures from Fig. 1, show no progress bar (neither a widget nor its text), and link
to Colab at the notebook's own path in the repository named in `_config.yml`. The sidebar must
show each part once. `tools/check_browser.py` opens the pages in a browser.

    python tools/check_site.py _build/html
"""

from __future__ import annotations

import re
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


# tqdm's text bar, as a progress bar prints it into an output: "100%|####| 10/10 [00:01<00:00"
_TQDM_BAR = re.compile(r"\d+%\|[^|\n]*\|\s*\d+/\d+ \[")


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
        if _TQDM_BAR.search(output.get_text()):
            problems.append(f"{page}: a cell shows a progress bar's log")
    widgets = soup.select(
        'script[type="application/vnd.jupyter.widget-view+json"], '
        'script[type="application/vnd.jupyter.widget-state+json"]'
    )
    if widgets:
        problems.append(f"{page}: {len(widgets)} Jupyter widgets (progress bars?) in the page")
    numbers = [n.get_text().strip() for n in soup.select("figure span.caption-number")]
    if numbers and numbers[0] != "Fig. 1":
        problems.append(f"{page}: its first figure is {numbers[0]!r}, not 'Fig. 1' (per chapter)")
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


def check_sidebar(page: Path) -> list[str]:
    """Each entry of the sidebar shows once: no caption repeats the title of an entry."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    nav = soup.select_one("nav.bd-docs-nav")
    if nav is None:
        return [f"{page}: no sidebar"]
    captions = [" ".join(c.get_text().split()) for c in nav.select(".caption-text")]
    entries = [" ".join(a.get_text().split()) for a in nav.select("a.reference")]
    return [
        f"{page}: the sidebar shows {c!r} twice (a caption and a page)"
        for c in captions
        if c in entries
    ]


def check_site(html_dir: Path, root: Path = ROOT) -> list[str]:
    """Check every chapter page of the built book; return the problems found."""
    problems = []
    if (html_dir / f"{toc_files(root)[0]}.html").exists():
        problems += check_sidebar(html_dir / f"{toc_files(root)[0]}.html")
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
