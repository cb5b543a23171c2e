"""Snapshots at 120x40: the filter builder with two conditions (one the platform evaluates, one
the app checks), and a table filtered by a scan that ran to the end."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual.pilot import Pilot
from textual.widgets import Input

from audience_tui.core.models import Condition, Filter, Query
from audience_tui.demo import Sandbox, demo_session
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens.filter_builder import FilterBuilder
from audience_tui.tui.screens.members import MembersScreen

SIZE = (120, 40)
Steps = Callable[[Pilot[None]], Awaitable[None]]


def filtered_app(sandbox: Sandbox, account: str, list_name: str, found: Filter, *keys: str):
    """The app on `account`'s list `list_name` filtered by `found`, after `keys`."""
    session = demo_session(sandbox)
    app = AudienceApp(session)

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.pause()
        audiences = await session.provider(account).audiences()
        audience = next(a for a in audiences if a.name == list_name)
        screen = MembersScreen(session, account, audience, Query(found))
        await app.push_screen(screen)
        await pilot.pause()
        await screen.settle()
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        await app.workers.wait_for_complete()
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    return app, run_before


def test_builder(snap_compare, sandbox: Sandbox) -> None:
    found = Filter((Condition("name", "ct", "an"), Condition("subscribed", "eq", False)))
    app, run_before = filtered_app(sandbox, "demo-kajabi", "Yoga Academy", found, "f")

    async def builder(pilot: Pilot[None]) -> None:
        await run_before(pilot)
        assert isinstance(app.screen, FilterBuilder)

    assert snap_compare(app, terminal_size=SIZE, run_before=builder)


def test_table_filtered_by_a_scan(snap_compare, sandbox: Sandbox) -> None:
    found = Filter((Condition("city", "ct", "o"), Condition("favourite_category", "eq", "Health")))
    app, run_before = filtered_app(sandbox, "demo-emma", "Monthly Newsletter", found)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_builder_at_80x24_with_the_field_focused(snap_compare, sandbox: Sandbox) -> None:
    """On a small terminal the buttons stay in view, and the focused box is marked."""
    found = Filter((Condition("name", "ct", "an"),))
    app, run_before = filtered_app(sandbox, "demo-kajabi", "Yoga Academy", found, "f", "tab")
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
