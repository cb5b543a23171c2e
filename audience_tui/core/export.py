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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, Literal

from .columns import Column
from .models import Member
from .paging import PageFetcher, Paging, iter_pages
from .private_files import open_private
from .sanitize import clean, clean_texts, json_text

ExportFormat = Literal["csv", "jsonl"]
FORMATS: tuple[ExportFormat, ...] = ("csv", "jsonl")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Progress = Callable[[int, int | None], None]  # rows written, total rows (None: not known)


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    rows: int
    cancelled: bool = False


_FORMULA_FIRST = frozenset(FORMULA_START)


def neutralise(text: str) -> str:
    """A spreadsheet formula made inert with a leading apostrophe."""
    return "'" + text if text[:1] in _FORMULA_FIRST else text


def csv_cell(value: Any, *, formula_guard: bool = True) -> str:
    """One CSV cell: lists joined with '; ', text neutralised (unless asked not to), cleaned."""
    return csv_cells([value], formula_guard=formula_guard)[0]


def csv_cells(values: list[Any], *, formula_guard: bool = True) -> list[str]:
    """Many CSV cells at once (a page of rows, laid out row after row), each as `csv_cell`
    says: the text of most cells is the value itself, so it is taken as it is, and the page is
    cleaned in one pass (sanitize.clean_texts) instead of a few calls per cell."""
    if formula_guard:
        texts = [
            ("'" + v if v[:1] in _FORMULA_FIRST else v) if type(v) is str else _text(v, True)
            for v in values
        ]
    else:
        texts = [v if type(v) is str else _text(v, False) for v in values]
    return clean_texts(texts)


def csv_rows(values: list[Any], width: int, *, formula_guard: bool = True) -> Iterator[list[str]]:
    """`csv_cells` of a page's values laid out row after row, as rows of `width` cells."""
    cells = csv_cells(values, formula_guard=formula_guard)
    return (cells[start : start + width] for start in range(0, len(cells), width))


def _text(value: Any, formula_guard: bool) -> str:
    """A value other than plain text as a cell's text (not yet cleaned)."""
    if value is None:
        return ""
    if type(value) in (int, float):  # its text holds nothing to clean
        return str(value)
    if isinstance(value, list | tuple):
        joined = "; ".join(clean(item) for item in value)
        return neutralise(joined) if formula_guard else joined
    if isinstance(value, str):  # a subclass of str
        return neutralise(value) if formula_guard else str(value)
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
        self.write_page([row])

    def write_page(self, rows: list[dict[str, Any]]) -> None:
        """Rows of one page, their CSV cells made together (csv_cells)."""
        keys = self.keys
        if self.fmt == "csv":
            self.csv.writerows(csv_rows([row.get(key) for row in rows for key in keys], len(keys)))
            return
        for row in rows:
            values = {key: json_value(row.get(key)) for key in keys}
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
        with open_private(part) as file:
            writer = _Writer(file, fmt, keys)
            async for members in iter_pages(fetch, paging):
                if cancel is not None and cancel.is_set():
                    break
                writer.write_page([record(member, columns) for member in members])
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
