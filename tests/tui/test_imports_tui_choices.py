"""The import screens do what the command line does: list member counts follow an import to its
end even after the user left the monitor, Heyloyalty's mail triggers are offered (off unless
ticked), members who opted out earlier are sent only when asked and confirmed apart, and what the
file's reading noted (a mixed encoding) is shown before anything is sent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from test_imports_tui import choose_file, confirm, files, session, settle, until
from textual.widgets import DataTable

from audience_tui.core.session import Session
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens.lists import ListsScreen

__all__ = ["files", "session"]  # fixtures, shared with the monitor's tests


def count_shown(lists: ListsScreen, audience_id: str) -> str:
    return lists.query_one(DataTable).get_cell(audience_id, "members").plain.split()[0]


@pytest.mark.parametrize(
    ("account", "list_name"), [("demo-placewise", "City Lade"), ("demo-heyloyalty", "VIP Club")]
)
async def test_list_counts_follow_an_import_after_the_monitor_is_left(
    session: Session, files: Callable[..., Path], account: str, list_name: str
) -> None:
    path = files("new.csv", "email\nnew.one@example.com\nnew.two@example.com\n")
    audience = await session.audience(account, list_name)
    before = audience.member_count
    assert before is not None
    app = AudienceApp(session)
    async with app.run_test() as pilot:
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        table.move_cursor(row=table.get_row_index(account))
        await pilot.press("enter")
        await settle(pilot)
        lists = app.screen
        assert isinstance(lists, ListsScreen)
        await pilot.press("i")
        await settle(pilot)
        await choose_file(pilot, list_name, path)
        await confirm(pilot)
        await pilot.press("escape")  # back to the lists before the platform is done
        await settle(pilot)
        assert app.screen is lists
        await until(pilot, lambda: count_shown(lists, audience.id) == f"{before + 2:,}")
