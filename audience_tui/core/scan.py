"""Walking a whole view page by page: the app-side half of filters, exports and scans.

`iterate` yields every member of a query in order, asking the platform for what it can evaluate
and checking the rest (FilterPlan.local) itself. `fetch_all_pages` fetches offset pages in
parallel within the platform's tolerated concurrency; cursor pages are necessarily sequential.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace

from .filters import FilterPlan, matches, plan, resolve
from .models import Audience, FieldSpec, FieldType, Filter, Member, Page, PageRequest, Query
from .provider import Provider

ProgressCallback = Callable[[int, int | None], None]  # (members seen, total if known)


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


async def prepare(provider: Provider, audience: Audience, query: Query) -> View:
    """Resolve and plan `query` for `audience` (raises ValidationError on bad input)."""
    fields = await provider.fields(audience)
    resolved = resolve(query.filter, fields)
    logic = provider.capabilities.filter_logic
    split = plan(resolved, fields, logic, provider.accepts)
    return View(provider, audience, fields, replace(query, filter=resolved), split)


def page_size(provider: Provider) -> int:
    return provider.capabilities.max_page_size


async def _pages(view: View, on_page: Callable[[Page], None] | None = None) -> AsyncIterator[Page]:
    provider, query = view.provider, view.server_query
    size = page_size(provider)
    if provider.paging_for(query) == "cursor":
        cursor: str | None = None
        while True:
            page = await provider.members(view.audience, query, PageRequest(size, cursor=cursor))
            yield page
            if not page.next_cursor:
                return
            cursor = page.next_cursor
    first = await provider.members(view.audience, query, PageRequest(size, 0))
    yield first
    if first.total is None:
        offset, page = len(first.members), first
        while page.has_more and page.members:
            page = await provider.members(view.audience, query, PageRequest(size, offset))
            yield page
            offset += len(page.members)
        return
    offsets = list(range(len(first.members), first.total, size)) if first.members else []
    semaphore = asyncio.Semaphore(max(1, provider.capabilities.scan_concurrency))

    async def fetch(offset: int) -> Page:
        async with semaphore:
            return await provider.members(view.audience, query, PageRequest(size, offset))

    # Fetch ahead in parallel but yield in order, so output order is the platform's order.
    window = max(1, provider.capabilities.scan_concurrency) * 2
    tasks: list[asyncio.Task[Page]] = []
    try:
        for offset in offsets:
            tasks.append(asyncio.create_task(fetch(offset)))
            if len(tasks) >= window:
                yield await tasks.pop(0)
        while tasks:
            yield await tasks.pop(0)
    finally:
        for task in tasks:
            task.cancel()


async def iterate(
    view: View, *, limit: int | None = None, progress: ProgressCallback | None = None
) -> AsyncIterator[Member]:
    """Every member of the view (app-side conditions applied), at most `limit` of them."""
    seen = kept = 0
    async for page in _pages(view):
        for member in page.members:
            seen += 1
            if view.keep(member):
                kept += 1
                yield member
                if limit is not None and kept >= limit:
                    return
        if progress is not None:
            progress(seen, page.total)


async def collect(view: View, limit: int | None = None) -> list[Member]:
    return [member async for member in iterate(view, limit=limit)]


def filter_of(conditions: Sequence[str], any_: bool) -> Filter:
    """The CLI's repeated --filter options (and --any) as a Filter."""
    from .filters import parse_condition

    return Filter(tuple(parse_condition(text) for text in conditions), "or" if any_ else "and")
