"""Paging through the matches of a filter the app checks itself (core.filters.plan's local half).

The underlying view is scanned in order, one page at a time, by `scan_fetcher`; page k of the table
holds the matches of one underlying page, and its `ScanPoint` (where that page lies in the view) is
kept like a cursor, so an evicted page is fetched and checked again. The scan goes on to the end of
the view whatever is on screen (`frontier`) until `stop()`; memory holds the cached pages plus one
small point per page that had a match. `source_for` picks this or the platform's own paging.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from .models import Audience, Member, Page, PageRequest, PagingKind, Query
from .page_guard import PageGuard
from .paging import CursorPaging, PageFetcher, Paging, paging_for
from .provider import Provider
from .scan import View


@dataclass(frozen=True, slots=True)
class ScanPoint:
    """Where a page of the underlying view lies: rows before it, its cursor (cursor views), and
    the first member of the page before it (a platform that answers that page again is caught)."""

    position: int
    cursor: str | None = None
    before: str | None = None

    def token(self) -> str:
        return json.dumps([self.position, self.cursor, self.before])

    @classmethod
    def parse(cls, token: str | None) -> ScanPoint:
        if token is None:
            return cls(0)
        position, cursor, before = json.loads(token)
        return cls(int(position), cursor, before)


@dataclass(frozen=True, slots=True)
class ScanChunk(Page):
    """The matches of one underlying page, and how far the scan has come with it."""

    scanned: int = 0  # rows of the underlying view up to the end of this page
    view_total: int | None = None  # rows of the underlying view, where the platform counts


def scan_fetcher(
    fetch: PageFetcher, kind: PagingKind, keep: Callable[[Member], bool], platform: str = ""
) -> PageFetcher:
    """A fetcher of ScanChunks: the underlying page at a ScanPoint token, only the rows `keep`s.

    `fetch` reads the underlying (server-filtered) view, paged by `kind`; the chunk's next_cursor
    is the token of the next underlying page, None at the end of the view (or PagingError where
    the platform's pages do not move on: see core.page_guard).
    """

    async def chunk(request: PageRequest) -> Page:
        point = ScanPoint.parse(request.cursor)
        if kind == "offset":
            page = await fetch(PageRequest(request.limit, offset=point.position))
        else:
            page = await fetch(PageRequest(request.limit, cursor=point.cursor))
        guard = PageGuard.resume(platform, point.position, point.before, point.cursor)
        end = point.position + len(page.members)
        first = page.members[0].id if page.members else None
        if kind == "offset":
            if not page.members and page.total is not None and point.position < page.total:
                guard.short(point.position, page.total, request.limit)
            more = bool(page.members) and (
                end < page.total if page.total is not None else len(page.members) >= request.limit
            )
            guard.page([m.id for m in page.members], total=page.total)
            following = ScanPoint(end, None, first)
        else:
            more = bool(page.next_cursor) and bool(page.members)
            guard.page([m.id for m in page.members], next_cursor=page.next_cursor)
            following = ScanPoint(end, page.next_cursor, first)
        return ScanChunk(
            members=[member for member in page.members if keep(member)],
            next_cursor=following.token() if more else None,
            has_more=more,
            scanned=end,
            view_total=page.total,
        )

    return chunk


class ScanPaging(CursorPaging):
    """Pages of matches (see `scan_fetcher`), discovered in order; a page without a match is
    not a page of the table: the scan just moves its frontier on."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self._cursors[0] = ScanPoint(0).token()
        self.scanned = 0  # rows of the underlying view checked so far
        self.view_total: int | None = None
        self.stopped = False

    @property
    def frontier(self) -> int | None:  # type: ignore[override]
        return None if self.total is not None else len(self._starts) - 1

    @property
    def scanning(self) -> bool:
        return self.total is None

    def record(self, page: int, result: Page) -> None:
        if page != len(self._starts) - 1 or self.total is not None:
            return
        if isinstance(result, ScanChunk):
            self.scanned, self.view_total = result.scanned, result.view_total
        if result.members or result.next_cursor is None:
            super().record(page, result)
        else:
            self._cursors[-1] = result.next_cursor

    def stop(self) -> bool:
        """End the scan where it is: the matches found so far are the view. False if ended."""
        if self.total is not None:
            return False
        self.stopped = True
        self.total = self._starts[-1]
        return True


def source_for(view: View, size: int) -> tuple[PageFetcher, Paging]:
    """How to page through `view`: the platform's own paging, or a scan where the app filters."""
    if view.plan.scans:
        query = view.server_query
        fetch = partial(view.provider.members, view.audience, query)
        kind = view.provider.paging_for(query)
        return scan_fetcher(fetch, kind, view.keep, view.provider.title), ScanPaging(size)
    return plain_source(view.provider, view.audience, view.server_query, size)


def plain_source(
    provider: Provider, audience: Audience, query: Query, size: int
) -> tuple[PageFetcher, Paging]:
    """The platform's own paging of a query it evaluates whole (no app-side condition).

    Needs no field list, so a view without a filter can fetch its first page while its fields
    are still on their way.
    """
    fetch = partial(provider.members, audience, query)
    return fetch, paging_for(provider.paging_for(query), size)
