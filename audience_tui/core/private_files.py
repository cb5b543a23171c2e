"""Files only their user can read, from their first byte: settings, secrets, journals, exports,
reports and receipts hold secrets or members' personal data."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

PRIVATE_FILE = 0o600


def open_private(path: Path, *, exclusive: bool = False) -> TextIO:
    """`path` opened to write text, readable by the user only. `exclusive`: refuse a file that
    exists (FileExistsError) rather than replace it."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)  # a leftover file of the same name may have had another mode
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


def write_private(path: Path, text: str) -> None:
    """Replace `path` atomically with `text` in a file only the user can read, on disk before
    it takes the old file's place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open_private(tmp) as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
