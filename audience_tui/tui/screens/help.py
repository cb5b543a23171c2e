"""`?`: what the screen underneath is for, its keys (read from its bindings), and on a screen
of one account what that account's platform can do (read from its adapter's capabilities)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from ...core.capability_doc import help_section
from ...core.errors import AudienceError
from ...core.platforms import platform
from ..actions import screen_actions
from ..styled_once import StyledOnce

if TYPE_CHECKING:
    from ...core.session import Session


@runtime_checkable
class OfAccount(Protocol):
    """A screen about one account: its lists, members, charts, imports (`account_name` is None
    on a lookup in every account)."""

    session: Session
    account_name: str | None


def platform_help(screen: Screen[object]) -> str | None:
    """What the platform of `screen`'s account can do (Markdown), None off an account."""
    if not isinstance(screen, OfAccount) or not screen.account_name:
        return None
    try:
        account = screen.session.account(screen.account_name)
        return help_section(platform(account.platform).adapter_class())
    except AudienceError:  # an account removed meanwhile, a platform this version lacks
        return None


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


class HelpScreen(StyledOnce, ModalScreen[None]):
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
            if (section := platform_help(self.about)) is not None:
                yield Static(Markdown(section), id="platform")
            yield Label(Text("escape or ? closes this help", style="dim"))
