"""Where the pages of a view lie, and reading them all in order.

Three strategies say where a page lies:
- `OffsetPaging`: page k starts at row k * size; any page can be fetched at once; the total comes
  from `Page.total` (or from the first short page where the platform does not count).
- `CursorPaging`: page k can only be fetched with the cursor page k - 1 returned, so pages are
  discovered in order; the cursors (and start rows) of every discovered page are kept, so a page
  evicted from a cache can be fetched again; the total is known once the last page arrived.
- `ScanPaging` (core.paging_scan): the matches of a filter the app checks itself.

`iter_pages` reads every page once, in order (export); `core.page_cache.PageCache` holds the pages
a table shows.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol

from .models import Capabilities, Member, Page, PageRequest, PagingKind
from .page_guard import PageGuard

UI_PAGE_SIZE = 250  # rows per request for the table: a few screens' worth, cheap on every platform

PageFetcher = Callable[[PageRequest], Awaitable[Page]]


def page_size_for(capabilities: Capabilities, preferred: int = UI_PAGE_SIZE) -> int:
    """The page size to request: the UI's preference within what the platform accepts."""
    return max(1, min(capabilities.max_page_size, preferred))


class Paging(Protocol):
    """Where pages lie in the view and what is known of its length."""

    size: int
    total: int | None  # None until known
    random_access: bool  # True: any row can be reached at once (offset paging)

    @property
    def discovered(self) -> int:
        """Rows whose position is known: the total once known."""
        ...

    def page_of(self, row: int) -> int: ...

    def start(self, page: int) -> int: ...

    def request(self, page: int) -> PageRequest | None:
        """How to fetch `page`, or None while that is not known yet (cursor paging)."""
        ...

    def record(self, page: int, result: Page) -> None:
        """Learn from a fetched page: the total, the next cursor."""
        ...

    @property
    def frontier(self) -> int | None:
        """A page to fetch whatever is on screen (a scan runs to the end), or None."""
        ...

    def stop(self) -> bool:
        """End a scan where it is (False: nothing to stop, which is all but a scan's answer)."""
        ...

    def fresh(self) -> Paging:
        """The same kind of paging, of the same size, knowing nothing yet (a refresh)."""
        ...


class OffsetPaging:
    random_access = True
    frontier = None

    def __init__(self, size: int) -> None:
        self.size = size
        self.total: int | None = None
        self._extent = 0  # end of the furthest page seen, while the total is unknown

    @property
    def discovered(self) -> int:
        return self.total if self.total is not None else self._extent

    def page_of(self, row: int) -> int:
        return row // self.size

    def start(self, page: int) -> int:
        return page * self.size

    def request(self, page: int) -> PageRequest | None:
        return PageRequest(limit=self.size, offset=page * self.size)

    def stop(self) -> bool:
        return False

    def fresh(self) -> OffsetPaging:
        return type(self)(self.size)

    def record(self, page: int, result: Page) -> None:
        end = self.start(page) + len(result.members)
        self._extent = max(self._extent, end)
        if result.total is not None:
            self.total = result.total
        elif len(result.members) < self.size:  # a platform without counts: a short page ends it
            self.total = end


class CursorPaging:
    random_access = False
    frontier: int | None = None

    def __init__(self, size: int) -> None:
        self.size = size
        self.total: int | None = None
        # start row and cursor of every page discovered so far; the last one is the frontier
        self._starts: list[int] = [0]
        self._cursors: list[str | None] = [None]

    @property
    def discovered(self) -> int:
        return self.total if self.total is not None else self._starts[-1]

    def page_of(self, row: int) -> int:
        return max(bisect_right(self._starts, row) - 1, 0)

    def start(self, page: int) -> int:
        return self._starts[page]

    def request(self, page: int) -> PageRequest | None:
        if 0 <= page < len(self._cursors):
            return PageRequest(limit=self.size, cursor=self._cursors[page])
        return None

    def record(self, page: int, result: Page) -> None:
        if page != len(self._starts) - 1 or self.total is not None:
            return  # a page fetched again: its successor is already known
        end = self._starts[page] + len(result.members)
        if result.next_cursor is not None and result.members:
            self._starts.append(end)
            self._cursors.append(result.next_cursor)
        else:
            self.total = end

    def stop(self) -> bool:
        return False

    def fresh(self) -> CursorPaging:
        return type(self)(self.size)


def paging_for(kind: PagingKind, size: int) -> Paging:
    return OffsetPaging(size) if kind == "offset" else CursorPaging(size)


async def iter_pages(
    fetch: PageFetcher, paging: Paging, guard: PageGuard | None = None
) -> AsyncIterator[list[Member]]:
    """Every page of a view in order (for export): no cache, each page fetched once; `guard`
    (core.page_guard) stops it where the platform's pages do not move on."""
    guard = guard or PageGuard("")
    page = 0
    while (request := paging.request(page)) is not None:
        result = await fetch(request)
        start = paging.start(page)
        if not result.members and paging.total is not None and start < paging.total:
            guard.short(start, paging.total, paging.size)
        paging.record(page, result)
        guard.page([m.id for m in result.members], next_cursor=result.next_cursor)
        if result.members:
            yield result.members
        end = start + len(result.members)
        if paging.total is not None and end >= paging.total:
            return
        if result.members:
            page += 1
        elif paging.request(page) == request:
            return  # an empty page that did not move a scan on: the end
