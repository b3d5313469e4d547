"""Memory and process limits for all of one submission's processes together, with cgroups.

cgroup v2 (one unified hierarchy) is used when its root accepts the ``memory`` and ``pids``
controllers for a child; otherwise cgroup v1's ``memory`` and ``pids`` hierarchies, when they
are mounted and writable (as root). The grader makes one folder per batch,
``course-grading-PID``, and one per worker start inside it; the launcher moves itself in
before it forks the worker. Where neither works (no root, a read-only ``/sys/fs/cgroup``,
a v2 root that holds processes), :meth:`CgroupMaker.detect` returns ``None`` and the grader
falls back on rlimits (see :mod:`course_grader.plan`).
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path


def _write(path: Path, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def _mounts() -> list[tuple[str, str, str, set[str]]]:
    """(mount point, root, fstype, options) of the cgroup mounts in /proc/self/mountinfo."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) >= 5 and len(tail) >= 3 and tail[0] in ("cgroup", "cgroup2"):
            found.append((fields[4], fields[3], tail[0], set(tail[2].split(","))))
    return found


def _own_paths() -> dict[str, str]:
    """Map controller name ('' for v2) to this process's cgroup path."""
    paths = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if controllers else [""]:
            paths[name] = path
    return paths


def _join(mount_point: str, root: str, path: str) -> Path:
    relative = path[len(root) :] if root != "/" and path.startswith(root) else path
    return Path(mount_point) / relative.lstrip("/")


@dataclass
class Cgroup:
    """The cgroup folders (one for v2; memory and pids for v1) of one worker start."""

    folders: list[Path]
    version: int

    @property
    def procs(self) -> list[str]:
        """The ``cgroup.procs`` files the launcher writes its pid into."""
        return [str(folder / "cgroup.procs") for folder in self.folders]

    def oom_killed(self) -> bool:
        """Whether the kernel killed a process of this cgroup for lack of memory."""
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        for folder in self.folders:
            if (folder / name).exists():
                for line in (folder / name).read_text().splitlines():
                    key, _, value = line.partition(" ")
                    if key == "oom_kill" and value.strip() != "0":
                        return True
        return False

    def hit_limit(self) -> bool:
        """Whether memory use reached the limit (the kernel then reclaims, stalls, kills)."""
        try:
            if self.oom_killed():
                return True
            if self.version == 2:
                events = (self.folders[0] / "memory.events").read_text().split()
                pairs = dict(zip(events[::2], events[1::2], strict=False))
                return pairs.get("max", "0") != "0" or pairs.get("oom", "0") != "0"
            return (self.folders[0] / "memory.failcnt").read_text().strip() not in ("", "0")
        except OSError:
            return False

    def kill(self) -> None:
        """Kill every process left in the cgroup."""
        if self.version == 2 and (self.folders[0] / "cgroup.kill").exists():
            _write(self.folders[0] / "cgroup.kill", "1")
        for _ in range(100):
            pids = [int(p) for f in self.procs if os.path.exists(f) for p in open(f).read().split()]
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)

    def remove(self) -> None:
        """Kill what is left and delete the folders."""
        self.kill()
        for folder in self.folders:
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)


@dataclass
class CgroupMaker:
    """Where this batch makes its cgroups, and the limits it writes into each."""

    parents: list[Path]
    version: int

    @classmethod
    def detect(cls, tag: str) -> CgroupMaker | None:
        """Make the batch's folder ``course-grading-TAG`` where allowed; None if nowhere."""
        mounts, own = _mounts(), _own_paths()
        unified = [m for m in mounts if m[2] == "cgroup2" and m[0] == "/sys/fs/cgroup"]
        try:
            if unified:
                return cls._make([Path(unified[0][0])], 2, tag)
            chosen = []
            for controller in ("memory", "pids"):
                mount = next(m for m in mounts if m[2] == "cgroup" and controller in m[3])
                chosen.append(_join(mount[0], mount[1], own.get(controller, "/")))
            return cls._make(chosen, 1, tag)
        except (OSError, StopIteration):
            return None

    @classmethod
    def _make(cls, parents: list[Path], version: int, tag: str) -> CgroupMaker:
        made = []
        try:
            for parent in parents:
                if version == 2:
                    controllers = (parent / "cgroup.subtree_control").read_text().split()
                    if not {"memory", "pids"} <= set(controllers):
                        _write(parent / "cgroup.subtree_control", "+memory +pids")
                folder = parent / f"course-grading-{tag}"
                folder.mkdir(exist_ok=True)
                made.append(folder)
                if version == 2:
                    _write(folder / "cgroup.subtree_control", "+memory +pids")
        except OSError:
            for folder in made:
                folder.rmdir()
            raise
        return cls(made, version)

    def create(self, name: str, memory_bytes: int, pids: int) -> Cgroup:
        """Make the cgroup of one worker start with its memory and process limits."""
        folders = [parent / name for parent in self.parents]
        for folder in folders:
            folder.mkdir()
        cgroup = Cgroup(folders, self.version)
        if self.version == 2:
            _write(folders[0] / "memory.max", str(memory_bytes))
            if (folders[0] / "memory.swap.max").exists():
                _write(folders[0] / "memory.swap.max", "0")
            _write(folders[0] / "pids.max", str(pids))
        else:
            _write(folders[0] / "memory.limit_in_bytes", str(memory_bytes))
            if (folders[0] / "memory.memsw.limit_in_bytes").exists():
                _write(folders[0] / "memory.memsw.limit_in_bytes", str(memory_bytes))
            _write(folders[1] / "pids.max", str(pids))
        return cgroup

    def remove(self) -> None:
        """Delete the batch's folders (their workers' cgroups must be gone)."""
        for parent in self.parents:
            for child in parent.iterdir() if parent.exists() else []:
                if child.is_dir():
                    Cgroup([child], self.version).remove()
            Cgroup([parent], self.version).remove()
