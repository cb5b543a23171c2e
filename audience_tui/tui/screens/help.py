"""`?`: what the screen underneath is for, and its keys, read from its bindings."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from ..actions import screen_actions


def bindings_table(screen: Screen[object]) -> Table:
    """Key, action and id of every action of `screen`, then the app-wide ones."""
    table = Table(box=None, show_header=True, header_style="bold", padding=(0, 2, 0, 0))
    table.add_column("Key", style="bold cyan", no_wrap=True)
    table.add_column("Action")
    table.add_column("Id", style="dim", no_wrap=True)
    app_section = False
    for action in screen_actions(screen):
        if action.is_app and not app_section:
            app_section = True
            table.add_section()
        table.add_row(Text(action.keys), Text(action.description), Text(action.id))
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark", "dismiss", "Close help", id="help.close")
    ]

    def __init__(self, screen: Screen[object]) -> None:
        super().__init__()
        self.about = screen

    def compose(self) -> ComposeResult:
        from rich.markdown import Markdown  # markdown-it on first use: not needed to start

        title = getattr(self.about, "TITLE", None) or type(self.about).__name__
        with VerticalScroll(id="dialog"):
            yield Label(Text(f"Help: {title}", style="bold"), id="heading")
            yield Static(Markdown(self.about.HELP or ""), id="about")
            yield Static(bindings_table(self.about), id="keys")
            yield Label(Text("escape or ? closes this help", style="dim"))
