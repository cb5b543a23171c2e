"""The CLI as a Unix tool: a reader that closes the pipe early (`| head -1`) ends it quietly."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from audience_tui.demo import Sandbox
from audience_tui.sandbox.people import person

COMMANDS = [
    ["lists", "demo-ownpage", "--format", "csv"],
    ["members", "demo-emma", "All members", "--format", "table"],
    ["members", "demo-emma", "All members", "--format", "csv"],
    ["members", "demo-emma", "All members", "--format", "jsonl"],
    ["lookup", person(0).email, "--format", "jsonl"],
    ["aggregate", "demo-emma", "All members", "status", "--format", "table"],
    ["keys", "--format", "csv"],
    ["lists", "demo-heyloyalty", "--format", "table"],
    ["lookup", person(0).email, "--format", "csv"],
    ["imports", "demo-emma", "--format", "jsonl"],
    ["config", "show"],
    ["--help"],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda argv: "-".join(argv[:1] + argv[-1:]))
def test_a_closed_pipe_ends_quietly(argv: list[str], sandbox: Sandbox) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first row: every write fails
    try:
        done = subprocess.run(
            [sys.executable, "-m", "audience_tui", "--demo", *argv],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    said = done.stderr.casefold()
    assert "error" not in said and "traceback" not in said and "brokenpipe" not in said, said
    assert done.returncode in (0, 141)  # 141: 128 + SIGPIPE, as a shell reports it
