"""Snapshots of the members screen at 120x40: a first screen, a sorted view with the cursor moved,
a cursor-paged report still loading more, and a page that failed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual.pilot import Pilot

from audience_tui.core.models import MemberStatus, Query
from audience_tui.sandbox.demo import Sandbox, demo_session
from audience_tui.sandbox.faults import FaultSpec
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens.members import MembersScreen

SIZE = (120, 40)


def members_app(
    sandbox: Sandbox,
    account: str,
    *keys: str,
    query: Query | None = None,
    before_keys: Callable[[], None] = lambda: None,
) -> tuple[AudienceApp, Callable[[Pilot[None]], Awaitable[None]]]:
    """The app showing `account`'s first list, after `keys` were pressed there."""
    session = demo_session(sandbox)
    app = AudienceApp(session)

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.pause()
        audience = (await session.provider(account).audiences())[0]
        screen = MembersScreen(session, account, audience, query)
        await app.push_screen(screen)
        await pilot.pause()
        await screen.settle()
        before_keys()
        for key in keys:
            await pilot.press(key)
            await screen.settle()
        await app.workers.wait_for_complete()
        await pilot.pause()

    return app, run_before


def test_emma_first_screen(snap_compare, sandbox: Sandbox) -> None:
    app, run_before = members_app(sandbox, "demo-emma")
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_heyloyalty_sorted_with_cursor_moved(snap_compare, sandbox: Sandbox) -> None:
    keys = ("s", "s", "down", "down", "down", "right")  # by email, descending
    app, run_before = members_app(sandbox, "demo-heyloyalty", *keys)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_placewise_report_loads_more_in_order(snap_compare, sandbox: Sandbox) -> None:
    query = Query(status=MemberStatus.ACTIVE)
    app, run_before = members_app(sandbox, "demo-placewise", "pagedown", query=query)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_failed_page_says_r_retries(snap_compare, sandbox: Sandbox) -> None:
    """On Heyloyalty a page is one request, so the reason shown is always the same."""

    def fail() -> None:
        sandbox.app.spec = FaultSpec(malformed=1.0)

    app, run_before = members_app(sandbox, "demo-heyloyalty", "G", before_keys=fail)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
