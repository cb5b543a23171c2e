"""What the Pilot tests share: the terminal size, waiting for work, reading the screen, and the
demo people and screens they start from. Plain helpers; the fixtures live in conftest.py."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from frames import one_look
from rich.console import Console
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable, Input
from textual.worker import WorkerFailed

from audience_tui.core.models import Query
from audience_tui.core.session import Session
from audience_tui.demo import Sandbox, demo_session
from audience_tui.providers.heyloyalty.adapter import API as HEYLOYALTY_API
from audience_tui.tui import app as app_module
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens.lookup import LookupScreen
from audience_tui.tui.screens.members import MembersScreen
from audience_tui.tui.widgets.member_table import MemberTable

SIZE = (120, 40)
HOSTILE_NAME = "[@click=app.quit]x[/]"
HOSTILE_TAIL = "\x1b]0;pwned\x07"


class Host(App[None]):
    """Just the members screen (the whole app is only needed for its `/` key)."""

    CSS_PATH = app_module.__file__.replace("app.py", "app.tcss")

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session


@asynccontextmanager
async def running(
    session: Session, size: tuple[int, int] = SIZE
) -> AsyncIterator[tuple[AudienceApp, Pilot[None]]]:
    """The app over `session`, its first screen up and its start-up checks done."""
    app = AudienceApp(session)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        yield app, pilot


async def flush(pilot: Pilot[None]) -> None:
    """Every message already sent handled, and those it sent in turn, and the screen redrawn.

    Unlike `pilot.pause()`, no wait for the process to look idle (at least 20 ms, and up to a
    second while a poll or a spinner keeps it busy): the tests wait on conditions instead."""
    async with one_look(pilot):
        for _ in range(2):
            await pilot.pause(0)


async def work_done(pilot: Pilot[None], node: object = None) -> None:
    """Every worker finished (of `node`'s, if given), those started by a worker or by a message
    in turn too: a screen whose loading worker starts its counting worker is waited for until
    the counting is done. `flush` hands the messages on between the rounds."""
    async with one_look(pilot):
        for _ in range(100):  # a bound, so a worker that restarts itself ends the test, not CI
            running = [w for w in pilot.app.workers if not w.is_finished and node in (None, w.node)]
            if not running:
                return
            ended = await asyncio.gather(*(w.wait() for w in running), return_exceptions=True)
            for outcome in ended:  # a failed worker fails the test; a cancelled one is done
                if isinstance(outcome, WorkerFailed):
                    raise outcome
            await flush(pilot)
    raise AssertionError("workers kept starting others: the screen never settled")


async def settle(pilot: Pilot[None]) -> None:
    """Let every worker finish and the screen redraw."""
    async with one_look(pilot):
        await flush(pilot)
        await work_done(pilot)
        await flush(pilot)


async def until(pilot: Pilot[None], check: Callable[[], bool], seconds: float = 30.0) -> None:
    """Wait until `check()` holds (the limit is only there so a broken test ends)."""
    deadline = time.monotonic() + seconds
    async with one_look(pilot):
        while not check():
            assert time.monotonic() < deadline, "gave up waiting"
            await pilot.pause(0.02)


async def settle_top(pilot: Pilot[None]) -> None:
    """The screen on top done with its work (other screens' workers are not waited for)."""
    async with one_look(pilot):
        await flush(pilot)
        screen = pilot.app.screen
        if isinstance(screen, MembersScreen):
            await screen.settle()
        else:
            await work_done(pilot, screen)
        await flush(pilot)


def recording_console(app: App[None]) -> Console:
    """A console the size of the app's terminal, recording what is printed to it."""
    return Console(
        width=app.size.width,
        height=app.size.height,
        file=io.StringIO(),
        record=True,
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
        safe_box=False,
    )


def record_last_words(app: App[None]) -> list[str]:
    """What `app` prints as it ends (its error renderables), as plain text appended to the
    list returned, instead of printed to the test's terminal."""
    shown: list[str] = []

    def record() -> None:
        console = Console(file=io.StringIO(), width=200, record=True)
        for renderable in app._exit_renderables:
            console.print(renderable)
        shown.append(console.export_text())
        app._exit_renderables.clear()

    app._print_error_renderables = record  # type: ignore[method-assign]
    return shown


def screen_text(app: AudienceApp) -> str:
    """What the terminal shows, as plain text."""
    console = recording_console(app)
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text(styles=False)


def rows(table: DataTable) -> list[list[str]]:
    return [
        [str(getattr(c, "plain", c)) for c in table.get_row_at(i)] for i in range(table.row_count)
    ]


def lines(table: MemberTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.visible_rows + 1)]


def status(screen: MembersScreen) -> str:
    return str(screen.query_one("#status").render())


def notifications(app: App[None]) -> list[str]:
    return [n.message for n in app._notifications]


async def look_up(pilot: Pilot[None], email: str) -> None:
    await pilot.press("slash")
    await settle(pilot)
    assert isinstance(pilot.app.screen, LookupScreen)
    pilot.app.screen.query_one(Input).value = email
    await pilot.press("enter")
    await settle(pilot)


async def look_up_in(pilot: Pilot[None], account: str, email: str) -> None:
    """`email` looked up from `account`'s lists screen (`/` there searches that account)."""
    await open_lists(pilot, account)
    await look_up(pilot, email)


async def open_lists(pilot: Pilot[None], account: str) -> None:
    table = pilot.app.screen.query_one(DataTable)
    table.move_cursor(row=table.get_row_index(account))
    await pilot.press("enter")
    await settle(pilot)


async def open_members(pilot: Pilot[None], session: Session, account: str) -> MembersScreen:
    """The members screen of the account's first list, loaded."""
    await settle_top(pilot)
    audience = (await session.provider(account).audiences())[0]
    screen = MembersScreen(session, account, audience)
    await pilot.app.push_screen(screen)
    await settle_top(pilot)
    return screen


@asynccontextmanager
async def members_copying(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Pilot[None], MembersScreen, list[str]]]:
    """The demo Heyloyalty's first list on screen, with what `y` copies kept in a list (the
    clipboard never touched)."""
    copied: list[str] = []
    app = Host(session)
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=SIZE) as pilot:
        yield pilot, await open_members(pilot, session, "demo-heyloyalty"), copied


async def add_hostile_member(session: Session, email: str) -> None:
    """A member whose name is markup and an escape sequence, on the demo Heyloyalty's first
    list (the platform stores any text)."""
    await session.provider("demo-heyloyalty").http.request(
        "POST",
        f"{HEYLOYALTY_API}/lists/1/members",
        data={
            "firstname": HOSTILE_NAME,
            "lastname": HOSTILE_TAIL,
            "email": email,
            "skipOptIn": "1",
        },
    )


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
        await flush(pilot)
        audience = (await session.provider(account).audiences())[0]
        screen = MembersScreen(session, account, audience, query)
        await app.push_screen(screen)
        await flush(pilot)
        await screen.settle()
        before_keys()
        for key in keys:
            await pilot.press(key)
            await screen.settle()
        await work_done(pilot)
        await flush(pilot)

    return app, run_before
