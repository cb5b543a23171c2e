"""The append-only record of every write the app makes (opt-outs, imports) and its outcome.

One JSON object per line, appended and fsynced before `record` returns, so a crash can at worst
leave one truncated last line, which `read` skips. Every string is redacted *before* the line is
encoded (masking an encoded line could eat an escaping backslash and leave invalid JSON), and a
lone surrogate is written as its `\\udXXX` escape: every line parses, whatever the values hold.

A write that does not fully land (a full disk, a file size limit) raises `AuditWriteError`: an
event named `*.attempt` (or `*.dry_run`) is recorded before anything is sent, so nothing is; any
other event records what already happened, and the error says so, for the user to keep.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs

from .errors import AudienceError
from .redact import redact

_SURROGATE = re.compile("[\ud800-\udfff]")
# The path itself cannot be a file: a setting to correct, not a passing condition of the disk.
_BAD_PATH = {errno.EISDIR, errno.ENOTDIR, errno.ENAMETOOLONG, errno.ELOOP, errno.EINVAL}
_write = os.write  # one place for tests to make a write fall short


class AuditWriteError(AudienceError):
    """The audit record could not be written (exit 4): the message says what did or did not
    happen."""

    exit_code = 4
    kind = "audit record"


class AuditFileSettingError(AuditWriteError):
    """The audit file's path cannot hold a file (a directory, a path through a file): exit 2."""

    exit_code = 2
    kind = "configuration"


def default_path() -> Path:
    return Path(platformdirs.user_state_dir("audience-tui")) / "audit.jsonl"


def unusable(path: Path) -> str | None:
    """Why `path` can never be the audit file, or None (checked when the settings are loaded)."""
    if path.is_dir():
        return "is a directory"
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else f"is under {parent}, which is not a directory"
    return None


def _masked(value: Any) -> Any:
    """`value` as JSON can hold it, every string (keys too) redacted."""
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {redact(str(key)): _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_masked(item) for item in value]
    return redact(str(value))


def encode(event: Mapping[str, Any]) -> bytes:
    """One audit line: valid JSON and valid UTF-8 for any values, ending in a newline."""
    text = json.dumps(event, ensure_ascii=False)
    text = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return (text + "\n").encode("utf-8")


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte of `data`, or raise: a write that lands short is continued, never
    taken for done."""
    view = memoryview(data)
    while view:
        written = _write(fd, view)
        if written <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


class AuditLog:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self._lock = threading.Lock()

    def record(self, action: str, **details: Any) -> dict[str, Any]:
        """Append one event, on disk when this returns; the event as written (redacted, with its
        timestamp) for the caller to show. Raises AuditWriteError when it could not be."""
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        event: dict[str, Any] = _masked({"at": at, "action": action, **details})
        data = encode(event)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                with self._lock:
                    size = os.fstat(fd).st_size
                    if size and os.pread(fd, 1, size - 1) != b"\n":
                        data = b"\n" + data  # a crash cut the last line: start on a fresh one
                    _write_all(fd, data)
                # Outside the lock: threads recording at once share one flush of the disk.
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise self._failure(event, exc) from None
        return event

    def _failure(self, event: Mapping[str, Any], exc: OSError) -> AuditWriteError:
        """What happened first (a screen may show only the start of it), then why."""
        action = str(event["action"])
        if action.endswith((".attempt", ".dry_run")):
            consequence = "nothing was sent"
        else:
            about = " ".join(f"{k} {event[k]}" for k in ("email", "account") if event.get(k))
            what = f"{action} ({about})" if about else action
            consequence = f"{what} happened but is not in the record (keep this message)"
        why = f"the audit file {self.path} cannot be written ({exc.strerror or type(exc).__name__})"
        if exc.errno in _BAD_PATH:
            return AuditFileSettingError(
                f"{consequence}: {why}; set audit_file in the settings (audience-tui config show) "
                "to a file path"
            )
        return AuditWriteError(f"{consequence}: {why}")

    def read(self) -> Iterator[Mapping[str, Any]]:
        """Every complete event, oldest first (see `read_events`)."""
        return read_events(self.path)


def read_events(path: Path) -> Iterator[dict[str, Any]]:
    """Every complete event of a JSON Lines record (the audit file, a compliance journal),
    oldest first; a line cut short by a crash is skipped.

    Only a regular file holds a record: a directory or a device given as the file (its writes
    are refused) is read as empty, never as an endless stream (/dev/zero)."""
    if not path.is_file():
        return
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                yield event
