"""What the trusted side takes from a folder of submissions, and how, without being fooled.

Every entry of the folder gets a row in the gradebook or a logged reason (:func:`discover`):

- a file whose name holds ``.ipynb`` in any case (``alice.IPYNB``, ``bob.ipynb.txt``,
  ``carol.ipynb (1)``, ``.hidden.ipynb``) is one student's notebook; a folder is one student's
  submission; the student's name is the file's name up to ``.ipynb``, or the folder's name;
- a symbolic link, a FIFO, a socket or a device is refused: a row with the reason, never read;
- any other file (``notes.txt``) is logged as skipped, with the reason.

Submissions are read through file descriptors (:func:`stage`): ``O_NOFOLLOW`` on every path
component the grader opens, regular files only (checked with ``fstat`` on the open file, so
that a FIFO cannot hang the reader), no hard links (a hard link to a file the grader's user may
read would hand its content to the student's code), sizes capped before anything is parsed.
The copy in the staging folder is all that is read afterwards.

Each student gets a unique id that is safe as a file name (:func:`safe_id`); the original
name stays beside it, exactly, in the gradebook.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

#: Largest notebook the grader parses, and largest submission (all its files) it copies.
MAX_NOTEBOOK_BYTES = 64 << 20
MAX_SUBMISSION_BYTES = 256 << 20
MAX_FILES = 2000
MAX_DEPTH = 16
#: Names of the output folder's own files and folders: no student id may take one.
RESERVED = frozenset(
    {"gradebook.csv", "grades.json", "summary.md", "skipped.md", "preflight", "logs", "students"}
)
SKIPPED_FOLDERS = frozenset({".ipynb_checkpoints", "__MACOSX", ".git"})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_NOTEBOOK = re.compile(r"\.ipynb", re.IGNORECASE)
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY


class Refused(ValueError):
    """A submission (or one of its files) the grader will not read; the message says why."""


@dataclass
class Submission:
    """One row of the gradebook: a student's notebook or folder, or an entry refused."""

    student: str
    name: str
    path: Path
    refused: str = ""
    notes: list[str] = field(default_factory=list)


def display_name(raw: str) -> str:
    """A file name as text: bytes that are not UTF-8 become U+FFFD (the id keeps them apart)."""
    return raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def safe_id(name: str, taken: set[str]) -> str:
    """A unique id made from a student's name, safe as a file name and in a spreadsheet.

    Accents are dropped (``José García`` gives ``Jose_Garcia``); when anything of the name was
    changed, 8 hex digits of its hash are added, so that two names never share an id whatever
    the order they come in (``Zoë Li`` and ``Zoé Li``, or two Chinese names). The id starts
    with a letter or a digit, never collides with the output's own files (:data:`RESERVED`),
    and is unique in ``taken`` (case-insensitively), to which it is added.

    Example:
        >>> safe_id("ada", set())
        'ada'
    """
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = _UNSAFE.sub("_", ascii_text).strip("._-")[:48].strip("._-")
    if base != name:
        digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
        base = f"{base}-{digest}" if base else f"student-{digest}"
    if base.lower() in RESERVED:
        base += "-student"
    found, number = base, 2
    while found.lower() in taken:
        found, number = f"{base}-{number}", number + 1
    taken.add(found.lower())
    return found


def _kind(mode: int) -> str:
    for test, word in (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return word
    return "not a regular file"


def discover(folder: Path) -> tuple[list[Submission], list[str]]:
    """The submissions in ``folder`` (one row each) and the entries skipped, with why."""
    taken: set[str] = set()
    found: list[Submission] = []
    skipped: list[str] = []
    with os.scandir(folder) as entries:
        listing = sorted(entries, key=lambda e: e.name)
    for entry in listing:
        shown = display_name(entry.name)
        info = entry.stat(follow_symlinks=False)
        match = _NOTEBOOK.search(entry.name)
        if stat.S_ISDIR(info.st_mode):
            if entry.name in SKIPPED_FOLDERS:
                skipped.append(f"{shown!r}: a folder of tools, not a submission")
                continue
            name, refused = entry.name, ""
        elif stat.S_ISREG(info.st_mode):
            if match is None:
                skipped.append(f"{shown!r}: not a notebook (no .ipynb in its name)")
                continue
            name, refused = entry.name[: match.start()], ""
        else:
            name = entry.name[: match.start()] if match is not None else entry.name
            refused = f"{_kind(info.st_mode)}: refused, never read"
        name = display_name(name)
        found.append(Submission(safe_id(name, taken), name, Path(entry.path), refused))
    return found, skipped


def _open_regular(name: str, dir_fd: int | None, where: str) -> tuple[int, os.stat_result]:
    """Open a regular file that is not a link, a special file or a hard link."""
    try:
        fd = os.open(name, _READ_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (40, 31):  # ELOOP (a symbolic link), EMLINK (FreeBSD's)
            raise Refused(f"{where} is a symbolic link: refused") from None
        raise Refused(f"{where} could not be opened ({exc.strerror})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise Refused(f"{where} is {_kind(info.st_mode)}: refused")
    if info.st_nlink > 1:
        os.close(fd)
        raise Refused(f"{where} is a hard link to another file: refused")
    return fd, info


def _copy(fd: int, target: Path, budget: int, where: str) -> int:
    """Copy at most ``budget`` bytes from ``fd`` to a new file; return the bytes copied."""
    copied = 0
    with open(target, "xb") as out:
        while True:
            chunk = os.read(fd, min(1 << 20, budget - copied + 1))
            if not chunk:
                return copied
            copied += len(chunk)
            if copied > budget:
                raise Refused(f"{where} is larger than {budget >> 20} MiB")
            out.write(chunk)


def _copy_folder(
    dir_fd: int, target: Path, prefix: str, state: dict[str, int], notes: list[str]
) -> None:
    """Copy a folder's regular files (not hidden, not links) into ``target``, recursively."""
    if prefix.count("/") >= MAX_DEPTH:
        notes.append(f"{prefix or '.'}: folders nested too deeply, left out")
        return
    with os.scandir(dir_fd) as entries:
        listing = sorted(entries, key=lambda e: e.name)
    for entry in listing:
        where = prefix + display_name(entry.name)
        if entry.name.startswith(".") or entry.name in SKIPPED_FOLDERS:
            continue
        info = entry.stat(follow_symlinks=False)
        if stat.S_ISDIR(info.st_mode):
            try:
                sub = os.open(
                    entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd
                )
            except OSError:
                notes.append(f"{where}: could not be opened, left out")
                continue
            try:
                (target / entry.name).mkdir(mode=0o700)
                _copy_folder(sub, target / entry.name, where + "/", state, notes)
            finally:
                os.close(sub)
            continue
        state["files"] += 1
        if state["files"] > MAX_FILES:
            notes.append(f"{where}: more than {MAX_FILES} files, left out")
            return
        try:
            fd, info = _open_regular(entry.name, dir_fd, where)
        except Refused as exc:
            notes.append(f"{exc}; left out")
            continue
        try:
            budget = MAX_SUBMISSION_BYTES - state["bytes"]
            state["bytes"] += _copy(fd, target / entry.name, budget, where)
        except Refused as exc:
            notes.append(f"{exc}; left out")
            (target / entry.name).unlink(missing_ok=True)
        finally:
            os.close(fd)


def stage(submission: Path, staging: Path, notebook_name: str) -> list[str]:
    """Copy a submission into the empty folder ``staging``; return notes on what was left out.

    A single notebook is copied as ``notebook_name``. Nothing is followed through a link.

    Raises:
        Refused: the submission itself is a link, a special file, a hard link or too large.
    """
    parent = os.open(submission.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            folder = os.open(
                submission.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent
            )
        except OSError:
            folder = None
        if folder is None:
            fd, _ = _open_regular(submission.name, parent, "the notebook")
            try:
                _copy(fd, staging / notebook_name, MAX_NOTEBOOK_BYTES, "the notebook")
            finally:
                os.close(fd)
            return []
        notes: list[str] = []
        try:
            _copy_folder(folder, staging, "", {"files": 0, "bytes": 0}, notes)
        finally:
            os.close(folder)
        return notes
    finally:
        os.close(parent)


def find_notebook(staging: Path, preferred: str) -> Path:
    """The notebook of a staged submission: the one named like the solution, else the only one.

    Raises:
        Refused: when there is none, or several and none named like the solution.
    """
    found = sorted(
        p for p in staging.rglob("*") if p.is_file() and _NOTEBOOK.search(p.name) is not None
    )
    named = [p for p in found if p.name == preferred]
    if len(named) == 1:
        return named[0]
    if len(found) == 1:
        return found[0]
    if not found:
        raise Refused("no notebook (a regular .ipynb file) in the submission")
    raise Refused(f"{len(found)} notebooks in the submission and none named {preferred}")
