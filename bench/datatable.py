"""Baseline: Textual's DataTable holding the same rows (100k of the 1M list), in its own process.

The rows are fetched first (not timed: the DataTable gets them for free) and turned into the
cells our table would show; the figure is from `add_rows` to the first paint of a full screen,
and the memory the process grew by to hold them.
"""

from __future__ import annotations

import asyncio
import time

from textual.app import App, ComposeResult
from textual.strip import Strip
from textual.widgets import DataTable

from audience_tui.core.columns import columns_for
from audience_tui.core.models import PageRequest, Query
from audience_tui.core.sanitize import clean

from .common import Row, main_guard, ms, rss_mb, sandbox
from .table import SIZE, find_list

ROWS = 100_000


class Baseline(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable()


async def cells() -> tuple[list[str], list[tuple[str, ...]]]:
    from audience_tui.demo import demo_session

    session = demo_session(sandbox())
    provider, audience = await find_list(session)
    columns = columns_for(await provider.fields(audience))
    size = provider.capabilities.max_page_size
    pages = await asyncio.gather(
        *(provider.members(audience, Query(), PageRequest(size, o)) for o in range(0, ROWS, size))
    )
    rows = [tuple(clean(column.value(m)) for column in columns) for p in pages for m in p.members]
    await session.aclose()
    return [clean(c.label) for c in columns], rows[:ROWS]


async def run() -> list[Row]:
    rss_start = rss_mb()
    labels, rows = await cells()
    painted: list[float] = []
    original = DataTable.render_line

    def render_line(table: DataTable, y: int) -> Strip:
        strip = original(table, y)
        if table.row_count and y == table.size.height - 2:
            painted.append(time.perf_counter())
        return strip

    DataTable.render_line = render_line  # type: ignore[method-assign]
    app = Baseline()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(DataTable)
        table.add_columns(*labels)
        await pilot.pause()
        start = time.perf_counter()
        table.add_rows(rows)
        while not painted:
            await asyncio.sleep(0.005)
        first = painted[0] - start
        rss = rss_mb()
    return [
        Row("DataTable baseline: 100k rows to first paint", ms(first), "ms", "rows in memory"),
        Row(
            "DataTable baseline: RSS growth holding 100k rows",
            round(rss - rss_start, 1),
            "MB",
            f"RSS {rss:.0f} MB",
        ),
    ]


if __name__ == "__main__":
    main_guard(run)
