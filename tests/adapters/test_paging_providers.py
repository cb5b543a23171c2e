"""The page cache over the real adapters and the sandbox: offset paging on Heyloyalty, Emma and
Ownpage, cursor paging on Placewise's reporting view. Walking the whole view through a small cache
gives every member once, in the platform's order, with memory bounded."""

from __future__ import annotations

from functools import partial

import pytest

from audience_tui.core.models import Audience, MemberStatus, Query
from audience_tui.core.page_cache import PageCache
from audience_tui.core.paging import CursorPaging, OffsetPaging, iter_pages
from audience_tui.core.provider import Provider


async def smallest(provider: Provider) -> Audience:
    """The smallest list that still spans several pages."""
    audiences = [a for a in await provider.audiences() if (a.member_count or 0) >= 300]
    return min(audiences, key=lambda a: a.member_count or 0)


async def walk(cache: PageCache, step: int) -> list[str]:
    """Scroll from the first row to the last, `step` rows at a time, as the table does."""
    ids: list[str] = []
    row = 0
    while True:
        cache.want(row, row + step - 1)
        await cache.settle()
        assert cache.failure(row) is None
        assert len(cache.pages_held) <= cache.max_pages
        for index in range(row, min(row + step, cache.rows)):
            member = cache.row(index)
            if member is not None:  # the "more" row of a view whose end is not known yet
                ids.append(member.id)
        row += step
        if cache.total is not None and row >= cache.total:
            return ids


async def check(
    provider: Provider, audience: Audience, query: Query, paging: type, size: int
) -> None:
    fetch = partial(provider.members, audience, query)
    expected = [m.id async for chunk in iter_pages(fetch, paging(size)) for m in chunk]
    cache = PageCache(fetch, paging(size), max_pages=4)
    assert await walk(cache, 35) == expected
    assert cache.total == len(expected)
    # back to the start: the first pages were evicted and come back the same
    assert cache.row(0) is None
    cache.want(0, 34, direction=-1)
    await cache.settle()
    assert [cache.row(i).id for i in range(35)] == expected[:35]


@pytest.mark.parametrize("platform", ["heyloyalty", "emma", "ownpage"])
async def test_offset_paging_over_adapter(provider_for, platform: str) -> None:
    provider = provider_for(platform)
    assert provider.paging_for(Query()) == "offset"
    audience = await smallest(provider)
    await check(provider, audience, Query(), OffsetPaging, 50)


async def test_cursor_paging_over_placewise_reports(provider_for) -> None:
    provider = provider_for("placewise")
    query = Query(status=MemberStatus.ACTIVE)
    assert provider.paging_for(query) == "cursor"
    audience = await smallest(provider)
    await check(provider, audience, query, CursorPaging, 100)  # reports are costly
