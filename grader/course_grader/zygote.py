"""A template interpreter per slot, from which workers are forked instead of started anew.

Starting Python and importing torch takes seconds; forking a process that already did takes
milliseconds. The zygote is ``python -I -m course_grader.zygote FD`` (the grader's own
interpreter, run as root by the trusted job, with the workers' environment): it imports
numpy and torch, and nothing else ever runs in it: no notebook, no test, no secret. For each
request on its socket (a JSON launcher config and four file descriptors: the worker's two
pipe ends, its stderr and a status pipe), it forks a launcher
(:func:`course_grader.sandbox.launch`) in a new session and answers with its pid; the
launcher sets up the sandbox and runs the worker in the forked interpreter, then writes the
worker's exit status to the status pipe. ``--fresh-interpreter`` does without the zygote.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys

from course_grader.sandbox import PR_SET_CHILD_SUBREAPER, PR_SET_PDEATHSIG, launch, prctl

PRELOAD = ("numpy", "torch")


def serve(channel: socket.socket) -> None:
    """Fork one launcher per request until the trusted job closes the socket."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # launchers are reaped by the kernel
    while True:
        message, fds, _, _ = socket.recv_fds(channel, 1 << 22, 4)
        if not message:
            return
        config = json.loads(message)
        config["parent"] = os.getpid()
        child = os.fork()
        if child == 0:
            channel.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.setsid()
            worker_in, worker_out, log, status = fds
            os.dup2(log, 2)
            os.close(log)
            config["args"][:2] = [str(worker_in), str(worker_out)]
            config["in_process"] = True
            launch(config, status)
        for fd in fds:
            os.close(fd)
        channel.send(str(child).encode())


def main() -> None:
    """Import the heavy modules once, then serve."""
    channel = socket.socket(fileno=int(sys.argv[1]))
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    prctl(PR_SET_CHILD_SUBREAPER, 1)  # orphaned workers come here, and are reaped
    for name in PRELOAD:
        with contextlib.suppress(ImportError):
            __import__(name)
    serve(channel)


if __name__ == "__main__":
    main()
