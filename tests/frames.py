"""Pilot tests paint what a test looks at, not every frame nobody sees.

Headless, Textual still renders every frame (each widget's lines, chopped and joined into
segments) and then throws it away: ~40% of the Pilot tier's CPU. Here a frame is rendered when
the test looks: each Pilot action (`press`, `click`, `pause`, ... all end by waiting for the
screen) renders every region that changed since the last look, so a widget that cannot paint
the state a test reaches still fails that test, as it would on a terminal, which also skips
the frames made between two of its refreshes. Full renders (screenshots, snapshots) are
untouched, and so is the app: only how often a headless run renders changes. The bench, which
measures frames, does not use this.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual._compositor import Compositor
from textual.app import App
from textual.pilot import Pilot

render_update = Compositor.render_update
wait_for_screen = Pilot._wait_for_screen


class Looking:
    """Whether a test is looking at the screen now (the one time a partial frame is rendered)."""

    now = False


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
    if done:  # not after an exception: the app is on its way out with it
        paint(pilot.app)
    return done


def paint_only_when_looked_at(monkeypatch: pytest.MonkeyPatch) -> None:
    """For one test: partial frames rendered when the test looks, not on Textual's timer."""
    monkeypatch.setattr(Compositor, "render_update", _render_when_looked_at)
    monkeypatch.setattr(Pilot, "_wait_for_screen", _wait_then_paint)
