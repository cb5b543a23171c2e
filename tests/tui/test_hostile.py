"""Hostile member data on every platform (sandbox/hostile.py): the values reach the app intact
through each adapter, and every screen, the CLI's outputs and the exports show them literally,
without a byte of escape sequence reaching the terminal and without a live action or link."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from tui_helpers import recording_console

from audience_tui.cli import main
from audience_tui.core.columns import columns_for
from audience_tui.core.export import export_view
from audience_tui.core.models import Audience, Member, PageRequest, Query
from audience_tui.core.paging import paging_for
from audience_tui.core.provider import Provider
from audience_tui.core.scan import collect, prepare
from audience_tui.core.session import Session
from audience_tui.demo import Sandbox, demo_session
from audience_tui.sandbox import hostile
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens.lists import ListsScreen
from audience_tui.tui.screens.lookup import LookupResultsScreen, LookupScreen
from audience_tui.tui.screens.member_detail import MemberDetailScreen
from audience_tui.tui.screens.members import MembersScreen
from audience_tui.tui.screens.opt_out import OptOutScreen

SIZE = (120, 40)
PLATFORMS = ["heyloyalty", "emma", "ownpage", "kajabi", "placewise"]
EMAILS = {email for _, _, email, _ in hostile.MEMBERS}
# What the app itself writes to a terminal: colours/attributes (SGR) and cursor moves.
OWN_SEQUENCES = re.compile(r"\x1b\[[0-9;]*m|\x1b\[\d+;\d+H")
FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


SHOWN = str.maketrans({"\x1b": "\ufffd"})


def unsafe(text: str) -> list[str]:
    """Control, C1 and bidi-override characters in `text` (each one a possible attack)."""
    return FORBIDDEN.findall(text)


@pytest.fixture
async def session(sandbox: Sandbox) -> AsyncIterator[Session]:
    hostile.seed(sandbox.store)
    session = demo_session(sandbox)
    yield session
    await session.aclose()


async def hostile_audience(provider: Provider) -> Audience:
    key = hostile.TARGETS[provider.platform].audience
    return next(a for a in await provider.audiences() if a.id == key)


async def every_member(provider: Provider, audience: Audience) -> list[Member]:
    """The whole default view in the platform's order, as the table and the exports read it."""
    return await collect(await prepare(provider, audience, Query()))


def terminal(app: AudienceApp) -> tuple[str, str]:
    """(the exact characters the app would write to the terminal now, the visible text)."""
    console = recording_console(app)
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    raw = update.render_segments(console)
    console.print(update)
    return raw, console.export_text(styles=False)


def assert_harmless(app: AudienceApp) -> str:
    """No escape sequence but the app's own, no control/C1/bidi byte; returns the visible text."""
    raw, text = terminal(app)
    leftover = OWN_SEQUENCES.sub("", raw).replace("\n", "")
    assert not unsafe(leftover), (type(app.screen).__name__, unsafe(leftover)[:5])
    assert not unsafe(text.replace("\n", ""))
    return text


async def settle(pilot: Pilot[None]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def move_to(pilot: Pilot[None], screen: MembersScreen, row: int) -> None:
    """The cursor on `row`; on a cursor-paged view the rows before it are read on the way."""
    for _ in range(50):
        screen.table.move_to(row)
        await screen.settle()
        await pilot.pause()
        if screen.table.cursor_row == row and screen.table.current_member is not None:
            return
    raise AssertionError(f"row {row} never reached")


async def test_every_platform_serves_the_hostile_members_intact(session: Session) -> None:
    for account in session.accounts:
        provider = session.provider(account.name)
        audience = await hostile_audience(provider)
        members = {m.email: m for m in await every_member(provider, audience)}
        escape = members["hostile.escape\x1b[31m@example.com"]
        assert escape.name and escape.name.startswith("\x1b]0;pwned\x07"), account.name
        assert members["hostile.markup+[b]x[/b]@example.com"].name.startswith("[@click=app.quit]")
        assert "\x1b[5mblink" in json.dumps(escape.fields, ensure_ascii=False) or any(
            "\x1b[5mblink" in str(v) for v in escape.fields.values()
        ), (account.name, escape.fields)


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_every_screen_shows_hostile_values_literally(platform: str, session: Session) -> None:
    account = f"demo-{platform}"
    provider = session.provider(account)
    audience = await hostile_audience(provider)
    order = [m.email for m in await every_member(provider, audience)]
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert_harmless(app)
        await app.push_screen(ListsScreen(session, account))
        await settle(pilot)
        assert_harmless(app)

        screen = MembersScreen(session, account, audience)
        await app.push_screen(screen)
        await screen.settle()
        await pilot.pause()
        rows = sorted(order.index(email) for email in EMAILS)
        assert rows[-1] - rows[0] < screen.table.visible_rows  # all on screen at once
        await move_to(pilot, screen, rows[0])
        await move_to(pilot, screen, rows[-1])
        seen = assert_harmless(app)
        for email in EMAILS:
            assert email.translate(SHOWN)[:20] in seen, email
        assert "[@click=app.quit]" in seen  # cut to the column's width (an outlier there)
        assert "\ufffd]0;pwned\ufffd" in seen  # the escape shown as text, its ESC/BEL replaced

        await pilot.click("#members", offset=(30, 2))  # a click on hostile text is just a click
        await settle(pilot)
        assert app.is_running

        await move_to(pilot, screen, order.index("hostile.escape\x1b[31m@example.com"))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MemberDetailScreen)
        detail = assert_harmless(app)
        assert "]0;pwned" in detail and "[5mblink" in detail
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, OptOutScreen)
        assert "]0;pwned" in assert_harmless(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen

        await pilot.press("escape")  # back to the lists: `/` from there looks in this account
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)
        app.screen.query_one("Input").value = "hostile.markup+[b]x[/b]@example.com"
        await pilot.press("enter")
        await settle(pilot)
        assert app.is_running
        shown = assert_harmless(app)
        if isinstance(app.screen, LookupResultsScreen):
            assert "[@click=app.quit]" in shown
        else:  # found at once: the member's detail
            assert isinstance(app.screen, MemberDetailScreen | LookupScreen), app.screen
            assert "[b]x[/b]" in shown


@pytest.mark.parametrize("fmt", ["table", "csv", "jsonl"])
def test_cli_outputs_are_harmless(
    fmt: str, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile.seed(sandbox.store)  # the CLI's --demo sandbox opens this test's database
    for platform, target in hostile.TARGETS.items():
        account = f"demo-{platform}"
        code = main(["--demo", "members", account, target.audience, "--limit", "5000",
                     "--format", fmt])  # fmt: skip
        out, err = capsys.readouterr()
        assert code == 0, err
        assert not unsafe(out.replace("\n", "")), (account, fmt, unsafe(out)[:5])
        assert "\x1b" not in err
        if fmt == "jsonl":
            names = [json.loads(line).get("name") or "" for line in out.splitlines()]
            assert any(n.startswith("\x1b]0;pwned") for n in names)  # the data, not mangled
        else:  # shown literally (a streamed table cuts a value wider than its column with …)
            assert "[@click=app.quit]" in out
        if fmt == "csv":
            rows = list(csv.DictReader(io.StringIO(out)))
            cells = [v for row in rows for v in row.values() if v]
            assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]
    for email in ("hostile.emoji@example.com", "hostile.escape\x1b[31m@example.com"):
        code = main(["--demo", "lookup", email, "--format", fmt])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert not unsafe(out.replace("\n", "")) and "\x1b" not in err


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
async def test_exports_are_harmless(fmt: str, session: Session, tmp_path: Path) -> None:
    for account in session.accounts:
        provider = session.provider(account.name)
        audience = await hostile_audience(provider)
        columns = columns_for(await provider.fields(audience))
        path = tmp_path / f"{account.name}.{fmt}"

        async def fetch(request: PageRequest, provider=provider, audience=audience):
            return await provider.members(audience, Query(), request)

        paging = paging_for(provider.paging_for(Query()), provider.capabilities.max_page_size)
        await export_view(fetch, paging, columns, path, fmt)
        text = path.read_text(encoding="utf-8")
        assert not unsafe(text.replace("\n", "").replace("\r", "")), account.name
        if fmt == "csv":
            with path.open(newline="", encoding="utf-8") as file:
                cells = [v for row in csv.DictReader(file) for v in row.values() if v]
            assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))], account.name
            assert any(c.startswith("'=HYPERLINK(") for c in cells), account.name
