"""The members of one list: the virtual table, its status line, and what can be done from a row."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from contextlib import suppress
from dataclasses import replace
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Label
from textual.worker import Worker

from ...core.columns import Column, columns_for
from ...core.errors import AudienceError, PagingError, UnsupportedError
from ...core.filters import FilterPlan, describe, plan_note
from ...core.models import Audience, Filter, Member, Query
from ...core.page_cache import PageCache
from ...core.paging import PageFetcher, Paging, page_size_for
from ...core.paging_scan import ScanPaging, plain_source, source_for
from ...core.sanitize import clean
from ...core.scan import View, prepare
from ...core.session import Session
from ..background import BackgroundWork
from ..context import settings_of
from ..demo_builds import build_of, building
from ..status_words import cannot_show, cannot_sort, no_jump, scan_status, waiting, withheld
from ..styled_once import StyledOnce
from ..whole_member import act_on_whole
from ..widgets.cells import error_text
from ..widgets.footer import Footer
from ..widgets.header import Header
from ..widgets.member_table import EMPTY, LOADING, MemberTable
from ..write_views import FollowsWrites, WriteConfirmed
from .members_export import export_members

# How long the screen waits for its fields and first rows before it is shown: one paint with
# columns and rows, rather than an empty table or "…loading" rows replaced a moment later; a
# slow platform still gets the screen and its columns at once.
ROWS_WAIT = 0.1
TICK = 0.5  # seconds between redraws of the status line while the table waits for pages
BUILD_REFILL = 2.0  # seconds between re-reads of a demo list while it is being built


async def show_members(screen: MembersScreen) -> None:
    """Push `screen` once its fields and first rows are in, ROWS_WAIT at most (as the lists
    screen opens a list). Its round trips start now, while the app's thread is otherwise idle:
    built first, the screen's layout and paint of an empty table (~25 ms of CPU) delayed the
    answer's handling, and the rows cost a second paint. Cancelled, the screen is dropped."""
    try:
        await screen.ready()
    except asyncio.CancelledError:
        screen.app.workers.cancel_node(screen)
        raise
    await screen.app.push_screen(screen)


class MembersScreen(StyledOnce, BackgroundWork, FollowsWrites, Screen[None]):
    TITLE = "Members"
    DEFAULT_CSS = "MembersScreen #filter, MembersScreen #status { width: 100%; }"
    HELP = (
        "The members of the list, a page at a time: only what is on screen is fetched, and a few "
        "thousand rows at most are kept in memory however far you scroll. Arrow keys, page keys "
        "and the mouse move; `g`/`G` go to the first/last row (`G` only where the platform can "
        "jump: lists paged by cursor arrive in order). `s` sorts by the column under the cursor "
        "where the platform can (again: reversed; a third time: unsorted); `enter` shows every "
        "field; `o` opts out (after a confirmation); `y` copies the email; `e` exports every "
        "member of the view; `r` fetches again.\n\n"
        "`f` builds a filter: the platform evaluates what it can, and the count shows where it "
        "counts; conditions it cannot evaluate are checked by the app, which scans the list "
        "page by page and shows the matches as it finds them (`x` or `escape` stops the scan "
        "and keeps what was found). The active filter is shown above the table. `c` shows "
        "charts of the current view."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="table.open"),
        Binding("o", "opt_out", "Opt out", id="table.opt_out"),
        Binding("y", "copy_email", "Copy email", id="table.copy_email"),
        Binding("e", "export", "Export", id="table.export"),
        Binding("s", "sort", "Sort", tooltip="By the column under the cursor", id="table.sort"),
        Binding("f", "filter", "Filter", id="table.filter"),
        Binding("x", "stop_scan", "Stop scan", show=False, id="table.stop_scan"),
        Binding("c", "charts", "Charts", id="table.charts"),
        # Not in the footer, which has room for one of the two at 120 columns: the charts are
        # found there, and a failed page's message names `r` where it is needed.
        Binding("r", "refresh", "Refresh", show=False, id="table.refresh"),
        Binding("g,home", "first", "First row", show=False, id="table.first"),
        Binding("G,end", "last", "Last row", show=False, id="table.last"),
        Binding("escape", "back", "Back", id="table.back"),
    ]

    def __init__(
        self,
        session: Session,
        account_name: str,
        audience: Audience,
        query: Query | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.account_name = account_name  # the app's `/` looks up in this account
        self.audience = audience
        self.provider = session.provider(account_name)
        # what is shown: the sort, and the filter/status view the screen was opened with
        self.view = query or Query()
        self.columns: list[Column] = columns_for([])
        self.current: View | None = None  # the query resolved against the fields, and planned
        self.cache: PageCache | None = None
        self.notice: Text | None = None  # a problem with the list itself (its fields)
        self._status_fits = False  # the status line shown fits in one line
        self._loading: Worker[None] | None = None  # reading the fields and the first rows
        self._loaded = asyncio.Event()  # ... is done: they are in (the rows: ROWS_WAIT at most)
        self._build_timer: Timer | None = None  # while a demo build fills the list
        self._waiting_since: float | None = None  # since when pages have been in flight

    def _load(self) -> None:
        """Start reading the fields and the first rows, unless already on their way: before the
        widgets are built, which takes a while, so the platform's answer comes meanwhile."""
        if self._loading is not None:
            return
        if not self.view.filter:  # the rows do not need the fields: fetch them alongside
            self._open_cache(
                *plain_source(self.provider, self.audience, self.view, self._page_size)
            )
        self._loading = self._read_view()

    async def ready(self) -> None:
        """Wait until the fields and the first rows are in, ROWS_WAIT at most."""
        self._load()
        with suppress(TimeoutError):
            await asyncio.wait_for(self._loaded.wait(), ROWS_WAIT)

    def compose(self) -> ComposeResult:
        self._load()  # pushed without `ready`
        yield Header()
        yield Label(id="title")
        yield Label(id="filter")
        yield MemberTable(id="members")
        yield Label(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.account_name} · {clean(self.audience.name)}"
        title = Text.assemble(
            (self.provider.title, "bold"), " · ", self.account_name, " · ",
            (clean(self.audience.name), "bold"), f" ({clean(self.audience.kind)})",
        )  # fmt: skip
        self.query_one("#title", Label).update(title)
        self.query_one("#filter", Label).display = False
        self.table.focus()
        self.set_interval(TICK, self._tick)

    def on_unmount(self) -> None:
        if self.cache is not None:
            self.cache.close()

    @property
    def table(self) -> MemberTable:
        return self.query_one(MemberTable)

    async def settle(self) -> None:
        """Wait for the fields and the pages on screen (tests and screenshots)."""
        await asyncio.gather(*(w.wait() for w in self.app.workers if w.node is self))
        if self.cache is not None:
            await self.cache.settle()

    # --- loading ---------------------------------------------------------------------------
    @work(exclusive=True, group="members-fields")
    async def _read_view(self) -> None:
        """Read the list's fields (for the columns and the filter) and wait for the first rows,
        then show them: once the screen is up (a callback queued before it is mounted runs
        after its mount)."""
        try:
            view = await prepare(self.provider, self.audience, self.view)
        except AudienceError as exc:  # without the fields, a filter cannot be checked either
            dropped = ", filter not applied" if self.view.filter else ""
            self.notice = Text(f"Columns limited{dropped}: ").append_text(error_text(exc))
            query = replace(self.view, filter=Filter())
            view = View(self.provider, self.audience, [], query, FilterPlan(Filter(), Filter()))
        cache = self.cache or self._open_cache(*source_for(view, self._page_size))
        with suppress(TimeoutError):  # one paint with the rows, not one of "…loading" first
            await asyncio.wait_for(cache.arrival(0), ROWS_WAIT)
        self._loaded.set()
        self.call_later(self._show_view, view, cache)

    def _show_view(self, view: View, cache: PageCache) -> None:
        """The view read by `_read_view`, on the table (its one `bind` to the cache)."""
        self.current, self.view = view, view.query
        self.columns = columns_for(view.fields)
        self.refresh_bindings()  # `s` where a column sorts
        self.table.sort = self.view.sort
        self.table.bind(cache, self.columns)
        self._show_status()  # now, not on the table's message: laid out with the first rows
        self._follow_build()
        self._show_filter()

    @property
    def _page_size(self) -> int:
        return page_size_for(self.provider.capabilities)

    def _open_cache(self, fetch: PageFetcher, paging: Paging) -> PageCache:
        """The view's page cache, already fetching the first screen; the table binds to it
        later, and the screen closes it when it goes."""
        self.cache = PageCache(
            fetch,
            paging,
            spawn=self._spawn,
            prefetch=settings_of(self).prefetch,
            paint_first=True,
            platform=self.provider.title,
        )
        self.cache.want(0, 0)  # the table asks for the rows it shows once it is bound
        return self.cache

    def _spawn(self, fetch: Callable[[], Coroutine[Any, Any, None]]) -> Worker[None]:
        """A page fetch runs as a worker of this screen, so it ends when the screen goes."""
        return self.run_worker(fetch, group="member-pages", exit_on_error=False)

    def _show(self, view: View) -> None:
        """Show `view` from the first row; what the old view still returns is ignored."""
        self.current, self.view = view, view.query
        self.table.sort = view.query.sort
        if self.cache is not None:
            self.cache.reset(*source_for(view, self.cache.paging.size))
        self.table.move_to(0)
        self.table.refresh()
        self._show_filter()
        self._show_status()  # at once: "sorting by …" while the first page is on its way

    def _requery(self, query: Query) -> None:
        """The same filter in another order (the plan does not change)."""
        if self.current is not None:
            self._show(replace(self.current, query=replace(query, filter=self.view.filter)))

    @work(exclusive=True, group="members-filter")
    async def _filter(self, filter: Filter) -> None:
        try:
            view = await prepare(self.provider, self.audience, replace(self.view, filter=filter))
        except AudienceError as exc:
            self.notify(clean(str(exc)), title="Filter not applied", severity="error", markup=False)
            return
        self._show(view)

    def _show_filter(self) -> None:
        """The active filter above the table, and who evaluates it."""
        label = self.query_one("#filter", Label)
        view = self.current
        label.display = view is not None and bool(view.query.filter)
        if view is None or not view.query.filter:
            return
        line = Text.assemble(("Filter: ", "bold"), clean(describe(view.query.filter, view.fields)))
        line.append("\n").append(plan_note(self.provider.title, view.plan, view.fields), "dim")
        label.update(line)

    # --- the status line --------------------------------------------------------------------
    @on(MemberTable.Changed)
    def _show_status(self) -> None:
        table, cache = self.table, self.cache
        line = Text()
        if cache is not None:
            here = min(table.cursor_row + 1, max(cache.rows, 1))
            if isinstance(cache.paging, ScanPaging):
                line.append_text(scan_status(cache.paging, here, self._halted()))
            elif cache.total == 0:
                line.append("no members")
            elif cache.total is not None:
                line.append(f"row {here:,} of {cache.total:,}")
            else:
                line.append(f"row {here:,} · {cache.paging.discovered:,} loaded, more…")
            if note := self._waiting():
                line.append(f" · {note}", "dim")
            table.loading_note = f"…{note}" if note else LOADING
            failure = cache.failure(table.cursor_row)
            if isinstance(failure, PagingError):  # the platform repeats itself or lies: say so
                line.append(
                    " · the platform's pages stop here (the row says why): r asks again", "red"
                )
            elif isinstance(failure, UnsupportedError):
                line.append_text(cannot_show(self._sorted_column()))
            elif failure is not None:
                line.append(" · this page failed: r retries", "red")
        if self.view.sort is not None and (column := self._sorted_column()) is not None:
            arrow = "▼" if self.view.sort.descending else "▲"
            line.append(" · sorted by ").append(clean(column.label), "bold").append(f" {arrow}")
        if self.notice is not None:
            line.append(" · ").append_text(self.notice)
        if build := build_of(self, self.session, self.account_name, self.audience.id):
            line.append(f" · {building(build)}", "cyan")
        # Shown on every cursor move: a line as wide as the screen that stays one line high
        # changes no layout, and a layout pass costs more than the rest of the frame.
        label = self.query_one("#status", Label)
        shown = self.current.server_query if self.current is not None else self.view
        if keys := self.provider.withheld_for(shown):  # empty emails: why, in the room left
            room = label.size.width - line.cell_len - 1
            line.append_text(withheld(self.provider.title, keys, self.columns, room))
        fits = line.cell_len < label.size.width
        label.update(line, layout=not (fits and self._status_fits))
        self._status_fits = fits

    def _follow_build(self) -> None:
        """A demo list being built: the table says so and fills as the build grows (its
        unfiltered view is read again every BUILD_REFILL seconds until the build ends)."""
        build = build_of(self, self.session, self.account_name, self.audience.id)
        self.table.empty_note = building(build) if build is not None else EMPTY
        if build is None or self._build_timer is not None:
            return
        self._build_timer = self.set_interval(BUILD_REFILL, self._build_grew)

    def _build_grew(self) -> None:
        build = build_of(self, self.session, self.account_name, self.audience.id)
        if build is None and self._build_timer is not None:
            self._build_timer.stop()
            self._build_timer = None
        if not self.view.filter:
            self.action_refresh()
        self._follow_build()

    def _halted(self) -> bool:
        """Whether a scan waits on a page that failed (its next page, past the rows found)."""
        cache = self.cache
        return cache is not None and cache.failure(cache.paging.discovered) is not None

    def _waiting(self) -> str:
        """What the table waits for, and for how long once it is a while (kept up to date by
        `_tick` while pages are in flight)."""
        cache = self.cache
        if cache is None or not cache.in_flight:
            self._waiting_since = None
            return ""
        now = time.monotonic()
        self._waiting_since = self._waiting_since or now
        column = self._sorted_column() if self.view.sort else None
        return waiting(clean(column.label) if column else None, now - self._waiting_since)

    def _tick(self) -> None:
        if self._waiting_since is not None:
            self._show_status()
            self.table.refresh()  # its rows on the way say for how long

    def _sorted_column(self) -> Column | None:
        field = self.view.sort.field if self.view.sort else None
        return next((c for c in self.columns if c.spec and c.spec.name == field), None)

    # --- actions ----------------------------------------------------------------------------
    def _member(self) -> Member | None:
        member = self.table.current_member
        if member is None:
            self.notify("This row has not loaded yet.", severity="warning")
        return member

    def action_first(self) -> None:
        self.table.move_to(0)

    def action_last(self) -> None:
        cache = self.cache
        if cache is None:
            return
        if not cache.paging.random_access:
            self.notify(no_jump(self.provider.title, cache.paging.discovered), markup=False)
        elif cache.total is None:
            self.notify("The end of this list is not known yet; scroll on to find it.")
        else:
            self.table.move_to(cache.total - 1)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`s` is offered where the platform sorts by a column of the list (Emma, Ownpage: none)."""
        return action != "sort" or any(column.sortable for column in self.columns)

    def action_sort(self) -> None:
        column = self.table.current_column
        if column is None:
            return
        if column.spec is None or not column.sortable:
            self.notify(cannot_sort(self.provider.title, column, self.columns), markup=False)
            return
        self._requery(replace(self.view, sort=column.next_sort(self.view.sort)))

    def action_filter(self) -> None:
        view = self.current
        if view is None:
            return
        from .filter_builder import FilterBuilder

        builder = FilterBuilder(
            self.provider, self.account_name, self.audience, view.fields, view.query.filter
        )
        self.app.push_screen(builder, self._filtered)

    def _filtered(self, filter: Filter | None) -> None:
        if filter is not None and filter != self.view.filter:
            self._filter(filter)

    def action_stop_scan(self) -> bool:
        """Stop a running scan, keeping the matches found; False when none was running."""
        if self.cache is None or not self.cache.stop_scan():
            return False
        self.notify("Scan stopped: the table shows the matches found so far; r scans again.")
        return True

    def action_charts(self) -> None:
        from .charts import ChartsScreen

        self.app.push_screen(
            ChartsScreen(self.session, self.account_name, self.audience, self.view)
        )

    def action_refresh(self) -> None:
        """Fetch the failed page again; with none failed, everything on screen afresh."""
        if self.cache is None:
            return
        if self.table.failed() or self._halted():
            self.cache.retry()
            return
        row = self.table.cursor_row
        if self.current is not None:
            self.cache.refresh(*source_for(self.current, self.cache.paging.size))
        self.table.move_to(row)

    def action_open(self) -> None:
        act_on_whole(self, self._member(), self._open)

    def _open(self, member: Member) -> None:
        from .member_detail import MemberDetailScreen

        fields = self.current.fields if self.current is not None else None
        screen = MemberDetailScreen(self.session, self.account_name, self.audience, member, fields)
        self.app.push_screen(screen, self._update)

    def action_opt_out(self) -> None:
        act_on_whole(self, self._member(), self._opt_out)

    def _opt_out(self, member: Member) -> None:
        from .opt_out import OptOutScreen

        screen = OptOutScreen(self.session, self.account_name, self.audience, [member])
        self.app.push_screen(screen)  # its outcome reaches the rows as any confirmed write does

    def on_write_confirmed(self, message: WriteConfirmed) -> None:
        """A confirmed write, made here or on any other screen: its members' rows as now; an
        import into this list, the list read again."""
        change, account = message.change, self.account_name
        if self.cache is None:
            return
        if change.kind == "import" and change.touches(account, self.audience.id):
            self.action_refresh()
        elif self.cache.revise(lambda shown: change.update(account, shown)):
            self.table.refresh()

    def _update(self, member: Member | None) -> None:
        """Show a member as read back (after an opt-out or a re-read in the detail screen)."""
        if member is not None and self.cache is not None and self.cache.update(member):
            self.table.refresh()

    def action_copy_email(self) -> None:
        act_on_whole(self, self._member(), self._copy_email)

    def _copy_email(self, member: Member) -> None:
        if not member.email:
            self.notify("This member has no email address.", severity="warning")
            return
        email = clean(member.email)  # a control character would reach the terminal (OSC 52)
        self.app.copy_to_clipboard(email)
        # The terminal may not support the clipboard (there is no way to know): show the value.
        self.notify(f"Copied {email}", title="Email", markup=False)

    def action_export(self) -> None:
        if self.cache is not None and self.current is not None:  # once the view is loaded
            export_members(self, self.current)

    def action_back(self) -> None:
        """Stop a running scan first; else back to the lists."""
        if not self.action_stop_scan():
            self.app.pop_screen()
