"""`e` on the member table: ask where and in which format, then export with progress and cancel.

Exports go to one folder the user can find (`export_folder`), never the directory the app was
started from; a file that exists already is replaced only after a question.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, ProgressBar, RadioButton, RadioSet

from ...core.export import FORMATS, ExportFormat, ExportResult, Progress
from ..background import BackgroundWork
from ..styled_once import StyledOnce
from ..widgets.cells import error_text
from .confirm import ConfirmScreen

ExportRun = Callable[[Path, ExportFormat, Progress, asyncio.Event], Awaitable[ExportResult]]


def export_folder() -> Path:
    """Where exports are offered: the user's downloads folder when it exists (platformdirs'
    `user_downloads_dir`, e.g. ~/Downloads), else `exports/` in the app's state folder (e.g.
    ~/.local/state/audience-tui/exports), created on first use."""
    import platformdirs

    downloads = Path(platformdirs.user_downloads_dir())
    if downloads.is_dir():
        return downloads
    folder = Path(platformdirs.user_state_dir("audience-tui")) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class FormatChoice(RadioSet):
    """The formats; `enter` chooses the highlighted one and exports (space only chooses)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Export", show=False, id="export.submit"),
    ]

    class Submitted(Message):
        """Enter on the formats: export in `chosen` (the highlighted button's id)."""

        def __init__(self, chosen: str | None) -> None:
            super().__init__()
            self.chosen = chosen

    def action_submit(self) -> None:
        """Choose the highlighted format and export in it (its buttons tell the set they were
        pressed by message, so the choice travels with this one)."""
        self.action_toggle_button()
        highlighted = self._selected
        buttons = list(self.query(RadioButton))
        chosen = buttons[highlighted].id if highlighted is not None else None
        self.post_message(self.Submitted(chosen))


class ExportDialog(StyledOnce, ModalScreen[tuple[Path, ExportFormat] | None]):
    """The file to write and its format; dismisses with (path, format) or None."""

    HELP = (
        "Export every member of the current view. `enter` starts (in the file name or on the "
        "formats), `escape` cancels. The file is offered in your downloads folder, or where "
        "there is none in the app's state folder's `exports/`; a file that exists already is "
        "replaced only if you say so."
    )
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
            with FormatChoice(id="format"):
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
        self._follow_format(self.format)

    def _follow_format(self, fmt: ExportFormat) -> None:
        """The file name given the extension of `fmt` (when it has a format's extension)."""
        field = self.query_one("#path", Input)
        path = Path(field.value.strip())
        if path.suffix.lstrip(".") in FORMATS:
            field.value = str(path.with_suffix("." + fmt))

    @on(FormatChoice.Submitted)
    def _chosen(self, event: FormatChoice.Submitted) -> None:
        fmt: ExportFormat = "jsonl" if event.chosen == "jsonl" else "csv"
        self._follow_format(fmt)
        self._export(fmt)

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#export")
    def _submitted(self) -> None:
        self._export(self.format)

    def _export(self, fmt: ExportFormat) -> None:
        value = self.query_one("#path", Input).value.strip()
        if not value:
            self.notify("Give the file to write.", severity="warning")
            return
        path = Path(value).expanduser()
        if path.is_dir():
            self.notify(f"{path} is a folder: give a file name.", severity="warning", markup=False)
            return
        if not path.exists():
            self.dismiss((path, fmt))
            return
        question = Text.assemble(str(path), (" exists already. Replace it?", "bold"))
        self.app.push_screen(ConfirmScreen(question, "Replace"), partial(self._replace, path, fmt))

    def _replace(self, path: Path, fmt: ExportFormat, yes: bool | None) -> None:
        if yes:
            self.dismiss((path, fmt))
        else:
            self.query_one("#path", Input).focus()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class ExportProgress(StyledOnce, BackgroundWork, ModalScreen[ExportResult | None]):
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
