"""A Sphinx extension for the book's HTML pages (named in `_config.yml`, `sphinx.local_extensions`).

- Figures (and tables and code listings with a caption) are numbered per chapter: the first
  figure of every page is Fig. 1. Sphinx numbers them across the whole book when the table of
  contents is not numbered, so a chapter of Part IV would start at Fig. 54.
- A script is written once per page. Under Jupyter Book 1 the inline scripts of sphinx-thebe
  and sphinx-togglebutton reach every page twice (once with the file name None, once with "",
  which Sphinx does not take for the same script); the second `const THEBE_JS_URL = ...` is a
  JavaScript error on every page.
- The chapters run without progress bars: `COURSE_PROGRESS=0` unless the environment says
  otherwise (`make book` and the tests set it too). A tqdm bar in a page is a widget that
  needs JavaScript from a CDN, or a log of carriage returns, and tells the reader nothing.
"""

from __future__ import annotations

import os
from collections import defaultdict

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment


def number_figures_per_page(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Renumber `env.toc_fignumbers` so that the numbers start again at 1 on every page.

    Runs after Sphinx has numbered them across the book (`env-get-updated`), keeping their
    order and any section number in front of them; `{numref}` reads the same numbers.
    """
    for numbers in env.toc_fignumbers.values():
        for by_id in numbers.values():
            counters: dict[tuple[int, ...], int] = defaultdict(int)
            for fig_id, number in sorted(by_id.items(), key=lambda item: item[1]):
                prefix = tuple(number[:-1])
                counters[prefix] += 1
                by_id[fig_id] = (*prefix, counters[prefix])
    return []


def _script_key(script: object) -> tuple:
    """What makes two scripts the same: their file, or their inline code (file None or "")."""
    filename = getattr(script, "filename", script) or ""
    attributes = getattr(script, "attributes", {})
    return (str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items())))


def write_each_script_once(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """Drop a script that is already on the page (same file or same inline code)."""
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen, unique = set(), []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique  # in place: the builder restores its own list from a copy for each page


def setup(app: Sphinx) -> dict:
    os.environ.setdefault("COURSE_PROGRESS", "0")  # the kernels that run the chapters inherit it
    app.connect("env-get-updated", number_figures_per_page, priority=900)  # after Sphinx's own
    app.connect("html-page-context", write_each_script_once, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
