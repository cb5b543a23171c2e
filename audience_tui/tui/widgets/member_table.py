"""The member table: a virtual table that draws only the rows on screen, from a bounded page cache.

Textual's DataTable keeps every row in memory (~19 s to first paint 100k rows); this is a
`ScrollView` whose `render_line` reads `PageCache.row` and asks the cache for what is missing.
Columns are as wide as their values need (`core.columns.fit_widths`, as every table in the app):
the rows of each page that lands are measured once, and a column only grows. Member values are
untrusted: each is `clean`ed and drawn as a plain Segment, so no markup, link or click action in
a name can come alive.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...core.columns import FLOOR, Column, fit_widths
from ...core.errors import UnsupportedError
from ...core.models import Member, Sort
from ...core.page_cache import PageCache
from ...core.sanitize import clean
from ...core.settings import DEFAULTS
from .cells import STATUS_STYLES
from .data_table import HEADING_FLOOR

GAP = 1  # cells between columns
EMPTY = "(no members in this view)"
LOADING = "…loading"
LINES_KEPT = 512  # drawn lines remembered, a dozen screens' worth
# Pages fetched ahead of the screen by default (the settings' `prefetch` changes it): page down
# held at 30 keys/s crosses a 250-row page in about 0.2 s, faster than a fetch at 50 ms latency
# lands with one page ahead (bench/: 35% of frames showed "…loading"); two keep ahead, and 20
# held pages leave room for them.
PREFETCH = DEFAULTS.prefetch
CAP = 60  # cells a column takes at most: a longer value is cut (the member's detail shows it all)
# Where not every column fits whole, a value more than this many times as wide as the column's
# median is an outlier: cut with "…" (one hostile name) rather than pushing the other columns away.
OUTLIER = 2
WHOLE = ("email", "name")  # never cut to make room for other columns: the view scrolls instead


def shown(value: Any) -> str:
    """A value as the table shows it: clean text, a list's items joined."""
    if isinstance(value, list | tuple):
        return ", ".join(clean(item) for item in value)
    return clean(value)


def width_of(value: Any) -> int:
    """Cells `value` takes as the table shows it. The common cases are counted without making
    the text (every cell of each page that lands is measured, on the app's thread): ASCII text
    takes its length (`clean` makes each control one U+FFFD, a tab a space), nothing none, a
    flag "yes" or "no", a whole number its digits, a list of ASCII texts their joined length."""
    if value is None:
        return 0
    kind = value.__class__
    if kind is str:
        if value.isascii():
            return len(value)
    elif kind is bool:
        return 3 if value else 2
    elif kind is int:
        return len(str(value))
    elif kind is list and all(item.__class__ is str and item.isascii() for item in value):
        return sum(map(len, value)) + 2 * max(len(value) - 1, 0)  # ", " between them
    return cell_len(shown(value))


def _least_need(column: Column) -> int:
    """Cells a column needs before any row is read: its label (and a sort mark), and the
    values it is known to hold (a status that becomes "opted out" keeps its room)."""
    words = [clean(column.label) + " ▲", *map(clean, column.known_values())]
    return min(max(map(cell_len, words)), CAP)


def _usual(widths: Counter[int]) -> int:
    """The widest of the values counted in `widths` (width -> count) that is no outlier (the
    median is of the values given: an empty cell says nothing of how wide values are)."""
    given = {width: count for width, count in widths.items() if width}
    half, counted, median = sum(given.values()) / 2, 0, 0
    for median in sorted(given):
        counted += given[median]
        if counted >= half:
            break
    return max(width for width in widths if width <= max(OUTLIER * median, 1))


def cell(value: Any, width: int) -> str:
    """A value as exactly `width` cells of clean text, cut with an ellipsis when too long."""
    text = shown(value)
    if cell_len(text) <= width:
        return text + " " * (width - cell_len(text))
    return set_cell_size(text, max(width - 1, 0)) + "…"


class MemberTable(ScrollView, can_focus=True):
    """Rows of a PageCache under a fixed header row; a row cursor and a column cursor."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "member-table--header",
        "member-table--header-cursor",
        "member-table--cursor",
        "member-table--placeholder",
        "member-table--error",
    }
    DEFAULT_CSS = """
    MemberTable { height: 1fr; scrollbar-gutter: stable; }
    MemberTable > .member-table--header { text-style: bold; background: $panel; }
    MemberTable > .member-table--header-cursor { text-style: bold reverse; }
    MemberTable > .member-table--cursor { background: $block-cursor-background;
        color: $block-cursor-foreground; text-style: bold; }
    MemberTable:blur > .member-table--cursor { background: $block-cursor-blurred-background; }
    MemberTable > .member-table--placeholder { color: $text-muted; text-style: italic; }
    MemberTable > .member-table--error { color: $text-error; background: $error-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="table.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="table.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="table.page_up"),
        Binding("pagedown,space", "page(1)", "Page down", show=False, id="table.page_down"),
        Binding("left,h", "column(-1)", "Column left", show=False, id="table.column_left"),
        Binding("right,l", "column(1)", "Column right", show=False, id="table.column_right"),
    ]

    # Each watcher repaints what its move changes: the reactive's own repaint was every line.
    cursor_row: reactive[int] = reactive(0, init=False, repaint=False)
    cursor_column: reactive[int] = reactive(0, init=False, repaint=False)

    class Changed(Message):
        """Rows arrived or failed, or the cursor moved: the status line should say so. One
        still queued gives way to a newer one (a held key posts one per repeat)."""

        def __init__(self, table: MemberTable) -> None:
            super().__init__()
            self.table = table
            self.cursor_row = table.cursor_row
            self.rows = table.rows
            self.failed = table.failed()

        @property
        def control(self) -> MemberTable:
            return self.table

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, MemberTable.Changed) and message.table is self.table

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.cache: PageCache | None = None
        self.columns: list[Column] = []
        self.widths: list[int] = []
        self.needs: list[int] = []  # cells each column's label and the rows seen so far need
        self.usual: list[int] = []  # ... leaving out outliers (neither ever shrinks)
        self._seen: list[Counter[int]] = []  # per column, how many values took each width
        self.sort: Sort | None = None
        self.empty_note = EMPTY  # what an empty view says (a demo list being built says so)
        self._fitted_empty = False  # whether the widths were fitted to headings alone
        self.loading_note = LOADING  # what a row on its way says (a long sort says so)
        self._direction = 1
        # Lines drawn, by row: (member, strip). Scrolling by one row redraws every line on
        # screen, but only one of them shows something new. Valid while `_look` holds.
        self._lines: LRUCache[tuple[int, bool], tuple[Member, Strip]] = LRUCache(LINES_KEPT)
        self._look: tuple[Any, ...] = ()
        self._base = Style()

    # --- wiring -----------------------------------------------------------------------------
    def bind(self, cache: PageCache, columns: Sequence[Column]) -> None:
        """Show `cache`'s rows in `columns`: the cache tells this table when pages land, and
        waits for its paint before prefetching. Whoever made the cache closes it."""
        self.cache = cache
        cache.bind(self._page_changed, self.call_after_refresh)
        self.columns = list(columns)
        self.needs = [_least_need(column) for column in self.columns]
        self.usual = list(self.needs)
        self._seen = [Counter() for _ in self.columns]
        self.cursor_column = min(self.cursor_column, max(len(self.columns) - 1, 0))
        for page in cache.pages_held:  # the rows a list opens with are in before the table
            self._measure(page)
        self._fit()
        self._sync()

    def on_unmount(self) -> None:
        if self.cache is not None:
            self.cache.unbind()  # nothing to repaint when pages land; the cache stays open

    def on_resize(self, event: events.Resize) -> None:
        self._fit()
        self._sync()

    def _fit(self) -> None:
        # Before its first layout the table has no size: the app's width less the vertical
        # scrollbar is what it will get, so the first frame is laid out as the next ones.
        available = (
            self.scrollable_content_region.width
            or self.size.width
            or self.app.size.width - self.styles.scrollbar_size_vertical
        )
        available = max(available, 20)
        needs = self.needs
        if sum(needs) + GAP * max(len(needs) - 1, 0) > available:
            needs = self.usual
        self._fitted_empty = self._empty()
        if self._fitted_empty:  # only headings to read: cut the longest rather than scroll
            floors = [HEADING_FLOOR] * len(self.columns)
        else:  # the values are what is read: they keep their floor, headings whole
            floors = [
                need if column.key in WHOLE else max(FLOOR, cell_len(clean(column.label)))
                for column, need in zip(self.columns, needs, strict=True)
            ]
        self.widths = fit_widths(needs, available, floors, GAP)

    def _empty(self) -> bool:
        """Whether the view is known to hold no member (its first page said so)."""
        return self.cache is not None and self.cache.total == 0

    def _page_changed(self, page: int) -> None:
        if self._measure(page) or self._fitted_empty != self._empty():
            self._fit()
        self._sync()

    def _measure(self, page: int) -> bool:
        """The rows of `page` measured: whether a column needs more room than before."""
        cache = self.cache
        if cache is None:
            return False
        start = cache.paging.start(page)
        for index in range(start, start + cache.paging.size):
            member = cache.row(index)
            if member is None:
                break
            for seen, column in zip(self._seen, self.columns, strict=True):
                seen[min(width_of(column.value(member)), CAP)] += 1
        before = (list(self.needs), list(self.usual))
        for position, seen in enumerate(self._seen):
            if seen:
                self.needs[position] = max(self.needs[position], max(seen))
                self.usual[position] = max(self.usual[position], _usual(seen))
        return (self.needs, self.usual) != before

    def _sync(self) -> None:
        """The virtual size from what the cache knows; the cursor kept inside it; a repaint."""
        rows = self.cache.rows if self.cache is not None else 0
        width = sum(self.widths) + GAP * max(len(self.widths) - 1, 0)
        wider = width != self.virtual_size.width
        self.virtual_size = Size(width, max(rows, 1) + 1)
        if wider:  # the columns grew with the first rows: the scrollbar they need is there at once
            self._refresh_scrollbars()
        if rows and self.cursor_row >= rows:
            self.cursor_row = rows - 1
        self._want()
        self.refresh()
        self.post_message(self.Changed(self))

    def _want(self) -> None:
        if self.cache is not None:
            first = round(self.scroll_y)
            self.cache.want(first, first + self.visible_rows - 1, self._direction)

    # --- reading ----------------------------------------------------------------------------
    @property
    def rows(self) -> int:
        return self.cache.rows if self.cache is not None else 0

    @property
    def visible_rows(self) -> int:
        """Rows on screen: the height under the header, less a horizontal scrollbar."""
        return max(self.scrollable_content_region.height - 1, 1)

    @property
    def current_member(self) -> Member | None:
        return self.cache.row(self.cursor_row) if self.cache is not None else None

    @property
    def current_column(self) -> Column | None:
        return self.columns[self.cursor_column] if self.columns else None

    def failed(self) -> bool:
        return self.cache is not None and self.cache.failure(self.cursor_row) is not None

    # --- moving -----------------------------------------------------------------------------
    def move_to(self, row: int) -> None:
        """Put the cursor on `row` (clamped) and bring it into view."""
        self.cursor_row = max(0, min(row, self.rows - 1))

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._direction = 1 if new >= old else -1
        height = self.visible_rows
        top = round(self.scroll_y)
        if new < self.scroll_y:
            self.scroll_to(y=new, animate=False, immediate=True)
        elif new >= self.scroll_y + height:
            self.scroll_to(y=new - height + 1, animate=False, immediate=True)
        self._want()
        if round(self.scroll_y) != top:
            self.refresh()
        else:  # the view stayed: only the row the cursor left and the one it reached change
            for row in (old, new):  # (Textual redrew and re-styled every line on screen)
                self.refresh(Region(0, row - top + 1, self.size.width, 1))  # under the header
        self.post_message(self.Changed(self))

    def watch_cursor_column(self, old: int, new: int) -> None:
        start = sum(self.widths[:new]) + GAP * new
        end = start + (self.widths[new] if new < len(self.widths) else 0)
        view = self.scrollable_content_region.width
        left = round(self.scroll_x)
        if start < self.scroll_x:
            self.scroll_to(x=start, animate=False, immediate=True)
        elif end > self.scroll_x + view:
            self.scroll_to(x=end - view, animate=False, immediate=True)
        if round(self.scroll_x) != left:
            self.refresh()
        else:  # the view stayed: only the header marks the column
            self.refresh(Region(0, 0, self.size.width, 1))
        self.post_message(self.Changed(self))

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._direction = 1 if new >= old else -1
        self._want()

    async def action_scroll_home(self) -> None:  # type: ignore[override]  # Textual awaits it
        """Home: the screen's first row (its `g`); the scroll view's own Home scrolled the view
        and left the cursor where it was."""
        await self.run_action("screen.first")

    async def action_scroll_end(self) -> None:  # type: ignore[override]  # as Home
        """End: the screen's last row (its `G`, which knows when the end cannot be reached)."""
        await self.run_action("screen.last")

    def action_cursor(self, step: int) -> None:
        self.move_to(self.cursor_row + step)

    def action_page(self, step: int) -> None:
        self.move_to(self.cursor_row + step * max(self.visible_rows - 1, 1))

    def action_column(self, step: int) -> None:
        self.cursor_column = max(0, min(self.cursor_column + step, len(self.columns) - 1))

    def on_click(self, event: events.Click) -> None:
        """A click on a row selects it; on a header cell, selects the column."""
        offset = event.get_content_offset(self)
        if offset is None:
            return
        x = offset.x + round(self.scroll_x)
        edge = 0
        for index, width in enumerate(self.widths):
            edge += width + GAP
            if x < edge:
                self.cursor_column = index
                break
        if offset.y >= 1:
            self.move_to(round(self.scroll_y) + offset.y - 1)

    # --- drawing ----------------------------------------------------------------------------
    def render_lines(self, crop: Region) -> list[Strip]:
        """Work out the paint's style once (not per line) and drop drawn lines it outdates."""
        base = self.rich_style
        look = (
            base,
            self.scrollable_content_region.width,
            round(self.scroll_x),
            tuple(self.widths),
            tuple(self.columns),  # the columns themselves: an id can be reused
            self.has_focus,
            self._style(base, "member-table--cursor"),
        )
        if look != self._look:
            self._look = look
            self._lines.clear()
        self._base = base
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        base = self._base
        if y == 0:
            return self._crop(self._header(base))
        index = round(self.scroll_y) + y - 1
        member = self.cache.row(index) if self.cache is not None else None
        if member is None:  # a placeholder or an error stays put when scrolled sideways
            width = self.scrollable_content_region.width
            return self._note(index, base).adjust_cell_length(width, base)
        key = (index, index == self.cursor_row)
        drawn = self._lines.get(key)
        if drawn is None or drawn[0] is not member:  # holding the member keeps `is` honest
            drawn = (member, self._crop(self._row(index, member, base)))
            self._lines.set(key, drawn)
        return drawn[1]

    def _crop(self, strip: Strip) -> Strip:
        """The part of a full-width line inside the view, scrolled sideways."""
        width = self.scrollable_content_region.width
        scroll_x = round(self.scroll_x)
        return strip.extend_cell_length(scroll_x + width, self._base).crop(
            scroll_x, scroll_x + width
        )

    def _style(self, base: Style, name: str) -> Style:
        return base + self.get_component_rich_style(name)

    def _cells(self, values: Sequence[Any], style: Style, special: dict[int, Style]) -> Strip:
        """One line of cells in `style`, the cells of `special` columns in their own style."""
        segments = []
        for index, (value, width) in enumerate(zip(values, self.widths, strict=False)):
            segments.append(Segment(cell(value, width), special.get(index, style)))
            segments.append(Segment(" " * GAP, style))
        return Strip(segments)

    def _header(self, base: Style) -> Strip:
        labels = []
        for column in self.columns:
            mark = ""
            if self.sort is not None and column.spec and column.spec.name == self.sort.field:
                mark = " ▼" if self.sort.descending else " ▲"
            labels.append(clean(column.label) + mark)
        header = self._style(base, "member-table--header")
        current = {self.cursor_column: self._style(header, "member-table--header-cursor")}
        return self._cells(labels, header, current)

    def _row(self, index: int, member: Member, base: Style) -> Strip:
        values = [column.value(member) for column in self.columns]
        if index == self.cursor_row:
            return self._cells(values, self._style(base, "member-table--cursor"), {})
        colour = Style.parse(STATUS_STYLES.get(member.status, "") or "none")
        status = {i: base + colour for i, c in enumerate(self.columns) if c.key == "status"}
        return self._cells(values, base, status)

    def _note(self, index: int, base: Style) -> Strip:
        """What stands in for a row not loaded: "…loading", the error of its page, or nothing."""
        cache = self.cache
        if cache is None or index >= max(cache.rows, 1):
            return Strip.blank(0, base)  # a style even when empty: NO_COLOR filters every segment
        if index == self.cursor_row:
            base = self._style(base, "member-table--cursor")
        failure = cache.failure(index)
        if cache.total == 0:
            text, name = self.empty_note, "member-table--placeholder"
        elif failure is not None:  # the reason once, on the page's first row on screen
            start = cache.paging.start(cache.paging.page_of(index))
            first = index == max(start, round(self.scroll_y))
            reason = f": {failure}" if first else ""
            # a view the platform cannot give (a sort with a filter it cannot combine): asking
            # again cannot help, so the row offers no retry, only why
            retry = "" if isinstance(failure, UnsupportedError) else ", press r to retry"
            text = f"⚠ not loaded{retry}{reason}"
            name = "member-table--error"
        else:
            text, name = self.loading_note, "member-table--placeholder"
        width = max(self.scrollable_content_region.width, 1)
        return Strip([Segment(cell(text, width), self._style(base, name))])
