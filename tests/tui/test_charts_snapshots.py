"""Snapshot tests (120x40) of the charts screen: a bar chart counted by scanning, and a report
over time (with the clock the adapter reads frozen, so the time buckets are the same every run).

Regenerate after an intended change with
`pytest tests/tui/test_charts_snapshots.py --snapshot-update` and look at the SVGs under
tests/tui/__snapshots__/ before committing them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, tzinfo

import pytest
from test_charts import ChartsApp, audience, choose
from textual.pilot import Pilot
from tui_helpers import SIZE, settle

from audience_tui.core.session import Session
from audience_tui.demo import Sandbox, demo_session
from audience_tui.providers.placewise import adapter as placewise
from audience_tui.tui.screens.charts import ChartsScreen

Steps = Callable[[Pilot[None]], Awaitable[None]]


class FrozenClock(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> FrozenClock:  # type: ignore[override]
        return cls(2026, 11, 1, 12, 0, tzinfo=tz or UTC)


@pytest.fixture
def session(sandbox: Sandbox) -> Iterator[Session]:
    session = demo_session(sandbox)
    yield session
    asyncio.run(session.aclose())


def charts_of(account: str, name: str, then: Steps) -> Steps:
    async def steps(pilot: Pilot[None]) -> None:
        session: Session = pilot.app.session  # type: ignore[attr-defined]
        found = await audience(session, account, name)
        await pilot.app.push_screen(ChartsScreen(session, account, found))
        await settle(pilot)
        await then(pilot)
        await settle(pilot)

    return steps


async def country(pilot: Pilot[None]) -> None:
    await choose(pilot, "#fields", "country")


async def over_time(pilot: Pilot[None]) -> None:
    await pilot.press("t")
    await settle(pilot)
    await choose(pilot, "#periods", "3652")


@pytest.mark.parametrize(
    "steps",
    [
        charts_of("demo-heyloyalty", "Webshop customers", country),
        charts_of("demo-placewise", "Infinity Mall", over_time),
    ],
    ids=["bars_by_scanning", "time_series"],
)
def test_chart(
    snap_compare: Callable[..., bool],
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    steps: Steps,
) -> None:
    monkeypatch.setattr(placewise, "datetime", FrozenClock)
    assert snap_compare(ChartsApp(session), terminal_size=SIZE, run_before=steps)
