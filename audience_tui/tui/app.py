"""The Textual application: global keys, the command palette, the settings, the first screen.

Screens hold the session they were given; the app only knows which screen is on top, so `/`
looks in that screen's account (its `account_name`) or, where there is none, in every account.

The settings (core.settings) apply here: the theme (a choice made in the palette is written back
to the settings file), the [keys] table as Textual's keymap (so the footer, `?` help and the
palette show the remapped keys), the default account; screens read `app.settings` for the rest.
Every problem with the file is shown once at start, and the app runs on the defaults.
"""

from __future__ import annotations

import gc
import logging
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.keys import key_to_character
from textual.screen import ModalScreen, Screen
from textual.theme import Theme
from textual.worker import Worker, WorkerFailed

from ..core import crash
from ..core.errors import ConfigError
from ..core.session import Session
from ..core.settings import Loaded, load, remember
from .actions import keymap_problems
from .palette import PaletteProvider
from .screens.accounts import AccountsScreen
from .screens.help import HelpScreen
from .screens.lists import ListsScreen
from .type_ahead import TypeAhead

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from ..bootstrap import Root
    from ..demo import DeferredSandbox, Sandbox

log = logging.getLogger(__name__)


class AudienceApp(TypeAhead):
    TITLE = "audience-tui"
    CSS_PATH = "app.tcss"
    COMMANDS: ClassVar = {PaletteProvider}
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
        sandbox: Sandbox | DeferredSandbox | None = None,
        first_run_hint: str | None = None,
        settings: Loaded | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.sandbox = sandbox  # demo mode: the in-process sandbox, for its build progress
        self.first_run_hint = first_run_hint
        self.loaded = settings or load()
        self.settings = self.loaded.settings
        self.problems = [*self.loaded.problems, *keymap_problems(self.loaded)]
        self.set_keymap(dict(self.settings.keys))
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        else:
            known = ", ".join(sorted(self.available_themes))
            message = f"unknown theme {self.settings.theme!r}; using {self.theme} (known: {known})"
            self.problems.append(self.loaded.problem("theme", message))

    @classmethod
    def of(cls, root: Root) -> AudienceApp:
        """The app over the composition root's session, demo and settings."""
        return cls(root.session, sandbox=root.demo, first_run_hint=root.hint, settings=root.loaded)

    def get_default_screen(self) -> Screen[None]:
        """The accounts screen is the app's bottom screen, rather than pushed over Textual's
        blank default one: one screen fewer to lay out and style before the first frame."""
        return AccountsScreen(self.session, self.first_run_hint)

    def update_styles(self, node: DOMNode, animate: bool = True) -> None:
        """Not for a widget still being made: Textual restyled one each time a class of it
        changed (`compact=True` in a constructor, a button's variant), ~0.5 ms each, 26 times
        as the filter builder opens (~14 ms of its ~250), and styles it again as it mounts."""
        if node is self or node.parent is not None:
            super().update_styles(node, animate)

    def on_mount(self) -> None:
        self._open_default_account()
        for problem in self.problems:
            log.warning("settings: %s", problem)
            self.notify(
                str(problem), title="Settings", severity="warning", markup=False, timeout=12
            )
        self.theme_changed_signal.subscribe(self, self._remember_theme)

    def on_ready(self) -> None:
        """The first frame is on screen: resume the garbage collector if `launch` paused it,
        with the objects of start-up set aside for good (they live as long as the app)."""
        if not gc.isenabled():
            gc.freeze()
            gc.enable()

    def _open_default_account(self) -> None:
        name = self.settings.default_account
        if not name:
            return
        if name not in {account.name for account in self.session.accounts}:
            problem = self.loaded.problem("default_account", f"no account named {name!r}")
            self.notify(str(problem), title="Settings", severity="warning", markup=False)
            return
        self.push_screen(ListsScreen(self.session, name))

    def _remember_theme(self, theme: Theme) -> None:
        """A theme chosen in the palette is the theme next time (other settings untouched)."""
        if theme.name == self.settings.theme:
            return
        try:
            remember(self.loaded.path, "theme", theme.name)
        except (ConfigError, OSError) as exc:
            self.notify(f"Theme not saved: {exc}", severity="warning", markup=False)
            return
        self.settings = replace(self.settings, theme=theme.name)

    def _fatal_error(self) -> None:
        """Textual's crash output prints every local variable (secrets, member data): say what
        the CLI would instead, in one redacted line with its exit code; only a defect keeps its
        redacted traceback, in a private file."""
        error = sys.exc_info()[1] or self._exception
        if isinstance(error, WorkerFailed):
            error = error.error
        if error is None:
            super()._fatal_error()
            return
        self.bell()
        line, self._return_code = crash.told(error)
        self._exit_renderables.append(Text(f"error: {line}"))
        self._close_messages_no_wait()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def holds_what_follows(self, key: events.Key) -> bool:
        """The lookup's key (as remapped), where it opens the lookup: what is typed after it
        goes into its prompt (type_ahead.py). Asked of every key typed, so by its name first,
        not by the binding chain (which is rebuilt each time it is asked for)."""
        if key.key not in self._lookup_keys():
            return False
        focused = self.focused
        return not isinstance(self.screen, ModalScreen) and (
            focused is None or not focused.check_consume_key(key.key, key.character)
        )

    def _lookup_keys(self) -> list[str]:
        return self._keymap.get("app.lookup", "slash").split(",")

    async def _look_up_after(self, opening: Worker[None]) -> None:
        await self.after_opening(opening)  # not opened: the lookup opens where it was asked
        self.action_lookup()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The lookup's `/` gives way to a focused widget that takes it as typing (a field, a
        chooser's search), there and in the footer: Textual leaves it in the footer, as it
        cannot name the character of the key "slash". A key added in [keys] (f3) still works.
        The palette lists with its own field focused: the screen it lists decides, not that
        field (which left "Look up email" out of the palette)."""
        if action != "lookup":
            return True
        focused = self.focused
        if isinstance(self.screen, CommandPalette) and len(self.screen_stack) > 1:
            focused = self.screen_stack[-2].focused
        if focused is None:
            return True
        keys = self._lookup_keys()
        typed = {key: "/" if key == "slash" else key_to_character(key) for key in keys}
        return not all(focused.check_consume_key(key, typed[key]) for key in keys)

    def action_lookup(self) -> None:
        """Not over a dialog: the dialog's own question comes first. Over the screen of a list
        that `enter` is opening (it shows once its first rows are in), when it is up. Then the
        keys typed after the lookup's key have their turn, in the prompt if it opened."""
        if (opening := self.opening()) is not None:
            self.run_worker(self._look_up_after(opening))
            return
        if not isinstance(self.screen, ModalScreen):
            from .screens.lookup import LookupScreen  # on first use: detail and opt-out

            account = getattr(self.screen, "account_name", None)
            self.push_screen(LookupScreen(self.session, account))
        self.release_held()
