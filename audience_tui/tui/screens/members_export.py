"""`e` on the members table: the export dialog, then the view shown written to the file chosen,
with progress and cancel (core.export does the writing)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ...core.export import ExportFormat, ExportResult, Progress, export_view
from ...core.paging_scan import source_for
from ...core.sanitize import clean
from ...core.scan import View
from .export_dialog import ExportDialog, ExportProgress, export_folder

if TYPE_CHECKING:
    from .members import MembersScreen


def export_members(screen: MembersScreen, view: View) -> None:
    """Ask where and how, then export `view` (the one shown) with the screen's columns."""
    columns = screen.columns
    name = re.sub(r"[^\w.-]+", "-", clean(screen.audience.name)).strip("-.") or "members"

    async def run(
        path: Path, fmt: ExportFormat, progress: Progress, stop: asyncio.Event
    ) -> ExportResult:
        fetch, paging = source_for(view, view.provider.capabilities.max_page_size)
        return await export_view(fetch, paging, columns, path, fmt, progress=progress, cancel=stop)

    def chosen(choice: tuple[Path, ExportFormat] | None) -> None:
        if choice is not None:
            screen.app.push_screen(ExportProgress(run, *choice), exported)

    def exported(result: ExportResult | None) -> None:
        if result is None:
            return
        if result.cancelled:
            screen.notify("Export cancelled; no file was written.", severity="warning")
        else:
            screen.notify(f"Exported {result.rows:,} members to {result.path}", markup=False)

    screen.app.push_screen(ExportDialog(export_folder() / f"{name}.csv"), chosen)
