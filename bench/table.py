"""The member table under measurement: the real app, the real MembersScreen, a paint recorder.

`MemberTable.render_line` is wrapped to record each frame the table paints: when its last row
was drawn, where the cursor was, and whether any row on screen was a "…loading" placeholder.
A full paint of row R is the first frame, after the action, with the cursor on R and no
placeholder. Keys go through the terminal driver as a real keyboard's would, at a fixed rate.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from textual import events
from textual.geometry import Region
from textual.strip import Strip

from audience_tui.core.models import Audience
from audience_tui.tui.widgets.member_table import MemberTable

from .common import sandbox, set_latency

SIZE = (120, 40)
HEYLOYALTY_1M = ("demo-heyloyalty", "All customers (1M)")
PLACEWISE_1M = ("demo-placewise", "Mega Mall (1M)")


@dataclass
class Frame:
    end: float  # perf_counter when the table's part of the paint was drawn
    cursor: int
    top: int
    placeholder: bool  # a row on screen (drawn now or kept from an earlier paint) is a stand-in


@dataclass
class Recorder:
    """Each paint of the table, as the terminal then shows it. A paint may draw only the lines
    that changed (a cursor move within the view: two rows), so what each screen line shows is
    kept from the paint that last drew it."""

    frames: list[Frame] = field(default_factory=list)
    _stand_in: dict[int, bool] = field(default_factory=dict)  # screen line -> a placeholder

    def install(self) -> Callable[[], None]:
        original_line, original_lines = MemberTable.render_line, MemberTable.render_lines
        recorder = self

        def render_line(table: MemberTable, y: int) -> Strip:
            strip = original_line(table, y)
            recorder.line(table, y)
            return strip

        def render_lines(table: MemberTable, crop: Region) -> list[Strip]:
            strips = original_lines(table, crop)
            recorder.frame(table)
            return strips

        MemberTable.render_line = render_line  # type: ignore[method-assign]
        MemberTable.render_lines = render_lines  # type: ignore[method-assign]

        def uninstall() -> None:
            MemberTable.render_line = original_line  # type: ignore[method-assign]
            MemberTable.render_lines = original_lines  # type: ignore[method-assign]

        return uninstall

    def line(self, table: MemberTable, y: int) -> None:
        if y == 0:
            return
        cache = table.cache
        index = round(table.scroll_y) + y - 1
        self._stand_in[y] = (
            cache is None
            or cache.total is None
            or (index < cache.rows and cache.row(index) is None)
        )

    def frame(self, table: MemberTable) -> None:
        shown = range(1, table.visible_rows + 1)
        placeholder = any(self._stand_in.get(y, False) for y in shown)
        top = round(table.scroll_y)
        self.frames.append(Frame(time.perf_counter(), table.cursor_row, top, placeholder))

    def mark(self) -> int:
        return len(self.frames)

    async def painted(self, row: int, since: int, timeout: float = 30.0) -> Frame:
        """The first frame from `since` on showing `row` under the cursor, fully loaded."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            for frame in self.frames[since:]:
                if frame.cursor == row and not frame.placeholder:
                    return frame
            await asyncio.sleep(0.001)
        raise TimeoutError(f"row {row} never painted in full")

    def placeholder_share(self, since: int, until: int | None = None) -> tuple[int, int]:
        frames = self.frames[since:until]
        return sum(f.placeholder for f in frames), len(frames)


@dataclass
class Bench:
    app: Any
    pilot: Any
    session: Any
    box: Any
    account: str
    audience: Audience
    recorder: Recorder
    screen: Any = None

    @property
    def table(self) -> MemberTable:
        return self.screen.table

    async def open(self) -> float:
        """Open the list's members screen; seconds to its first full paint."""
        from audience_tui.tui.screens.members import MembersScreen, show_members

        since = self.recorder.mark()
        start = time.perf_counter()
        self.screen = MembersScreen(self.session, self.account, self.audience)
        await show_members(self.screen)  # as the lists screen opens a list
        frame = await self.recorder.painted(0, since)
        return frame.end - start

    def key(self, key: str) -> float:
        """Send `key` as the terminal would; returns when it was sent."""
        event = events.Key(key, None)
        event.set_sender(self.app)
        self.app._driver.send_message(event)
        return time.perf_counter()

    async def jump(self, row: int) -> float:
        """Move the cursor to `row` (as `G` does for the last); seconds to its full paint."""
        since = self.recorder.mark()
        start = time.perf_counter()
        if row == self.table.rows - 1:
            self.key("G")
        else:
            self.table.move_to(row)
        frame = await self.recorder.painted(row, since)
        return frame.end - start


async def find_list(session: Any, target: tuple[str, str] = HEYLOYALTY_1M) -> tuple[Any, Audience]:
    """The target account's adapter and its million-member list."""
    account, name = target
    provider = session.provider(account)
    return provider, next(a for a in await provider.audiences() if a.name == name)


@asynccontextmanager
async def members_app(
    target: tuple[str, str] = HEYLOYALTY_1M, latency: float = 0.0
) -> AsyncIterator[Bench]:
    """The app at 120x40 over the bench sandbox, with `target`'s list found (not yet opened)."""
    from audience_tui.demo import demo_session
    from audience_tui.tui.app import AudienceApp

    box = sandbox()
    session = demo_session(box)
    _, audience = await find_list(session, target)
    recorder = Recorder()
    uninstall = recorder.install()
    gc.disable()  # as `audience-tui` starts: the app resumes it, start-up objects frozen
    app = AudienceApp(session)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            set_latency(box, latency)
            yield Bench(app, pilot, session, box, target[0], audience, recorder)
    finally:
        uninstall()
        await session.aclose()
