"""Snapshot tests (120x40) of the app shell's screens on the demo sandbox.

Regenerate after an intended change with `pytest tests/tui/test_tui_snapshots.py --snapshot-update`
and look at the SVGs under tests/tui/__snapshots__/ before committing them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator

import pytest
from people import email_on, email_on_platforms
from textual.pilot import Pilot
from tui_helpers import (
    SIZE,
    look_up,
    open_lists,
    settle,
)

from audience_tui.bootstrap import DEMO_HINT
from audience_tui.core.session import Session
from audience_tui.demo import Sandbox, demo_session
from audience_tui.tui.app import AudienceApp

Steps = Callable[[Pilot[None]], Awaitable[None]]


@pytest.fixture
def session(sandbox: Sandbox) -> Iterator[Session]:
    session = demo_session(sandbox)
    yield session
    asyncio.run(session.aclose())


@pytest.fixture
def shot(snap_compare: Callable[..., bool], session: Session) -> Callable[[Steps], bool]:
    """Run the demo app, take `steps`, let the workers finish, compare the screen."""

    def compare(steps: Steps) -> bool:
        async def run_before(pilot: Pilot[None]) -> None:
            await settle(pilot)
            await steps(pilot)
            await settle(pilot)

        app = AudienceApp(session, first_run_hint=DEMO_HINT)
        return snap_compare(app, terminal_size=SIZE, run_before=run_before)

    return compare


async def nothing(pilot: Pilot[None]) -> None:
    """The first screen as it opens."""


async def lists(pilot: Pilot[None]) -> None:
    await open_lists(pilot, "demo-heyloyalty")


async def detail(pilot: Pilot[None]) -> None:
    await lists(pilot)
    session = pilot.app.session  # type: ignore[attr-defined]
    await look_up(pilot, await email_on(session, "demo-heyloyalty", lists=1))


async def opt_out(pilot: Pilot[None]) -> None:
    await detail(pilot)
    await pilot.press("o")


async def lookup_results(pilot: Pilot[None]) -> None:
    await look_up(pilot, await email_on_platforms(pilot.app.session))  # type: ignore[attr-defined]


async def lookup_prompt(pilot: Pilot[None]) -> None:
    await pilot.press("slash")
    await pilot.press(*"nobody")
    await pilot.press("enter")
    pilot.app.screen.query_one("Input").cursor_blink = False


async def help_screen(pilot: Pilot[None]) -> None:
    await pilot.press("question_mark")


@pytest.mark.parametrize(
    "steps",
    [nothing, lists, detail, opt_out, lookup_results, lookup_prompt, help_screen],
    ids=["accounts", "lists", "detail", "opt_out", "lookup_results", "lookup_prompt", "help"],
)
def test_screen(shot: Callable[[Steps], bool], steps: Steps) -> None:
    assert shot(steps)
