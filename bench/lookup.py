"""Figure 5: one email looked up in the five demo accounts at once, against one account alone.

At 50 ms per request. The person (index 1300) is on several platforms, so every adapter does its
whole lookup (list memberships included) rather than stopping at "not found".
"""

from __future__ import annotations

import statistics
import time

from audience_tui.sandbox.people import person

from .common import Row, label, main_guard, ms, sandbox, set_latency

LATENCY = 0.05
REPEATS = 5


async def timed(session: object, email: str, accounts: list[str] | None) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        results = await session.lookup(email, accounts)  # type: ignore[attr-defined]
        times.append(time.perf_counter() - start)
        failed = [r.account.name for r in results if r.error is not None]
        if failed:
            raise SystemExit(f"lookup failed on {failed}")
    return statistics.median(times)


async def run() -> list[Row]:
    from audience_tui.demo import demo_session

    box = sandbox()
    session = demo_session(box)
    email = person(1300).email
    names = [account.name for account in session.accounts]
    await timed(session, email, None)  # connections and caches warm, as in a running app
    set_latency(box, LATENCY)
    alone = {name: await timed(session, email, [name]) for name in names}
    everywhere = await timed(session, email, None)
    slowest = max(alone, key=alone.__getitem__)
    await session.aclose()
    each = ", ".join(f"{name.removeprefix('demo-')} {ms(t)}" for name, t in alone.items())
    return [
        Row(
            f"5. lookup in 5 accounts ({label(LATENCY)})",
            ms(everywhere),
            "ms",
            f"slowest account alone ({slowest}) {ms(alone[slowest])} ms",
            round(everywhere / alone[slowest], 2),
            "<= 1.3x",
            everywhere <= 1.3 * alone[slowest],
            f"alone, ms: {each}",
        ),
    ]


if __name__ == "__main__":
    main_guard(run)
