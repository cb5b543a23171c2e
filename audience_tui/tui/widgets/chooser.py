"""A Select that searches its options as the user types, closed or open.

Textual's Select searches only while its menu is open: a character typed on the closed chooser
went on to the app's keys, and `/` (look up a member) left the import screen for the lookup,
`q` quit from the middle of a form. Typed here, a character opens the menu at the first option
that matches it, and the menu's own search goes on from there; the app's keys that a chooser
takes this way leave the footer while it has the focus (Textual's `check_consume_key`).
`?` stays the help key (no option starts with it), and a key the screen binds stays the
screen's (the filter builder's `a` applies the filter from any of its choosers).
A choice too long for the chooser ends in "…" on its one line (Textual's wrapped onto a
second line, which pushed the dialog's rows apart). Opened with nothing chosen, the menu starts
on its first choice, not on the prompt: Textual's started on the blank, so `enter`, `enter` on an
import's list chooser chose no list, and the next step said to choose one."""

from __future__ import annotations

from typing import TypeVar

from textual import events
from textual.widgets import OptionList, Select

__all__ = ["Chooser"]

T = TypeVar("T")
KEPT_KEYS = {"space", "question_mark"}  # the Select's own (space opens it) and help


class Chooser(Select[T]):
    DEFAULT_CSS = """
    Chooser SelectCurrent Static#label { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """  # one line, as its menu's rows: a long choice ends in "…" rather than pushing a second

    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        """The characters a user types to search are this chooser's, not the app's keys; the
        keys its screen binds stay the screen's (the filter builder's `a` applies)."""
        if key in KEPT_KEYS or character is None or not character.isprintable():
            return False
        return key not in self.screen._bindings.key_to_bindings

    def _watch_expanded(self, expanded: bool) -> None:
        """Opened blank, the menu's highlight is on the first choice (the blank prompt is at 0,
        before the choices), so `enter` chooses something; a chosen value stays highlighted."""
        super()._watch_expanded(expanded)
        if expanded and self.is_blank() and len(self._options) > 1:
            self.query_one("SelectOverlay", OptionList).highlighted = 1

    def on_key(self, event: events.Key) -> None:
        character = event.character
        if self.expanded or not character or not self.check_consume_key(event.key, character):
            return
        event.stop()
        event.prevent_default()
        self.action_show_overlay()
        overlay = self.query_one("SelectOverlay")  # the open menu (Textual's, not exported)
        self.screen.set_focus(overlay, scroll_visible=False)  # now: its search starts empty
        overlay.post_message(events.Key(event.key, character))  # and goes on from this one
