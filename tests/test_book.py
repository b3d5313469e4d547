"""Build the HTML book as `make book` does and check its pages as a reader would see them.

This executes every chapter (in the profile of the environment: `make test` sets quick) and
fails on any Sphinx warning, like the real build."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from check_site import check_site  # noqa: E402


def test_book_builds_without_warnings_and_pages_are_complete(tmp_path):
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    env = {**os.environ, "COURSE_PROFILE": os.environ.get("COURSE_PROFILE", "quick")}
    result = subprocess.run(
        [
            str(jupyter_book),
            "build",
            str(ROOT),
            "--path-output",
            str(tmp_path),
            "--warningiserror",
            "--keep-going",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
    problems = check_site(tmp_path / "_build" / "html")
    assert problems == [], "\n".join(problems)
