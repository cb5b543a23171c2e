"""Printing rows as an aligned table, CSV or JSON Lines, with member data made safe.

Every value passes `core.sanitize` (no control character reaches the terminal or a file); CSV
values are also made spreadsheet-safe (core.export.csv_cell, as the TUI's export). JSONL keeps the
raw values (JSON escapes them itself).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

from ..core.export import csv_cell
from ..core.models import Member
from ..core.sanitize import clean, one_line

FORMATS = ("table", "csv", "jsonl")
MAX_CELL = 40
# JSON escapes C0 controls itself; DEL, C1 codes (0x9b is an 8-bit CSI) and bidi overrides it
# would print raw to the terminal, so they are written as \u escapes too (the data is unchanged).
_RAW_IN_JSON = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def json_line(row: Mapping[str, Any]) -> str:
    """One JSON Lines record that is safe to print to a terminal."""
    text = json.dumps(row, ensure_ascii=False, default=str)
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def add_format_option(parser: Any, default: str = "table") -> None:
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=default,
        help=f"output format (default: {default}); jsonl has stable keys",
    )


def member_row(account: str, audience: str | None, member: Member) -> dict[str, Any]:
    """The stable JSONL shape: account, list, id, email, status, then the platform's fields."""
    row: dict[str, Any] = {
        "account": account,
        "list": audience,
        "id": member.id,
        "email": member.email,
        "status": str(member.status),
    }
    if member.name is not None:
        row["name"] = member.name
    for key, value in member.fields.items():
        row.setdefault(key, value)
    return row


def _plain(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return "|".join(clean(v) for v in value)
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def emit(
    rows: Iterable[Mapping[str, Any]], fmt: str, out: TextIO, columns: Sequence[str] | None = None
) -> int:
    """Write `rows` in `fmt`; `columns` fixes the column order (default: keys of the first rows).

    Returns the number of rows written.
    """
    if fmt == "jsonl":
        count = 0
        for row in rows:
            out.write(json_line(row))
            count += 1
        return count
    materialised = list(rows)
    if columns is None:
        seen: dict[str, None] = {}
        for row in materialised:
            seen.update(dict.fromkeys(row))
        columns = list(seen)
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in materialised:
            writer.writerow(csv_cell(_plain(row.get(c))) for c in columns)
        return len(materialised)
    cells = [[one_line(_plain(row.get(c)), MAX_CELL) for c in columns] for row in materialised]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    out.write(
        "  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip() + "\n"
    )
    for r in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() + "\n")
    return len(materialised)
