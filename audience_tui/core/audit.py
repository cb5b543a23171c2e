"""The append-only record of every write the app makes (opt-outs, imports) and its outcome.

One JSON object per line, written with a single `write` on a file opened for appending and flushed
to disk before the call returns, so a crash can at worst leave one truncated last line, which
`read` skips. The record never holds a secret: every line passes through `redact`.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs

from .redact import redact


def default_path() -> Path:
    return Path(platformdirs.user_state_dir("audience-tui")) / "audit.jsonl"


class AuditLog:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self._lock = threading.Lock()

    def record(self, action: str, **details: Any) -> dict[str, Any]:
        """Append one event; returns it (with its timestamp) for the caller to show."""
        event = {
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "action": action,
            **details,
        }
        line = redact(json.dumps(event, ensure_ascii=False, default=str)) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = line.encode("utf-8")
        with self._lock:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    data = b"\n" + data  # a crash cut the last line: start on a fresh one
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        return event

    def read(self) -> Iterator[Mapping[str, Any]]:
        """Every complete event, oldest first; a line cut short by a crash is skipped."""
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if isinstance(event, dict):
                    yield event
