"""A yes/no question with the safe answer first: `escape` or Cancel says no."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from ..styled_once import StyledOnce


class ConfirmScreen(StyledOnce, ModalScreen[bool]):
    HELP = "The red button does what it says; `escape` or Cancel leaves things as they are."
    ASKS = True  # answered only by keys typed while it shows (type_ahead.py)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(False)", "Cancel", id="confirm.cancel")
    ]

    def __init__(self, question: Text | str, yes: str) -> None:
        super().__init__()
        self.question = Text(question) if isinstance(question, str) else question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.question, id="heading")
            with Horizontal(id="buttons"):
                yield Button(self.yes, variant="error", id="yes")
                yield Button("Cancel", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _answer(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")
