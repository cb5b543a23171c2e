"""Printing rows as an aligned table, CSV or JSON Lines, batch by batch, with member data made safe.

Every value passes `core.sanitize` (no control character reaches the terminal or a file); CSV
values are also made spreadsheet-safe (core.export.csv_cell, as the TUI's export) unless the user
turns that off. JSONL keeps the raw values (JSON escapes them itself).

`RowWriter` writes each batch (a page of members) as it arrives, so a million rows stream at flat
memory; the table's column widths are fixed by the first batch.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

from ..core.columns import display_value
from ..core.export import csv_cell, csv_rows
from ..core.models import FieldSpec, Member, MemberStatus
from ..core.sanitize import clean, json_text, one_line

FORMATS = ("table", "csv", "jsonl")
MAX_CELL = 40
TABLE_SAMPLE = 1000  # rows a table holds back to size its columns (a longer value overflows)
MEMBER_HEAD = ("account", "list", "id", "email", "status", "name")
FORMULA_HELP = (
    "write CSV values as they are; by default a value a spreadsheet would run as a formula "
    "(starting with = + - @, phone numbers such as +4512345678 too) gets a leading '"
)


def json_line(row: Mapping[str, Any]) -> str:
    """One JSON Lines record that is safe to print to a terminal (core.sanitize.json_text)."""
    return json_text(row) + "\n"


def add_format_option(parser: Any, default: str = "table") -> None:
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=default,
        help=f"output format (default: {default}); jsonl has stable keys",
    )
    parser.add_argument(
        "--no-formula-guard",
        dest="formula_guard",
        action="store_false",
        help=FORMULA_HELP,
    )


def status_word(status: MemberStatus, fmt: str) -> str:
    """`opted_out` for scripts (CSV, JSONL), `opted out` in a table read by a person."""
    return status.value.replace("_", " ") if fmt == "table" else status.value


# Spellings of a status accepted as input, besides its own name in any case with - _ or space.
STATUS_ALIASES = {
    "optedout": MemberStatus.OPTED_OUT,
    "opt_out": MemberStatus.OPTED_OUT,
    "unsubscribed": MemberStatus.OPTED_OUT,
    "subscribed": MemberStatus.ACTIVE,
}


def parse_status(text: str) -> MemberStatus:
    """`opted_out`, `opted-out`, `Opted out`, `unsubscribed`... as the one status they name."""
    key = re.sub(r"[\s_-]+", "_", text.strip().casefold())
    try:
        return STATUS_ALIASES.get(key) or MemberStatus(key)
    except ValueError:
        names = ", ".join(status.value for status in MemberStatus)
        raise argparse.ArgumentTypeError(f"unknown status {text!r} (one of: {names})") from None


def member_keys(fields: Sequence[FieldSpec]) -> list[str]:
    """A member row's keys: account, list, id, email, status, name, then the platform's fields."""
    return list(dict.fromkeys([*MEMBER_HEAD, *(spec.name for spec in fields)]))


class MemberRows:
    """Members as stable rows: `member_keys(fields)`, then any other field a member has.

    Choice fields hold their option labels, as the TUI shows them; `raw` keeps the platform's
    ids. Made once per command: what is worked out per field is not redone per member (a
    million members pass here)."""

    def __init__(
        self,
        account: str,
        audience: str | None,
        *,
        fmt: str = "jsonl",
        fields: Sequence[FieldSpec] = (),
        raw: bool = False,
    ) -> None:
        self.account, self.audience, self.fmt = account, audience, fmt
        own = [spec for spec in fields if spec.name not in MEMBER_HEAD]
        self.plain = [spec.name for spec in own if raw or not spec.options]
        self.labelled = [spec for spec in own if not raw and spec.options]

    def __call__(self, member: Member) -> dict[str, Any]:
        values = member.fields
        row: dict[str, Any] = {
            "account": self.account,
            "list": self.audience,
            "id": member.id,
            "email": member.email,
            "status": status_word(member.status, self.fmt),
            "name": member.name,
        }
        for name in self.plain:
            row[name] = values.get(name)
        for spec in self.labelled:
            row[spec.name] = display_value(spec, values.get(spec.name))
        if not values.keys() <= row.keys():  # fields the platform did not describe
            for key, value in values.items():
                row.setdefault(key, value)
        return row


def member_row(
    account: str,
    audience: str | None,
    member: Member,
    *,
    fmt: str = "jsonl",
    fields: Sequence[FieldSpec] = (),
    raw: bool = False,
) -> dict[str, Any]:
    """One member's row (see MemberRows, for many)."""
    return MemberRows(account, audience, fmt=fmt, fields=fields, raw=raw)(member)


def _plain(value: Any) -> Any:
    if value is None or type(value) in (str, int, float, bool):  # most values: no ABC check
        return value
    if isinstance(value, list | tuple):
        return "|".join(clean(v) for v in value)
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


class RowWriter:
    """Rows of one format written batch by batch; `close` returns how many were written.

    Table and CSV always print their header, with no row too. `columns` None: the keys of the
    first batch; `open_ended`: the given columns, then keys first seen in the first batch. A
    table sizes its columns on its first TABLE_SAMPLE rows; a longer value later is not cut
    below MAX_CELL, it pushes its row out of line instead.
    """

    def __init__(
        self,
        fmt: str,
        out: TextIO,
        columns: Sequence[str] | None = None,
        *,
        open_ended: bool = False,
        formula_guard: bool = True,
    ) -> None:
        self.fmt = fmt
        self.out = out
        self.columns = list(columns) if columns is not None else None
        self.open_ended = open_ended or columns is None
        self.formula_guard = formula_guard
        self.rows = 0
        self._widths: list[int] | None = None
        self._held: list[Mapping[str, Any]] = []  # a table's first rows, until it is sized
        self._csv = csv.writer(out, lineterminator="\n") if fmt == "csv" else None

    def write(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Write one batch, and flush it: a reader sees the rows as they arrive."""
        self.rows += len(rows)
        if self.fmt == "jsonl":
            self.out.write("".join(json_line(row) for row in rows))
        elif self._widths is None and rows:
            self._held.extend(rows)
            if self._csv is None and len(self._held) < TABLE_SAMPLE:
                return
            self._start(self._held)
            self._write_rows(self._held)
            self._held = []
        elif rows:
            self._write_rows(rows)
        self.out.flush()

    def close(self) -> int:
        if self.fmt != "jsonl" and self._widths is None and (self._held or self.columns):
            self._start(self._held)
            self._write_rows(self._held)
            self.out.flush()
        return self.rows

    def _start(self, first: Sequence[Mapping[str, Any]]) -> None:
        """Fix the columns (and the table's widths) from the first batch; write the header."""
        columns = list(self.columns or [])
        if self.open_ended:
            seen = dict.fromkeys(columns)
            for row in first:
                seen.update(dict.fromkeys(row))
            columns = list(seen)
        self.columns = columns
        if self._csv is not None:
            self._widths = []
            guard = self.formula_guard  # field names are platform data, guarded like values
            self._csv.writerow(csv_cell(c, formula_guard=guard) for c in columns)
            return
        cells = self._cells(first, [MAX_CELL] * len(columns))
        heads = [one_line(c, MAX_CELL).upper() for c in columns]
        self._widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(heads)]
        self.out.write(self._line(heads))

    def _cells(self, rows: Iterable[Mapping[str, Any]], widths: Sequence[int]) -> list[list[str]]:
        columns = self.columns or []
        return [
            [one_line(_plain(row.get(c)), w) for c, w in zip(columns, widths, strict=True)]
            for row in rows
        ]

    def _write_rows(self, rows: Sequence[Mapping[str, Any]]) -> None:
        columns = self.columns or []
        if self._csv is not None:
            values = [
                v if type(v := row.get(c)) is str else _plain(v) for row in rows for c in columns
            ]
            batch = io.StringIO()  # one write per page: a write to stdout per row costs more
            csv.writer(batch, lineterminator="\n").writerows(
                csv_rows(values, len(columns), formula_guard=self.formula_guard)
            )
            self.out.write(batch.getvalue())
            return
        lines = self._cells(rows, [MAX_CELL] * len(columns))
        self.out.write("".join(self._line(cells) for cells in lines))

    def _line(self, cells: Sequence[str]) -> str:
        widths = self._widths or []
        return "  ".join(v.ljust(w) for v, w in zip(cells, widths, strict=True)).rstrip() + "\n"


def emit(
    rows: Iterable[Mapping[str, Any]],
    fmt: str,
    out: TextIO,
    columns: Sequence[str] | None = None,
    *,
    formula_guard: bool = True,
) -> int:
    """Write a short, already known list of rows; returns how many were written."""
    writer = RowWriter(fmt, out, columns, formula_guard=formula_guard)
    writer.write(list(rows))
    return writer.close()
