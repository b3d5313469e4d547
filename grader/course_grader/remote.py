"""The trusted side of the sandbox: start a worker, talk to it, stop it, and say why it stopped.

:class:`WorkerProcess` is one start of a sandboxed worker. Every request has a deadline: when
it passes the worker gets SIGINT and ``grace`` seconds to answer, then it is killed with all
its processes (pid namespace, cgroup, and every process of the slot's uid). What comes back is
a JSON header and raw buffers; nothing from the worker is ever imported or unpickled here.
The exceptions that stop a test (:class:`GradingStop` and its subclasses) derive from
``BaseException``, so that a test's ``except Exception`` cannot swallow them.
"""

from __future__ import annotations

import builtins
import json
import os
import shutil
import signal
import subprocess
import time
from typing import Any

from course_grader.cgroups import Cgroup
from course_grader.channel import (
    ChannelClosed,
    ChannelError,
    ChannelTimeout,
    MessageTooLarge,
    receive,
    send,
)
from course_grader.config import ERROR, MEMORY, MISSING, TIMEOUT, Limits
from course_grader.plan import SandboxPlan, launcher_config
from course_grader.sandbox import PR_SET_CHILD_SUBREAPER, prctl
from course_grader.spawn import Zygote, start_launcher

STARTUP_TIMEOUT = 60.0


class GradingStop(BaseException):
    """Ends a test with a status other than passed/failed; the message is for the student."""

    status = ERROR


class CallTimeout(GradingStop):
    """A call into the student's code (or a whole test) ran out of time."""

    status = TIMEOUT


class OutOfMemory(GradingStop):
    """The student's code ran out of memory."""

    status = MEMORY


class WorkerDied(GradingStop):
    """The worker process ended (``sys.exit`` in a thread, ``os._exit``, a crash, a kill)."""


class MissingName(GradingStop):
    """The test used a name that the student's notebook does not define."""

    status = MISSING


class StudentError(Exception):
    """An exception raised by the student's code, rebuilt from its type name and message."""

    remote_type = "Exception"
    remote_traceback = ""


_ERROR_CLASSES: dict[str, type[StudentError]] = {}
_NOT_REBUILT = (StopIteration, StopAsyncIteration, AssertionError, Warning)


def student_error(reply: dict[str, Any]) -> StudentError:
    """Rebuild a student's exception as a :class:`StudentError` that is also an instance of
    the builtin exception of the same name (so that a test may expect a ``ValueError``).

    Only builtin exception classes get a class of their own (a bounded set); any other name is
    kept as text. The name, message and traceback are clipped.
    """
    name = str(reply.get("type", "Exception"))[:100]
    message = str(reply.get("message", ""))[:2000]
    base = getattr(builtins, name, None)
    if not (isinstance(base, type) and issubclass(base, Exception)) or issubclass(
        base, _NOT_REBUILT
    ):
        base, key = Exception, "Exception"
    else:
        key = name
    if key not in _ERROR_CLASSES:
        try:
            _ERROR_CLASSES[key] = type(f"Student{key}", (StudentError, base), {})
            _ERROR_CLASSES[key](message)
        except TypeError:
            _ERROR_CLASSES[key] = type(f"Student{key}", (StudentError,), {})
    error = _ERROR_CLASSES[key](message)
    error.remote_type, error.remote_traceback = name, str(reply.get("traceback", ""))[-4000:]
    return error


class WorkerProcess:
    """One start of a sandboxed worker for one submission."""

    def __init__(
        self,
        plan: SandboxPlan,
        limits: Limits,
        slot: int,
        staging: str,
        log: int,
        cgroup: Cgroup | None,
        zygote: Zygote | None = None,
    ) -> None:
        self.plan, self.limits, self.slot, self.cgroup = plan, limits, slot, cgroup
        adopt_orphans()
        self.alive = True
        self.counts: dict[str, Any] = {}
        self.reply: dict[str, Any] = {}
        to_worker_r, self.to_worker = os.pipe()
        self.from_worker, from_worker_w = os.pipe()
        config = {"limit": limits.result_mb << 20, "seed": limits.seed, "probe": plan.probe}
        args = [str(to_worker_r), str(from_worker_w), json.dumps(config)]
        procs = cgroup.procs if cgroup else []
        launcher = launcher_config(plan, limits, slot, staging, args, procs)
        try:
            self.process = start_launcher(launcher, [to_worker_r, from_worker_w], log, zygote)
        finally:
            os.close(to_worker_r)
            os.close(from_worker_w)
        os.set_blocking(self.to_worker, False)
        os.set_blocking(self.from_worker, False)
        try:
            self.hello, _ = receive(self.from_worker, time.monotonic() + STARTUP_TIMEOUT, 1 << 20)
        except ChannelError as exc:
            raise self.death(f"the sandbox did not start ({exc})") from None

    def request(
        self, header: dict[str, Any], buffers: list[bytes] = (), timeout: float = 30.0
    ) -> tuple[Any, list[bytes]]:
        """Send one request; return the reply's value (a JSON tree) and buffers.

        Raises:
            GradingStop: timeout, memory, death of the worker, a result too large.
            StudentError: the student's code raised an exception.
        """
        self.counts, self.reply = {}, {}
        if not self.alive:
            raise WorkerDied("the worker had already stopped")
        deadline = time.monotonic() + max(timeout, 0.01)
        limit = (self.limits.result_mb << 20) + (1 << 20)
        try:
            send(self.to_worker, header, list(buffers), deadline)
            reply, out = receive(self.from_worker, deadline, limit)
        except ChannelTimeout as exc:
            raise self._overtime(timeout, exc.partial) from None
        except ChannelClosed:
            raise self.death() from None
        except MessageTooLarge as exc:
            self.kill()
            raise GradingStop(f"the result is too large ({exc.size >> 20} MiB)") from None
        except ChannelError as exc:
            self.kill()
            raise GradingStop(f"the worker broke the protocol ({exc})") from None
        self.reply = reply if isinstance(reply, dict) else {}
        counts = self.reply.get("counts")
        self.counts = counts if isinstance(counts, dict) else {}
        if self.reply.get("ok") is not True:
            raise self._failure(self.reply, header.get("op"))
        return reply.get("value"), out

    def _failure(self, reply: dict[str, Any], op: Any) -> BaseException:
        kind, message = reply.get("kind"), str(reply.get("message", ""))[:2000]
        if kind == "stop" and op == "next":
            return StopIteration()
        if kind == "memory":
            return OutOfMemory(
                f"your code ran out of memory ({str(reply.get('type'))[:100]}: {message})"
            )
        if kind == "too_large":
            return GradingStop(f"the result is too large: {message}")
        if kind == "interrupted":
            return CallTimeout("your code was interrupted")
        if kind == "forbidden":
            return AssertionError(f"your code called a function it may not use here: {message}")
        return student_error(reply)

    def _overtime(self, timeout: float, partial: bool) -> GradingStop:
        """Interrupt a request that ran out of time; kill the worker if it does not answer."""
        message = f"your code ran for more than {timeout:g} s"
        answered = False
        if not partial:
            self.interrupt()
            try:
                receive(self.from_worker, time.monotonic() + self.limits.grace, 1 << 20)
                answered = True
            except ChannelError:
                pass
        if not answered:
            self.kill()
        if self.cgroup is not None and self.cgroup.hit_limit():
            return OutOfMemory(self._memory_message())  # it was stalled at its memory limit
        return CallTimeout(message)

    def _memory_message(self) -> str:
        return f"your code used more than the {self.limits.memory_mb} MiB of memory it may use"

    def interrupt(self) -> None:
        """Send SIGINT to the worker (through its launcher)."""
        try:
            os.kill(self.process.pid, signal.SIGINT)
        except ProcessLookupError:
            pass

    def death(self, message: str = "") -> GradingStop:
        """Wait for a worker that stopped; return the exception that says why."""
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        self.kill()
        code = self.process.returncode
        killed = code is not None and code == 128 + signal.SIGKILL
        if self.cgroup is not None and (
            self.cgroup.oom_killed() or killed and self.cgroup.hit_limit()
        ):
            return OutOfMemory(self._memory_message())
        if message:
            return WorkerDied(message)
        how = f"killed by signal {code - 128}" if code and code > 128 else f"exit status {code}"
        return WorkerDied(f"your code ended the worker process ({how})")

    def kill(self) -> None:
        """Kill the launcher, the worker and every process they started."""
        self.alive = False
        try:
            self.process.wait(timeout=0)  # a launcher known to be gone is not signalled
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self.cgroup is not None:
            self.cgroup.kill()
        if self.plan.drop and not self.plan.namespaces:
            sweep_uid(self.plan.uid_base + self.slot)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        reap_orphans(timeout=5.0)

    def close(self) -> None:
        """Stop the worker and release its pipes and cgroup."""
        if self.alive:
            try:
                send(self.to_worker, {"op": "exit"}, [], time.monotonic() + 1)
            except ChannelError:
                pass
        self.kill()
        for fd in (self.to_worker, self.from_worker):
            os.close(fd)
        if self.cgroup is not None:
            self.cgroup.remove()


def adopt_orphans() -> None:
    """Make this process the reaper of its descendants' orphans (a worker whose launcher was
    killed first), so that they do not stay zombies under an init that never reaps them."""
    prctl(PR_SET_CHILD_SUBREAPER, 1)


def reap_orphans(timeout: float = 0.0) -> None:
    """Reap the orphans that ended (see :func:`adopt_orphans`); wait up to ``timeout`` seconds
    for the sandboxed ones (in a pid namespace of their own), killed but not yet gone, to end
    and be reaped too, so that none stays a zombie of a grader that lives on."""
    deadline = time.monotonic() + timeout
    while True:
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                break
        if time.monotonic() >= deadline or not any(map(_sandboxed, _children())):
            return
        time.sleep(0.01)


def _children() -> list[str]:
    """The pids of this process's children (of all its threads)."""
    pids = []
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/children", encoding="ascii") as handle:
                pids += handle.read().split()
        except OSError:
            continue
    return pids


def _sandboxed(pid: str) -> bool:
    """Whether process ``pid`` lives in a pid namespace below this process's."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8", errors="replace") as handle:
            line = next((row for row in handle if row.startswith("NSpid:")), "")
    except OSError:
        return False
    return len(line.split()) > 2


def sweep_uid(uid: int) -> None:
    """Kill every process that runs as ``uid`` (a slot's uid, used by nothing else)."""
    kill = shutil.which("kill", path="/usr/bin:/bin")
    if kill and os.geteuid() == 0:
        subprocess.run(
            [kill, "-KILL", "-1"],
            user=uid,
            group=uid,
            extra_groups=[],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
