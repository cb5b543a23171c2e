"""A bounded page cache over `Provider.members`, for views of lists too big to hold in memory.

The member table asks for the rows it shows; the cache fetches the pages that hold them (one task
per missing page, never two for the same page), prefetches ahead in the direction of travel, keeps
at most `max_pages` pages (least recently used go first) and ignores what a fetch returns once the
view was reset (a new sort, filter or refresh). Where each page lies is its `Paging`
(core.paging).

Every page is shown to a `PageGuard` (core.page_guard): a page whose first member another page
already began with, or whose cursor was already followed, fails with what the platform did, so a
platform that repeats itself never puts a member on two rows.

Pure asyncio: no Textual here. Whoever shows the rows `bind`s to the cache: told when a page lands
or fails, and asked to say when the rows that landed are painted.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Iterable
from functools import partial
from typing import Any, Protocol

from .errors import PagingError
from .models import Member, Page, PageRequest
from .page_guard import PageGuard
from .paging import PageFetcher, Paging

MAX_PAGES = 20  # pages kept in memory: 5 000 rows at the UI page size, whatever the list holds


class Cancellable(Protocol):
    def cancel(self) -> Any: ...


# Runs one page fetch, given as the function that starts it: an asyncio task by default; the
# table passes Textual's run_worker so the fetches of a screen end with it. A fetch cancelled
# before it began never makes its coroutine (a worker cancelled that early never awaits it).
Spawn = Callable[[Callable[[], Coroutine[Any, Any, None]]], Cancellable]


def _task(start: Callable[[], Coroutine[Any, Any, None]]) -> Cancellable:
    return asyncio.ensure_future(start())


class PageCache:
    """The rows of one view, fetched on demand, at most `max_pages` pages held.

    `row(i)` answers from memory (None: not loaded); `want(first, last, direction)` says which rows
    are on screen, which fetches what is missing plus `prefetch` pages ahead, and cancels fetches
    of pages nobody wants any more. `bind` says who shows the rows.

    With `paint_first`, rows that land on screen are painted before the prefetch starts: its
    parse and round trip would share the CPU with that paint (bench/: ~5-10 ms of opening a
    list). Such a cache can start fetching before anything shows it (a screen being built); its
    prefetch waits until `bind` gives it a way to learn of the paint.
    """

    def __init__(
        self,
        fetch: PageFetcher,
        paging: Paging,
        *,
        max_pages: int = MAX_PAGES,
        prefetch: int = 1,
        spawn: Spawn = _task,
        paint_first: bool = False,
        platform: str = "",
    ) -> None:
        self.max_pages = max(max_pages, 2 * prefetch + 2)
        self.prefetch = prefetch
        self._fetch = fetch
        self.paging = paging
        self._platform = platform
        self._guard = PageGuard(platform)
        self._pages: OrderedDict[int, list[Member]] = OrderedDict()
        self._errors: dict[int, Exception] = {}
        self._spawn = spawn
        self._on_change: Callable[[int], None] | None = None
        self._paint_first = paint_first
        self._after_paint: Callable[[Callable[[], None]], object] | None = None
        self._held = False  # the prefetch waits for the paint of the rows on screen
        self._in_flight: dict[int, tuple[int, Cancellable]] = {}  # page -> (ticket, fetch)
        self._tickets = itertools.count()
        self._idle = asyncio.Event()
        self._idle.set()
        self._landed = asyncio.Event()  # set whenever a fetch ends, whatever its outcome
        self._wanted: tuple[int, int, int] | None = None  # first row, last row, direction
        self.fetches = 0  # requests started, for the curious (and the tests)

    # --- reading ----------------------------------------------------------------------------
    @property
    def total(self) -> int | None:
        return self.paging.total

    @property
    def rows(self) -> int:
        """Rows to show: the total, or what is known plus one row standing for "more"."""
        total = self.paging.total
        return total if total is not None else self.paging.discovered + 1

    @property
    def pages_held(self) -> list[int]:
        return list(self._pages)

    @property
    def in_flight(self) -> list[int]:
        return list(self._in_flight)

    def row(self, index: int) -> Member | None:
        page = self.paging.page_of(index)
        members = self._pages.get(page)
        if members is None:
            return None
        self._pages.move_to_end(page)
        position = index - self.paging.start(page)
        return members[position] if 0 <= position < len(members) else None

    def failure(self, index: int) -> Exception | None:
        """Why the page holding row `index` could not be fetched, if it could not."""
        return self._errors.get(self.paging.page_of(index))

    # --- asking -----------------------------------------------------------------------------
    def bind(
        self,
        on_change: Callable[[int], None],
        after_paint: Callable[[Callable[[], None]], object] | None = None,
    ) -> None:
        """Who shows the rows: `on_change(page)` when a page lands or fails (-1: the view ended),
        and, for a `paint_first` cache, `after_paint(callback)` to call back after its next
        paint (a prefetch held until now waits for that one)."""
        self._on_change = on_change
        self._after_paint = after_paint
        if self._held and after_paint is not None:
            after_paint(self._release)

    def unbind(self) -> None:
        """Nobody shows the rows any more (the table went): no more calls; the cache stays open
        for whoever made it."""
        self._on_change = self._after_paint = None

    def want(self, first: int, last: int, direction: int = 1) -> None:
        """Rows first..last are on screen; fetch what they need and `prefetch` pages beyond."""
        self._wanted = (first, last, 1 if direction >= 0 else -1)
        self._schedule()

    def retry(self) -> None:
        """Fetch the pages that failed again."""
        self._errors.clear()
        self._schedule()

    def reset(self, fetch: PageFetcher | None = None, paging: Paging | None = None) -> None:
        """Forget everything (a new query or a refresh); what old fetches return is ignored."""
        self._cancel(list(self._in_flight))
        self._pages.clear()
        self._errors.clear()
        self._fetch = fetch or self._fetch
        self.paging = paging or self.paging.fresh()
        self._guard = PageGuard(self._platform)
        self._schedule()

    def refresh(self, fetch: PageFetcher, paging: Paging) -> None:
        """Everything afresh with the rows kept in place: a view that can reach any row keeps
        its last total until the platform's first page says otherwise, so a cursor far down
        the list (or at a growing demo list's end) stays on its row rather than at row 0."""
        total = self.paging.total if self.paging.random_access else None
        self.reset(fetch, paging)
        if total is not None and self.paging.random_access:
            self.paging.total = total

    def update(self, member: Member) -> bool:
        """Replace the cached copy of `member` (same id), e.g. after a re-read."""
        return self.revise(lambda old: member if old.id == member.id else None)

    def revise(self, revised: Callable[[Member], Member | None]) -> bool:
        """Replace each cached member for which `revised` gives a new one (a confirmed write,
        core.write_op.Change.update); whether any was."""
        found = False
        for members in self._pages.values():
            for position, old in enumerate(members):
                new = revised(old)
                if new is not None:
                    members[position] = new
                    found = True
        return found

    async def arrival(self, page: int) -> None:
        """Wait until `page` is no longer on its way: held, failed, or given up."""
        while page in self._in_flight:
            self._landed.clear()
            await self._landed.wait()

    async def settle(self) -> None:
        """Wait until no fetch is running (including the prefetches that arrivals start)."""
        while self._in_flight or self._held:
            await self._idle.wait()

    def stop_scan(self) -> bool:
        """End a scan (ScanPaging) where it is; False if there is none running."""
        if not self.paging.stop():
            return False
        self._schedule()
        self._changed(-1)
        return True

    def close(self) -> None:
        """Stop every fetch (the view is gone); the cache answers from memory only after this."""
        self._wanted, self._held = None, False
        self._cancel(list(self._in_flight))

    # --- machinery --------------------------------------------------------------------------
    def _wanted_pages(self) -> list[int]:
        """Visible pages first, then the prefetch pages in the direction of travel."""
        visible, beyond = self._wanted_split()
        return visible + beyond

    def _wanted_split(self) -> tuple[list[int], list[int]]:
        """(the pages on screen, the prefetch and scan pages beyond them)."""
        if self._wanted is None:
            return [], []
        first, last, direction = self._wanted
        total = self.paging.total
        if total is not None:  # before the total is known, a jump is taken at its word
            if total <= 0:
                return [], []
            first, last = min(first, total - 1), min(last, total - 1)
        first, last = max(first, 0), max(last, first, 0)
        visible = list(range(self.paging.page_of(first), self.paging.page_of(last) + 1))
        edge = visible[-1] if direction > 0 else visible[0]
        ahead = [edge + direction * step for step in range(1, self.prefetch + 1)]
        frontier = self.paging.frontier
        scan = [frontier] if frontier is not None and frontier not in visible + ahead else []
        return visible, [page for page in ahead + scan if page >= 0 and self._exists(page)]

    def _exists(self, page: int) -> bool:
        if self.paging.request(page) is None:
            return False
        total = self.paging.total
        return total is None or self.paging.start(page) < total

    def _schedule(self) -> None:
        visible, beyond = self._wanted_split()
        wanted = visible + beyond
        self._cancel([page for page in self._in_flight if page not in wanted])
        # Prefetch once the rows on screen are in: a prefetch started beside them shares the
        # round trip's CPU and slows what the user waits for (bench/: ~2x on a jump at 50 ms).
        missing = [page for page in visible if page not in self._pages and page not in self._errors]
        if self._held or any(self.paging.request(page) is not None for page in missing):
            wanted = missing
        for page in wanted:
            if page in self._pages or page in self._in_flight or page in self._errors:
                continue
            request = self.paging.request(page)
            if request is None:
                continue  # cursor paging: its cursor comes with the previous page
            self.fetches += 1
            self._idle.clear()
            ticket = next(self._tickets)
            fetch = self._spawn(partial(self._load, page, request, ticket))
            self._in_flight[page] = (ticket, fetch)

    def _cancel(self, pages: Iterable[int]) -> None:
        for page in pages:
            _, fetch = self._in_flight.pop(page, (None, None))
            if fetch is not None:
                fetch.cancel()
                self._landed.set()
        if not self._in_flight and not self._held:
            self._idle.set()

    def _finish(self, page: int, ticket: int) -> bool:
        """Whether this fetch is still the one wanted (not cancelled, not from before a reset)."""
        if self._in_flight.get(page, (None,))[0] != ticket:
            return False
        del self._in_flight[page]
        self._landed.set()
        if self._paint_first and not self._held and page in self._wanted_split()[0]:
            self._held = True
            if self._after_paint is not None:  # else `bind` asks for the paint
                self._after_paint(self._release)
        if not self._in_flight and not self._held:
            self._idle.set()
        return True

    def _release(self) -> None:
        """The rows that landed on screen are painted: the prefetch may start."""
        self._held = False
        self._schedule()
        if not self._in_flight:
            self._idle.set()

    async def _load(self, page: int, request: PageRequest, ticket: int) -> None:
        try:
            result = await self._fetch(request)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # shown on the page's rows, with a retry; never lost in a task
            if self._finish(page, ticket):
                self._fail(page, exc)
            return
        if not self._finish(page, ticket):
            return  # the view was reset, or the page given up, while it was on its way
        try:
            self._check(page, result)
        except PagingError as exc:  # the platform repeats itself: not a row of it is shown
            self._fail(page, exc)
            return
        self.paging.record(page, result)
        if not result.members and self.paging.total is None:
            self._changed(page)  # a scanned page without a match: the scan moved on
            self._schedule()
            return
        self._pages[page] = list(result.members)
        self._pages.move_to_end(page)
        self._evict()
        self._changed(page)
        self._schedule()  # cursor paging: the next page's cursor is known now

    def _fail(self, page: int, error: Exception) -> None:
        self._errors[page] = error
        self._changed(page)
        self._schedule()  # the prefetch waited for this page

    def _check(self, page: int, result: Page) -> None:
        """Raise PagingError where `result` repeats another page or a cursor already followed, or
        is empty where the platform counted rows (core.page_guard)."""
        start = self.paging.start(page)
        claimed = result.total if result.total is not None else self.paging.total
        if self.paging.random_access and not result.members and (claimed or 0) > start:
            self._guard.short(start, claimed or 0, self.paging.size)
        ids = [member.id for member in result.members]
        self._guard.page(ids, next_cursor=result.next_cursor, at=page)

    def _evict(self) -> None:
        keep = set(self._wanted_pages())
        for page in list(self._pages):
            if len(self._pages) <= self.max_pages:
                return
            if page not in keep:
                del self._pages[page]

    def _changed(self, page: int) -> None:
        if self._on_change is not None:
            self._on_change(page)
