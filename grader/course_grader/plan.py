"""What the sandbox of a batch looks like on this machine, decided once by the grader.

:func:`make_plan` finds out what is allowed (namespaces, privilege drop, cgroups) and lists the
paths the worker must not see (``hide``) and those it needs (``keep``); :func:`launcher_config`
turns the plan into the JSON one launcher reads (:mod:`course_grader.sandbox`).
"""

from __future__ import annotations

import fcntl
import json
import os
import site
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import course_lib
from course_grader.config import UID_BASE, Limits
from course_grader.state import state_dir

#: The grader's own package and the course's library: the worker imports both.
PACKAGE = Path(__file__).resolve().parent
COURSE_LIB = Path(course_lib.__file__).resolve().parent
REPOSITORY = COURSE_LIB.parent
ALWAYS_HIDDEN = ("/root", "/home", "/mnt", "/media", "/srv", "/run", "/var/run", "/opt")
NEVER_HIDDEN = (
    "/",
    "/usr",
    "/etc",
    "/lib",
    "/lib64",
    "/bin",
    "/sbin",
    "/proc",
    "/sys",
    "/dev",
    "/var",
)
#: Folders at the root that hold the system's programs and libraries: everything else at the
#: root is hidden, so that a copy of the solutions anywhere on the machine stays out of reach.
SYSTEM_ROOTS = NEVER_HIDDEN + ("/lib32", "/libx32", "/nix", "/gnu", "/snap", "/tmp")


def _root_folders() -> list[str]:
    """Every folder at the root of the file system that is not a system folder."""
    found = []
    for entry in sorted(os.listdir("/")):
        path = "/" + entry
        if path not in SYSTEM_ROOTS and os.path.isdir(path) and not os.path.islink(path):
            found.append(path)
    return found


@dataclass
class SandboxPlan:
    """How workers are isolated in this batch (plain data, sent to every job)."""

    namespaces: bool
    drop: bool
    uid_base: int = UID_BASE
    userns: bool = False
    cgroup_parents: list[str] = field(default_factory=list)
    cgroup_version: int = 0
    hide: list[str] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)
    probe: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the plan as plain data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SandboxPlan:
        """Rebuild a plan from :meth:`to_dict`'s output."""
        return cls(**data)

    def describe(self) -> list[str]:
        """One line per protection, for the batch summary."""
        lines = [
            "mount, network and pid namespaces: " + ("yes" if self.namespaces else "NO"),
            f"unprivileged user: uid {self.uid_base}+slot"
            if self.drop
            else "unprivileged user: NO",
        ]
        if self.userns:
            lines[1] = (
                "unprivileged user namespace: the worker runs as your uid with no capabilities, "
                "the grader's and the course's code read-only, your files hidden"
            )
        if self.cgroup_version:
            lines.append(f"cgroup v{self.cgroup_version}: memory and process limits per submission")
        else:
            lines.append("cgroups: NO (memory limited per process by RLIMIT_DATA)")
        if not (self.namespaces and (self.drop or self.userns)):
            lines.append(
                "WARNING: NO SANDBOX (--unsafe-no-sandbox): the students' code can read and "
                "change what the grader's user can (the solutions too), reach the network and "
                "leave processes behind"
            )
        return lines


#: Batches take the uids of their slots in blocks of this many, one block per running batch.
UID_BLOCK = 1000


@contextmanager
def reserved_uids(first: int, jobs: int, blocks: int = 1000) -> Iterator[int]:
    """Reserve a block of worker uids for one batch; yield its first uid.

    Each slot's worker runs as its own uid, and a slot's clean-up kills every process of that
    uid: two batches on one machine must never share one. The block starting at ``first`` is
    taken if no other batch holds it (a lock file in root's own state folder, released when the
    batch ends or dies), else the next block, ``UID_BLOCK`` further on.

    Raises:
        ValueError: ``jobs`` is not between 1 and ``UID_BLOCK``.
        RuntimeError: every block is taken.
    """
    if not 1 <= jobs <= UID_BLOCK:
        raise ValueError(f"--jobs must be between 1 and {UID_BLOCK}, got {jobs}")
    for block in range(blocks):
        base = first + block * UID_BLOCK
        lock = os.open(
            os.path.join(state_dir(), f"uids-{base}.lock"),
            os.O_RDWR | os.O_CREAT,
            0o600,
        )
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock)
            continue
        try:
            yield base
        finally:
            os.close(lock)
        return
    raise RuntimeError(f"{blocks} batches are running already: no worker uids are free")


def capabilities() -> dict[str, bool]:
    """Ask a throwaway launcher what this machine allows (namespaces, privilege drop)."""
    command = [sys.executable, "-I", "-m", "course_grader.sandbox", "--capabilities"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
        return json.loads(done.stdout)
    except (subprocess.SubprocessError, ValueError):
        return {"namespaces": False, "drop": False, "userns": False}


def _real(paths: list[str | Path]) -> list[str]:
    return list(dict.fromkeys(os.path.realpath(p) for p in paths if p and os.path.exists(p)))


def make_plan(
    solution: Path,
    folders: list[Path],
    allow: list[Path],
    cgroups: Any,
    uid_base: int = UID_BASE,
    found: dict[str, bool] | None = None,
) -> SandboxPlan:
    """Decide the sandbox of a batch.

    Args:
        solution: the solution notebook (its folder is hidden, the file is probed).
        folders: other folders to hide (submissions, output, the grader's work folder).
        allow: extra folders the students' code may read (datasets, say).
        cgroups: the batch's :class:`~course_grader.cgroups.CgroupMaker`, or None.
        uid_base: first uid of the workers.
        found: what :func:`capabilities` found, if the caller asked already.
    """
    found = found if found is not None else capabilities()
    hide = (
        list(ALWAYS_HIDDEN) + _root_folders() + [str(solution.parent)] + [str(f) for f in folders]
    )
    if (REPOSITORY / ".git").exists() or (REPOSITORY / "solutions").exists():
        hide.append(str(REPOSITORY))
    prefixes = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    keep = prefixes + site.getsitepackages() + [str(PACKAGE), str(COURSE_LIB), *map(str, allow)]
    keep.append(os.path.dirname(os.path.realpath(sys.executable)))
    # Folders of installed packages added by .pth files (a virtual environment on top of
    # another one, say); never the repository's own folders.
    keep += [p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages")]
    probe = [str(solution), str(solution.parent), str(REPOSITORY / "solutions")]
    return SandboxPlan(
        namespaces=found["namespaces"],
        drop=found["drop"] and not found.get("userns", False),
        userns=found.get("userns", False),
        uid_base=uid_base,
        cgroup_parents=[str(p) for p in cgroups.parents] if cgroups else [],
        cgroup_version=cgroups.version if cgroups else 0,
        hide=[path for path in _real(hide) if path not in NEVER_HIDDEN],
        keep=_real(keep),
        probe=_real(probe),
    )


def worker_env(limits: Limits, home: str) -> dict[str, str]:
    """The worker's whole environment: nothing of the grader's leaks into it."""
    threads = str(limits.threads)
    env = {
        "PATH": f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": "/tmp" if home.startswith("/tmp/") else home,
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": os.path.join(home, ".matplotlib"),
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "COURSE_PROFILE": os.environ.get("COURSE_PROFILE", "quick"),
    }
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[name] = threads
    if "CUDA_VISIBLE_DEVICES" in os.environ:
        env["CUDA_VISIBLE_DEVICES"] = os.environ["CUDA_VISIBLE_DEVICES"]
    return env


def launcher_config(
    plan: SandboxPlan,
    limits: Limits,
    slot: int,
    staging: str,
    worker_args: list[str],
    cgroup_procs: list[str],
) -> dict[str, Any]:
    """The JSON config of one launcher (see :mod:`course_grader.sandbox`)."""
    uid = plan.uid_base + slot if plan.drop else None
    scratch = "/tmp/submission" if plan.namespaces else staging
    rlimits = {"CORE": 0, "FSIZE": limits.file_mb << 20, "NOFILE": 4096}
    if uid is not None or plan.userns:  # in a user namespace, counted there only
        rlimits["NPROC"] = limits.processes
    if not cgroup_procs:
        rlimits["DATA"] = limits.memory_mb << 20
    return {
        "parent": os.getpid(),
        "python": sys.executable,
        "args": worker_args,
        "uid": uid,
        "gid": uid,
        "namespaces": plan.namespaces,
        "userns": plan.userns,
        "hide": plan.hide,
        "keep": plan.keep,
        "tmpfs_mb": limits.scratch_mb,
        "staging": staging,
        "cgroups": cgroup_procs,
        "rlimits": rlimits,
        "env": worker_env(limits, scratch),
    }
