"""The launcher that puts one worker into its sandbox, then becomes its watchful parent.

Run by the trusted job as ``python -I -m course_grader.sandbox`` with a JSON config on
stdin (see :func:`course_grader.plan.launcher_config`). Standard library only; Linux.
In order, as root:

1. join the submission's cgroups (memory, pids) when the grader made some;
2. with ``namespaces``: new mount, network, pid, IPC and UTS namespaces; every ``hide`` path
   gets an empty tmpfs over it (``/tmp``, ``/home``, ``/root``, the repository, the solution's
   and the submissions' folders...), every ``keep`` path (the interpreter, the virtual
   environment, ``course_lib``) is bound back read-only; the submission's files are copied
   into ``/tmp/submission``, the scratch folder, on a size-limited tmpfs;
3. fork: the child mounts a fresh ``/proc``, sets its rlimits, drops to the slot's uid with no
   groups, sets ``no_new_privs`` and a parent-death signal, and executes the worker. Being
   pid 1 of its pid namespace, its death takes every process it started with it.

The launcher forwards SIGINT to the worker, turns SIGTERM into SIGKILL, and exits with the
worker's status (128 + signal when killed).
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import stat
import sys
import traceback
from typing import Any

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWUSER = 0x20000000, 0x40000000, 0x10000000
NAMESPACES = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
#: statvfs flags of a mount, and the mount flags that keep them on a read-only remount (in a
#: user namespace the kernel refuses a remount that would clear one of them).
_KEPT_FLAGS = (
    (2, MS_NOSUID),
    (4, MS_NODEV),
    (8, MS_NOEXEC),
    (1024, MS_NOATIME),
    (2048, MS_NODIRATIME),
    (4096, MS_RELATIME),
)
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER = 1, 38, 36
SCRATCH = "/tmp/submission"
TMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm")
_LIBC = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def _bytes(text: str | None) -> bytes | None:
    return None if text is None else os.fsencode(text)


def mount(
    source: str | None, target: str, fstype: str | None, flags: int, data: str | None
) -> None:
    """Call mount(2)."""
    _check(
        _LIBC.mount(
            _bytes(source), _bytes(target), _bytes(fstype), ctypes.c_ulong(flags), _bytes(data)
        ),
        f"mount {target}",
    )


def unshare(flags: int) -> None:
    """Call unshare(2)."""
    _check(_LIBC.unshare(ctypes.c_int(flags)), "unshare")


def prctl(option: int, value: int) -> None:
    """Call prctl(2) with one argument."""
    args = [ctypes.c_ulong(value), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)]
    _check(_LIBC.prctl(ctypes.c_int(option), *args), "prctl")


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _hide(paths: list[str], tmpfs_mb: int) -> list[str]:
    """Cover each existing path with an empty tmpfs (folders) or /dev/null (files)."""
    hidden: list[str] = []
    for path in sorted(set(paths), key=lambda p: (p.count("/"), p)):
        if any(_under(path, done) for done in hidden) or not os.path.lexists(path):
            continue
        info = os.lstat(path)
        if stat.S_ISDIR(info.st_mode):
            mode = "1777" if path in TMP_DIRS else "0755"
            mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmpfs_mb}m,mode={mode}")
        elif stat.S_ISREG(info.st_mode):
            mount("/dev/null", path, None, MS_BIND, None)
        else:
            continue
        hidden.append(path)
    return hidden


def _read_only(path: str) -> None:
    """Make the bind mount at ``path`` read-only, keeping the flags its source has."""
    flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID
    found = os.statvfs(path).f_flag
    for bit, flag in _KEPT_FLAGS:
        flags |= flag if found & bit else 0
    mount(None, path, None, flags, None)


def _keep(descriptors: dict[str, int], hidden: list[str], strict: bool = False) -> None:
    """Bind back, read-only, each kept folder that lies under a hidden one (``strict``: a
    folder that cannot be made read-only is an error: in a user namespace the worker runs as
    the user who owns those files)."""
    bound: list[str] = []
    for path, fd in sorted(descriptors.items()):
        if not any(_under(path, h) for h in hidden) or any(_under(path, b) for b in bound):
            continue
        os.makedirs(path, mode=0o755, exist_ok=True)
        mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC, None)
        try:
            _read_only(path)
        except OSError:
            if strict:
                raise
            # As root, read-only is a second line of defence: the files belong to root.
        bound.append(path)


def _copy_tree(source_fd: int, target: str, uid: int | None, gid: int | None) -> None:
    """Copy the regular files and folders under ``source_fd`` to ``target`` (no symlinks)."""
    for folder, _, files, folder_fd in os.fwalk(".", dir_fd=source_fd):
        destination = os.path.normpath(os.path.join(target, folder))
        os.makedirs(destination, mode=0o700, exist_ok=True)
        if uid is not None:
            os.chown(destination, uid, gid if gid is not None else -1)
        for name in files:
            try:
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder_fd)
            except OSError:
                continue
            with os.fdopen(fd, "rb") as src, open(os.path.join(destination, name), "wb") as dst:
                if stat.S_ISREG(os.fstat(src.fileno()).st_mode):
                    dst.write(src.read())
            if uid is not None:
                os.chown(os.path.join(destination, name), uid, gid if gid is not None else -1)


def enter_user_namespace() -> None:
    """Enter a new user namespace (with the other namespaces inside it), in which this
    process keeps its own uid and gid and has capabilities over its new namespaces only."""
    uid, gid = os.geteuid(), os.getegid()
    unshare(CLONE_NEWUSER | NAMESPACES)
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                       ("gid_map", f"{gid} {gid} 1")):  # fmt: skip
        with open(f"/proc/self/{name}", "w") as handle:
            handle.write(text)


def drop_capabilities() -> None:
    """Drop every capability (effective, permitted, inheritable) of this process: in a user
    namespace it would otherwise keep the power to undo the mounts that hide files."""
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this thread
    data = (ctypes.c_uint32 * 6)()
    _check(_LIBC.capset(header, data), "capset")
    for number in range(64):  # the bounding set: no file capability can bring one back
        if _LIBC.prctl(ctypes.c_int(24), ctypes.c_ulong(number), 0, 0, 0) != 0:  # DROP
            break


def isolate(config: dict[str, Any]) -> str:
    """Enter new namespaces, hide and keep paths, fill the scratch folder; return its path."""
    if config.get("userns"):
        enter_user_namespace()
    else:
        unshare(NAMESPACES)
    mount(None, "/", None, MS_REC | MS_PRIVATE, None)
    # Opened in the new namespace, before hiding: bind mounts need a source mount of ours.
    staging = os.open(config["staging"], os.O_RDONLY | os.O_DIRECTORY)
    kept = {}
    for path in config["keep"]:
        if os.path.isdir(path):
            kept[path] = os.open(path, os.O_PATH | os.O_DIRECTORY)
    hidden = _hide(list(TMP_DIRS) + config["hide"], config["tmpfs_mb"])
    _keep(kept, hidden, strict=bool(config.get("userns")))
    _copy_tree(staging, SCRATCH, config["uid"], config["gid"])
    for fd in [staging, *kept.values()]:
        os.close(fd)
    return SCRATCH


def become_worker(config: dict[str, Any], scratch: str) -> None:
    """In the forked child: limits, privileges, then exec the worker. Never returns."""
    if config["namespaces"]:
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    for name, value in config["rlimits"].items():
        resource.setrlimit(getattr(resource, "RLIMIT_" + name), (value, value))
    if config["uid"] is not None:
        os.setgroups([])
        os.setresgid(config["gid"], config["gid"], config["gid"])
        os.setresuid(config["uid"], config["uid"], config["uid"])
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    if config.get("userns"):
        drop_capabilities()
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    os.chdir(scratch)
    os.umask(0o077)
    if config.get("in_process"):
        os.environ.clear()
        os.environ.update(config["env"])
        from course_grader import worker

        worker.main(config["args"])
    python = config["python"]
    os.execve(python, [python, "-I", "-m", "course_grader.worker", *config["args"]], config["env"])


def _signal(pid: int, number: int) -> None:
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        pass


def launch(config: dict[str, Any], status_fd: int | None = None) -> None:
    """Set up the sandbox, fork the worker, wait for it; write its status to ``status_fd``.

    Never returns. ``config["parent"]``, when set, must be this process's parent.
    """
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if config["parent"] is not None and os.getppid() != config["parent"]:
        os._exit(125)
    for procs in config["cgroups"]:
        with open(procs, "w") as handle:
            handle.write(str(os.getpid()))
    scratch = isolate(config) if config["namespaces"] else config["staging"]
    child = os.fork()
    if child == 0:
        try:
            if status_fd is not None:
                os.close(status_fd)
            become_worker(config, scratch)
        except BaseException:  # noqa: BLE001 - report anything, then leave
            traceback.print_exc()
        os._exit(126)
    for fd in config["args"][:2]:
        os.close(int(fd))
    signal.signal(signal.SIGINT, lambda *_: _signal(child, signal.SIGINT))
    signal.signal(signal.SIGTERM, lambda *_: _signal(child, signal.SIGKILL))
    _, status = os.waitpid(child, 0)
    code = os.waitstatus_to_exitcode(status)
    code = 128 - code if code < 0 else code
    if status_fd is not None:
        os.write(status_fd, str(code).encode())
    os._exit(code)


def main() -> None:
    """Read the config from stdin and :func:`launch` the worker."""
    launch(json.loads(sys.stdin.buffer.read()))


def _try(enter: Any) -> bool:
    """Whether, in a throwaway child, ``enter`` and the mounts the sandbox makes succeed."""
    child = os.fork()
    if child == 0:
        try:
            enter()
            mount(None, "/", None, MS_REC | MS_PRIVATE, None)
            mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m")
            grandchild = os.fork()  # the first process of the new pid namespace mounts /proc
            if grandchild == 0:
                try:
                    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
                    os._exit(0)
                except BaseException:  # noqa: BLE001
                    os._exit(1)
            _, status = os.waitpid(grandchild, 0)
            os._exit(0 if status == 0 else 1)
        except BaseException:  # noqa: BLE001
            os._exit(1)
    _, status = os.waitpid(child, 0)
    return status == 0


def capabilities() -> dict[str, bool]:
    """What this machine allows: namespaces as root, or inside an unprivileged user namespace
    (``userns``), and privilege drops (root)."""
    if os.geteuid() == 0 and _try(lambda: unshare(NAMESPACES)):
        return {"namespaces": True, "drop": True, "userns": False}
    userns = _try(enter_user_namespace)
    return {"namespaces": userns, "drop": os.geteuid() == 0, "userns": userns}


if __name__ == "__main__":
    if sys.argv[1:] == ["--capabilities"]:
        print(json.dumps(capabilities()))
    else:
        main()
