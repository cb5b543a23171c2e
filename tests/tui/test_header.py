"""The one-widget header draws the line Textual's Header draws, follows the screen's titles, and
opens the command palette from its icon."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App, ComposeResult
from textual.command import CommandPalette
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header as TextualHeader
from tui_helpers import screen_text

from audience_tui.tui.widgets.header import ICON, Header


def textual_header() -> TextualHeader:
    """Textual's header with our icon (its own "⭘" is missing from most fonts)."""
    return TextualHeader(icon=ICON)


class Titled(Screen[None]):
    def __init__(self, header: Callable[[], Widget]) -> None:
        super().__init__()
        self._header = header

    def compose(self) -> ComposeResult:
        yield self._header()

    def on_mount(self) -> None:
        self.sub_title = "demo-heyloyalty · <b>[red]Hostile[/]</b>"


class HeaderApp(App[None]):
    TITLE = "audience-tui"

    def __init__(self, header: Callable[[], Widget]) -> None:
        super().__init__()
        self._header = header

    def on_mount(self) -> None:
        self.push_screen(Titled(self._header))


async def first_line(header: Callable[[], Widget], width: int) -> str:
    app = HeaderApp(header)
    async with app.run_test(size=(width, 5)) as pilot:
        await pilot.pause()
        await pilot.pause()
        return screen_text(app).splitlines()[0]  # type: ignore[arg-type]


async def test_the_header_line_is_textuals() -> None:
    for width in (120, 60, 30):
        ours = await first_line(Header, width)
        assert ours == await first_line(textual_header, width), width
        assert ICON in ours


async def test_the_header_follows_the_screen_title_and_opens_the_palette() -> None:
    app = HeaderApp(Header)
    async with app.run_test(size=(100, 10)) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.sub_title = "Newsletter DK"
        await pilot.pause()
        header = screen.query_one(Header)
        assert "audience-tui — Newsletter DK" in header.render().plain
        await pilot.click(Header, offset=(1, 0))
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
