"""Figure 5b: one email looked up everywhere when the Heyloyalty account has 50 lists, 50 ms
latency, against the target of two round trips of latency.

A small sandbox of its own (the demo data in a temporary database) with Heyloyalty's lists made
up to LISTS (the added ones empty: a lookup asks every list all the same). Heyloyalty has no
search across lists: each list is asked by email in its three status views, so the lookup is
one request for the lists, then 3 x LISTS requests, at most `scan_concurrency` of them on the
wire. Row 5c is the same lookup with that concurrency raised to every request at once: what the
two-round-trip target asks of the platform, which documents no limit either way; row 5d the
same against the sandbox's answers recorded once and replayed after the latency alone (as in
figure 6c): what the app itself costs, the in-process platform's serving taken out.
"""

from __future__ import annotations

import math
import sqlite3
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from audience_tui.sandbox.people import person

from .aggregate import Replay
from .common import Row, label, main_guard, ms, set_latency

LATENCY = 0.05
LISTS = 50
REPEATS = 5
VIEWS = 3  # active, removed, temporary
TARGET_TRIPS = 2


def add_lists(conn: sqlite3.Connection, count: int) -> None:
    """Heyloyalty's lists made up to `count`: copies of its first list's settings, empty."""
    have = conn.execute("SELECT count(*) FROM heyloyalty_lists").fetchone()[0]
    first = conn.execute("SELECT min(id) FROM heyloyalty_lists").fetchone()[0]
    top = conn.execute("SELECT max(id) FROM heyloyalty_lists").fetchone()[0]
    for number in range(1, count - have + 1):
        conn.execute(
            "INSERT INTO heyloyalty_lists SELECT ?, 'Extra list ' || ?, created_at, open_rate, "
            "click_rate, optin, fields FROM heyloyalty_lists WHERE id = ?",
            (top + number, number, first),
        )


async def lookup_time(box: Any, concurrency: int | None, replay: bool) -> tuple[float, int, float]:
    """(median seconds of the lookup in every account, requests Heyloyalty was sent, the
    Heyloyalty account's lookup alone), with Heyloyalty's concurrency set to `concurrency`;
    `replay`: the sandbox's answers recorded once and replayed after the latency alone."""
    from audience_tui.demo import demo_session
    from audience_tui.providers.heyloyalty.adapter import HeyloyaltyProvider

    kept = HeyloyaltyProvider.capabilities
    if concurrency is not None:
        HeyloyaltyProvider.capabilities = replace(kept, scan_concurrency=concurrency)
    sent = Counted(Replay(box.transport, LATENCY) if replay else box.transport)
    try:
        session = demo_session(replace(box, transport=sent))
        email = person(1300).email
        await session.lookup(email)  # connections warm (and answers recorded), as in a running app
        set_latency(box, 0.0 if replay else LATENCY)
        sent.heyloyalty = 0
        alone = statistics.median([await timed(session, email, ["demo-heyloyalty"])
                                   for _ in range(REPEATS)])  # fmt: skip
        requests = sent.heyloyalty // REPEATS
        everywhere = statistics.median([await timed(session, email, None) for _ in range(REPEATS)])
        set_latency(box, 0.0)
        await session.aclose()
    finally:
        HeyloyaltyProvider.capabilities = kept
    return everywhere, requests, alone


class Counted(httpx.AsyncBaseTransport):
    """A transport that counts the requests sent to Heyloyalty."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self._transport = transport
        self.heyloyalty = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.heyloyalty += "/loyalty/" in request.url.path
        return await self._transport.handle_async_request(request)


async def timed(session: Any, email: str, accounts: list[str] | None) -> float:
    start = time.perf_counter()
    results = await session.lookup(email, accounts)
    took = time.perf_counter() - start
    failed = [r.account.name for r in results if r.error is not None]
    if failed:
        raise SystemExit(f"lookup failed on {failed}")
    return took


async def run() -> list[Row]:
    from audience_tui.demo import Sandbox
    from audience_tui.providers.heyloyalty.adapter import HeyloyaltyProvider
    from audience_tui.sandbox.store import Store

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "sandbox.sqlite", big_lists=False)
        box = Sandbox.start(store)
        add_lists(store.connect(), LISTS)
        target = TARGET_TRIPS * LATENCY
        every = LISTS * VIEWS
        for number, concurrency, replay, how in (
            ("5b", None, False, "Heyloyalty's 4 requests on the wire"),
            ("5c", every, False, f"all {every} requests on the wire at once"),
            ("5d", every, True, f"all {every} at once, answers replayed after the latency alone"),
        ):
            took, requests, alone = await lookup_time(box, concurrency, replay)
            # The floor the documented API sets at this concurrency: no request of Heyloyalty's
            # finds a member across lists, so each round trip carries at most `on_wire` of them.
            on_wire = concurrency or HeyloyaltyProvider.capabilities.scan_concurrency
            floor = math.ceil(requests / on_wire)
            rows.append(
                Row(
                    f"{number}. lookup in 5 accounts, Heyloyalty with {LISTS} lists, {how} "
                    f"({label(LATENCY)})",
                    ms(took),
                    "ms",
                    f"{TARGET_TRIPS} round trips: {ms(target)} ms",
                    round(took / target, 2),
                    f"<= {TARGET_TRIPS} round trips",
                    took <= target,
                    f"Heyloyalty alone {ms(alone)} ms, {requests} requests a lookup "
                    f"({alone / LATENCY:.1f} round trips of latency); the floor with {on_wire} "
                    f"on the wire: {floor} round trip{'s' * (floor != 1)}, "
                    f"{ms(floor * LATENCY)} ms",
                )
            )
        store.close()
    return rows


if __name__ == "__main__":
    main_guard(run)
