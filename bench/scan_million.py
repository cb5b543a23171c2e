"""Figures 6d and 6e: counts by a field over the whole million-member list, and over the part of
it a server-side filter selects, at 50 ms per request.

The platform's limit, as in figure 6: pages (members / max page size) x latency / the concurrency
it tolerates. Memory: the process's RSS before and after the scan (flat: pages are counted as
they land, never kept). Each timing is the median of 5 (bench.aggregate.ROUNDS).
"""

from __future__ import annotations

import math
import statistics

from audience_tui.core.aggregate import aggregate
from audience_tui.core.models import Condition, Filter, Query
from audience_tui.core.scan import prepare

from .aggregate import spread, timed, without_serving
from .common import Row, label, main_guard, ms, rss_mb, sandbox
from .table import find_list

LATENCY = 0.05
FIELD = "interests"
# ~97,000 of the million: the size of the filtered chart a user timed at 58 s
SERVER_FILTER = Filter((Condition("country", "eq", "73"),))


async def run() -> list[Row]:
    from audience_tui.demo import demo_session

    box = sandbox()
    session = demo_session(box)
    provider, audience = await find_list(session)
    capabilities = provider.capabilities
    rows = []
    for number, name, query in (
        ("6d", "the whole 1M list", Query()),
        ("6e", "a server-side filter of the 1M list", Query(filter=SERVER_FILTER)),
    ):
        view = await prepare(provider, audience, query)
        assert not view.plan.local, "the filter must be the platform's own"
        before = rss_mb()
        result = await aggregate(view, FIELD)  # warms the sandbox's view and statement cache
        grown = rss_mb() - before
        took = await timed(box, LATENCY, lambda view=view: aggregate(view, FIELD))
        median = statistics.median(took)
        pages = math.ceil((result.scanned or 0) / capabilities.max_page_size)
        limit = pages * LATENCY / capabilities.scan_concurrency
        rows.append(
            Row(
                f"{number}. aggregate by scan of {name}: {result.scanned:,} members "
                f"({label(LATENCY)})",
                ms(median),
                "ms",
                f"platform limit {ms(limit)} ms ({pages} pages of {capabilities.max_page_size} "
                f"x 50 ms / {capabilities.scan_concurrency} at once)",
                round(median / limit, 2),
                "<= 1.3x",
                median <= 1.3 * limit,
                f"source: {result.source}; RSS grew {grown:.0f} MB over the first scan; "
                f"{spread(took)}",
            )
        )
    await session.aclose()
    replays = await without_serving(box, Query(filter=SERVER_FILTER), None)
    replayed = statistics.median(replays)
    rows.append(
        Row(
            f"6f. the scan of 6e, the answers replayed after the latency alone ({label(LATENCY)})",
            ms(replayed),
            "ms",
            rows[-1].baseline,
            round(replayed / limit, 2),  # the limit of 6e, the last view
            "",
            None,
            "the app's share of figure 6e: the sandbox's answers recorded once, so the platform "
            f"costs the app's cores nothing but its latency (as figure 6c); {spread(replays)}",
        )
    )
    return rows


if __name__ == "__main__":
    main_guard(run)
