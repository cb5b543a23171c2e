"""Walking a whole view page by page: the app-side half of filters, exports and scans.

`iterate` yields every member of a query in order, asking the platform for what it can evaluate
and checking the rest (FilterPlan.local) itself. `fetch_all_pages` fetches offset pages in
parallel within the platform's tolerated concurrency; cursor pages are necessarily sequential.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from .filters import FilterPlan, matches, plan, resolve
from .models import (
    Audience,
    Column,
    FieldSpec,
    FieldType,
    Filter,
    Member,
    Page,
    PageRequest,
    Query,
)
from .page_guard import PageGuard
from .provider import Provider

ProgressCallback = Callable[[int, int | None], None]  # (members seen, total if known)
P = TypeVar("P", Page, Column)


@dataclass(frozen=True, slots=True)
class View:
    """A query made ready for one audience: filter resolved against its fields and planned."""

    provider: Provider
    audience: Audience
    fields: list[FieldSpec]
    query: Query
    plan: FilterPlan

    @property
    def server_query(self) -> Query:
        return replace(self.query, filter=self.plan.server)

    @property
    def types(self) -> dict[str, FieldType]:
        return {spec.name: spec.type for spec in self.fields}

    def keep(self, member: Member) -> bool:
        # Called once per member of a scan: skip building `types` when nothing is checked here.
        return not self.plan.local or matches(self.plan.local, member, self.types)

    def needs(self, *names: str) -> frozenset[str]:
        """The fields a scan that reads `names` asks the adapter for: those, and the fields of
        the conditions checked here."""
        return frozenset((*names, *(c.field for c in self.plan.local.conditions)))


async def prepare(provider: Provider, audience: Audience, query: Query) -> View:
    """Resolve and plan `query` for `audience` (raises ValidationError on bad input)."""
    fields = await provider.fields(audience)
    resolved = resolve(query.filter, fields)
    logic = provider.capabilities.filter_logic
    split = plan(resolved, fields, logic, provider.accepts)
    return View(provider, audience, fields, replace(query, filter=resolved), split)


def page_size(provider: Provider) -> int:
    return provider.capabilities.max_page_size


def _window(view: View, ahead: int | None) -> int:
    """Pages asked for at once: `ahead`, else twice the platform's concurrency (the account's
    client holds at most `scan_concurrency` requests on the wire, ApiClient; twice as many
    pages are asked for, so one is parsed while the next is on its way)."""
    return ahead or 2 * max(1, view.provider.capabilities.scan_concurrency)


async def _pages(
    view: View, read: Callable[[PageRequest], Awaitable[P]], ahead: int | None = None
) -> AsyncGenerator[P, None]:
    """The view's pages in order, each read by `read` (members, or one field's values), at most
    `_window` of them asked for at once; the walk ends on an empty page and is stopped by a
    PageGuard where the platform misbehaves."""
    provider, size = view.provider, page_size(view.provider)
    guard = PageGuard(provider.title, f"the members of {view.audience.name}")

    def page(offset: int = 0, cursor: str | None = None) -> Awaitable[P]:
        return read(PageRequest(size, offset, cursor))

    if provider.paging_for(view.server_query) == "cursor":
        cursor: str | None = None
        while True:
            current = await page(cursor=cursor)
            _show(guard, current, next_cursor=current.next_cursor)
            yield current
            if not current.next_cursor or not _length(current):
                return
            cursor = current.next_cursor
    window = _window(view, ahead)

    def fetch(offset: int) -> asyncio.Task[P]:
        return asyncio.ensure_future(page(offset))

    hinted = _hinted(view, size, window)
    early: dict[int, asyncio.Task[P]] = {offset: fetch(offset) for offset in hinted}
    tasks: list[tuple[int, asyncio.Task[P]]] = []
    try:
        first = await page()
        _show(guard, first, total=first.total)
        yield first
        if first.total is None:
            offset, current = _length(first), first
            while current.has_more and _length(current):
                current = await page(offset)
                _show(guard, current)
                yield current
                offset += _length(current)
            return
        total = first.total
        offsets = range(_length(first), total, size) if _length(first) else range(0)
        # Fetch ahead in parallel but yield in order, so output order is the platform's order.
        pending = iter(offsets)
        while True:
            for offset in itertools.islice(pending, window - len(tasks)):
                tasks.append((offset, early.pop(offset) if offset in early else fetch(offset)))
            if not tasks:
                return
            at, task = tasks.pop(0)
            current = await task
            if not _length(current):  # the view ends here, whatever the total said
                guard.short(at, total, size)
                return
            _show(guard, current, total=total)
            yield current
    finally:
        _discard([*(task for _, task in tasks), *early.values()])


def _hinted(view: View, size: int, window: int) -> range:
    """Pages asked for beside the first one, before its total is known: when the audience's
    member count is the view's size (no server filter, the default status) and the platform
    reports totals, those the scan needs anyway. As many as the scan keeps asked for later
    (twice the platform's concurrency): the first round fills every place on the wire, and the
    second round's requests already wait for a place when the first answers come, instead of
    being made after those answers are parsed (`window` pages in all). Where the count proves
    wrong, the extra pages are dropped."""
    provider, count = view.provider, view.audience.member_count
    if count is None or view.plan.server or view.query.status is not None:
        return range(0)
    if provider.paging_for(view.server_query) != "offset" or not provider.capabilities.totals_known:
        return range(0)
    return range(size, min(count, window * size), size)


def _length(page: Page | Column) -> int:
    return len(page.members) if isinstance(page, Page) else page.size


def _show(guard: PageGuard, page: Page | Column, **seen: Any) -> None:
    """Show the guard a page: its member ids, or a column's first member and length (a column
    of one field's values carries no other id, and its first is what a repeat is seen by)."""
    if isinstance(page, Page):
        guard.page([member.id for member in page.members], **seen)
    else:
        guard.page([page.first] if page.first else [], rows=page.size, **seen)


def _discard(tasks: list[asyncio.Task[Any]]) -> None:
    """Cancel pages no longer wanted; the error of one that already failed is not reported."""
    for task in tasks:
        if not task.done():
            task.cancel()
        elif not task.cancelled():
            task.exception()


async def _walk(
    view: View,
    read: Callable[[PageRequest], Awaitable[P]],
    progress: ProgressCallback | None,
    ahead: int | None = None,
) -> AsyncGenerator[P, None]:
    seen = 0
    # closed with this one: no page left running
    async with aclosing(_pages(view, read, ahead)) as walk:
        async for page in walk:
            seen += _length(page)
            yield page
            if progress is not None:
                progress(seen, page.total)


async def pages(
    view: View,
    *,
    progress: ProgressCallback | None = None,
    fields: frozenset[str] | None = None,
    ahead: int | None = None,
    raw: bool = True,
) -> AsyncGenerator[list[Member], None]:
    """The view's members page by page, app-side conditions applied (for loops that count
    100k members, where one async step per member would cost more than the counting).

    `fields` (see `View.needs`): the members may be partial, holding only those fields.
    `ahead`: at most that many pages asked for at once (default twice the platform's
    concurrency), so a caller that writes members out holds fewer of them in memory.
    `raw`: False if the caller never reads `Member.raw` (see `PageRequest`).
    """
    provider, query = view.provider, view.server_query

    def read(request: PageRequest) -> Awaitable[Page]:
        return provider.members(view.audience, query, replace(request, fields=fields, raw=raw))

    async with aclosing(_walk(view, read, progress, ahead)) as walk:
        async for page in walk:
            yield [m for m in page.members if view.keep(m)] if view.plan.local else page.members


async def columns(
    view: View, name: str, *, progress: ProgressCallback | None = None
) -> AsyncIterator[Column]:
    """Field `name`'s values over the view, page by page (a scan counting one field). Without
    app-side conditions the adapter reads that field alone (`Provider.column`): for 5,000
    members a page, making no Member is most of a scan's cost saved."""
    if view.plan.local:
        async for members in pages(view, progress=progress, fields=view.needs(name)):
            yield Column.of(member.fields.get(name) for member in members)
        return
    provider, query = view.provider, view.server_query

    def read(request: PageRequest) -> Awaitable[Column]:
        return provider.column(view.audience, query, request, name)

    async for column in _walk(view, read, progress):
        yield column


async def iterate(
    view: View, *, limit: int | None = None, progress: ProgressCallback | None = None
) -> AsyncIterator[Member]:
    """Every member of the view (app-side conditions applied), at most `limit` of them."""
    kept = 0
    async for members in pages(view, progress=progress):
        for member in members:
            kept += 1
            yield member
            if limit is not None and kept >= limit:
                return


async def collect(view: View, limit: int | None = None) -> list[Member]:
    return [member async for member in iterate(view, limit=limit)]


def filter_of(conditions: Sequence[str], any_: bool) -> Filter:
    """The CLI's repeated --filter options (and --any) as a Filter."""
    from .filters import parse_condition

    return Filter(tuple(parse_condition(text) for text in conditions), "or" if any_ else "and")
