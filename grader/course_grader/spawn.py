"""Start a sandbox launcher: forked from the slot's zygote, or as a fresh interpreter.

Both give a process handle with ``pid`` (the leader of the launcher's process group),
``wait(timeout)`` and ``returncode`` (the worker's exit status, 128 + N when killed by signal N).
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
from typing import Any

LAUNCHER = [sys.executable, "-I", "-m", "course_grader.sandbox"]
ZYGOTE = [sys.executable, "-I", "-m", "course_grader.zygote"]


class ForkedLauncher:
    """A launcher forked by the zygote; its exit status comes through a pipe."""

    def __init__(self, pid: int, status_fd: int) -> None:
        self.pid = pid
        self.status_fd = status_fd
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the launcher's status.

        Raises:
            subprocess.TimeoutExpired: when it does not come within ``timeout`` seconds.
        """
        if self.returncode is None:
            ready, _, _ = select.select([self.status_fd], [], [], timeout)
            if not ready:
                raise subprocess.TimeoutExpired("launcher", timeout or 0)
            data = os.read(self.status_fd, 16).strip()
            os.close(self.status_fd)
            self.returncode = int(data) if data.isdigit() else 128 + signal.SIGKILL
        return self.returncode


class Zygote:
    """The client side of a slot's zygote (:mod:`course_grader.zygote`)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.channel: socket.socket | None = None

    def _start(self) -> None:
        self.channel, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = subprocess.Popen(
            [*ZYGOTE, str(theirs.fileno())],
            env=self.env,
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        theirs.close()
        self.channel.settimeout(120)

    def launch(self, config: dict[str, Any], fds: list[int]) -> ForkedLauncher:
        """Fork a launcher with ``config``; ``fds`` are the worker's input, output and stderr.

        Raises:
            OSError: when the zygote does not answer (it is then stopped, and started again
                on the next call).
        """
        if self.process is None or self.process.poll() is not None:
            self._start()
        assert self.channel is not None
        status_r, status_w = os.pipe()
        try:
            socket.send_fds(self.channel, [json.dumps(config).encode()], [*fds, status_w])
            pid = int(self.channel.recv(32))
        except (OSError, ValueError) as exc:
            os.close(status_r)
            self.close()
            raise OSError(f"the zygote did not answer ({exc})") from None
        finally:
            os.close(status_w)
        return ForkedLauncher(pid, status_r)

    def close(self) -> None:
        """Stop the zygote."""
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
            self.process = None
        if self.channel is not None:
            self.channel.close()
            self.channel = None


def start_launcher(
    config: dict[str, Any], worker_fds: list[int], log: int, zygote: Zygote | None
) -> Any:
    """Start a launcher for ``config``; return its process handle."""
    if zygote is not None:
        return zygote.launch(config, [*worker_fds, log])
    process = subprocess.Popen(
        LAUNCHER,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=log,
        pass_fds=worker_fds,
        start_new_session=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert process.stdin is not None
    process.stdin.write(json.dumps(config).encode())
    process.stdin.close()
    return process
