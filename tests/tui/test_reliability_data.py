"""Hostile data that is not a member value: field names with escape sequences, header cells a
spreadsheet would run, lone surrogates (a JSON `\\ud800` escape), server error bodies. One
sanitiser (core.sanitize) stands between each and the terminal or file, and none of them can make
a whole list unprintable or a member impossible to opt out."""

from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import replace

import httpx
import pytest
from tui_helpers import members_copying

from audience_tui.cli import setup_logging
from audience_tui.commands.output import emit
from audience_tui.core.audit import AuditLog
from audience_tui.core.errors import AudienceError, ValidationError
from audience_tui.core.export import _Writer
from audience_tui.core.http import ApiClient
from audience_tui.core.models import MemberStatus, PageRequest, Query
from audience_tui.core.sanitize import clean, json_text
from audience_tui.core.session import OptOutOutcome, Session

NAME = "\x1b]0;pwned\x07\x1b[31mcity"
ROWS = [{"id": "1", NAME: "Oslo", "=cmd|' /C calc'!A0": "x", "name": "Bad\ud800name"}]


def utf8_stream() -> io.TextIOWrapper:
    """A stream that encodes as a real stdout does (strict UTF-8)."""
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")


def written(stream: io.TextIOWrapper) -> str:
    stream.flush()
    return stream.buffer.getvalue().decode("utf-8")  # type: ignore[attr-defined]


@pytest.mark.parametrize("fmt", ["table", "csv", "jsonl"])
def test_every_format_prints_hostile_names_and_surrogates(fmt: str) -> None:
    out = utf8_stream()
    assert emit(ROWS, fmt, out) == 1
    text = written(out)
    assert "\x1b" not in text and "\x07" not in text
    if fmt == "jsonl":
        assert json.loads(text)["name"] == "Bad\ud800name"  # escaped, read back unchanged
    if fmt == "csv":
        header = next(csv.reader(io.StringIO(text)))
        assert header[2].startswith("'=")  # a header cell is formula-guarded like a value


def test_clean_and_json_text_leave_nothing_a_utf8_stream_refuses() -> None:
    hostile = "a\ud800b\udfff\u202e\x9b"
    assert clean(hostile).encode("utf-8") == "a\ufffdb\ufffd\ufffd\ufffd".encode()
    assert json.loads(json_text({"v": hostile}))["v"] == hostile


def test_an_error_quoting_a_server_body_carries_no_escape() -> None:
    error = AudienceError("HTTP 500: \x1b[2Jboom\x07", platform="Emma", request="GET /x\x1b")
    assert "\x1b" not in str(error) and "\x07" not in error.detail


def test_the_audit_records_a_lone_surrogate_and_reads_it_back(tmp_path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    audit.record("opt_out.attempt", email="bad\ud800@example.com")
    assert [e["email"] for e in audit.read()] == ["bad\ud800@example.com"]


async def test_y_copies_the_email_without_its_control_characters(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with members_copying(session, monkeypatch) as (pilot, screen, copied):
        member = screen.table.current_member
        hostile = replace(member, email="evil\x1b]52;c;cHduZWQ=\x07@example.com")
        monkeypatch.setattr(screen, "_member", lambda: hostile)
        await pilot.press("y")
    assert copied == [clean(hostile.email)] and "\x1b" not in copied[0]


async def test_a_request_carrying_a_lone_surrogate_is_a_clear_error_not_a_crash() -> None:
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200))
    client = ApiClient("Heyloyalty", "http://127.0.0.1", transport=transport)
    try:
        with pytest.raises(ValidationError) as info:
            await client.request("GET", "/members", params={"filter": "bad\ud800@example.com"})
    finally:
        await client.aclose()
    assert "lone surrogate" in str(info.value) and not sent


def test_the_log_holds_no_escape_sequence_of_a_server_answer() -> None:
    path = setup_logging(debug=False, console=False)  # undone after the test (conftest)
    log = logging.getLogger("audience_tui.test")
    log.warning("answer: %s", "\x1b]0;pwned\x07\x1b[2Jboom")
    try:
        raise RuntimeError("body \x1b[31mred\nsecond line")
    except RuntimeError:
        log.exception("a traceback")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text(encoding="utf-8")
    assert "boom" in text and "second line" in text
    assert "\x1b" not in text and "\x07" not in text


async def opt_out_with_a_surrogate(session: Session, account: str) -> OptOutOutcome:
    """The opt-out of an active member whose email (as the platform sent it) holds `\ud800`."""
    provider = session.provider(account)
    audience = (await provider.audiences())[0]
    page = await provider.members(audience, Query(), PageRequest(20))
    member = next(m for m in page.members if m.status is MemberStatus.ACTIVE)
    hostile = replace(member, email=(member.email or "a@b.c").replace("@", "\ud800@"))
    return await session.opt_out(account, hostile)


@pytest.mark.parametrize("platform", ["heyloyalty", "kajabi", "placewise", "emma"])
async def test_a_lone_surrogate_in_an_email_never_blocks_an_opt_out_by_id(
    session: Session, platform: str
) -> None:
    outcome = await opt_out_with_a_surrogate(session, f"demo-{platform}")
    assert outcome.confirmed, outcome.error


@pytest.mark.parametrize("platform", ["ownpage"])  # keyed on the email alone
async def test_an_opt_out_by_an_email_no_url_can_carry_says_so(
    session: Session, platform: str
) -> None:
    outcome = await opt_out_with_a_surrogate(session, f"demo-{platform}")
    assert not outcome.confirmed and isinstance(outcome.error, ValidationError)
    assert "lone surrogate" in str(outcome.error)  # said, not an "unexpected error"


def test_an_export_writes_field_names_holding_a_lone_surrogate(tmp_path) -> None:
    path = tmp_path / "out.jsonl"
    with path.open("w", encoding="utf-8") as file:
        _Writer(file, "jsonl", ["id", "city\ud800"]).write({"id": "1", "city\ud800": "Oslo"})
    assert json.loads(path.read_text(encoding="utf-8")) == {"id": "1", "city\ud800": "Oslo"}
