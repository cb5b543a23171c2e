"""A screen's background work stops before its widgets go (the race CI met in the import
monitor): workers are cancelled when the screen begins closing, and none starts after that."""

from __future__ import annotations

import asyncio
import gc
import warnings

import pytest
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Label
from tui_helpers import SIZE, notifications, settle, until

from audience_tui.demo import Sandbox, demo_session
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.background import BackgroundWork
from audience_tui.tui.screens.accounts import AccountsScreen


class Part(Label):
    """A widget that notes, as it goes, whether its screen's work was already stopped."""

    def on_unmount(self) -> None:
        screen = self.screen
        assert isinstance(screen, Polling)
        screen.seen_at_unmount.append(all(w.is_cancelled for w in screen.started))


class Polling(BackgroundWork, Screen[None]):
    """A poll that waits on the platform forever and, like the import monitor, schedules the
    next one in its `finally`."""

    def __init__(self) -> None:
        super().__init__()
        self.started: list = []
        self.bodies = 0
        self.seen_at_unmount: list[bool] = []

    def compose(self) -> ComposeResult:
        yield Part("one")
        yield Part("two")

    def on_mount(self) -> None:
        self.poll()

    def poll(self) -> None:
        self.started.append(self.run_worker(self._poll(), group="poll"))

    async def _poll(self) -> None:
        self.bodies += 1
        try:
            await asyncio.Event().wait()
            self.query_one(Part).update("drawn")
        finally:
            if not self.closing:
                self.poll()
            else:
                self.poll_while_closing()

    def poll_while_closing(self) -> None:
        """What an unguarded `finally` does: start the next poll anyway."""
        self.poll()


class Host(App[None]):
    pass


@pytest.mark.parametrize("how", ["pop", "exit"])
async def test_work_is_stopped_before_any_widget_goes(how: str) -> None:
    app = Host()
    screen = Polling()
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(screen)
        await until(pilot, lambda: screen.bodies == 1)
        assert not screen.closing
        if how == "pop":
            await app.pop_screen()
            await until(pilot, lambda: len(screen.seen_at_unmount) == 2)
        else:
            app.exit()
    assert screen.seen_at_unmount == [True, True]
    assert screen.closing
    assert screen.bodies == 1  # the poll started while closing never ran
    assert len(screen.started) == 2 and all(w.is_cancelled for w in screen.started)


async def test_a_check_replaced_before_it_started_leaves_no_coroutine_unawaited(
    sandbox: Sandbox,
) -> None:
    """Two checks of one account asked for in the same frame (the second replaces the first
    before it ran): the first check's coroutine is closed, not left for the garbage collector
    to warn about ("coroutine ... was never awaited")."""
    app = AudienceApp(demo_session(sandbox))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AccountsScreen)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            screen._check("demo-kajabi")
            screen._check("demo-kajabi", report=True)
            await settle(pilot)
            gc.collect()
        assert [str(w.message) for w in caught if w.category is RuntimeWarning] == []
        assert "demo-kajabi answers" in " ".join(notifications(app))
    await app.session.aclose()


async def test_a_screen_not_shown_yet_may_start_work() -> None:
    """The members screen reads its first rows before it is pushed: not shown is not closing."""
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        screen = Polling()
        assert not screen.closing
        screen.poll()  # before it is pushed, as MembersScreen.begin() does
        await until(pilot, lambda: screen.bodies == 1)
        assert not screen.started[0].is_cancelled
        await app.push_screen(screen)
        await until(pilot, lambda: screen.bodies == 2)  # its mount polled as well
