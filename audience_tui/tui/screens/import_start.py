"""A new import, before anything is sent: choose the list and the CSV file, then map its columns.

The file step reads the file and the list's fields; a file that cannot be imported (missing,
empty, not CSV, no email column) gets one clear message and the path stays as typed. The mapping
step (see import_mapping) shows what will be sent and what will be refused; "Import N rows"
returns an `ImportDraft` to the monitor, which sends it and follows the job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    Button,
    ContentSwitcher,
    DirectoryTree,
    Input,
    Label,
    Select,
)

from ...core.csvimport import ImportPlan, plan_import, read_csv
from ...core.errors import ValidationError
from ...core.importer import opted_out_rows
from ...core.models import Audience
from ...core.session import Session
from ..background import BackgroundWork
from ..styled_once import StyledOnce
from ..widgets.cells import error_text, platform_title, text
from ..widgets.chooser import Chooser
from ..widgets.footer import Footer
from ..widgets.header import Header
from .import_mapping import MappingStep

KEPT_KEYS = {"space", "question_mark"}  # the tree's own (space opens a folder) and help


@dataclass(frozen=True, slots=True)
class ImportDraft:
    """What the user confirmed: these rows, to this list, from this file."""

    audience: Audience
    path: Path
    plan: ImportPlan
    opted_out: frozenset[str] | None = None  # found by the preview, kept out (None: unchecked)
    choices: Mapping[str, bool] = field(default_factory=dict)  # resubscribe, trigger_* as ticked


class CsvTree(DirectoryTree):
    """Folders and CSV files only, hidden ones left out.

    A character typed here goes to the path field (`Typed`): a path typed while the tree has
    the focus would otherwise reach the app's keys, and `/` opened the lookup, which could
    replace this screen and lose what was chosen."""

    class Typed(Message):
        def __init__(self, character: str) -> None:
            super().__init__()
            self.character = character

    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        """The characters typed here are the path's, not the app's keys (nor in the footer)."""
        return key not in KEPT_KEYS and character is not None and character.isprintable()

    def on_key(self, event: events.Key) -> None:
        if event.character and self.check_consume_key(event.key, event.character):
            event.stop()
            event.prevent_default()
            self.post_message(self.Typed(event.character))

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [
            path
            for path in paths
            if not path.name.startswith(".") and (path.is_dir() or path.suffix.lower() == ".csv")
        ]


def problem(error: Exception) -> Text:
    """A file or list problem as one sentence (a ValidationError is the user's to fix)."""
    if isinstance(error, ValidationError):
        return Text(error.detail, style="red")
    return error_text(error)


class ImportStartScreen(StyledOnce, BackgroundWork, Screen[ImportDraft | None]):
    TITLE = "New import"
    HELP = (
        "Choose the list and a CSV file (type its path or pick it in the tree: folders and .csv "
        "files only), then `enter` or **Next**. The mapping step matches each column to a field "
        "of the list (or ignores it), shows the first rows as they will be sent and every row "
        "that will be refused, with the reason, and what reading the file noted (lines in "
        "another encoding). Members who opted out earlier are kept out unless you tick *send "
        "them too*, which asks again before sending; mails the platform may send on import "
        "(Heyloyalty's opt-in and autoresponder triggers) are off unless ticked. Nothing is "
        "sent until you press **Import N rows**. `escape` goes back a step."
    )
    CSS = """
    MappingStep { height: 1fr; }
    MappingStep #columns {
        width: 54; max-width: 50%; height: 1fr; border: round $panel; padding: 0 1;
    }
    MappingStep .column { height: 1; margin: 0 0 1 0; }
    MappingStep .column Label { width: 45%; max-width: 20; }
    MappingStep .column Select { width: 1fr; }
    MappingStep #outcome { width: 1fr; height: 1fr; padding: 0 0 0 1; }
    MappingStep DataTable { height: auto; max-height: 9; margin: 0 0 1 0; }
    MappingStep #rejected { max-height: 14; }
    MappingStep #summary { width: 100%; }
    MappingStep #notes { width: 100%; margin: 0 0 1 0; }
    MappingStep Checkbox { margin: 0; }
    ImportStartScreen #file-step { height: 1fr; padding: 0 1; }
    ImportStartScreen #file-step Select { width: 60; margin: 1 0 0 0; }
    ImportStartScreen #file-step Input { margin: 1 0 0 0; }
    ImportStartScreen CsvTree { height: 1fr; border: round $panel; }
    ImportStartScreen #file-message { width: 100%; height: auto; }
    ImportStartScreen #switcher { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back a step", id="import.back"),
    ]

    def __init__(
        self,
        session: Session,
        account_name: str,
        *,
        audience: Audience | None = None,
        path: str = "",
        root: Path | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.account_name = account_name
        self.audience = audience
        self.path = path
        self.root = root or Path.cwd()
        self.audiences: dict[str, Audience] = {}
        self.path_read: Path | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(id="heading")
        with ContentSwitcher(initial="file-step", id="switcher"), Vertical(id="file-step"):
            yield Chooser[str]([], prompt="Loading lists…", id="list")
            yield Input(
                self.path, placeholder="path to a .csv file", id="path", select_on_focus=False
            )
            yield CsvTree(self.root, id="tree")
            yield Label(id="file-message")
            with Horizontal(id="buttons"):
                yield Button("Next: map the columns", variant="primary", id="next")
                yield Button("Cancel", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        account = self.session.account(self.account_name)
        self.sub_title = f"{account.name} ({platform_title(account.platform)})"
        self._heading("Step 1 of 2: the list and the CSV file")
        first = "#list" if self.audience is None else "#path"
        self.query_one(first).focus()
        self._load_lists()

    def _heading(self, words: str | Text) -> None:
        heading = Text(words) if isinstance(words, str) else words
        heading.stylize("bold")
        self.query_one("#heading", Label).update(heading)

    def _say(self, message: Text) -> None:
        self.query_one("#file-message", Label).update(message)

    @work(exclusive=True, group="import-lists")
    async def _load_lists(self) -> None:
        select = self.query_one("#list", Select)
        try:
            audiences = await self.session.audiences(self.account_name)
        except Exception as exc:  # shown; escape leaves
            self._say(problem(exc))
            return
        self.audiences = {audience.id: audience for audience in audiences}
        select.set_options((text(a.name), a.id) for a in audiences)
        select.prompt = "Choose the list to import into"
        if self.audience is not None and self.audience.id in self.audiences:
            select.value = self.audience.id

    def chosen(self) -> Audience | None:
        value = self.query_one("#list", Select).value
        return self.audiences.get(value) if isinstance(value, str) else None

    # --- the file step ------------------------------------------------------------------------
    @on(CsvTree.Typed)
    def _typed(self, event: CsvTree.Typed) -> None:
        """Typing in the tree types the path."""
        field = self.query_one("#path", Input)
        field.focus()
        field.insert_text_at_cursor(event.character)

    @on(DirectoryTree.FileSelected, "#tree")
    def _picked(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#path", Input).value = str(event.path)
        self.action_next()

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        audience = self.chosen()
        raw = self.query_one("#path", Input).value.strip()
        if audience is None:
            self._say(Text("Choose the list to import into first.", style="yellow"))
        elif not raw:
            self._say(Text("Type the path of a CSV file, or pick one below.", style="yellow"))
        else:
            self._read(audience, Path(raw).expanduser())

    @work(exclusive=True, group="import-read")
    async def _read(self, audience: Audience, path: Path) -> None:
        """Read the file and the list's fields; any problem is one message on this step."""
        self._say(Text(f"Reading {path.name}…", style="dim"))
        try:
            table = await asyncio.to_thread(read_csv, path)
            fields = await self.session.provider(self.account_name).fields(audience)
            await asyncio.to_thread(plan_import, table, fields)  # no email column -> message
        except Exception as exc:  # the file or the list cannot be used: say why, keep the path
            self._say(problem(exc))
            return
        self._say(Text(""))
        self.audience, self.path_read = audience, path
        switcher = self.query_one("#switcher", ContentSwitcher)
        old = switcher.query("#mapping-step")
        if old:
            await old.remove()
        session, account = self.session, self.account_name

        async def opted_out(rows: list[dict[str, Any]]) -> frozenset[str]:
            return await opted_out_rows(session, account, audience, rows)

        triggers = self.session.provider(account).capabilities.import_triggers
        step = MappingStep(table, fields, opted_out=opted_out, triggers=triggers, id="mapping-step")
        await switcher.mount(step)
        switcher.current = "mapping-step"
        self._heading(
            Text("Step 2 of 2: map the columns of ")
            .append_text(text(path.name))
            .append(" to the fields of ")
            .append_text(text(audience.name))
        )
        self.query_one(MappingStep).query_one("Select").focus()

    # --- the mapping step ---------------------------------------------------------------------
    @on(MappingStep.Confirmed)
    def _confirmed(self, event: MappingStep.Confirmed) -> None:
        assert self.audience is not None and self.path_read is not None
        self.dismiss(
            ImportDraft(self.audience, self.path_read, event.plan, event.opted_out, event.choices)
        )

    @on(MappingStep.Back)
    def action_back(self) -> None:
        switcher = self.query_one("#switcher", ContentSwitcher)
        if switcher.current == "mapping-step":
            switcher.current = "file-step"
            self._heading("Step 1 of 2: the list and the CSV file")
            self.query_one("#path", Input).focus()
        else:
            self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
