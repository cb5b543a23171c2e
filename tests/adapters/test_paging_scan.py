"""The table's view of a filter over the real adapters: the platform's own paging where it
evaluates the whole filter, a scan (ScanPaging) where the app checks part of it. Walking the view
through a small cache gives exactly the members core.scan's reference walk gives, in order, with
memory bounded; a scan can be stopped and keeps what it found."""

from __future__ import annotations

import pytest
from test_paging_providers import walk

from audience_tui.core.models import Condition, Filter, Query
from audience_tui.core.page_cache import PageCache
from audience_tui.core.paging import CursorPaging, OffsetPaging, iter_pages
from audience_tui.core.paging_scan import ScanPaging, source_for
from audience_tui.core.provider import Provider
from audience_tui.core.scan import View, collect, prepare

CASES = {
    # platform: (conditions, logic, paging the table uses, scans)
    "heyloyalty": ((("sex", "eq", "Female"), ("city", "ct", "a")), "and", OffsetPaging, False),
    "emma": ((("city", "ct", "a"),), "and", ScanPaging, True),
    "kajabi": ((("name", "ct", "a"), ("subscribed", "eq", "no")), "and", ScanPaging, True),
    "ownpage": ((("email", "ct", "a"), ("send_count", "gt", "3")), "and", ScanPaging, True),
    "placewise": ((("gender", "eq", "Woman"), ("first_name", "sw", "A")), "or", ScanPaging, True),
}


async def view_of(provider: Provider, conditions, logic: str) -> View:
    """The smallest list of several pages that has the fields of `conditions`."""
    names = {c[0] for c in conditions}
    for audience in sorted(await provider.audiences(), key=lambda a: a.member_count or 0):
        has = {spec.name for spec in await provider.fields(audience)}
        if (audience.member_count or 0) >= 300 and names <= has:
            break
    found = Filter(tuple(Condition(*c) for c in conditions), logic)
    return await prepare(provider, audience, Query(found))


@pytest.mark.parametrize("platform", sorted(CASES))
async def test_filtered_view_over_adapter(provider_for, platform: str) -> None:
    conditions, logic, paging_type, scans = CASES[platform]
    view = await view_of(provider_for(platform), conditions, logic)
    assert view.plan.scans is scans
    expected = [m.id for m in await collect(view)]
    assert 0 < len(expected) < (view.audience.member_count or 0)
    size = 20 if scans else 50  # small pages: the scan's first pages are evicted on the way
    fetch, paging = source_for(view, size)
    assert type(paging) is paging_type
    exported = [m.id async for chunk in iter_pages(fetch, source_for(view, size)[1]) for m in chunk]
    assert exported == expected
    # a page of a scan holds the matches of one page of the list: 5 rows may span 5 pages
    cache = PageCache(fetch, paging, max_pages=6 if scans else 4)
    assert await walk(cache, 5 if scans else 35) == expected
    assert cache.total == len(expected)
    assert len(cache.pages_held) <= cache.max_pages
    if scans:  # the first pages were evicted; they are scanned again and come back the same
        assert paging.scanned == paging.view_total or paging.view_total is None
        assert cache.row(0) is None
        cache.want(0, 34, direction=-1)
        await cache.settle()
        assert [cache.row(i).id for i in range(min(35, len(expected)))] == expected[:35]


async def test_server_filter_on_placewise_pages_by_cursor(provider_for) -> None:
    view = await view_of(provider_for("placewise"), (("gender", "eq", "Woman"),), "and")
    assert not view.plan.scans
    fetch, paging = source_for(view, 100)
    assert type(paging) is CursorPaging
    expected = [m.id for m in await collect(view)]
    assert await walk(PageCache(fetch, paging, max_pages=4), 40) == expected


async def test_scan_runs_to_the_end_whatever_is_on_screen(provider_for) -> None:
    """Emma filters nothing itself: the scan reads every page, counting matches as it goes."""
    view = await view_of(provider_for("emma"), (("city", "ct", "a"),), "and")
    fetch, paging = source_for(view, 50)
    cache = PageCache(fetch, paging, max_pages=3)
    cache.want(0, 9)
    await cache.settle()
    assert not paging.scanning
    assert paging.scanned == view.audience.member_count
    assert cache.total == len(await collect(view))
    assert len(cache.pages_held) <= cache.max_pages


async def test_stopped_scan_keeps_what_it_found(provider_for) -> None:
    view = await view_of(provider_for("emma"), (("city", "ct", "a"),), "and")
    fetch, paging = source_for(view, 50)
    pages = 0

    async def counting(request):
        nonlocal pages
        pages += 1
        if pages == 3:
            assert cache.stop_scan()
        return await fetch(request)

    cache = PageCache(counting, paging, max_pages=3)
    cache.want(0, 9)
    await cache.settle()
    assert paging.stopped and not paging.scanning
    assert not cache.stop_scan()  # nothing left to stop
    assert cache.total == paging.discovered
    assert 0 < paging.scanned < (view.audience.member_count or 0)
    expected = [m.id for m in await collect(view)]
    assert [cache.row(i).id for i in range(cache.total)] == expected[: cache.total]
