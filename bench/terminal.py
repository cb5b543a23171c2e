"""Run a full-screen program in a pseudo-terminal and time it to a first screen.

The program draws into a 120x40 pty as it would into a terminal; the time to first screen is
when a marker text (something only a full first screen shows) appears in what it wrote. Peak
memory is the child's ru_maxrss once it has exited.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import termios
import time
from collections.abc import Sequence
from dataclasses import dataclass

_ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]|\x1b\][^\x07]*\x07")


@dataclass
class Run:
    seconds: float | None  # to the marker; None if it never came
    peak_mb: float
    output: bytes


def run(
    argv: Sequence[str],
    markers: Sequence[bytes],
    *,
    env: dict[str, str] | None = None,
    quit_keys: bytes = b"q",
    timeout: float = 120.0,
    size: tuple[int, int] = (120, 40),
) -> Run:
    """Start `argv` in a pty; seconds until every marker was drawn; then quit and reap it."""
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the program
        os.execvpe(argv[0], list(argv), env or dict(os.environ))
    cols, rows = size
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    output, seconds = b"", None
    deadline = start + timeout
    while time.perf_counter() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
            text = _ESCAPES.sub(b"", output)
            if seconds is None and all(marker in text for marker in markers):
                seconds = time.perf_counter() - start
                break
    _stop(pid, fd, quit_keys)
    _, _, usage = os.wait4(pid, 0)
    os.close(fd)
    return Run(seconds, usage.ru_maxrss / 1024, output)


def _stop(pid: int, fd: int, quit_keys: bytes) -> None:
    """Quit politely, then insist: a program that ignores its quit key is killed."""
    try:
        os.write(fd, quit_keys)
    except OSError:
        return
    end = time.perf_counter() + 5
    while time.perf_counter() < end:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                if not os.read(fd, 65536):
                    return
            except OSError:
                return
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return
    os.kill(pid, signal.SIGKILL)
