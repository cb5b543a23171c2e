"""core.write_op: every write in one shape (attempt, send, outcome, publish), with a lost answer
settled by reading back: confirmed, failed, or unknown until a later read finds it done."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from audience_tui.core.audit import AuditLog, AuditWriteError
from audience_tui.core.errors import NetworkError, ValidationError
from audience_tui.core.models import Member, MemberStatus
from audience_tui.core.write_op import Change, Outcome, OutcomeUnknownError, Write, WriteLog

DETAILS = {"account": "a", "platform": "p", "audience": "l1", "member": "7"}
ACTIVE = Member("7", "x@example.com", MemberStatus.ACTIVE, audience_id="l1")
OUT = Member("7", "x@example.com", MemberStatus.OPTED_OUT, audience_id="l1", platform_status="u")


def opted_out(member: Member) -> str | None:
    return None if member.status is MemberStatus.OPTED_OUT else "still subscribed"


def write(send, verify=None) -> Write[Member]:
    return Write(
        kind="opt_out",
        details=DETAILS,
        send=send,
        check=opted_out,
        verify=verify,
        noted=lambda m: {"status": m.platform_status},
        change=lambda m: Change("opt_out", "a", members=((ACTIVE, m),)),
    )


def actions(log: WriteLog) -> list[str]:
    return [e["action"] for e in log.audit.read()]


@pytest.fixture
def writes(tmp_path: Path) -> WriteLog:
    return WriteLog(AuditLog(tmp_path / "audit.jsonl"))


async def test_confirmed_write_is_recorded_and_published_once(writes: WriteLog) -> None:
    seen: list[Change] = []
    stop = writes.subscribe(seen.append)

    async def send() -> Member:
        return OUT

    result = await writes.run(write(send))
    assert result.outcome is Outcome.CONFIRMED and result.value is OUT
    assert actions(writes) == ["opt_out.attempt", "opt_out.confirmed"]
    assert [c.update("a", ACTIVE) for c in seen] == [OUT]
    stop()
    await writes.run(write(send))
    assert len(seen) == 1  # unsubscribed


async def test_refused_and_unconfirmed_writes_fail_without_publishing(writes: WriteLog) -> None:
    seen: list[Change] = []
    writes.subscribe(seen.append)

    async def refused() -> Member:
        raise ValidationError("no such member")

    async def ignored() -> Member:
        return ACTIVE

    async def never() -> Member | None:
        raise AssertionError("a refusal is not ambiguous: nothing to read back")

    first = await writes.run(write(refused, never))
    second = await writes.run(write(ignored))
    assert first.outcome is Outcome.FAILED and second.outcome is Outcome.UNCONFIRMED
    assert "still subscribed" in str(second.error)
    assert actions(writes)[1::2] == ["opt_out.failed", "opt_out.unconfirmed"]
    assert list(writes.audit.read())[-1]["reason"] == "still subscribed"
    assert seen == []


async def test_lost_answer_read_back_applied_is_confirmed(writes: WriteLog) -> None:
    async def lost() -> Member:
        raise NetworkError("connection failed: reset", platform="p", request="PUT /x")

    async def applied() -> Member | None:
        return OUT

    async def not_applied() -> Member | None:
        return ACTIVE

    result = await writes.run(write(lost, applied))
    assert result.outcome is Outcome.CONFIRMED and result.error is None
    record = list(writes.audit.read())[-1]
    assert record["action"] == "opt_out.confirmed" and record["read_back"] == "applied"
    assert "reset" in record["answer_lost"]

    result = await writes.run(write(lost, not_applied))
    assert result.outcome is Outcome.FAILED and "read back: not applied" in str(result.error)


async def test_unknown_until_a_later_read_settles_it(tmp_path: Path) -> None:
    writes = WriteLog(AuditLog(tmp_path / "audit.jsonl"))

    async def lost() -> Member:
        raise NetworkError("timed out", platform="p", request="PUT /x")

    async def unreadable() -> Member | None:
        raise NetworkError("connection failed", platform="p", request="GET /x")

    result = await writes.run(write(lost, unreadable))
    assert result.outcome is Outcome.UNKNOWN
    assert isinstance(result.error, OutcomeUnknownError)
    assert writes.pending("opt_out", DETAILS)
    assert not writes.settle("opt_out", {**DETAILS, "member": "8"})  # another member

    later = WriteLog(AuditLog(tmp_path / "audit.jsonl"))  # a later run, from the audit file
    seen: list[Change] = []
    later.subscribe(seen.append)
    assert later.pending("opt_out", DETAILS)
    assert later.settle("opt_out", DETAILS, Change("opt_out", "a", members=((ACTIVE, OUT),)))
    assert not later.pending("opt_out", DETAILS) and len(seen) == 1
    events = list(later.audit.read())
    assert [e["action"] for e in events] == [
        "opt_out.attempt",
        "opt_out.unknown",
        "opt_out.confirmed",
    ]
    assert events[-1]["settled_by"] == "a later read"
    assert not WriteLog(AuditLog(tmp_path / "audit.jsonl")).pending("opt_out", DETAILS)


async def test_a_broken_subscriber_does_not_stop_the_others(writes: WriteLog) -> None:
    seen: list[Change] = []

    def broken(change: Change) -> None:
        raise RuntimeError("view gone")

    writes.subscribe(broken)
    writes.subscribe(seen.append)
    writes.publish(Change("import", "a", audiences=("l1",)))
    assert len(seen) == 1


def test_change_updates_the_views_it_touches() -> None:
    elsewhere = Member("7", "x@example.com", MemberStatus.ACTIVE, audience_id="l2")
    other = Member("8", "y@example.com", MemberStatus.ACTIVE, audience_id="l1")
    change = Change("opt_out", "a", members=((ACTIVE, OUT),))
    assert change.update("a", ACTIVE) is OUT
    assert change.update("b", ACTIVE) is None  # another account
    assert change.update("a", other) is None
    assert change.update("a", elsewhere) is None  # a membership of its own
    wide = Change("opt_out", "a", members=((ACTIVE, OUT),), account_wide=True)
    moved = wide.update("a", elsewhere)
    assert moved is not None and moved.status is MemberStatus.OPTED_OUT
    assert moved.audience_id == "l2"
    assert change.touches("a", "l1") and not change.touches("a", "l2")
    assert wide.touches("a", "l2") and not wide.touches("b", "l1")
    assert Change("import", "a", audiences=("l3",)).touches("a", "l3")


class FullAfterAttempt(AuditLog):
    """An audit file whose disk fills up after the attempt was recorded."""

    def record(self, action: str, **details: object) -> dict[str, object]:
        if not action.endswith(".attempt"):
            raise AuditWriteError(f"cannot write the audit file: {action} happened")
        return super().record(action, **details)


async def test_a_write_done_is_published_even_when_its_outcome_cannot_be_recorded(
    tmp_path: Path,
) -> None:
    writes = WriteLog(FullAfterAttempt(tmp_path / "audit.jsonl"))
    seen: list[Change] = []
    writes.subscribe(seen.append)

    async def send() -> Member:
        return OUT

    with pytest.raises(AuditWriteError, match="happened"):
        await writes.run(write(send))
    assert len(seen) == 1  # the views show what the platform did


def test_an_audit_file_without_unknown_outcomes_is_not_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    for n in range(50):
        audit.record("opt_out.attempt", account="a", audience="l1", member=str(n))
        audit.record("opt_out.confirmed", account="a", audience="l1", member=str(n))

    def unread() -> None:
        raise AssertionError("parsed an audit file that holds no unknown outcome")

    monkeypatch.setattr(audit, "read", unread)
    assert not WriteLog(audit).pending("opt_out", DETAILS)
    monkeypatch.undo()
    audit.record("opt_out.unknown", **DETAILS)
    assert WriteLog(audit).pending("opt_out", DETAILS)
    assert not WriteLog(AuditLog(tmp_path / "none.jsonl")).pending("opt_out", DETAILS)


async def test_the_audit_flush_leaves_the_event_loop_free(
    writes: WriteLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each record is on disk before the write goes on, but its flush (milliseconds) waits in a
    worker thread: other requests of the app (a suppression run's other writes) go on."""
    import asyncio
    import threading

    from audience_tui.core import audit

    loop_ran = threading.Event()
    flushed: list[bool] = []

    def slow_fsync(fd: int) -> None:
        loop_ran.wait(timeout=30)  # a guard against a hang, not a timing: the loop sets it
        flushed.append(loop_ran.is_set())

    monkeypatch.setattr(audit.os, "fsync", slow_fsync)

    async def send() -> Member:
        return OUT

    async def other_request() -> None:
        await asyncio.sleep(0)
        loop_ran.set()

    result, _ = await asyncio.gather(writes.run(write(send)), other_request())
    assert result.outcome is Outcome.CONFIRMED
    assert flushed == [True, True]  # the attempt and the outcome, both flushed
    assert actions(writes) == ["opt_out.attempt", "opt_out.confirmed"]


async def test_a_write_interrupted_in_flight_is_recorded_unknown(writes: WriteLog) -> None:
    """ctrl+c while the request is out: the attempt gets its outcome (unknown, pending), never
    an attempt alone, and a later read can settle it."""
    sent = asyncio.Event()

    async def hangs() -> Member:
        sent.set()
        await asyncio.Event().wait()
        raise AssertionError("never answered")

    task = asyncio.ensure_future(writes.run(write(hangs)))
    await sent.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert actions(writes) == ["opt_out.attempt", "opt_out.unknown"]
    assert list(writes.audit.read())[-1]["error_kind"] == "interrupted"
    assert writes.pending("opt_out", DETAILS)
    assert writes.settle("opt_out", DETAILS)
