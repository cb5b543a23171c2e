"""Export of a whole view to CSV and JSON Lines: every row once, formulas made inert, control
characters removed, cancel and failure leave no file; and the `e` flow of the members screen."""

from __future__ import annotations

import asyncio
import csv
import json
from functools import partial
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import Input

from audience_tui.core.columns import columns_for
from audience_tui.core.errors import InvalidResponseError
from audience_tui.core.export import csv_cell, export_view, json_value, record
from audience_tui.core.models import Audience, Member, MemberStatus, Query
from audience_tui.core.paging import OffsetPaging
from audience_tui.core.provider import Provider
from audience_tui.core.session import Session
from audience_tui.demo import Sandbox
from audience_tui.providers.heyloyalty.adapter import API as HEYLOYALTY_API
from audience_tui.sandbox.faults import FaultSpec
from audience_tui.tui import app as app_module
from audience_tui.tui.screens.export_dialog import ExportDialog, ExportProgress
from audience_tui.tui.screens.members import MembersScreen

FORMULA = '=HYPERLINK("http://evil.test","x")'


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+47 1234", "'+47 1234"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "' x"),  # the tab itself then becomes a space
        ("\rx", "'\ufffdx"),
        ("a=b", "a=b"),
        (-2, "-2"),  # a number is a number, not a formula
        (True, "yes"),
        (None, ""),
        (["=a", "b"], "'=a; b"),
        ("bell\x07\x1b[31m", "bell\ufffd\ufffd[31m"),
    ],
)
def test_csv_cell_neutralises_formulas_and_cleans(value: object, cell: str) -> None:
    assert csv_cell(value) == cell


def test_json_value_keeps_types_and_cleans_text() -> None:
    assert json_value([1, 2.5, None, False, "a\x1bb"]) == [1, 2.5, None, False, "a\ufffdb"]


async def vip(provider: Provider) -> Audience:
    """Heyloyalty's smallest demo list, with one member whose values are hostile."""
    audience = next(a for a in await provider.audiences() if a.name == "VIP Club")
    await provider.http.request(
        "POST",
        f"{HEYLOYALTY_API}/lists/{audience.id}/members",
        data={
            "firstname": FORMULA,
            "lastname": "\x1b]0;pwned\x07",
            "email": "formula@example.com",
            "skipOptIn": "1",
        },
    )
    return audience


async def export(provider: Provider, audience: Audience, path: Path, fmt: str, **kw: object):
    columns = columns_for(await provider.fields(audience))
    fetch = partial(provider.members, audience, Query())
    return await export_view(fetch, OffsetPaging(100), columns, path, fmt, **kw)  # type: ignore[arg-type]


async def test_csv_has_every_member_once_with_formulas_neutralised(
    provider_for, tmp_path: Path
) -> None:
    provider = provider_for("heyloyalty")
    audience = await vip(provider)
    progress: list[tuple[int, int | None]] = []
    path = tmp_path / "vip.csv"
    result = await export(provider, audience, path, "csv", progress=lambda *a: progress.append(a))
    total = (await provider.audiences())[-1].member_count
    with path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert result.rows == len(rows) == total == progress[-1][0] == progress[-1][1]
    assert len(progress) == -(-total // 100)  # one report per page of 100
    assert len({row["id"] for row in rows}) == total
    hostile = next(row for row in rows if row["email"] == "formula@example.com")
    assert hostile["name"].startswith("'" + FORMULA)
    assert "\x1b" not in path.read_text(encoding="utf-8")
    assert not (tmp_path / "vip.csv.part").exists()


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
async def test_an_export_is_readable_by_the_user_only(
    provider_for, tmp_path: Path, fmt: str
) -> None:
    """Every member's email and name: 0600 like the audit file and the logs (it was 0644)."""
    provider = provider_for("heyloyalty")
    audience = await vip(provider)
    path = tmp_path / f"vip.{fmt}"
    path.write_text("an older file, world-readable")
    path.chmod(0o644)
    await export(provider, audience, path, fmt)
    assert path.stat().st_mode & 0o777 == 0o600


async def test_jsonl_has_every_member_once(provider_for, tmp_path: Path) -> None:
    provider = provider_for("heyloyalty")
    audience = await vip(provider)
    path = tmp_path / "vip.jsonl"
    result = await export(provider, audience, path, "jsonl")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    total = (await provider.audiences())[-1].member_count
    assert result.rows == len(records) == total
    hostile = next(r for r in records if r["email"] == "formula@example.com")
    assert hostile["name"].startswith(FORMULA)  # JSON is not a spreadsheet: no apostrophe
    assert "\x1b" not in hostile["name"] and "]0;pwned" in hostile["name"]
    assert {"id", "email", "name", "status", "platform_status"} <= set(hostile)


async def test_cancel_and_failure_leave_no_file(
    provider_for, sandbox: Sandbox, tmp_path: Path
) -> None:
    provider = provider_for("heyloyalty")
    audience = await vip(provider)
    stop = asyncio.Event()
    out = tmp_path / "out"
    out.mkdir()
    path = out / "vip.csv"
    result = await export(
        provider, audience, path, "csv", cancel=stop, progress=lambda *a: stop.set()
    )
    assert result.cancelled and result.rows == 100
    assert list(out.iterdir()) == []

    sandbox.app.spec = FaultSpec(malformed=1.0)
    with pytest.raises(InvalidResponseError):
        await export(provider, audience, path, "jsonl")
    assert list(out.iterdir()) == []


class Host(App[None]):
    CSS_PATH = app_module.__file__.replace("app.py", "app.tcss")


async def test_e_exports_the_view_and_escape_cancels(
    session: Session, sandbox: Sandbox, tmp_path: Path
) -> None:
    provider = session.provider("demo-heyloyalty")
    audience = next(a for a in await provider.audiences() if a.name == "VIP Club")
    out = tmp_path / "out"
    out.mkdir()
    app = Host()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = MembersScreen(session, "demo-heyloyalty", audience)
        await app.push_screen(screen)
        await pilot.pause()
        await screen.settle()

        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
        app.screen.query_one("#path", Input).value = str(out / "vip.csv")
        await pilot.click("#jsonl")  # the extension follows the format
        assert app.screen.query_one("#path", Input).value == str(out / "vip.jsonl")
        await pilot.click("#export")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is screen
        lines = (out / "vip.jsonl").read_text(encoding="utf-8").splitlines()
        assert len(lines) == audience.member_count
        assert f"Exported {len(lines):,} members" in [n.message for n in app._notifications][-1]

        sandbox.app.spec = FaultSpec(latency=30.0)  # pages slower than the user's patience
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#path", Input).value = str(out / "slow.csv")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExportProgress)
        await pilot.press("escape")
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert app.screen is screen
        assert "Export cancelled" in [n.message for n in app._notifications][-1]
        assert sorted(p.name for p in out.iterdir()) == ["vip.jsonl"]


def test_the_status_is_written_as_scripts_read_it() -> None:
    """`opted_out`, as the command line's CSV and JSONL write it (the table shows `opted out`)."""
    member = Member("7", "a@example.com", MemberStatus.OPTED_OUT, platform_status="unsubscribed")
    row = record(member, columns_for([]))
    assert (row["status"], row["platform_status"]) == ("opted_out", "unsubscribed")
