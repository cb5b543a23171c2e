"""The scrolling dialogs (the filter builder, the account form) open with the focus where their
keys work, and `tab` stops only at controls: their scrolling frame took the focus first as they
opened (then gave it up, each of its widgets styled twice over, ~35% of opening the builder)
and was a stop of its own that did nothing."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget
from tui_helpers import open_members, running, settle

from audience_tui.core.session import Session
from audience_tui.tui.screens.account_form import AccountFormScreen
from audience_tui.tui.screens.filter_builder import FilterBuilder


async def tab_stops(pilot: Pilot[None], screen: Screen[object]) -> list[Widget]:
    """The widgets `tab` visits from the one focused, once round."""
    first = screen.focused
    assert first is not None
    stops = [first]
    for _ in range(60):
        await pilot.press("tab")
        if screen.focused is first:
            return stops
        assert screen.focused is not None
        stops.append(screen.focused)
    raise AssertionError(f"tab never came back to {first!r}: {stops}")


@pytest.mark.parametrize(
    ("members_of", "key", "dialog", "first", "controls"),
    [
        ("demo-emma", "f", FilterBuilder, "conditions", {"conditions", "field", "apply", "cancel"}),
        (None, "a", AccountFormScreen, "field-name", {"platform", "field-name", "save", "cancel"}),
    ],
    ids=["filter builder", "account form"],
)
async def test_a_dialog_opens_on_its_control_and_tab_stops_only_at_controls(
    session: Session,
    members_of: str | None,
    key: str,
    dialog: type,
    first: str,
    controls: set[str],
) -> None:
    async with running(session) as (app, pilot):
        if members_of is not None:  # the builder filters a list's members
            await open_members(pilot, session, members_of)
        await pilot.press(key)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, dialog)
        assert screen.focused is screen.query_one(f"#{first}")
        stops = await tab_stops(pilot, screen)
        assert controls <= {w.id for w in stops}
        assert screen.query_one("#dialog") not in stops  # its frame, which only scrolls
