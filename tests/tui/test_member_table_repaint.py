"""A cursor move repaints what it changes: a terminal that applies only the app's partial
updates shows what a full render of the screen shows, move after move, and a move within the
view sends a few lines, not the screen (the table once redrew every line on screen for each
move: its cursor's reactive repainted the whole widget)."""

from __future__ import annotations

from typing import Any

import frames
import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.segment import ControlType
from rich.style import Style
from textual.app import App
from tui_helpers import SIZE, Host, open_members, recording_console

from audience_tui.core.session import Session


class Terminal:
    """The cells of a terminal, written by the updates Textual sends it."""

    def __init__(self, width: int, height: int) -> None:
        self.rows = [[(" ", Style())] * width for _ in range(height)]
        self.lines_written: set[int] = set()

    def write(self, update: Any, console: Console) -> None:
        x = y = 0
        for segment in console.render(update):
            if segment.control:
                for code in segment.control:
                    if code[0] == ControlType.CURSOR_MOVE_TO:
                        x, y = code[1], code[2]
                continue
            for char in segment.text:
                if char == "\n":
                    x, y = 0, y + 1
                    continue
                self.lines_written.add(y)
                self.rows[y][x] = (char, segment.style or Style())
                x += 1
                if cell_len(char) == 2:
                    self.rows[y][x] = ("", segment.style or Style())
                    x += 1


def full(app: App[None], console: Console) -> Terminal:
    """The screen as a full render draws it, every widget's every line drawn anew (Textual
    keeps each widget's lines, and would hand back the stale ones a move failed to refresh)."""
    for widget in app.screen.walk_children(with_self=True):
        widget._styles_cache.clear()
    terminal = Terminal(*SIZE)
    terminal.write(app.screen._compositor.render_update(full=True), console)
    return terminal


@pytest.mark.parametrize(
    ("keys", "most_lines"),
    [
        (["down", "down", "up"], 4),  # within the view: two rows, the status line, the bar
        (["right", "right", "left"], 4),  # the header marks the column
        (["pagedown", "down", "end", "home"], None),  # the view scrolls: all of it
        (["right"] * 12 + ["left"] * 3, None),  # sideways, past the view's width
    ],
)
async def test_a_terminal_fed_only_the_updates_shows_what_a_full_render_shows(
    session: Session, monkeypatch: pytest.MonkeyPatch, keys: list[str], most_lines: int | None
) -> None:
    app = Host(session)
    async with app.run_test(size=SIZE) as pilot:
        await open_members(pilot, session, "demo-heyloyalty")
        console = recording_console(app)
        terminal = full(app, console)

        def paint(app: App[None]) -> None:  # as frames.paint, the update kept
            frames.Looking.now = True
            try:
                update = app.screen._compositor.render_update(screen_stack=app._background_screens)
            finally:
                frames.Looking.now = False
            if update is not None:
                terminal.write(update, console)

        monkeypatch.setattr(frames, "paint", paint)
        for key in keys:
            terminal.lines_written.clear()
            await pilot.press(key)
            assert terminal.rows == full(app, console).rows, f"after {key}"
            if most_lines is not None:
                assert 0 < len(terminal.lines_written) <= most_lines, (key, terminal.lines_written)
