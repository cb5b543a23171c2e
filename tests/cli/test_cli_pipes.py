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


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize(
    "argv",
    [COMMANDS[0], ["members", "demo-emma", "All members", "--format", "csv"]],
    ids=["short", "streamed"],
)
def test_output_to_a_full_disk_is_one_error_line(argv: list[str], sandbox: Sandbox) -> None:
    """`> /dev/full`: one `error:` line saying the disk is full, exit 4, no crash report."""
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "audience_tui", "--demo", *argv],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    lines = done.stderr.splitlines()
    assert lines == [
        "error: cannot write (No space left on device): free some space and try again"
    ], done.stderr
    assert done.returncode == 4


def test_a_closed_output_is_one_error_line(sandbox: Sandbox) -> None:
    """`>&-`: stdout closed before the start; no traceback, exit 2."""
    done = subprocess.run(
        [sys.executable, "-m", "audience_tui", "--demo", *COMMANDS[0]],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=lambda: os.close(1),
    )
    assert done.stderr.splitlines() == [
        "error: the output is closed; send it to a file or to /dev/null"
    ], done.stderr
    assert done.returncode == 2
