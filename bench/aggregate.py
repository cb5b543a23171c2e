"""Figure 6: counts by a field, by scanning 100k members, at 50 ms per request.

The view: the first 100,000 members of Heyloyalty's 1M list (the bench caps what the adapter
reports at 100,000: the demo has no list of that size, and a server filter selecting 100k of 1M
would make the sandbox walk the list for every page), counted by interests, which Heyloyalty
cannot count itself. The platform's limit: pages (members / max page size) x latency / the
concurrency it tolerates.

Two more rows split the figure. 6b: the same pages fetched the same way (4 at once) but not
decoded or parsed, so what remains of figure 6 is the app's own work (decode, parse, count); at
0 ms latency it is what the in-process sandbox's serving costs, CPU the limit counts as free but
this machine's two cores and the app's GIL share with the app. 6c: the same scan against the
sandbox's answers recorded once and replayed after the same latency, a platform whose serving
costs the app nothing (as a remote one's does): the app's own share against the limit. Each
timing is the median of ROUNDS (runs on this shared machine vary by ±30 ms).
"""

from __future__ import annotations

import asyncio
import math
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import httpx

from audience_tui.core.aggregate import aggregate
from audience_tui.core.models import Audience, Column, Page, PageRequest, Query
from audience_tui.core.scan import prepare

from .common import Row, label, main_guard, ms, sandbox, set_latency
from .table import find_list

LATENCY = 0.05
MEMBERS = 100_000
FIELD = "interests"
ROUNDS = 5


class FirstMembers:
    """The adapter, with the list cut to its first `count` members."""

    def __init__(self, provider: Any, count: int) -> None:
        self._provider, self._count = provider, count

    def __getattr__(self, name: str) -> Any:
        return getattr(self._provider, name)

    def _total(self, total: int | None) -> int | None:
        return min(total, self._count) if total is not None else None

    async def members(self, audience: Audience, query: Query, request: PageRequest) -> Page:
        page = await self._provider.members(audience, query, request)
        keep = max(0, self._count - request.offset)
        return replace(page, members=page.members[:keep], total=self._total(page.total))

    async def column(
        self, audience: Audience, query: Query, request: PageRequest, name: str
    ) -> Column:
        column = await self._provider.column(audience, query, request, name)
        keep = max(0, self._count - request.offset)
        return replace(column, values=column.values[:keep], total=self._total(column.total))


class Replay(httpx.AsyncBaseTransport):
    """The sandbox's answers, each recorded the first time its URL is asked for and then
    served again after `latency` alone: the platform's round trip without its serving."""

    def __init__(self, transport: httpx.AsyncBaseTransport, latency: float) -> None:
        self._transport, self.latency = transport, latency
        self._answers: dict[str, tuple[int, list[tuple[bytes, bytes]], bytes]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = str(request.url)
        if key not in self._answers:
            response = await self._transport.handle_async_request(request)
            body = await response.aread()
            self._answers[key] = (response.status_code, response.headers.raw, body)
        else:
            await asyncio.sleep(self.latency)
        status, headers, body = self._answers[key]
        return httpx.Response(status, headers=headers, content=body)


async def fetch_only(provider: Any, audience: Audience, pages: int) -> None:
    """The scan's pages as raw HTTP answers, as many at once as the scan fetches."""
    capabilities = provider.capabilities
    gate = asyncio.Semaphore(capabilities.scan_concurrency)
    path = f"/loyalty/v1/lists/{audience.id}/members"

    async def one(number: int) -> None:
        async with gate:
            params = [("page", str(number)), ("perpage", str(capabilities.max_page_size))]
            await provider.http.request("GET", path, params=params)

    await asyncio.gather(*(one(n) for n in range(1, pages + 1)))


async def timed(box: Any, latency: float, work: Callable[[], Awaitable[Any]]) -> list[float]:
    """Seconds `work` takes, ROUNDS times, at `latency`."""
    set_latency(box, latency)
    took = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        await work()
        took.append(time.perf_counter() - start)
    return took


def spread(took: list[float]) -> str:
    return f"median of {ROUNDS} ({ms(min(took))}-{ms(max(took))} ms)"


async def run() -> list[Row]:
    from audience_tui.demo import demo_session

    box = sandbox()
    session = demo_session(box)
    provider, audience = await find_list(session)
    view = await prepare(FirstMembers(provider, MEMBERS), audience, Query())  # type: ignore[arg-type]
    result = await aggregate(view, FIELD)  # the sandbox's statement cache and pages warm
    capabilities = provider.capabilities
    pages = math.ceil((result.scanned or 0) / capabilities.max_page_size)
    runs, fetches = {}, {}
    for latency in (0.0, LATENCY):  # at 0 ms: what the CPU alone costs (sandbox and adapter)
        runs[latency] = await timed(box, latency, lambda: aggregate(view, FIELD))
        fetches[latency] = await timed(box, latency, lambda: fetch_only(provider, audience, pages))
    took = {latency: statistics.median(times) for latency, times in runs.items()}
    fetched = {latency: statistics.median(times) for latency, times in fetches.items()}
    await session.aclose()
    replays = await without_serving(box)
    replayed = statistics.median(replays)
    limit = pages * LATENCY / capabilities.scan_concurrency
    per_member = took[0.0] / max(result.scanned or 1, 1) * 1e6
    baseline = (
        f"platform limit {ms(limit)} ms ({pages} pages of "
        f"{capabilities.max_page_size} x 50 ms / {capabilities.scan_concurrency} at once)"
    )
    return [
        Row(
            f"6. aggregate by scan of {result.scanned:,} members ({label(LATENCY)})",
            ms(took[LATENCY]),
            "ms",
            baseline,
            round(took[LATENCY] / limit, 2),
            "<= 1.5x",
            took[LATENCY] <= 1.5 * limit,
            f"source: {result.source}; at 0 ms latency {ms(took[0.0])} ms "
            f"({per_member:.0f} µs of CPU per member); {spread(runs[LATENCY])}",
        ),
        Row(
            f"6b. the same {pages} pages fetched, not parsed ({label(LATENCY)})",
            ms(fetched[LATENCY]),
            "ms",
            baseline,
            round(fetched[LATENCY] / limit, 2),
            "",
            None,
            f"the platform's share of figure 6: at 0 ms latency {ms(fetched[0.0])} ms is the "
            f"in-process sandbox serving {pages} pages of JSON on the app's cores; the rest "
            f"({ms(took[LATENCY] - fetched[LATENCY])} ms) is the app: decode, parse, count; "
            f"{spread(fetches[LATENCY])}",
        ),
        Row(
            f"6c. the same scan, the answers replayed after the latency alone ({label(LATENCY)})",
            ms(replayed),
            "ms",
            baseline,
            round(replayed / limit, 2),
            "",
            None,
            "the app's share of figure 6: the sandbox's answers recorded once, so the platform "
            "costs the app's cores nothing but its latency, as a remote platform's serving does; "
            f"{spread(replays)}",
        ),
    ]


async def without_serving(
    box: Any, query: Query | None = None, members: int | None = MEMBERS
) -> list[float]:
    """A scan over `Replay` (figure 6's: the list's first `members`; None: all of `query`'s):
    seconds, ROUNDS times."""
    from audience_tui.demo import demo_session

    session = demo_session(replace(box, transport=Replay(box.transport, LATENCY)))
    provider, audience = await find_list(session)
    source = provider if members is None else FirstMembers(provider, members)
    view = await prepare(source, audience, query or Query())  # type: ignore[arg-type]
    await aggregate(view, FIELD)  # records every answer
    took = await timed(box, 0.0, lambda: aggregate(view, FIELD))
    await session.aclose()
    return took


if __name__ == "__main__":
    main_guard(run)
