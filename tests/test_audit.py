"""The audit record: one line per event, secrets masked, a crash-truncated line skipped."""

from __future__ import annotations

import stat
from pathlib import Path

from audience_tui.core.audit import AuditLog
from audience_tui.core.redact import register_secret


def test_events_are_appended_and_read_back(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record("opt_out.attempt", email="a@example.com")
    log.record("opt_out.confirmed", email="a@example.com")
    assert [e["action"] for e in log.read()] == ["opt_out.attempt", "opt_out.confirmed"]
    assert stat.S_IMODE((tmp_path / "audit.jsonl").stat().st_mode) == 0o600


def test_truncated_last_line_is_skipped(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record("opt_out.attempt", email="a@example.com")
    with (tmp_path / "audit.jsonl").open("a") as handle:
        handle.write('{"at": "2026-01-01", "action": "opt_out.conf')
    assert [e["action"] for e in log.read()] == ["opt_out.attempt"]
    log.record("opt_out.failed")  # the next event starts on a line of its own
    assert [e["action"] for e in log.read()] == ["opt_out.attempt", "opt_out.failed"]


def test_secrets_never_reach_the_record(tmp_path: Path) -> None:
    register_secret("hunter2-private-key")
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record("opt_out.failed", error="401 for key hunter2-private-key")
    assert "hunter2-private-key" not in (tmp_path / "audit.jsonl").read_text()
