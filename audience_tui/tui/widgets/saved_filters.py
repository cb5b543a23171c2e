"""The saved-filters row of the filter builder: pick a saved filter of the list to open or
delete, or save the filter being built under a name (core.saved_filters keeps them)."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Select

from ...core.errors import AudienceError
from ...core.models import Filter
from ...core.saved_filters import SavedFilters
from .cells import error_text
from .chooser import Chooser


class SavedFilterBar(Vertical):
    """Saved filters of one list; posts `Opened` when one is opened."""

    DEFAULT_CSS = """
    SavedFilterBar { height: auto; }
    SavedFilterBar > Horizontal { height: auto; margin-top: 1; }
    SavedFilterBar #saved { width: 1fr; max-width: 36; }
    SavedFilterBar #name { width: 1fr; max-width: 28; }
    SavedFilterBar #saved-message { width: 100%; }
    """

    class Opened(Message):
        def __init__(self, name: str, filter: Filter) -> None:
            super().__init__()
            self.name = name
            self.filter = filter

    def __init__(
        self,
        store: SavedFilters,
        account_name: str,
        audience_id: str,
        current: Callable[[], Filter],
    ) -> None:
        super().__init__()
        self.store = store
        self.account_name = account_name
        self.audience_id = audience_id
        self.current = current  # the filter being built, to save

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Chooser([], id="saved", prompt="saved filters", compact=True)
            yield Button("Open", id="open", compact=True)
            yield Button("Delete", id="delete", compact=True)
            yield Input(id="name", placeholder="name to save as", compact=True)
            yield Button("Save", id="save", compact=True)
        yield Label(id="saved-message")

    def on_mount(self) -> None:
        self._refresh()

    def _say(self, message: Text) -> None:
        self.query_one("#saved-message", Label).update(message)

    def _refresh(self, chosen: str | None = None) -> None:
        select = self.query_one("#saved", Select)
        try:
            names = self.store.names(self.account_name, self.audience_id)
        except AudienceError as exc:  # a corrupt file: said once, nothing else lost
            select.set_options([])
            self._say(error_text(exc))
            return
        select.set_options((Text(name), name) for name in names)
        if chosen in names:
            select.value = chosen

    def _chosen(self) -> str | None:
        value = self.query_one("#saved", Select).value
        if not isinstance(value, str):
            self._say(Text("Choose a saved filter first.", style="yellow"))
            return None
        return value

    @on(Button.Pressed, "#save")
    @on(Input.Submitted, "#name")
    def save(self) -> None:
        """Save under the typed name; with none typed yet, ask for one there."""
        name_field = self.query_one("#name", Input)
        name = name_field.value.strip()
        if not name:
            name_field.focus()
            self._say(Text("Type a name to save this filter as.", style="yellow"))
            return
        try:
            self.store.save(self.account_name, self.audience_id, name, self.current())
        except AudienceError as exc:
            self._say(error_text(exc))
            return
        self._refresh(name)
        self._say(Text.assemble("Saved as ", (name, "bold"), "."))

    @on(Button.Pressed, "#open")
    def _open(self) -> None:
        name = self._chosen()
        if name is None:
            return
        try:
            found = self.store.get(self.account_name, self.audience_id, name)
        except AudienceError as exc:
            self._say(error_text(exc))
            return
        self.query_one("#name", Input).value = name
        self.post_message(self.Opened(name, found))
        self._say(Text.assemble("Opened ", (name, "bold"), ": Apply shows it."))

    @on(Button.Pressed, "#delete")
    def _delete(self) -> None:
        name = self._chosen()
        if name is None:
            return
        try:
            self.store.delete(self.account_name, self.audience_id, name)
        except AudienceError as exc:
            self._say(error_text(exc))
            return
        self._refresh()
        self._say(Text.assemble("Deleted ", (name, "bold"), "."))
