"""Any platform document as readable key/value rows, nested structures flattened to paths.

`{"consents": [{"channel": "email", "given": true}]}` becomes the row
`consents[1].channel = email`, `consents[1].given = yes`; a list of plain values becomes one
comma-separated row. Keys come from the platform too, so keys and values are both cleaned and
rendered as plain Text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from rich.table import Table
from rich.text import Text

from ...core.sanitize import clean
from .cells import text

Row = tuple[str, Any]
SCALARS = (str, int, float, bool, date, datetime, type(None))


def _scalar(value: Any) -> Any:
    """Dates as ISO dates; times in the user's zone, named, or said to have none."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return f"{value:%Y-%m-%d %H:%M:%S} (the platform gives no time zone)"
        return value.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    return value.isoformat() if isinstance(value, date) else value


def flatten(value: Any, path: str = "") -> list[Row]:
    """(path, scalar) rows for every leaf of `value`; empty containers show as "(none)"."""
    if isinstance(value, Mapping):
        if not value:
            return [(path, "(none)")] if path else []
        rows: list[Row] = []
        for key, item in value.items():
            rows += flatten(item, f"{path}.{clean(key)}" if path else clean(key))
        return rows
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        if not items:
            return [(path, "(none)")]
        if all(isinstance(item, SCALARS) for item in items):
            return [(path, ", ".join(clean(_scalar(item)) for item in items))]
        rows = []
        for number, item in enumerate(items, start=1):
            rows += flatten(item, f"{path}[{number}]")
        return rows
    return [(path, _scalar(value))]


def fields_table(title: str, rows: Iterable[Row]) -> Table:
    """A two-column table of rows; `title` is ours (never platform text)."""
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        show_header=False,
        expand=True,
        box=None,
        padding=(0, 2, 0, 0),
    )
    table.add_column("Field", style="cyan", ratio=1, overflow="fold")
    table.add_column("Value", ratio=3, overflow="fold")
    count = 0
    for key, value in rows:
        table.add_row(text(key), value if isinstance(value, Text) else text(_scalar(value)))
        count += 1
    if not count:
        table.add_row(Text("(nothing)", style="dim"), Text(""))
    return table
