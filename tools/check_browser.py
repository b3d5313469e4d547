"""Open the built book's pages in headless Chromium and check what a reader's browser shows.

The pages are served from a local HTTP server on 127.0.0.1. On the root page and every chapter
page of `_toc.yml`:

- no JavaScript error: nothing on the console at level error, no uncaught exception, no request
  that fails;
- nothing fetched from another host, except MathJax, whose CDN address is answered from the copy
  that the PyPI package django-static-mathjax ships (the same MathJax 3), so the check needs no
  internet;
- its math is typeset: every formula holds MathJax's output (``mjx-container``), none an error;
- every image has loaded, with a non-zero natural size;
- no output line is cut off: no cell output scrolls sideways;
- its Colab link is the repository's (``repository.url`` in ``_config.yml``): every chapter
  has one;
- an animation plays as soon as the page shows it (its frame index changes), stops on Pause and
  plays again on Play.

The browser is Debian's ``chromium`` (``CHROMIUM`` names another), driven by Playwright.

    python tools/check_browser.py _build/html
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import http.server
import importlib.util
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from check_site import ROOT, colab_url, toc_files  # noqa: E402

MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/"  # Sphinx's default mathjax_path
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """The Chromium to drive: ``$CHROMIUM``, else ``chromium`` on the PATH."""
    found = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not found:
        raise RuntimeError(
            "no Chromium found: `make test` installs Debian's (apt-get install chromium, as root); "
            "elsewhere set CHROMIUM to a Chrome or Chromium executable"
        )
    return found


def local_mathjax() -> Path | None:
    """MathJax 3's folder (holding ``es5/``) from the django-static-mathjax package, if any."""
    spec = importlib.util.find_spec("mathjax")  # finds the package without importing it
    for location in (spec and spec.submodule_search_locations) or []:
        folder = Path(location) / "static" / "mathjax"
        if (folder / "es5" / "tex-mml-chtml.js").exists():
            return folder
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the signature of the base class
        pass


@contextlib.contextmanager
def serve(html_dir: Path) -> Iterator[str]:
    """Serve ``html_dir`` on 127.0.0.1 at a free port; yield its address."""
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


# Run in the page once it has loaded: wait for MathJax and the images, then measure.
_MEASURE = """async () => {
  const result = {};
  const formulas = [...document.querySelectorAll('span.math, div.math')];
  result.formulas = formulas.length;
  if (formulas.length) {
    const start = Date.now();
    while (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) {
      if (Date.now() - start > 15000) break;
      await new Promise(r => setTimeout(r, 50));
    }
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      await MathJax.startup.promise;
    }
    result.untypeset = formulas.filter(f => !f.querySelector('mjx-container'))
      .map(f => f.textContent.slice(0, 60));
    result.math_errors = [...document.querySelectorAll('mjx-merror')]
      .map(e => e.getAttribute('data-mjx-error') || e.textContent.slice(0, 60));
  }
  const images = [...document.images];
  images.forEach(i => { if (i.loading === 'lazy') i.loading = 'eager'; });
  await Promise.all(images.map(i => i.complete ? null : new Promise(r => {
    i.addEventListener('load', r); i.addEventListener('error', r); setTimeout(r, 10000);
  })));
  result.images = images.length;
  result.broken_images = images.filter(i => !i.complete || i.naturalWidth === 0)
    .map(i => i.id || (i.getAttribute('src') || '').slice(0, 80));
  result.cut_outputs = [...document.querySelectorAll('div.cell_output pre')]
    .filter(p => p.scrollWidth > p.clientWidth + 1)
    .map(p => p.textContent.split('\\n').reduce((a, b) => a.length >= b.length ? a : b)
      .slice(0, 80));
  result.colab = [...document.querySelectorAll('a[href*="colab.research.google.com"]')]
    .map(a => a.href);
  result.sliders = [...document.querySelectorAll('input[id^="_anim_slider"]')].map(s => s.id);
  return result;
}"""

_FRAME = "id => window['anim' + id.slice('_anim_slider'.length)]?.current_frame ?? null"
_INTERVAL = "id => window['anim' + id.slice('_anim_slider'.length)]?.interval ?? null"


async def _frame_changes(page, slider_id: str, wait_s: float) -> bool:
    """True when the animation of ``slider_id`` shows another frame within ``wait_s``."""
    first = await page.evaluate(_FRAME, slider_id)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        if await page.evaluate(_FRAME, slider_id) != first:
            return True
    return False


async def check_animation(page, slider_id: str) -> list[str]:
    """It plays by itself, stays on one frame after Pause and plays again after Play."""
    interval = await page.evaluate(_INTERVAL, slider_id)
    if interval is None:
        return ["an animation never started (its player was not created)"]
    step_s = interval / 1000
    problems = []
    if not await _frame_changes(page, slider_id, 3 * step_s + 2):
        problems.append("an animation does not play when the page shows it")
    controls = page.locator(f"div.animation:has(#{slider_id})")
    await controls.locator("button[title='Pause']").click()
    if await _frame_changes(page, slider_id, 1.5 * step_s):
        problems.append("an animation goes on playing after Pause")
    await controls.locator("button[title='Play']").click()
    if not await _frame_changes(page, slider_id, 3 * step_s + 2):
        problems.append("an animation does not advance after Play")
    return problems


async def check_page(context, base_url: str, notebook: str, root: Path = ROOT) -> list[str]:
    """What is wrong with one page in the browser (an empty list when nothing is)."""
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: errors.append(f"JavaScript error: {e}"))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url[:120]}"))
    try:
        url = base_url + f"{notebook}.html"
        response = await page.goto(url, wait_until="load", timeout=60_000)
        if response is None or not response.ok:
            return [f"{notebook}: the page did not load ({response and response.status})"]
        seen = await page.evaluate(_MEASURE)
        problems = []
        if seen["formulas"]:
            if seen["untypeset"]:
                problems.append(
                    f"{len(seen['untypeset'])} of {seen['formulas']} formulas not typeset by "
                    f"MathJax, the first: {seen['untypeset'][0]!r}"
                )
            for message in seen["math_errors"]:
                problems.append(f"MathJax cannot typeset a formula: {message}")
        for image in seen["broken_images"]:
            problems.append(f"an image did not load (natural size 0): {image}")
        for line in seen["cut_outputs"]:
            problems.append(f"an output scrolls sideways instead of wrapping: {line!r}")
        expected = colab_url(notebook, root)
        if not seen["colab"] and notebook.startswith("notebooks/"):
            problems.append("no Colab link")
        for href in seen["colab"]:
            if href != expected:
                problems.append(f"the Colab link is {href}, not {expected}")
        if seen["sliders"]:
            problems += await check_animation(page, seen["sliders"][0])
        await asyncio.sleep(0.2)  # let late console messages arrive
        return [f"{notebook}: {p}" for p in problems + errors]
    finally:
        await page.close()


async def _check_all(
    html_dir: Path, notebooks: list[str], root: Path, parallel: int
) -> tuple[list[str], dict[str, float]]:
    from playwright.async_api import async_playwright

    mathjax = local_mathjax()
    outside: dict[str, list[str]] = {}  # page -> addresses on other hosts it asked for

    with serve(html_dir) as base_url, tempfile.TemporaryDirectory() as profile:

        async def route(request_route, request) -> None:
            url = request.url
            if url.startswith(base_url):
                await request_route.continue_()
                return
            if url.startswith(MATHJAX_CDN) and mathjax is not None:
                path = mathjax / urlsplit(url).path.removeprefix(urlsplit(MATHJAX_CDN).path)
                if path.is_file():
                    await request_route.fulfill(path=str(path))
                    return
            frame_url = request.frame.url if request.frame else ""
            page = frame_url.removeprefix(base_url).removesuffix(".html")
            outside.setdefault(page, []).append(url)
            await request_route.abort()

        async with async_playwright() as playwright:
            context = await playwright.chromium.launch_persistent_context(
                profile,
                executable_path=chromium_path(),
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": 1280, "height": 900},
            )
            try:
                await context.route("**/*", route)
                slots = asyncio.Semaphore(parallel)
                seconds: dict[str, float] = {}

                async def one(notebook: str) -> list[str]:
                    async with slots:
                        start = time.monotonic()
                        found = await check_page(context, base_url, notebook, root)
                        seconds[notebook] = time.monotonic() - start
                        return found

                found = await asyncio.gather(*(one(notebook) for notebook in notebooks))
            finally:
                await context.close()
    problems = [problem for page in found for problem in page]
    for page, urls in outside.items():
        problems += [f"{page}: needs {url[:120]} from another host" for url in urls]
    if mathjax is None:
        problems.append(
            "MathJax is not installed locally (pip install django-static-mathjax), so the pages' "
            "math could not be typeset offline"
        )
    return problems, seconds


def browser_pages(root: Path = ROOT) -> list[str]:
    """The pages to open: the root page and every chapter (the exercises are unexecuted copies
    of notebooks and the other prose pages use the same scripts; opening them too would double
    the time for little more)."""
    entries = toc_files(root)
    return [entries[0]] + [entry for entry in entries if entry.startswith("notebooks/")]


def check_in_browser(
    html_dir: Path, notebooks: list[str] | None = None, root: Path = ROOT, parallel: int = 4
) -> tuple[list[str], dict[str, float]]:
    """Check pages of the built book in Chromium, ``parallel`` pages at a time.

    ``notebooks`` names the pages as `_toc.yml` does (None: ``browser_pages``). A page that
    is not a chapter needs no Colab link (where it has one, it must be its own).

    Returns:
        ``(problems, seconds)``: what is wrong (empty when nothing is), and the seconds each
        page took.
    """
    if notebooks is None:
        notebooks = browser_pages(root)
    return asyncio.run(_check_all(Path(html_dir), notebooks, root, parallel))


if __name__ == "__main__":
    html_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "_build/html")
    start = time.monotonic()
    problems, seconds = check_in_browser(html_dir)
    for problem in problems:
        print(problem, file=sys.stderr)
    slowest = max(seconds, key=seconds.get) if seconds else None
    print(
        f"checked {len(seconds)} pages in Chromium in {time.monotonic() - start:.1f} s "
        f"(slowest: {slowest}, {seconds.get(slowest, 0):.1f} s): "
        f"{'OK' if not problems else f'{len(problems)} problems'}"
    )
    sys.exit(1 if problems else 0)
