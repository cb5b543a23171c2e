"""The audit record: one line per event, secrets masked, a crash-truncated line skipped."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audience_tui.cli import main
from audience_tui.core import audit
from audience_tui.core.audit import AuditLog, AuditWriteError
from audience_tui.core.redact import redact, register_secret
from audience_tui.core.settings import settings_path
from audience_tui.demo import Sandbox, demo_session
from audience_tui.sandbox.people import person


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


# --- every line parses, whatever the values hold (redaction runs before encoding) ---------------
TRICKY = ["\\", '"', 'password="', "password=\\", '\\"', "\ud800", "\udfff", "hunter2-private-key"]
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=()))  # lone surrogates included
VALUES = st.lists(st.one_of(ANY_TEXT, st.sampled_from(TRICKY)), max_size=8).map("".join)


def as_json(text: str) -> str:
    """`text` as JSON can tell it (a lone high then low surrogate is read back as one pair)."""
    return json.loads(json.dumps(text))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(email=VALUES, error=VALUES, key=VALUES)
def test_every_audit_line_parses(email: str, error: str, key: str) -> None:
    register_secret("hunter2-private-key")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "audit.jsonl"
        log = AuditLog(path)
        log.record("opt_out.attempt", email=email)
        log.record("opt_out.failed", email=email, error=error, detail={key: [error, 1, None]})
        lines = path.read_bytes().decode("utf-8").split("\n")  # valid UTF-8, too
        events = [json.loads(line) for line in lines if line]
        assert [e["action"] for e in log.read()] == ["opt_out.attempt", "opt_out.failed"]
        assert events[1]["email"] == as_json(redact(email))
        assert events[1]["error"] == as_json(redact(error))
        assert "hunter2-private-key" not in path.read_text(encoding="utf-8")


def test_a_value_that_looks_like_a_credential_keeps_the_line_valid(tmp_path: Path) -> None:
    """The case that broke it: masking the encoded line ate the backslash escaping a quote."""
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record("opt_out.failed", error='server said: password="\\" and more', email='x"@y.z')
    (event,) = log.read()
    assert event["email"] == 'x"@y.z' and event["error"].startswith('server said: password="***')


# --- a write that does not fully land ------------------------------------------------------------
def test_a_short_write_is_continued_until_the_whole_line_lands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def seven_bytes_at_a_time(fd: int, data: bytes) -> int:
        calls.append(len(data))
        return os.write(fd, bytes(data[:7]))

    monkeypatch.setattr(audit, "_write", seven_bytes_at_a_time)
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record("opt_out.confirmed", email="a@example.com")
    assert len(calls) > 1
    assert [e["email"] for e in log.read()] == ["a@example.com"]


def failing_after(limit: int) -> Callable[[int, bytes], int]:
    """A write that lands only `limit` bytes, then finds the disk full."""

    def write(fd: int, data: bytes) -> int:
        nonlocal limit
        if limit <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written = os.write(fd, bytes(data[:limit]))
        limit -= written
        return written

    return write


def test_a_disk_full_mid_line_is_an_error_and_leaves_every_line_readable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record("opt_out.attempt", email="a@example.com")
    monkeypatch.setattr(audit, "_write", failing_after(20))
    with pytest.raises(AuditWriteError) as failed:
        log.record("opt_out.confirmed", email="a@example.com", account="shop")
    assert failed.value.exit_code == 4
    assert "No space left on device" in str(failed.value)
    assert "opt_out.confirmed (email a@example.com account shop) happened" in str(failed.value)
    monkeypatch.setattr(audit, "_write", os.write)
    log.record("opt_out.attempt", email="b@example.com")  # on a fresh line after the cut one
    assert [e["action"] for e in log.read()] == ["opt_out.attempt", "opt_out.attempt"]


def test_an_attempt_that_cannot_be_recorded_says_nothing_was_sent(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    with pytest.raises(AuditWriteError, match="nothing was sent") as failed:
        AuditLog(Path("/dev/full")).record("opt_out.attempt", email="a@example.com")
    assert failed.value.exit_code == 4


RLIMITED = """
import resource, signal, sys
from pathlib import Path
from audience_tui.core.audit import AuditLog, AuditWriteError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
path = Path(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (path.stat().st_size + 40, resource.RLIM_INFINITY))
try:
    AuditLog(path).record("opt_out.confirmed", email="a@example.com", note="x" * 200)
except AuditWriteError as exc:
    print(exc)
"""


def test_a_file_size_limit_cuts_the_line_and_is_reported(tmp_path: Path) -> None:
    """The kernel's own short write: RLIMIT_FSIZE lets part of the line land, then refuses."""
    path = tmp_path / "audit.jsonl"
    AuditLog(path).record("opt_out.attempt", email="a@example.com")
    result = subprocess.run(
        [sys.executable, "-c", RLIMITED, str(path)], capture_output=True, text=True, timeout=60
    )
    assert "happened but is not in the record" in result.stdout, result.stderr
    assert path.stat().st_size > len(path.read_text().splitlines()[0]) + 1  # a part landed
    assert [e["action"] for e in AuditLog(path).read()] == ["opt_out.attempt"]


def test_a_directory_as_audit_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(AuditWriteError, match="set audit_file") as failed:
        AuditLog(tmp_path).record("opt_out.attempt", email="a@example.com")
    assert failed.value.exit_code == 2


# --- through the command line: nothing is sent when the attempt cannot be recorded --------------
@pytest.fixture
def demo_email(sandbox: Sandbox) -> str:
    """Someone subscribed on at least one demo platform."""

    async def find() -> str:
        session = demo_session(sandbox)
        try:
            for index in range(100):
                if any(r.members for r in await session.lookup(person(index).email)):
                    return person(index).email
        finally:
            await session.aclose()
        raise AssertionError("no demo person found")

    return asyncio.run(find())


def statuses(email: str, capsys: pytest.CaptureFixture[str]) -> set[str]:
    assert main(["--demo", "lookup", email, "--format", "jsonl"]) == 0
    return {json.loads(line)["status"] for line in capsys.readouterr().out.splitlines()}


def with_audit_file(value: str) -> None:
    settings_path().parent.mkdir(parents=True, exist_ok=True)
    settings_path().write_text(f"audit_file = {json.dumps(value)}\n", encoding="utf-8")


def test_a_full_disk_before_the_opt_out_sends_nothing_and_exits_4(
    demo_email: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    before = statuses(demo_email, capsys)
    with_audit_file("/dev/full")
    assert main(["--demo", "optout", demo_email, "--yes"]) == 4
    err = capsys.readouterr().err
    assert "No space left on device" in err and "nothing was sent" in err
    assert "unexpected" not in err and "Traceback" not in err
    assert statuses(demo_email, capsys) == before != {"opted_out"}


def test_a_bad_audit_file_setting_is_warned_at_load_and_refused_with_exit_2(
    demo_email: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_audit_file(str(tmp_path))  # a directory
    statuses(demo_email, capsys)
    assert main(["--demo", "optout", demo_email, "--yes"]) == 2
    err = capsys.readouterr().err
    assert f"warning: {settings_path()}:1: audit_file: {tmp_path} is a directory" in err
    assert "set audit_file" in err and "Traceback" not in err
    assert "opted_out" not in statuses(demo_email, capsys)


async def test_an_outcome_that_cannot_be_recorded_is_told_with_what_happened(
    demo_email: str, sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_room_for_outcomes(fd: int, data: bytes) -> int:
        if b"opt_out.attempt" not in bytes(data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return os.write(fd, data)

    session = demo_session(sandbox, audit=AuditLog(tmp_path / "audit.jsonl"))
    try:
        (found, *_) = [r for r in await session.lookup(demo_email) if r.members]
        monkeypatch.setattr(audit, "_write", no_room_for_outcomes)
        with pytest.raises(AuditWriteError) as failed:
            await session.opt_out(found.account.name, found.members[0])
        assert f"opt_out.confirmed (email {demo_email} account {found.account.name}) happened" in (
            str(failed.value)
        )
    finally:
        await session.aclose()


def test_only_a_regular_file_is_read_as_a_record(tmp_path: Path) -> None:
    """Lookups read the record for pending writes: a directory or a device is no record."""
    assert list(AuditLog(tmp_path).read()) == []
    if Path("/dev/zero").exists():
        assert list(AuditLog(Path("/dev/zero")).read()) == []  # not an endless line


def test_the_cli_tells_every_outcome_it_could_not_record(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each list's opt-out that happened is named, none is cut short by another's failure."""

    async def on_two_lists() -> str:
        session = demo_session(sandbox)
        try:
            for index in range(200):
                found = await session.lookup(person(index).email)
                if sum(len(r.members) for r in found) >= 2:
                    return person(index).email
        finally:
            await session.aclose()
        raise AssertionError("no demo person on two lists")

    email = asyncio.run(on_two_lists())

    def no_room_for_outcomes(fd: int, data: bytes) -> int:
        if b".attempt" not in bytes(data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return os.write(fd, data)

    monkeypatch.setattr(audit, "_write", no_room_for_outcomes)
    assert main(["--demo", "optout", email, "--yes"]) == 4
    err = capsys.readouterr().err
    attempts = [e for e in AuditLog().read() if e["action"] == "opt_out.attempt"]
    assert len(attempts) >= 2
    assert err.count("happened but is not in the record") == len(attempts)
    assert statuses(email, capsys) == {"opted_out"}
