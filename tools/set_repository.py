"""Point the book at another repository (a fork): its Colab links and install cells.

    python tools/set_repository.py https://github.com/OWNER/REPO

rewrites `repository.url` in `_config.yml` and the Colab install cell of every notebook in
notebooks/ and solutions/, then regenerates exercises/. Commit the result.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_lib.exercises import write_exercises  # noqa: E402

URL = re.compile(r"https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
CONFIG_URL = re.compile(r"(?m)^(  url: )\S+")
INSTALL_URL = re.compile(r"git\+https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+@")


def set_repository(url: str, root: Path = ROOT) -> list[Path]:
    """Write ``url`` into the config and every notebook; return the files changed."""
    url = url.rstrip("/").removesuffix(".git")
    if not URL.fullmatch(url):
        raise ValueError(f"expected a URL like https://github.com/OWNER/REPO, got {url!r}")
    changed = []
    config = root / "_config.yml"
    text = config.read_text()
    if not CONFIG_URL.search(text):
        raise ValueError(f"{config} has no `  url:` line under `repository:`")
    config.write_text(CONFIG_URL.sub(lambda m: m.group(1) + url, text, count=1))
    changed.append(config)
    for folder in ("notebooks", "solutions"):
        for path in sorted((root / folder).rglob("*.ipynb")):
            text = path.read_text()
            new = INSTALL_URL.sub(f"git+{url}@", text)
            if new != text:
                path.write_text(new)
                changed.append(path)
    changed += write_exercises(root / "solutions", root / "exercises")
    return changed


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for path in set_repository(sys.argv[1]):
        print(f"updated {path.relative_to(ROOT)}")
