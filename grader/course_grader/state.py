"""Where a batch keeps its state: in a folder of the user who runs it, never a shared one.

Root's is ``/run/course-grader``; another user's is ``$XDG_STATE_HOME/course-grader`` (by
default ``~/.local/state/course-grader``), or ``/tmp/course-grader-UID`` when there is no home.
The folder is made 0700 and must belong to the user and not be a link, else the grader stops:
another user's run can neither break it nor read it. Each batch works in a folder of its own
in it (the stagings of the submissions), locked while the batch runs; a folder left by a
batch that was killed is removed by the next one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

LOCK = ".lock"


def _private(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise RuntimeError(f"{path} is not a folder of this user: the grader will not use it")
    if info.st_mode & 0o077:
        os.chmod(path, 0o700)
    return path


def state_dir() -> Path:
    """This user's own folder for the grader's state (made if need be)."""
    if os.geteuid() == 0 and os.path.isdir("/run") and os.access("/run", os.W_OK):
        return _private(Path("/run/course-grader"))
    home = os.environ.get("XDG_STATE_HOME") or (
        os.path.join(os.path.expanduser("~"), ".local", "state")
        if os.path.expanduser("~") not in ("~", "/")
        else ""
    )
    if home and os.access(os.path.dirname(home.rstrip("/")) or "/", os.W_OK):
        with contextlib.suppress(OSError, RuntimeError):
            return _private(Path(home) / "course-grader")
    return _private(Path(tempfile.gettempdir()) / f"course-grader-{os.geteuid()}")


def _sweep(state: Path) -> None:
    """Remove the work folders of batches that no longer run."""
    for folder in state.glob("batch-*"):
        lock = folder / LOCK
        try:
            fd = os.open(lock, os.O_RDWR | os.O_NOFOLLOW)
        except FileNotFoundError:
            if time.time() - folder.lstat().st_mtime > 3600:
                shutil.rmtree(folder, ignore_errors=True)
            continue
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a batch running now
        finally:
            os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def work_folder(traversable: bool = False) -> Iterator[Path]:
    """A private work folder for one batch, locked while it runs and removed afterwards.

    ``traversable`` makes it (and the state folder) 0711: workers that run as other uids
    without a mount namespace must reach their staging inside (they cannot list it).
    """
    state = state_dir()
    _sweep(state)
    work = Path(tempfile.mkdtemp(prefix=f"batch-{os.getpid()}-", dir=state))
    fd = os.open(work / LOCK, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    if traversable:
        os.chmod(state, 0o711)
        os.chmod(work, 0o711)
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)
        os.close(fd)
