"""The app's DataTable: a row drawn before the table measured it is drawn again at its width."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from tui_helpers import SIZE, look_up, settle

from audience_tui.core.session import Session
from audience_tui.sandbox.people import person
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens.imports import ImportsScreen
from audience_tui.tui.screens.lookup import LookupResultsScreen
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


ROWS = [
    ("demo-heyloyalty", "Webshop customers", "opted out · unsubscribed (PUBLISHER)", "✓ confirmed"),
    ("demo-emma", "All members", "active", "2-20261205T140840-7f01144c0447081a9"),
]
LABELS = ("Account", "List", "Status", "Result")


async def table_of(pilot: Pilot[None]) -> DataTable:
    table = pilot.app.query_one(DataTable)
    for label in LABELS:
        table.add_column(label, key=label)
    for row in ROWS:
        table.add_row(*row)
    await pilot.pause()
    await pilot.pause()  # the fitted widths are drawn
    return table


def lines(table: DataTable) -> list[str]:
    return [table.render_line(y).text for y in range(len(ROWS) + 1)]


async def test_a_table_with_room_shows_every_value_whole() -> None:
    app = OneTable()
    async with app.run_test(size=(120, 40)) as pilot:
        table = await table_of(pilot)
        drawn = lines(table)
        for label in LABELS:
            assert label in drawn[0]
        for row, line in zip(ROWS, drawn[1:], strict=True):
            for value in row:
                assert value in line
        assert "…" not in "".join(drawn)
        assert table.virtual_size.width <= table.scrollable_content_region.width


async def test_a_narrow_table_cuts_only_the_longest_values_with_an_ellipsis() -> None:
    """At 80 columns the four do not fit whole: every column stays in view, the short ones
    whole, the two longest cut to one width and marked."""
    app = OneTable()
    async with app.run_test(size=(80, 24)) as pilot:
        table = await table_of(pilot)
        drawn = lines(table)
        assert table.virtual_size.width <= table.scrollable_content_region.width
        for label in LABELS:
            assert label in drawn[0]  # no heading cut to a lone letter at the edge
        assert drawn[1].rstrip().endswith("✓ confirmed")  # the last column is in view
        assert drawn[2].rstrip().endswith("…")  # and a value cut there is marked
        assert "demo-heyloyalty" in drawn[1] and "Webshop customers" in drawn[1]
        assert "active" in drawn[2] and "opted out · unsub" in drawn[1]
        widths = [column.get_render_width(table) for column in table.ordered_columns]
        assert sum(widths) == table.scrollable_content_region.width  # no cell left unused


async def test_a_cell_that_grows_widens_its_column() -> None:
    app = OneTable()
    async with app.run_test(size=(120, 40)) as pilot:
        table = await table_of(pilot)
        row = table.coordinate_to_cell_key((0, 0)).row_key
        table.update_cell(row, "Result", "2-20261205T140840-7f01144c0447081a9-again")
        await pilot.pause()
        await pilot.pause()
        assert "2-20261205T140840-7f01144c0447081a9-again" in lines(table)[1]


async def test_a_string_cell_is_literal_not_markup() -> None:
    app = OneTable()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(DataTable)
        table.add_column("Name")
        table.add_row("[b]x[/b] [@click=app.quit]y[/]")
        await pilot.pause()
        await pilot.pause()
        assert "[b]x[/b] [@click=app.quit]y[/]" in table.render_line(1).text


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_lookup_results_keep_every_column_in_view(
    session: Session, size: tuple[int, int]
) -> None:
    """A screen's table as a user meets it: at 120 columns every value whole but the longest,
    at 80 every column still in view, the short values whole and the cut ones marked "…"."""
    app = AudienceApp(session)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await look_up(pilot, person(2400).email)
        screen = app.screen
        assert isinstance(screen, LookupResultsScreen)
        table = screen.query_one(DataTable)
        assert table.virtual_size.width <= table.scrollable_content_region.width
        header = table.render_line(0).text
        for label in ("Account", "Platform", "List", "Status", "Member id"):
            assert label in header
        for y, target in enumerate(screen.found, start=1):
            line = table.render_line(y).text
            assert target.account_name in line  # the short columns whole
            name = target.audience.name
            assert name in line or (name[:10] in line and "…" in line)  # or cut and marked
            if size[0] == 120:
                assert name in line
                assert target.member.id in line or "…" in line


async def test_an_empty_table_fits_its_headings_instead_of_scrolling() -> None:
    """Ten headings wider than 80 columns and no rows: the longest headings are cut and
    marked, the short ones whole, and nothing scrolls sideways."""
    app = OneTable()
    labels = ("Import", "List", "State", "Started (UTC)", "Finished (UTC)")
    labels += ("Sent", "Added", "Updated", "Skipped", "Errors")
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(DataTable)
        for label in labels:
            table.add_column(label, key=label)
        await pilot.pause()
        await pilot.pause()
        assert table.virtual_size.width <= table.scrollable_content_region.width
        header = table.render_line(0).text
        assert "Started…" in header and "Finishe…" in header
        for label in labels:
            assert label in header or label[:7] in header


@pytest.mark.parametrize("account", ["demo-heyloyalty", "demo-kajabi"])
async def test_the_import_monitor_without_imports_keeps_its_headings_in_view(
    session: Session, account: str
) -> None:
    app = AudienceApp(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(ImportsScreen(session, account))
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 0
        assert table.virtual_size.width <= table.scrollable_content_region.width
        header = table.render_line(0).text.rstrip()
        assert header.startswith(" Import") and header.endswith("Errors")
