"""`e` on the member table: ask where and in which format, then export with progress and cancel."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, ProgressBar, RadioButton, RadioSet

from ...core.export import FORMATS, ExportFormat, ExportResult, Progress
from ..widgets.cells import error_text

ExportRun = Callable[[Path, ExportFormat, Progress, asyncio.Event], Awaitable[ExportResult]]


class ExportDialog(ModalScreen[tuple[Path, ExportFormat] | None]):
    """The file to write and its format; dismisses with (path, format) or None."""

    HELP = "Export every member of the current view. `enter` starts, `escape` cancels."
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="export.cancel"),
    ]

    def __init__(self, default_path: Path) -> None:
        super().__init__()
        self.default_path = default_path

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text("Export the current view", style="bold"))
            yield Input(str(self.default_path), id="path")
            jsonl = self.default_path.suffix == ".jsonl"
            with RadioSet(id="format"):
                yield RadioButton("CSV", value=not jsonl, id="csv")
                yield RadioButton("JSON Lines", value=jsonl, id="jsonl")
            yield Label(Text("enter exports · escape cancels", style="dim"))
            with Horizontal(id="buttons"):
                yield Button("Export", variant="primary", id="export")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @property
    def format(self) -> ExportFormat:
        pressed = self.query_one("#format", RadioSet).pressed_button
        return "jsonl" if pressed is not None and pressed.id == "jsonl" else "csv"

    @on(RadioSet.Changed, "#format")
    def _format_changed(self) -> None:
        """Keep the file's extension in step with the chosen format."""
        field = self.query_one("#path", Input)
        path = Path(field.value)
        if path.suffix.lstrip(".") in FORMATS:
            field.value = str(path.with_suffix("." + self.format))

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#export")
    def _export(self) -> None:
        value = self.query_one("#path", Input).value.strip()
        if not value:
            self.notify("Give the file to write.", severity="warning")
            return
        self.dismiss((Path(value).expanduser(), self.format))

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class ExportProgress(ModalScreen[ExportResult | None]):
    """Runs the export; `escape` cancels it (no file is left); a failure is shown here."""

    HELP = "The export runs page by page. `escape` cancels it and removes the partial file."
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel export", id="export.stop"),
    ]

    def __init__(self, run: ExportRun, path: Path, fmt: ExportFormat) -> None:
        super().__init__()
        self.run = run
        self.path = path
        self.fmt = fmt
        self.stop = asyncio.Event()
        self.written = 0
        self.finished = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(f"Exporting to {self.path} ({self.fmt})", style="bold"))
            yield ProgressBar(id="progress", show_eta=False)
            yield Label(Text("0 rows written"), id="count")
            yield Label(Text("escape cancels", style="dim"), id="hint")

    def on_mount(self) -> None:
        self._export()

    def _progress(self, rows: int, total: int | None) -> None:
        self.written = rows
        self.query_one("#progress", ProgressBar).update(total=total, progress=rows)
        of = f" of {total:,}" if total is not None else ""
        self.query_one("#count", Label).update(Text(f"{rows:,}{of} rows written"))

    @work(exclusive=True, group="export")
    async def _export(self) -> None:
        try:
            result = await self.run(self.path, self.fmt, self._progress, self.stop)
        except Exception as exc:  # a page or the disk failed: say so and let the user close
            self.finished = True
            self.query_one("#count", Label).update(error_text(exc))
            self.query_one("#hint", Label).update(Text("escape closes", style="dim"))
            return
        self.finished = True
        self.dismiss(result)

    def action_cancel(self) -> None:
        if self.finished:
            self.dismiss(None)
            return
        self.stop.set()
        self.workers.cancel_group(self, "export")
        self.finished = True
        self.dismiss(ExportResult(self.path, self.written, cancelled=True))
