"""The probe of an account (`p` on the accounts screen): each assumption the adapter makes where
the platform's documents are silent, checked with reads only, and what the account said of it.

The checks run in the background; `escape` leaves at any time (the reads are cancelled). The
redacted JSON report is written when they are done, and its path is shown to attach to a bug
report, exactly as `audience-tui accounts probe NAME` does.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from ...core.models import Check, Verdict
from ...core.probe import probe, write_report
from ...core.session import Session
from ..background import BackgroundWork
from ..styled_once import StyledOnce
from ..widgets.cells import error_text, text
from ..widgets.data_table import DataTable

STYLES: dict[Verdict, str] = {
    "confirmed": "green",
    "contradicted": "bold red",
    "could not check": "yellow",
}


class ProbeScreen(StyledOnce, BackgroundWork, ModalScreen[None]):
    HELP = (
        "Checks, with reads only, each assumption the adapter makes where the platform's "
        "documents are silent, and shows what the account said: **confirmed**, "
        "**contradicted** or **could not check**, with the evidence (counts and key names, "
        "never member data). A redacted JSON report is written for bug reports. `escape` closes."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="probe.close"),
    ]

    def __init__(self, session: Session, account_name: str) -> None:
        super().__init__()
        self.session = session
        self.account_name = account_name
        self.checks: list[Check] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(
                Text("Probe of ").append_text(text(self.account_name, "bold")), id="heading"
            )
            yield DataTable(id="checks", cursor_type="row", zebra_stripes=True)
            yield Label(id="evidence")
            yield Label(Text("Checking, with reads only…", style="dim"), id="state")
            with Horizontal(id="buttons"):
                yield Button("Close", id="close")

    def on_mount(self) -> None:
        table = self.query_one("#checks", DataTable)
        for column in ("Verdict", "Assumption", "Evidence"):
            table.add_column(column, key=column)
        self.query_one("#close", Button).focus()
        self._run()

    @on(DataTable.RowHighlighted, "#checks")
    def _show_evidence(self, event: DataTable.RowHighlighted) -> None:
        """The highlighted check in full (the table cuts long evidence)."""
        check = self.checks[int(event.row_key.value or 0)]
        line = Text.assemble((check.verdict, STYLES[check.verdict]), ": ")
        line.append_text(text(check.assumption)).append("\n").append_text(text(check.evidence))
        self.query_one("#evidence", Label).update(line)

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss()

    @work(exclusive=True, group="probe")
    async def _run(self) -> None:
        state = self.query_one("#state", Label)
        try:
            report = await probe(self.session, self.account_name)
            path = write_report(report)
        except Exception as exc:  # shown here; the accounts screen stays usable
            state.update(Text("Probe failed: ").append_text(error_text(exc)))
            return
        table = self.query_one("#checks", DataTable)
        self.checks = report.checks
        for index, check in enumerate(report.checks):
            table.add_row(
                Text(check.verdict, style=STYLES[check.verdict]),
                text(check.assumption),
                text(check.evidence),
                key=str(index),
            )
        counts = ", ".join(f"{n} {verdict}" for verdict, n in report.counts().items())
        state.update(Text(f"{counts}. Report (redacted): ").append_text(text(str(path))))
