"""The header of every screen: Textual's Header drawn by one widget.

Textual's Header is four widgets (itself, its icon, its title and the clock's space), each
styled and mounted as a screen opens, with its icon data-bound: ~7-10 ms of opening a list
(bench/). This one draws the same line: the icon in the left 8 cells (a click on it opens the
command palette, as Textual's does), the screen's title and sub-title centred between it and
the 10 cells Textual keeps for its clock.
"""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget

ICON = "≡"  # in every monospace font (Textual's "⭘" is missing from most, in a browser too)
ICON_CELLS = 8  # Textual's HeaderIcon: one cell of padding each side, 8 wide
CLOCK_CELLS = 10  # Textual's HeaderClockSpace, kept so titles sit where they did
KEEP_APART = "not reverse"


class Header(Widget):
    DEFAULT_CSS = """
    Header {
        dock: top;
        width: 100%;
        height: 1;
        background: $panel;
        color: $foreground;
        link-style: none;
        link-color: $foreground;
        link-background: $panel;
        link-style-hover: none;
        link-color-hover: $foreground;
        link-background-hover: $foreground 10%;
    }
    """

    def on_mount(self) -> None:
        for node in (self.app, self.screen):
            self.watch(node, "title", self._title_changed, init=False)
            self.watch(node, "sub_title", self._title_changed, init=False)

    def _title_changed(self) -> None:
        self.refresh()

    @property
    def title_content(self) -> Content:
        """The title as Textual's Header shows it: the screen's, else the app's."""
        screen, app = self.screen, self.app
        title = screen.title if screen.title is not None else app.title
        sub_title = screen.sub_title if screen.sub_title is not None else app.sub_title
        return app.format_title(title, sub_title)

    def render(self) -> Content:
        middle = max(self.size.width - ICON_CELLS - CLOCK_CELLS, 0)
        # The no-op style keeps the icon and the title segments of their own, apart from the
        # spaces around them: SVG screenshots then place each by its cell, as Textual's were.
        icon = Content.from_markup(f"[@click=app.command_palette]{ICON}[/]").stylize(KEEP_APART)
        title = self.title_content.truncate(middle, ellipsis=True).stylize(KEEP_APART)
        spaces = ICON_CELLS - 1 - icon.cell_length
        return Content.assemble(" ", icon, " " * spaces, title.center(middle), " " * CLOCK_CELLS)
