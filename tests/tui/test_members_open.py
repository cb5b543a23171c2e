"""Opening a list: the members screen is shown once its fields and first rows are in (at most
ROWS_WAIT later), so its first paint holds them, laid out as it stays; leaving the lists screen
before then drops the list and its requests (`escape` typed meanwhile waits for the list a
moment, type_ahead.HOLD_LIMIT, then leaves)."""

from __future__ import annotations

import asyncio

import pytest
from textual.strip import Strip
from tui_helpers import open_lists, running, settle, until

from audience_tui.core.models import Page
from audience_tui.core.session import Session
from audience_tui.tui.screens import members
from audience_tui.tui.screens.lists import ListsScreen
from audience_tui.tui.screens.members import MembersScreen
from audience_tui.tui.widgets.member_table import MemberTable


@pytest.fixture(autouse=True)
def patient(monkeypatch: pytest.MonkeyPatch) -> None:
    """However slow the machine, the screen waits for its rows (the bound is not under test)."""
    monkeypatch.setattr(members, "ROWS_WAIT", 30.0)


async def test_the_first_paint_of_a_list_holds_its_rows(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    painted: list[tuple[bool, int]] = []  # per line drawn: first row held, rows on screen
    draw = MemberTable.render_line

    def render_line(table: MemberTable, y: int) -> Strip:
        held = table.cache is not None and table.cache.row(0) is not None
        painted.append((held, table.visible_rows))
        return draw(table, y)

    monkeypatch.setattr(MemberTable, "render_line", render_line)
    async with running(session) as (app, pilot):
        await open_lists(pilot, "demo-heyloyalty")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MembersScreen)
        assert painted, "the table was never drawn"
        assert all(held for held, _ in painted), "a line was drawn before the rows were in"
        assert {rows for _, rows in painted} == {app.screen.table.visible_rows}


async def test_leaving_before_the_rows_come_drops_the_list(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = session.provider("demo-heyloyalty")
    asked = asyncio.Event()

    async def never(*_: object, **__: object) -> Page:
        asked.set()
        await asyncio.Event().wait()  # the first rows never come
        raise AssertionError("unreachable")

    async with running(session) as (app, pilot):
        await open_lists(pilot, "demo-heyloyalty")
        monkeypatch.setattr(provider, "members", never)
        await pilot.press("enter")
        await until(pilot, asked.is_set)
        await pilot.pause()
        assert isinstance(app.screen, ListsScreen)  # still waiting for the list's first rows
        await pilot.press("escape")  # it waits for the list HOLD_LIMIT at most (type_ahead.py)
        await until(pilot, lambda: not isinstance(app.screen, ListsScreen))
        await settle(pilot)
        assert not any(
            isinstance(screen, MembersScreen | ListsScreen) for screen in app.screen_stack
        )
        assert not [w for w in app.workers if isinstance(w.node, MembersScreen)]
