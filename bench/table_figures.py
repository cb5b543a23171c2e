"""Figures 1-4 for our member table over a million members: first rows, scrolling, jumps, memory.

One child process per (list, latency): open the list (five times: the median), hold `down` at
30 keys/s, page down 50
times, `G`, 200 random jumps, then sweep the whole list; RSS at first paint and at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from typing import Any

from audience_tui.core.models import PageRequest

from .common import Row, label, main_guard, ms, percentile, rss_mb
from .fetch import page_fetch, warm
from .table import HEYLOYALTY_1M, PLACEWISE_1M, Bench, members_app

TARGETS = {"heyloyalty": HEYLOYALTY_1M, "placewise": PLACEWISE_1M}
KEY_RATE = 30  # keys per second, a terminal's key repeat
SWEEP = 100  # screens shown across the whole list before memory is read
SLACK = 0.05  # the 50 ms the targets allow on top of the platform's round trip
OPENS = 5  # first rows and G: the median of this many opens of the list, and presses


async def hold(bench: Bench, key: str, count: int, rate: float, step: int) -> tuple[list, int, int]:
    """Press `key` `count` times at `rate`/s; key-to-paint times and placeholder frames."""
    table, recorder = bench.table, bench.recorder
    since = recorder.mark()
    sent: list[tuple[float, int]] = []
    row = table.cursor_row
    start = time.perf_counter()
    for n in range(count):
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        row = min(row + step, table.rows - 1)
        sent.append((bench.key(key), row))
    await recorder.painted(row, since, timeout=60)
    frames = recorder.frames[since:]
    delays = []
    for at, target in sent:  # the first frame after the key showing the cursor at or past it
        shown = next((f.end for f in frames if f.end >= at and f.cursor >= target), None)
        if shown is not None:
            delays.append(shown - at)
    placeholders, total = recorder.placeholder_share(since)
    return delays, placeholders, total


async def open_list(bench: Bench, provider: Any) -> tuple[list[float], list[float], list[float]]:
    """Open the list OPENS times: seconds to each first full paint, how long its first page's
    request took meanwhile (the sandbox shares the process with the screen being built, so the
    same request takes longer than alone), and the CPU seconds of the app's thread."""
    opens: list[float] = []
    during: list[float] = []
    cpu: list[float] = []
    members = provider.members

    async def timed(audience: Any, query: Any, request: PageRequest) -> Any:
        start = time.perf_counter()
        try:
            return await members(audience, query, request)
        finally:
            if request.offset == 0 and request.cursor is None:
                during.append(time.perf_counter() - start)

    provider.members = timed
    try:
        for n in range(OPENS):
            if n:  # back to the accounts screen, and a moment for the last one's prefetches
                bench.app.pop_screen()
                await asyncio.sleep(0.3)
            started = time.thread_time()
            opens.append(await bench.open())
            cpu.append(time.thread_time() - started)
    finally:
        del provider.members  # the class's method again
    return opens, during, cpu


async def press_G(bench: Bench, total: int) -> float:
    """`G` from the top of a view whose pages are all forgotten, from rest: the last page is
    fetched again each time (not beside earlier prefetches). Seconds to its full paint."""
    bench.table.move_to(0)
    await bench.screen.settle()
    bench.screen.cache.reset()
    await bench.screen.settle()
    return await bench.jump(total - 1)


async def run_one(platform: str, latency: float, holds: int) -> list[Row]:
    rows: list[Row] = []
    tag = f"{platform}, {label(latency)}"
    async with members_app(TARGETS[platform], latency=0.0) as bench:
        provider = bench.session.provider(bench.account)
        await warm(provider, bench.audience, bench.audience.member_count or 1_000_000)
        bench.box.app.spec = type(bench.box.app.spec)(latency=latency)
        fetch = await page_fetch(provider, bench.audience, [0, 250, 500, 0, 250])
        opens, during, cpu = await open_list(bench, provider)
        first = statistics.median(opens)
        rss_first = rss_mb()
        budget = fetch + SLACK
        rows.append(
            Row(
                f"1. first rows, 1M ({tag})",
                ms(first),
                "ms",
                f"one page fetch {ms(fetch)} ms + 50 ms",
                round(first / budget, 2),
                "<= 1.0x",
                first <= budget,
                f"median of {OPENS} opens ({ms(min(opens))}-{ms(max(opens))} ms); the first "
                f"page took {ms(statistics.median(during))} ms during the open; "
                f"CPU of the app's thread {ms(statistics.median(cpu))} ms",
            )
        )
        table = bench.table
        # 2. holding down, then paging down
        step_page = max(table.visible_rows - 1, 1)
        for key, count, step, name in (
            ("down", holds, 1, f"hold down {holds} rows"),
            ("pagedown", 50, step_page, "page down x50"),
        ):
            delays, bad, frames = await hold(bench, key, count, KEY_RATE, step)
            share = bad / frames if frames else 0.0
            ok = share == 0 if latency >= SLACK else None
            rows.append(
                Row(
                    f"2. {name}: frames with a placeholder ({tag})",
                    round(share, 4),
                    "share",
                    f"{bad} of {frames} frames",
                    None,
                    "0 at 50 ms" if ok is not None else "",
                    ok,
                )
            )
            rows.append(
                Row(
                    f"2. {name}: key to paint p50 / p95 ({tag})",
                    ms(percentile(delays, 0.5)),
                    "ms",
                    f"p95 {ms(percentile(delays, 0.95))} ms; fetch {ms(fetch)} ms",
                )
            )
        # 3. G and random jumps
        total = table.rows
        if bench.screen.cache.paging.random_access:
            lasts = [await press_G(bench, total) for _ in range(OPENS)]
            last = statistics.median(lasts)
            rows.append(
                Row(
                    f"3. G to row {total:,} ({tag})",
                    ms(last),
                    "ms",
                    f"one page fetch {ms(fetch)} ms + 50 ms",
                    round(last / budget, 2),
                    "<= 1.0x",
                    last <= budget,
                    f"median of {OPENS} ({ms(min(lasts))}-{ms(max(lasts))} ms)",
                )
            )
            rng = random.Random(6)
            jumps = [await bench.jump(rng.randrange(total)) for _ in range(200)]
            p50, p95 = percentile(jumps, 0.5), percentile(jumps, 0.95)
            rows.append(
                Row(
                    f"3. 200 random jumps p50 / p95 ({tag})",
                    ms(p50),
                    "ms",
                    f"p95 {ms(p95)} ms; fetch {ms(fetch)} ms + 50 ms",
                    round(p50 / budget, 2),
                    "p50 <= 1.0x",
                    p50 <= budget,
                )
            )
            # 4. sweep the whole list, a screen every 1/200 of it, then measure memory
            for n in range(SWEEP):
                await bench.jump(min(total - 1, n * total // SWEEP))
        cache = bench.screen.cache
        grown = rss_mb() - rss_first
        rows.append(
            Row(
                f"4. RSS growth after scrolling and jumping over 1M ({tag})",
                round(grown, 1),
                "MB",
                f"RSS at first paint {rss_first:.0f} MB; {len(cache.pages_held)} pages held",
                None,
                "< 60 MB",
                grown < 60,
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("platform", choices=sorted(TARGETS))
    parser.add_argument("latency", type=float)
    parser.add_argument("--holds", type=int, default=3000)
    args = parser.parse_args()
    main_guard(lambda: run_one(args.platform, args.latency, args.holds))


if __name__ == "__main__":
    main()
