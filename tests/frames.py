"""Pilot tests paint what a test looks at, not every frame nobody sees.

Headless, Textual still renders every frame (each widget's lines, chopped and joined into
segments) and then throws it away: ~40% of the Pilot tier's CPU. Here a frame is rendered when
the test looks: each Pilot action (`press`, `click`, `pause`, ... all end by waiting for the
screen) renders every region that changed since the last look, so a widget that cannot paint
the state a test reaches still fails that test, as it would on a terminal, which also skips
the frames made between two of its refreshes. A helper that waits (`flush`, `settle`, `until`
in tui_helpers.py) looks once, when it is done (`one_look`). Full renders (screenshots,
snapshots) are untouched, and so is the app: only how often a headless run renders changes.
The bench, which measures frames, does not use this.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from textual._compositor import Compositor
from textual.app import App
from textual.pilot import Pilot

render_update = Compositor.render_update
wait_for_screen = Pilot._wait_for_screen


class Looking:
    """Whether a test is looking at the screen now (the one time a partial frame is rendered),
    and how many helpers are waiting for a condition (their pauses are no look: `one_look`)."""

    now = False
    waiting = 0


def _render_when_looked_at(
    compositor: Compositor, full: bool = False, screen_stack: Any = None, simplify: bool = False
) -> Any:
    """Render a full frame always; a partial one only while the test looks, else keep its
    regions dirty for the next look (Textual adds to them and clears them when it renders)."""
    if full or Looking.now:
        return render_update(compositor, full, screen_stack, simplify)
    return None


def paint(app: App[Any]) -> None:
    """Render the regions of the current screen that changed since the last look."""
    Looking.now = True
    try:
        app.screen._compositor.render_update(screen_stack=app._background_screens)
    finally:
        Looking.now = False


async def _wait_then_paint(pilot: Pilot[Any], timeout: float = 30.0) -> bool:
    done = await wait_for_screen(pilot, timeout)
    if done and not Looking.waiting:  # not after an exception: the app is on its way out
        paint(pilot.app)
    return done


@asynccontextmanager
async def one_look(pilot: Pilot[Any]) -> AsyncIterator[None]:
    """A helper's waiting (flushes, polls of a condition, workers awaited) as one look at its
    end: the screen the test goes on from is painted, the moments the helper passed through
    are not, as a terminal skips the frames made between two of its refreshes."""
    Looking.waiting += 1
    try:
        yield
    finally:
        Looking.waiting -= 1
    if not Looking.waiting and pilot.app.is_running:  # not after an exception (see above)
        paint(pilot.app)


def paint_only_when_looked_at(monkeypatch: pytest.MonkeyPatch) -> None:
    """For one test: partial frames rendered when the test looks, not on Textual's timer."""
    monkeypatch.setattr(Compositor, "render_update", _render_when_looked_at)
    monkeypatch.setattr(Pilot, "_wait_for_screen", _wait_then_paint)
