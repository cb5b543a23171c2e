"""Textual's DataTable, with its columns sized as every table in the app is (`core.columns.
fit_widths`: each column as wide as its values need while the table has room, the longest cut
with "…" only when it has not), its drawn cells dropped when its columns change width, and
Home/End moving the row cursor to the first/last row (Textual's move a column cursor, which a
row-cursor table does not have, so they did nothing visible).

Textual's own columns grow to their content and run off the table's right edge, cut there
without a mark ("✓ confi", a lone "R" of a heading), while a table narrower than its content
could have shown every column. Cells are measured on every change (Textual measures a changed
cell only when asked, so a value that grew was cut to the old width), and a plain string is a
literal, never markup.

The table measures new rows when its message queue is idle, but a frame can be painted before
that: the cells drawn then (at the width of the column labels) stay cached, keyed without their
width, and a list's name showed as "Le Q" under the cursor until the row was drawn again.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text, TextType
from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import DataTable as TextualDataTable
from textual.widgets.data_table import CellType, ColumnKey, RowKey

from ...core.columns import FLOOR, fit_widths

__all__ = ["DataTable", "RowsOpened", "cuttable"]

HEADING_FLOOR = 5  # cells a heading of an empty table keeps at least ("Star…")


def cuttable(value: Any) -> Any:
    """A cell that ends in "…" where its column is cut; text stays literal (no markup)."""
    if isinstance(value, Text):
        if value.overflow == "ellipsis" and value.no_wrap:
            return value
        value = value.copy()
        value.overflow, value.no_wrap = "ellipsis", True
        return value
    if isinstance(value, str | int | float):
        return Text(str(value), overflow="ellipsis", no_wrap=True, end="")
    return value


class DataTable(TextualDataTable):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "scroll_top", "First row", show=False, id="rows.first"),
        Binding("end", "scroll_bottom", "Last row", show=False, id="rows.last"),
    ]
    _widths: tuple[int, ...] = ()  # the column widths the drawn cells were made for

    def add_column(
        self,
        label: TextType,
        *,
        width: int | None = None,
        key: str | None = None,
        default: CellType | None = None,
    ) -> ColumnKey:
        """As Textual's, with a heading that ends in "…" where its column is cut."""
        heading = Text.from_markup(label) if isinstance(label, str) else label
        return super().add_column(cuttable(heading), width=width, key=key, default=default)

    def add_row(
        self,
        *cells: CellType,
        height: int | None = 1,
        key: str | None = None,
        label: Any = None,
    ) -> RowKey:
        return super().add_row(*map(cuttable, cells), height=height, key=key, label=label)

    def update_cell(
        self,
        row_key: RowKey | str,
        column_key: ColumnKey | str,
        value: CellType,
        *,
        update_width: bool = True,
    ) -> None:
        """As Textual's, but the column always follows the new value's width."""
        super().update_cell(row_key, column_key, cuttable(value), update_width=True)

    def clear(self, columns: bool = False) -> DataTable:
        """As Textual's, and the columns kept forget the widths of the rows that went."""
        super().clear(columns)
        for column in self.columns.values():
            column.content_width = column.label.cell_len
        return self

    def on_idle(self, event: events.Idle) -> None:
        """After Textual's own idle work (which measures new rows): the columns fitted to the
        table's width, and stale drawings forgotten."""
        self._fit_columns()
        widths = tuple(column.get_render_width(self) for column in self.ordered_columns)
        if widths != self._widths:
            self._widths = widths
            self.notify_style_update()  # clears the table's caches of drawn rows and cells
            self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Each column as wide as its content (label included) needs, or cut to fit."""
        columns = self.ordered_columns
        room = self.scrollable_content_region.width
        if not columns or not room:
            return  # not laid out yet: the first idle after layout fits them
        padding = 2 * self.cell_padding * len(columns)
        available = room - padding - self._row_label_column_width
        needs = [column.content_width for column in columns]
        if self.row_count:  # the values are what is read: they keep their floor, headings whole
            floors = [max(FLOOR, column.label.cell_len) for column in columns]
        else:  # only headings to show: cut the longest rather than scroll an empty table
            floors = [HEADING_FLOOR] * len(columns)
        changed = False
        for column, need, width in zip(
            columns, needs, fit_widths(needs, available, floors, gap=0), strict=True
        ):
            whole = width >= need
            if column.auto_width != whole or (not whole and column.width != width):
                column.auto_width, column.width = whole, width
                changed = True
        if changed:  # the scrollable width follows at the next idle
            self._require_update_dimensions = True
            self.check_idle()


class RowsOpened(DataTable):
    """A table whose `enter` is its screen's: open the row under the cursor.

    Textual's table takes `enter` itself (select the cursor), so its screens had bound `enter`
    with priority, and Textual runs a priority binding as the key arrives, ahead of the keys
    before it that still wait their turn: ↓ ↓ ⏎ typed ahead (a paste, a busy moment) opened the
    row the cursor was leaving. With the table's own `enter` off, the key goes on to the
    screen's binding in its turn (a click still selects a row, as before)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action != "select_cursor"
