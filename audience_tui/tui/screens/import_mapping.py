"""The mapping step of a new import: each CSV column to a field of the list (or ignored), the
first rows exactly as they will be sent, and every row that will be refused, with its reason.

Changing a column's field plans the import again (in a thread: a file may hold many rows); the
confirm button names how many rows will go, and nothing is sent until it is pressed. As on the
command line: what reading the file noted (a mixed encoding) is shown first; members who opted
out earlier are kept out unless "send them too" is ticked, which asks again on its own; the mails
the platform may send on import (Heyloyalty's triggers) are offered, off unless ticked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Label, Select

from ...core.columns import display_value
from ...core.csvimport import CsvTable, ImportPlan, guess_mapping, plan_import
from ...core.models import FieldSpec, row_email
from ..background import BackgroundWork
from ..widgets.cells import error_text, text
from ..widgets.chooser import Chooser
from ..widgets.data_table import DataTable
from .confirm import ConfirmScreen

IGNORE = "\x00ignore"  # the Select value of "do not import this column" (never a field name)
PREVIEW_ROWS = 5
REJECTED_SHOWN = 200
# ImportRequest's trigger choices, in the words of the command line's --trigger-* help.
TRIGGERS = {
    "trigger_optin": "Let the platform send its opt-in mail to imported members",
    "trigger_autoresponder": "Let the platform's autoresponders fire for imported members",
}


def shown(spec: FieldSpec | None, value: object) -> str:
    """A value as the preview shows it: choice ids with their label, lists comma-joined."""
    label = display_value(spec, value)
    if isinstance(label, list | tuple):
        label = ", ".join(map(str, label))
    if spec is not None and spec.options and label != value:
        return f"{label} ({', '.join(value) if isinstance(value, list) else value})"
    return "" if label is None else str(label)


# Of an import's rows, the emails whose members opted out on the list (core.importer).
OptedOut = Callable[[list[dict[str, Any]]], Awaitable[frozenset[str]]]


class MappingStep(BackgroundWork, Widget):
    """Column -> field choices with a live preview; posts `Confirmed(plan)` on "Import N rows"."""

    class Confirmed(Message):
        def __init__(
            self,
            plan: ImportPlan,
            opted_out: frozenset[str] | None = None,
            choices: Mapping[str, bool] | None = None,
        ) -> None:
            super().__init__()
            self.plan = plan
            self.opted_out = opted_out  # emails found opted out, kept out (None: not checked)
            self.choices = dict(choices or {})  # ImportRequest's resubscribe and trigger_* choices

    class Back(Message):
        """The user wants the file step again."""

    def __init__(
        self,
        table: CsvTable,
        fields: Sequence[FieldSpec],
        *,
        opted_out: OptedOut | None = None,
        triggers: Sequence[str] = (),
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.table = table
        self.triggers = [name for name in triggers if name in TRIGGERS]
        self.fields = list(fields)
        self.specs = {spec.name: spec for spec in fields}
        self.plan: ImportPlan | None = None
        self.find_opted_out = opted_out
        self.opted_out: frozenset[str] | None = None

    def compose(self) -> ComposeResult:
        guessed = guess_mapping(self.table.header, self.fields)
        options: list[tuple[Text, str]] = [(Text("— ignore this column —", style="dim"), IGNORE)]
        options += [
            (text(spec.label).append(f"  ({spec.name})", style="dim"), spec.name)
            for spec in self.fields
        ]
        with Horizontal():
            with VerticalScroll(id="columns") as columns:
                columns.border_title = "CSV column → list field"
                for index, column in enumerate(self.table.header):
                    with Horizontal(classes="column"):
                        yield Label(text(column, "bold"))
                        yield Chooser(
                            options,
                            value=guessed.get(column, IGNORE),
                            allow_blank=False,
                            compact=True,
                            id=f"map-{index}",
                        )
            with Vertical(id="outcome"):
                yield Label(self._notes(), id="notes")
                yield Label(Text("First rows, as they will be sent", style="bold"))
                yield DataTable(id="preview", cursor_type="none", zebra_stripes=True)
                yield Label(id="rejected-title")
                yield DataTable(id="rejected", cursor_type="row")
        yield Label(id="summary")
        yield Checkbox(id="resubscribe", value=False)
        for name in self.triggers:
            yield Checkbox(TRIGGERS[name], value=False, id=name, classes="trigger")
        with Horizontal(id="buttons"):
            yield Button("Import", variant="warning", id="confirm", disabled=True)
            yield Button("Back to the file", id="back")

    def on_mount(self) -> None:
        self.query_one("#rejected", DataTable).add_columns("Line", "Why it will be refused")
        self.query_one("#notes", Label).display = bool(self.table.notes)
        self.query_one("#resubscribe", Checkbox).display = False
        self.replan()

    def _notes(self) -> Text:
        """What reading the file noted (e.g. lines in another encoding), as the CLI warns."""
        return Text("\n").join(text(f"⚠ {note}", "yellow") for note in self.table.notes)

    def kept_out(self) -> int:
        """Rows of members who opted out earlier (kept out unless "send them too" is ticked)."""
        rows = self.plan.rows if self.plan is not None else []
        return sum(row_email(row) in (self.opted_out or ()) for row in rows)

    def choices(self) -> dict[str, bool]:
        """ImportRequest's choices as ticked: resubscribe (only with someone to send again)."""
        chosen = {name: self.query_one(f"#{name}", Checkbox).value for name in self.triggers}
        resubscribe = self.query_one("#resubscribe", Checkbox).value and self.kept_out() > 0
        return {"resubscribe": resubscribe, **chosen}

    def mapping(self) -> dict[str, str]:
        chosen: dict[str, str] = {}
        for index, column in enumerate(self.table.header):
            value = self.query_one(f"#map-{index}", Select).value
            if isinstance(value, str) and value != IGNORE:
                chosen[column] = value
        return chosen

    @on(Select.Changed)
    def _changed(self) -> None:
        self.replan()

    @on(Checkbox.Changed, "#resubscribe")
    def _resubscribe_changed(self) -> None:
        if self.plan is not None:
            self._show(self.plan)

    @work(exclusive=True, group="import-plan")
    async def replan(self) -> None:
        """Plan with the current choices and show the result; a plan error disables sending."""
        self.plan = None
        button = self.query_one("#confirm", Button)
        button.disabled = True
        try:
            plan = await asyncio.to_thread(plan_import, self.table, self.fields, self.mapping())
        except Exception as exc:  # an impossible mapping (no email column): say what to change
            self._show_failure(exc)
            return
        self.opted_out = None
        if self.find_opted_out is not None:
            try:
                self.opted_out = await self.find_opted_out(plan.rows)
            except Exception as exc:  # the adapter checks again when sending: say so, go on
                self.notify(f"Could not check who opted out earlier: {error_text(exc).plain}")
        self.plan = plan
        self._show(plan)

    def _show_failure(self, error: Exception) -> None:
        self.query_one("#preview", DataTable).clear(columns=True)
        self.query_one("#rejected", DataTable).clear()
        self.query_one("#rejected-title", Label).update("")
        self.query_one("#summary", Label).update(error_text(error))
        self.query_one("#confirm", Button).label = "Import"

    def _show(self, plan: ImportPlan) -> None:
        self._fill_preview(plan.rows[:PREVIEW_ROWS], plan.mapping)
        rejected = self.query_one("#rejected", DataTable)
        rejected.clear()
        for row in plan.rejected[:REJECTED_SHOWN]:
            rejected.add_row(Text(str(row.line), justify="right"), text(row.reason, "red"))
        count = len(plan.rejected)
        title = Text(f"{count} row{'s' * (count != 1)} will be refused", style="bold")
        if count > REJECTED_SHOWN:
            title.append(f" (the first {REJECTED_SHOWN} are listed)", style="dim")
        self.query_one("#rejected-title", Label).update(title if count else "No row is refused.")
        rejected.display = bool(count)
        kept_out = self.kept_out()
        resubscribe = self.query_one("#resubscribe", Checkbox)
        resubscribe.label = (
            f"Send the {kept_out:,} who opted out earlier too (may resubscribe them)"
        )
        resubscribe.display = bool(kept_out)
        again = kept_out and resubscribe.value
        rows = len(plan.rows) - (0 if again else kept_out)
        summary = Text(f"{rows:,} of {len(self.table.rows):,} rows will be sent")
        if kept_out:
            fate = "SENT (may resubscribe them)" if again else "kept out"
            summary.append(f"; {kept_out:,} opted out earlier: {fate}", style="yellow")
        if plan.unmapped:
            summary.append("; ignored columns: ", style="dim")
            summary.append_text(text(", ".join(plan.unmapped), "dim"))
        self.query_one("#summary", Label).update(summary)
        button = self.query_one("#confirm", Button)
        button.label = f"Import {rows:,} row{'s' * (rows != 1)}"
        button.disabled = not rows

    def _fill_preview(self, rows: list[dict[str, object]], mapping: Mapping[str, str]) -> None:
        preview = self.query_one("#preview", DataTable)
        preview.clear(columns=True)
        names = list(dict.fromkeys(mapping.values()))
        for name in names:
            spec = self.specs.get(name)
            preview.add_column(text(spec.label if spec else name, "bold"), key=name)
        for row in rows:
            preview.add_row(*(text(shown(self.specs.get(n), row.get(n))) for n in names))

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        plan, choices = self.plan, self.choices()
        if plan is None or not plan.rows:
            return
        if not choices["resubscribe"]:
            self.post_message(self.Confirmed(plan, self.opted_out, choices))
            return
        count = self.kept_out()
        question = (
            f"Send {count:,} member{'s' * (count != 1)} who opted out earlier, which may "
            "resubscribe them?"
        )

        def answered(yes: bool | None) -> None:
            if yes and self.plan is plan:  # the same plan the question was about
                self.post_message(self.Confirmed(plan, self.opted_out, choices))

        self.app.push_screen(ConfirmScreen(question, "Send them too"), answered)

    @on(Button.Pressed, "#back")
    def _back(self) -> None:
        self.post_message(self.Back())
