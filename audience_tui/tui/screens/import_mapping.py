"""The mapping step of a new import: each CSV column to a field of the list (or ignored), the
first rows exactly as they will be sent, and every row that will be refused, with its reason.

Changing a column's field plans the import again (in a thread: a file may hold many rows); the
confirm button names how many rows will go, and nothing is sent until it is pressed.
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
from textual.widgets import Button, Label, Select

from ...core.columns import display_value
from ...core.csvimport import CsvTable, ImportPlan, guess_mapping, plan_import
from ...core.models import FieldSpec, row_email
from ..background import BackgroundWork
from ..widgets.cells import error_text, text
from ..widgets.data_table import DataTable

IGNORE = "\x00ignore"  # the Select value of "do not import this column" (never a field name)
PREVIEW_ROWS = 5
REJECTED_SHOWN = 200


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
        def __init__(self, plan: ImportPlan, opted_out: frozenset[str] | None = None) -> None:
            super().__init__()
            self.plan = plan
            self.opted_out = opted_out  # emails found opted out, kept out (None: not checked)

    class Back(Message):
        """The user wants the file step again."""

    def __init__(
        self,
        table: CsvTable,
        fields: Sequence[FieldSpec],
        *,
        opted_out: OptedOut | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.table = table
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
                        yield Select(
                            options,
                            value=guessed.get(column, IGNORE),
                            allow_blank=False,
                            compact=True,
                            id=f"map-{index}",
                        )
            with Vertical(id="outcome"):
                yield Label(Text("First rows, as they will be sent", style="bold"))
                yield DataTable(id="preview", cursor_type="none", zebra_stripes=True)
                yield Label(id="rejected-title")
                yield DataTable(id="rejected", cursor_type="row")
        yield Label(id="summary")
        with Horizontal(id="buttons"):
            yield Button("Import", variant="warning", id="confirm", disabled=True)
            yield Button("Back to the file", id="back")

    def on_mount(self) -> None:
        self.query_one("#rejected", DataTable).add_columns("Line", "Why it will be refused")
        self.replan()

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
        kept_out = sum(row_email(row) in (self.opted_out or ()) for row in plan.rows)
        rows = len(plan.rows) - kept_out
        summary = Text(f"{rows:,} of {len(self.table.rows):,} rows will be sent")
        if kept_out:
            summary.append(f"; {kept_out:,} opted out earlier: kept out", style="yellow")
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
        if self.plan is not None and self.plan.rows:
            self.post_message(self.Confirmed(self.plan, self.opted_out))

    @on(Button.Pressed, "#back")
    def _back(self) -> None:
        self.post_message(self.Back())
