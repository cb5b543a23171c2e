"""A folder the app cannot write or a full disk is the user's to fix: one line, exit 2 (4 for a
full disk), no traceback and no crash report; a real defect still gets its report."""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest

from audience_tui.core.crash import classified, crash_dir


@pytest.mark.parametrize(
    "command", [["lookup", "someone@example.com"], []], ids=["command", "terminal-app"]
)
def test_a_cache_folder_that_cannot_be_created_is_one_line_and_exit_2(
    tmp_path: Path, command: list[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    env = {**os.environ, "XDG_CACHE_HOME": str(blocker / "cache")}
    result = subprocess.run(
        [sys.executable, "-m", "audience_tui", "--demo", *command],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: cannot use {blocker}") and "XDG_CACHE_HOME" in line
    assert not crash_dir().exists()  # not a defect: no crash report


def test_a_read_only_demo_database_names_the_cache_folder() -> None:
    error = classified(sqlite3.OperationalError("unable to open database file"))
    assert error is not None and error.exit_code == 2
    assert platformdirs.user_cache_dir("audience-tui") in str(error)
    assert "XDG_CACHE_HOME" in str(error)


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "/data/export.csv"), 4),
        (OSError(errno.ENOSPC, "No space left on device"), 4),  # stdout on a full disk
        (PermissionError(errno.EACCES, "Permission denied", "/data/export.csv"), 2),
        (OSError(errno.EROFS, "Read-only file system", "/mnt/ro/x"), 2),
        (FileNotFoundError(errno.ENOENT, "No such file or directory", "/data/missing.csv"), None),
        (OSError(errno.EIO, "Input/output error"), None),
        (ValueError("a defect"), None),
    ],
)
def test_what_is_classified(exc: BaseException, code: int | None) -> None:
    error = classified(exc)
    assert (error.exit_code if error else None) == code
