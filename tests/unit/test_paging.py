"""The page cache on its own, over a small in-memory page source (a unit-test double for the cache
logic; the adapters are exercised in test_paging_providers.py)."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Callable
from dataclasses import replace

import pytest

from audience_tui.core.errors import NetworkError, PagingError
from audience_tui.core.models import Capabilities, Member, MemberStatus, Page, PageRequest
from audience_tui.core.page_cache import PageCache
from audience_tui.core.paging import (
    CursorPaging,
    OffsetPaging,
    Paging,
    iter_pages,
    page_size_for,
)
from audience_tui.core.paging_scan import ScanPaging


def people(count: int, tag: str = "m") -> list[Member]:
    return [
        Member(id=f"{tag}{i}", email=f"{tag}{i}@x.test", status=MemberStatus.ACTIVE)
        for i in range(count)
    ]


class Source:
    """Serves `members` by offset (total known or not) or by cursor; can hold fetches at a gate."""

    def __init__(self, members: list[Member], *, totals: bool = True, cursor: bool = False) -> None:
        self.members = members
        self.totals = totals
        self.cursor = cursor
        self.requests: list[PageRequest] = []
        self.gate: asyncio.Event | None = None
        self.fail_offsets: set[int] = set()

    async def __call__(self, request: PageRequest) -> Page:
        self.requests.append(request)
        if self.gate is not None:
            await self.gate.wait()
        start = int(request.cursor or 0) if self.cursor else request.offset
        if start in self.fail_offsets:
            raise NetworkError("connection reset", platform="Fake")
        chunk = self.members[start : start + request.limit]
        end = start + len(chunk)
        if self.cursor:
            more = end < len(self.members)
            return Page(chunk, next_cursor=str(end) if more else None, has_more=more)
        return Page(chunk, offset=start, total=len(self.members) if self.totals else None)

    @property
    def offsets(self) -> list[int]:
        return [r.offset for r in self.requests]


def test_page_size_within_platform_cap() -> None:
    def cap(size: int) -> Capabilities:
        return Capabilities(paging="offset", max_page_size=size, totals_known=True)

    assert page_size_for(cap(100)) == 100
    assert page_size_for(cap(5000)) == 250


async def test_offset_fetches_visible_page_and_prefetches_next_once() -> None:
    source = Source(people(1000))
    cache = PageCache(source, OffsetPaging(100))
    assert cache.rows == 1 and cache.total is None and cache.row(0) is None
    cache.want(0, 30)
    cache.want(0, 31)  # the same pages are already on their way: no second request
    await cache.settle()
    assert sorted(source.offsets) == [0, 100]
    assert cache.total == 1000 and cache.rows == 1000
    assert cache.row(0).id == "m0" and cache.row(199).id == "m199" and cache.row(200) is None


@pytest.mark.parametrize("bound_first", [True, False])
async def test_the_prefetch_waits_until_the_rows_on_screen_are_painted(bound_first: bool) -> None:
    """A cache shown later fetches the rows on screen at once; its prefetch waits for the paint
    of those rows, asked for when they land or, landed before anything showed them, on `bind`."""
    source = Source(people(1000))
    changed: list[int] = []
    paints: list[Callable[[], None]] = []
    cache = PageCache(source, OffsetPaging(100), prefetch=2, paint_first=True)
    if bound_first:
        cache.bind(changed.append, paints.append)
    cache.want(0, 30)
    await cache.arrival(0)
    assert source.offsets == [0] and cache.row(0) is not None
    assert not cache.in_flight  # painted first, then fetched
    if not bound_first:
        assert not paints
        cache.bind(changed.append, paints.append)  # the table that shows the rows exists now
    assert len(paints) == 1 and not cache.in_flight
    paints.pop()()  # the paint is done
    await cache.settle()
    assert source.offsets == [0, 100, 200]
    assert changed == ([0, 1, 2] if bound_first else [1, 2])
    cache.want(150, 180)  # a prefetched page: no paint to wait for, the next page follows
    await cache.settle()
    assert source.offsets == [0, 100, 200, 300] and not paints


async def test_prefetch_follows_direction_of_travel() -> None:
    source = Source(people(3000))
    cache = PageCache(source, OffsetPaging(100))
    cache.want(2050, 2080, direction=-1)
    await cache.settle()
    assert sorted(source.offsets) == [1900, 2000]
    cache.want(2050, 2080, direction=1)
    await cache.settle()
    assert source.offsets[-1] == 2100


async def test_memory_stays_bounded_and_evicted_pages_are_fetched_again() -> None:
    source = Source(people(20_000))
    changed: list[int] = []
    cache = PageCache(source, OffsetPaging(100), max_pages=5)
    cache.bind(changed.append)
    for first in range(0, 20_000, 100):
        cache.want(first, first + 30)
        await cache.settle()
        assert len(cache.pages_held) <= 5
    assert cache.row(19_999).id == "m19999"
    assert cache.row(0) is None  # long evicted
    before = len(source.requests)
    cache.want(0, 30, direction=-1)
    await cache.settle()
    assert cache.row(0).id == "m0" and len(source.requests) == before + 1
    assert len(changed) == len(source.requests)


async def test_fetches_of_pages_scrolled_past_are_cancelled() -> None:
    source = Source(people(10_000))
    source.gate = asyncio.Event()
    cache = PageCache(source, OffsetPaging(100))
    cache.want(0, 30)
    await asyncio.sleep(0)
    assert cache.in_flight == [0]  # the prefetch waits for the page on screen
    cache.want(5000, 5030)  # the user jumped: page 0 is no longer needed
    assert cache.in_flight == [50]
    source.gate.set()
    await cache.settle()
    assert cache.row(0) is None and cache.row(5000).id == "m5000"
    assert sorted(cache.pages_held) == [50, 51]


async def test_arrival_waits_until_the_page_is_in_or_given_up() -> None:
    source = Source(people(1000))
    source.gate = asyncio.Event()
    cache = PageCache(source, OffsetPaging(100))
    cache.want(0, 30)
    waiting = asyncio.ensure_future(cache.arrival(0))
    await asyncio.sleep(0)
    assert not waiting.done()  # page 0 is held at the gate
    source.gate.set()
    await waiting
    assert cache.row(0).id == "m0"
    await cache.arrival(7)  # a page nobody fetches: nothing to wait for

    source.gate.clear()
    cache.want(500, 530)
    waiting = asyncio.ensure_future(cache.arrival(5))
    await asyncio.sleep(0)
    cache.want(900, 930)  # jumped away: page 5 is given up, and the wait ends with it
    await asyncio.wait_for(waiting, 1)
    assert cache.row(500) is None


async def test_reset_ignores_stale_results() -> None:
    old = Source(people(500, "old"))
    old.gate = asyncio.Event()
    cache = PageCache(old, OffsetPaging(100))
    cache.want(0, 30)
    await asyncio.sleep(0)
    new = Source(people(300, "new"))
    cache.reset(new)  # e.g. the user sorted: what the old query returns must not show
    old.gate.set()
    await cache.settle()
    await asyncio.sleep(0)
    assert cache.row(0).id == "new0" and cache.total == 300
    assert all(m.id.startswith("new") for p in cache.pages_held for m in [cache.row(p * 100)])


async def test_result_arriving_after_reset_is_dropped() -> None:
    """Even a fetch that ignores cancellation cannot put old rows into the new view."""
    release = asyncio.Event()
    finished: list[bool] = []

    async def stubborn(request: PageRequest) -> Page:
        try:
            await release.wait()
        except asyncio.CancelledError:
            await release.wait()  # finishes anyway, like a request that was already answered
        finished.append(True)
        return Page(people(100, "old"), total=100)

    cache = PageCache(stubborn, OffsetPaging(100), prefetch=0)
    cache.want(0, 10)
    await asyncio.sleep(0)
    cache.reset(Source(people(0)))
    await cache.settle()
    release.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert finished == [True]
    assert cache.total == 0 and cache.row(0) is None and cache.pages_held == [0]


async def test_failed_page_reports_error_until_retried() -> None:
    source = Source(people(500))
    source.fail_offsets = {100}
    cache = PageCache(source, OffsetPaging(100))
    cache.want(150, 180)
    await cache.settle()
    assert isinstance(cache.failure(150), NetworkError) and cache.row(150) is None
    assert cache.failure(250) is None and cache.row(250).id == "m250"
    cache.want(150, 181)
    await cache.settle()
    assert source.offsets.count(100) == 1  # no hammering a failing platform on every repaint
    source.fail_offsets = set()
    cache.retry()
    await cache.settle()
    assert cache.failure(150) is None and cache.row(150).id == "m150"


async def test_update_replaces_cached_member() -> None:
    source = Source(people(50))
    cache = PageCache(source, OffsetPaging(100))
    cache.want(0, 10)
    await cache.settle()
    after = Member(id="m7", email="m7@x.test", status=MemberStatus.OPTED_OUT)
    assert cache.update(after) and cache.row(7).status is MemberStatus.OPTED_OUT
    assert not cache.update(Member(id="nope", email=None, status=MemberStatus.ACTIVE))


async def test_offset_without_totals_ends_at_short_page() -> None:
    source = Source(people(250), totals=False)
    cache = PageCache(source, OffsetPaging(100))
    cache.want(0, 30)
    await cache.settle()
    assert cache.total is None and cache.rows == 201  # 200 known, one row standing for "more"
    cache.want(180, 200)
    await cache.settle()
    assert cache.total == 250 and cache.rows == 250


async def test_cursor_pages_are_fetched_in_sequence() -> None:
    source = Source(people(450), cursor=True)
    cache = PageCache(source, CursorPaging(100), max_pages=4)
    cache.want(0, 30)
    await cache.settle()
    # page 1 could only be asked for once page 0 had given its cursor
    assert [r.cursor for r in source.requests] == [None, "100"]
    assert cache.total is None and cache.paging.discovered == 200 and cache.rows == 201
    for first in range(0, 450, 50):
        cache.want(first, first + 30)
        await cache.settle()
    assert cache.total == 450 and cache.rows == 450
    assert [r.cursor for r in source.requests] == [None, "100", "200", "300", "400"]
    assert cache.row(449).id == "m449" and len(cache.pages_held) <= 4


async def test_cursor_pages_evicted_are_fetched_again_with_kept_cursor() -> None:
    source = Source(people(1000), cursor=True)
    cache = PageCache(source, CursorPaging(100), max_pages=4)
    for first in range(0, 1000, 100):
        cache.want(first, first + 30)
        await cache.settle()
    assert cache.row(350) is None
    source.requests.clear()
    cache.want(350, 380, direction=-1)
    await cache.settle()
    assert [r.cursor for r in source.requests] == ["300", "200"]
    assert cache.row(350).id == "m350" and cache.total == 1000


@pytest.mark.parametrize(
    ("source", "paging"),
    [
        (Source(people(1000)), OffsetPaging(300)),
        (Source(people(900), totals=False), OffsetPaging(300)),  # ends with an empty page
        (Source(people(1000), totals=False), OffsetPaging(300)),  # ends with a short page
        (Source(people(1000), cursor=True), CursorPaging(300)),
    ],
)
async def test_iter_pages_reads_every_member_once(source: Source, paging: OffsetPaging) -> None:
    seen = [m.id for chunk in [c async for c in iter_pages(source, paging)] for m in chunk]
    assert seen == [m.id for m in source.members]
    assert len(source.requests) <= len(source.members) // 300 + 2


@pytest.mark.parametrize("kind", [OffsetPaging, CursorPaging, ScanPaging])
def test_every_paging_answers_stop_and_fresh(kind: type[Paging]) -> None:
    """The cache asks any paging to stop or start over, without asking which kind it is."""
    paging = kind(7)
    paging.record(0, Page(people(7), next_cursor="7", has_more=True, total=20))
    assert paging.stop() is (kind is ScanPaging)  # only a scan has something to stop
    fresh = paging.fresh()
    assert type(fresh) is kind and fresh.size == 7 and fresh.total is None
    assert fresh.discovered == 0


def distinct_rows(cache: PageCache) -> list[str]:
    """The ids of every row the cache holds, asserting none shows twice."""
    ids = [m.id for i in range(cache.rows) if (m := cache.row(i)) is not None]
    assert len(ids) == len(set(ids)), "a member on two rows"
    return ids


async def test_a_cursor_that_does_not_advance_stops_the_view_without_duplicates() -> None:
    """A platform that hands back a cursor already followed (with new rows or the same ones):
    the page fails with what the platform did, the rows before it stay, nothing repeats."""
    members = people(400)

    async def stuck(request: PageRequest) -> Page:
        start = 0 if request.cursor is None else 100
        return Page(members[start : start + 100], next_cursor="c", has_more=True)

    cache = PageCache(stuck, CursorPaging(100), prefetch=3)
    cache.want(0, 30)
    await cache.settle()
    failure = cache.failure(100)
    assert isinstance(failure, PagingError) and "did not advance" in str(failure)
    assert cache.rows == 101 and cache.row(100) is None  # the rows before it, and the error row
    assert distinct_rows(cache) == [m.id for m in members[:100]]
    fetched = cache.fetches
    cache.want(80, 110)
    await cache.settle()
    assert cache.fetches == fetched  # a failed page is not asked again on every repaint
    cache.retry()  # asked again, it is judged afresh: the same answer, the same failure
    await cache.settle()
    assert isinstance(cache.failure(100), PagingError) and distinct_rows(cache)


async def test_a_platform_that_ignores_the_page_asked_shows_each_member_once() -> None:
    source = Source(people(100))

    async def same_page(request: PageRequest) -> Page:
        page = await source(PageRequest(request.limit, offset=0))
        return replace(page, total=1000)

    cache = PageCache(same_page, OffsetPaging(100))
    for first in (0, 130, 560, 990):
        cache.want(first, first + 30)
        await cache.settle()
    assert "already sent" in str(cache.failure(130)) and cache.row(130) is None
    assert isinstance(cache.failure(990), PagingError)
    assert distinct_rows(cache) == [m.id for m in source.members]


async def test_a_total_the_pages_never_reach_fails_where_they_end() -> None:
    source = Source(people(300))

    async def lying(request: PageRequest) -> Page:
        return replace(await source(request), total=10**12)

    cache = PageCache(lying, OffsetPaging(100))
    cache.want(10**12 - 30, 10**12 - 1)  # the end, as G goes
    await cache.settle()
    failure = cache.failure(10**12 - 1)
    assert isinstance(failure, PagingError) and "pages end after" in str(failure)


async def test_pages_fetched_again_or_reordered_by_a_reset_are_no_repeat() -> None:
    source = Source(people(300))
    cache = PageCache(source, OffsetPaging(100), max_pages=2)
    for first in (0, 150, 250, 50):  # page 0 is evicted, then fetched again
        cache.want(first, first + 30)
        await cache.settle()
    assert cache.row(50).id == "m50" and not cache._errors
    source.members = source.members[-100:] + source.members[:-100]  # m0 now begins page 1
    cache.reset()
    cache.want(100, 130)
    await cache.settle()
    assert cache.row(100).id == "m0" and cache.failure(100) is None


async def test_a_fetch_cancelled_before_it_began_leaves_no_coroutine_behind() -> None:
    """Textual cancels a worker that has not started without awaiting its coroutine ("never
    awaited" at garbage collection): the cache hands over a start, not a coroutine."""

    class Unstarted:
        def __init__(self, start: object) -> None:
            self.start = start
            self.cancelled = False

        def cancel(self) -> None:
            self.cancelled = True

    jobs: list[Unstarted] = []

    def spawn(start: object) -> Unstarted:
        jobs.append(Unstarted(start))
        return jobs[-1]

    cache = PageCache(Source(people(1000)), OffsetPaging(100), spawn=spawn)
    cache.want(0, 30)
    cache.want(900, 930)  # scrolled on before the first fetch began
    assert jobs and jobs[0].cancelled
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        jobs.clear()
        gc.collect()
    assert not [w for w in caught if "never awaited" in str(w.message)]
