"""The app's DataTable: a row drawn before the table measured it is drawn again at its width."""

from __future__ import annotations

from textual.app import App, ComposeResult
from tui_helpers import SIZE

from audience_tui.tui.widgets.data_table import DataTable


class OneTable(App[None]):
    CSS = "DataTable { height: 1fr; }"  # as on the screens: its size does not follow its rows

    def compose(self) -> ComposeResult:
        yield DataTable(cursor_type="row")


async def test_a_row_drawn_before_it_was_measured_is_drawn_again() -> None:
    app = OneTable()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(DataTable)
        table.add_column("List")
        table.add_row("Le Quotidien")
        early = table.render_line(1).text  # a frame before the table's idle measures the row
        assert "Le Quotidien" not in early  # drawn at the width of the label "List"
        await pilot.pause()
        assert "Le Quotidien" in table.render_line(1).text
