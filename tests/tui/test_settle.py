"""The Pilot helpers wait for what a screen does before a test reads it: a worker started by
another worker (a chart's count, started once its fields are read) is waited for too."""

from __future__ import annotations

import asyncio

from textual import work
from textual.app import App
from textual.screen import Screen
from tui_helpers import settle, settle_top


class Chained(Screen[None]):
    """A worker that starts another one, which takes a while (a platform's answer)."""

    counted = False

    def on_mount(self) -> None:
        self.prepare()

    @work(group="prepare")
    async def prepare(self) -> None:
        await asyncio.sleep(0.1)  # still running when the test begins to settle
        self.count()

    @work(group="count")
    async def count(self) -> None:
        await asyncio.sleep(0.1)  # longer than a few rounds of messages
        self.counted = True


class Host(App[None]):
    def on_mount(self) -> None:
        self.push_screen(Chained())


async def test_settle_waits_for_a_worker_started_by_a_worker() -> None:
    app = Host()
    async with app.run_test() as pilot:
        await settle(pilot)
        assert isinstance(app.screen, Chained) and app.screen.counted


async def test_settle_top_waits_for_the_screens_chained_workers() -> None:
    app = Host()
    async with app.run_test() as pilot:
        await settle_top(pilot)
        assert isinstance(app.screen, Chained) and app.screen.counted
