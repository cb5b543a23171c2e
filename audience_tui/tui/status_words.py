"""Sentences of the members screen that do not need the screen: where a scan stands, what the
table waits for (a sort of a million members takes seconds), why a column cannot be sorted, and
why a view cannot be shown."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from ..core.columns import Column
from ..core.paging_scan import ScanPaging
from ..core.sanitize import clean

SHOW_SECONDS_AFTER = 1.0  # a wait this long is counted in seconds on screen


def scan_status(scan: ScanPaging, here: int, halted: bool) -> Text:
    """Where a scan of the list stands: matches found, rows checked, and what keys do."""
    of = f" of {scan.view_total:,}" if scan.view_total is not None else ""
    matches = f"{scan.discovered:,}" if scan.discovered else "no"
    found = f"{matches} matches in {scan.scanned:,}{of} scanned"
    if scan.scanning and halted:
        return Text(f"row {here:,} · {found}; a page failed: ").append("r retries", "bold")
    if scan.scanning:
        return Text(f"row {here:,} · {found}, scanning… ").append("x stops", "bold")
    if scan.stopped:
        return Text(f"row {here:,} of {scan.discovered:,} · {found}; stopped: r scans again")
    return Text(f"row {here:,} of {found}" if scan.discovered else found)


def waiting(sorted_by: str | None, seconds: float) -> str:
    """ "loading…", or "sorting by Email… 3 s" once the platform takes a while."""
    what = f"sorting by {sorted_by}" if sorted_by else "loading"
    return f"{what}… {seconds:.0f} s" if seconds >= SHOW_SECONDS_AFTER else f"{what}…"


def cannot_sort(platform: str, column: Column, columns: Sequence[Column]) -> str:
    """A refused sort, with the columns the platform can sort by: a newcomer pressing `s` on
    a column at random learns where it works instead of trying each one."""
    sortable = ", ".join(clean(other.label) for other in columns if other.sortable)
    return f"{platform} cannot sort by {clean(column.label)}; it sorts by {sortable}."


def no_jump(platform: str, loaded: int) -> str:
    """Why `G` cannot go to the end of a view paged by cursor."""
    return (
        f"{platform} sends this view in order (cursor paging), so there is no jumping to the "
        f"end; {loaded:,} rows loaded so far."
    )


def withheld(platform: str, keys: Sequence[str], columns: Sequence[Column], room: int) -> Text:
    """Why columns of the view are empty (the platform's answer for it holds no personal data,
    Provider.withheld_for) and how to see them (enter, o and y read the member whole), in the
    `room` the status line has left: said shorter there, or not at all, rather than wrapping the
    line over the table's last row (a failed page's row says more)."""
    labels = " and ".join(clean(c.label) for c in columns if c.key in keys) or ", ".join(keys)
    for said in (f"not sent by {platform} for this view", "not sent here"):
        line = Text(f" · {labels} {said}: ", "yellow").append("enter", "bold")
        line.append(" opens the member with them", "yellow")
        if line.cell_len <= room:
            return line
    return Text()


def cannot_show(sorted_column: Column | None) -> Text:
    """A view the platform refuses (retrying cannot help), and, when sorted, the way out: the
    platform's reason (on the row) may be "clear the sort", and `s` is how."""
    line = Text(" · the platform cannot show this view (the row says why)", "red")
    if sorted_column is not None:
        line.append("; s on ", "red").append(clean(sorted_column.label), "bold red")
        line.append(" until its arrow goes clears the sort", "red")
    return line
