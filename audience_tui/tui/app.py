"""The Textual application: global keys, the command palette, and the first screen.

Screens hold the session they were given; the app only knows which screen is on top, so `/`
looks in that screen's account (its `account_name`) or, where there is none, in every account.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen

from ..core.session import Session
from .palette import ActionsProvider
from .screens.accounts import AccountsScreen
from .screens.help import HelpScreen
from .screens.lookup import LookupScreen

if TYPE_CHECKING:
    from ..sandbox.demo import Sandbox


class AudienceApp(App[None]):
    TITLE = "audience-tui"
    CSS_PATH = "app.tcss"
    COMMANDS: ClassVar = {ActionsProvider}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Help", key_display="?", id="app.help"),
        Binding("slash", "lookup", "Look up email", key_display="/", id="app.lookup"),
        Binding(
            "ctrl+p",
            "command_palette",
            "Commands",
            show=False,
            priority=True,
            id="app.command_palette",
        ),
    ]

    def __init__(
        self,
        session: Session,
        *,
        sandbox: Sandbox | None = None,
        first_run_hint: str | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.sandbox = sandbox  # demo mode: the in-process sandbox, for its build progress
        self.first_run_hint = first_run_hint

    def on_mount(self) -> None:
        self.push_screen(AccountsScreen(self.session, self.first_run_hint))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_lookup(self) -> None:
        """Not over a dialog: the dialog's own question comes first."""
        if isinstance(self.screen, ModalScreen):
            return
        account = getattr(self.screen, "account_name", None)
        self.push_screen(LookupScreen(self.session, account))
