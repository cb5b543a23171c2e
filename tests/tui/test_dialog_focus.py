"""The scrolling dialogs (the filter builder, the account form) open with the focus where their
keys work, and `tab` stops only at controls: their scrolling frame took the focus first as they
opened (then gave it up, each of its widgets styled twice over, ~35% of opening the builder)
and was a stop of its own that did nothing."""

from __future__ import annotations

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


async def test_the_builder_opens_on_its_conditions_and_tab_stops_only_at_controls(
    session: Session,
) -> None:
    async with running(session) as (app, pilot):
        await open_members(pilot, session, "demo-emma")
        await pilot.press("f")
        await settle(pilot)
        builder = app.screen
        assert isinstance(builder, FilterBuilder)
        assert builder.focused is builder.query_one("#conditions")
        stops = await tab_stops(pilot, builder)
        assert {"conditions", "field", "op", "apply", "cancel"} <= {w.id for w in stops}
        assert builder.query_one("#dialog") not in stops  # its frame, which only scrolls


async def test_the_account_form_opens_on_the_name_and_tab_stops_only_at_controls(
    session: Session,
) -> None:
    async with running(session) as (app, pilot):
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, AccountFormScreen)
        assert form.focused is form.query_one("#field-name")
        stops = await tab_stops(pilot, form)
        assert {"platform", "field-name", "save", "cancel"} <= {w.id for w in stops}
        assert form.query_one("#dialog") not in stops
