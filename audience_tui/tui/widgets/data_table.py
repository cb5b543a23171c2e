"""Textual's DataTable, with its drawn cells dropped when its columns change width, and Home/End
moving the row cursor to the first/last row (Textual's move a column cursor, which a row-cursor
table does not have, so they did nothing visible).

The table measures new rows when its message queue is idle, but a frame can be painted before
that: the cells drawn then (at the width of the column labels) stay cached, keyed without their
width, and a list's name showed as "Le Q" under the cursor until the row was drawn again.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import DataTable as TextualDataTable

__all__ = ["DataTable"]


class DataTable(TextualDataTable):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "scroll_top", "First row", show=False, id="rows.first"),
        Binding("end", "scroll_bottom", "Last row", show=False, id="rows.last"),
    ]
    _widths: tuple[int, ...] = ()  # the column widths the drawn cells were made for

    def on_idle(self, event: events.Idle) -> None:
        """After Textual's own idle work (which measures new rows), forget stale drawings."""
        widths = tuple(column.get_render_width(self) for column in self.ordered_columns)
        if widths != self._widths:
            self._widths = widths
            self.notify_style_update()  # clears the table's caches of drawn rows and cells
            self.refresh()
