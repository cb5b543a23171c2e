"""Export a member view, every page of it, to CSV or JSON Lines, with progress and cancellation.

The file is written next to its destination as `NAME.part` and renamed only when every page is in,
so a cancelled or failed export never leaves a half file under the name the user chose.

Member values are untrusted: they pass `sanitize.clean` (no control characters reach a terminal
that `cat`s the file), and in CSV a text value that a spreadsheet would run as a formula (starting
with = + - @ tab or CR) gets a leading apostrophe (OWASP's CSV injection advice).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, Literal

from .columns import Column
from .models import Member
from .paging import PageFetcher, Paging, iter_pages
from .sanitize import clean, json_text

ExportFormat = Literal["csv", "jsonl"]
FORMATS: tuple[ExportFormat, ...] = ("csv", "jsonl")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Progress = Callable[[int, int | None], None]  # rows written, total rows (None: not known)


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    rows: int
    cancelled: bool = False


def neutralise(text: str) -> str:
    """A spreadsheet formula made inert with a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_cell(value: Any, *, formula_guard: bool = True) -> str:
    """One CSV cell: lists joined with '; ', text neutralised (unless asked not to), cleaned."""
    if isinstance(value, list | tuple):
        value = "; ".join(clean(item) for item in value)
    if isinstance(value, str) and formula_guard:
        return clean(neutralise(value))
    return clean(value)


def json_value(value: Any) -> Any:
    """A JSON-safe, cleaned value; numbers, booleans and null stay what they are."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return clean(value)


def record_keys(columns: Sequence[Column]) -> list[str]:
    """The exported keys: the member id, every column, the platform's own status word."""
    return list(dict.fromkeys(["id", *(column.key for column in columns), "platform_status"]))


def record(member: Member, columns: Sequence[Column]) -> dict[str, Any]:
    """The member as exported, keyed like `record_keys` (raw values; the writer cleans them).

    The status is written as scripts read it, `opted_out` (the table shows `opted out`), the
    same word as the command line's CSV and JSONL."""
    out: dict[str, Any] = {column.key: column.value(member) for column in columns}
    out["id"] = member.id
    if "status" in out:
        out["status"] = member.status.value
    out.setdefault("platform_status", member.platform_status)
    return out


class _Writer:
    """Rows of one format to an open file."""

    def __init__(self, file: IO[str], fmt: ExportFormat, keys: list[str]) -> None:
        self.fmt = fmt
        self.keys = keys
        self.file = file
        if fmt == "csv":
            self.csv = csv.writer(file)
            self.csv.writerow([csv_cell(key) for key in keys])

    def write(self, row: dict[str, Any]) -> None:
        if self.fmt == "csv":
            self.csv.writerow([csv_cell(row.get(key)) for key in self.keys])
        else:
            values = {key: json_value(row.get(key)) for key in self.keys}
            self.file.write(json_text(values) + "\n")  # keys are field names: platform data


async def export_view(
    fetch: PageFetcher,
    paging: Paging,
    columns: Sequence[Column],
    path: Path,
    fmt: ExportFormat,
    *,
    progress: Progress | None = None,
    cancel: asyncio.Event | None = None,
) -> ExportResult:
    """Write every member of the view to `path`; stops early (and keeps no file) on `cancel`.

    A failure (a page that cannot be fetched, a disk error) removes the partial file and raises.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    path = Path(path).expanduser()
    part = path.with_name(path.name + ".part")
    keys = record_keys(columns)
    rows = 0
    try:
        with part.open("w", encoding="utf-8", newline="") as file:
            writer = _Writer(file, fmt, keys)
            async for members in iter_pages(fetch, paging):
                if cancel is not None and cancel.is_set():
                    break
                for member in members:
                    writer.write(record(member, columns))
                rows += len(members)
                if progress is not None:
                    progress(rows, paging.total)
        if cancel is not None and cancel.is_set():
            part.unlink(missing_ok=True)
            return ExportResult(path, rows, cancelled=True)
        part.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
        raise
    return ExportResult(path, rows)
