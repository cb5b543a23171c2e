"""Keys typed ahead are handled in the order they were typed: ↓ ↓ ⏎ sent at once (a paste, a
terminal that delivers them together while the app is busy) opens the row two below, not the
row the cursor was leaving."""

from __future__ import annotations

from textual import events
from textual.app import App
from tui_helpers import running, settle, until

from audience_tui.core.session import Session
from audience_tui.tui.screens.lists import ListsScreen
from audience_tui.tui.screens.members import MembersScreen
from audience_tui.tui.widgets.data_table import DataTable


def type_ahead(app: App[None], *keys: str) -> None:
    """The keys delivered together, as a terminal's read hands them over: no waiting between
    them for the app to handle each (Pilot's `press` waits)."""
    assert app._driver is not None
    for key in keys:
        app._driver.send_message(events.Key(key, None))


async def test_down_down_enter_typed_ahead_opens_the_account_two_below(session: Session) -> None:
    async with running(session) as (app, pilot):
        names = [account.name for account in session.accounts]
        type_ahead(app, "down", "down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ListsScreen)
        assert app.screen.account_name == names[2]
        lists = app.screen.query_one("#lists", DataTable)
        await until(pilot, lambda: lists.row_count > 1)
        type_ahead(app, "down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, MembersScreen)
        assert app.screen.audience.id == lists.coordinate_to_cell_key((1, 0)).row_key.value
