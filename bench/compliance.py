"""Figure 11: a suppression list of 10,000 emails carried out on the five demo accounts, against
what the platforms' documented limits and concurrency allow.

None of the five publishes a request rate for the endpoints a suppression run uses (Ownpage's one
published limit is its subscribe form's; Emma, Kajabi and Placewise say limits exist without
numbers; Heyloyalty says nothing), so what they allow is their concurrency: each account's
requests, `scan_concurrency` at a time, each taking the latency. The bound is the busiest
account's requests x latency / concurrency (accounts run side by side), with the requests counted
in this very run. The run is the CLI's (core.compliance.suppress): the dry run's lookups, then
the opt-outs with their read-backs, journalled.

The demo data (the small lists, no 1M list) lives in bench/out/compliance-template-vN/, built on
the first run of each schema version; each run works on a copy, since the opt-outs change it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from audience_tui.core.compliance.receipt import NOT_SEARCHED

from .common import OUT, Row, emit, isolate, label

EMAILS = 10_000
LATENCY = 0.05
TARGET = 1.5


class Counting(httpx.AsyncBaseTransport):
    """The sandbox's transport, counting the requests each account sends."""

    def __init__(self, inner: httpx.AsyncBaseTransport, account: str, counts: Counter[str]):
        self.inner, self.account, self.counts = inner, account, counts

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.counts[self.account] += 1
        return await self.inner.handle_async_request(request)


def fresh_database(folder: Path) -> Path:
    """A copy of the demo data as seeded: the template, built once per schema version (a
    template of another version is built again), copied file by file (Placewise's beside)."""
    from audience_tui.demo import Sandbox
    from audience_tui.sandbox.store import SCHEMA_VERSION, Store, copy_store

    template = OUT / f"compliance-template-v{SCHEMA_VERSION}" / "sandbox.sqlite"
    seeded = template.with_name("seeded")
    if not seeded.exists():
        shutil.rmtree(template.parent, ignore_errors=True)
        template.parent.mkdir(parents=True)
        store = Store.open(template, big_lists=False)
        Sandbox.start(store)
        store.close()
        seeded.touch()
    copy = folder / "sandbox.sqlite"
    copy_store(template, copy)
    return copy


async def measure(emails: int, latency: float, folder: Path) -> list[Row]:
    from audience_tui.core.compliance import suppress
    from audience_tui.core.compliance.journal import Journal, run_key
    from audience_tui.core.session import Session
    from audience_tui.demo import Sandbox, demo_accounts
    from audience_tui.sandbox.faults import FaultSpec
    from audience_tui.sandbox.people import person
    from audience_tui.sandbox.store import Store

    box = Sandbox.start(Store.open(fresh_database(folder), big_lists=False), FaultSpec(latency))
    pairs = demo_accounts()
    secrets = {account.name: values for account, values in pairs}
    counts: Counter[str] = Counter()
    session = Session(
        [account for account, _ in pairs],
        lambda account: secrets[account.name],
        transport_for=lambda account: Counting(box.transport, account.name, counts),
    )
    names = [account.name for account, _ in pairs]
    wanted = [person(n).email for n in range(emails)]
    request = run_key("bench", wanted, names)
    journal = Journal.for_run(request, folder)
    started, cpu_before = time.perf_counter(), time.process_time()
    plan = await suppress.plan(session, request, wanted, names, journal)
    looked_up = time.perf_counter() - started
    lookups = Counter(counts)
    lines = await suppress.execute(session, plan, journal)
    took = time.perf_counter() - started
    await session.aclose()
    cpu = time.process_time() - cpu_before
    measured = rows(emails, latency, session, counts, lookups, lines, took, looked_up)
    load = " / ".join(f"{n:.1f}" for n in os.getloadavg())
    measured[0].note += (
        f"; CPU of the app and the in-process sandbox {cpu:.0f} s "
        f"({1000 * cpu / sum(counts.values()):.1f} ms a request); load average {load}"
    )
    return measured


def rows(
    emails: int,
    latency: float,
    session: Any,
    counts: Counter[str],
    lookups: Counter[str],
    lines: list[dict[str, Any]],
    took: float,
    looked_up: float,
) -> list[Row]:
    concurrency = {name: session.provider(name).capabilities.scan_concurrency for name in counts}
    bound = {name: n * latency / concurrency[name] for name, n in counts.items()}
    busiest = max(bound, key=bound.__getitem__)
    ratio = took / bound[busiest]
    # `execute` returns the plan's settled lines with this run's: each pair's outcome once
    actions = Counter(line["action"] for line in lines)
    failed = actions.get("failed", 0) + actions.get(NOT_SEARCHED, 0)
    each = ", ".join(
        f"{name.removeprefix('demo-')} {counts[name]:,} ({lookups[name]:,} in the dry run, "
        f"{concurrency[name]} at once)"
        for name in counts
    )
    done = ", ".join(f"{n:,} {action}" for action, n in sorted(actions.items()))
    return [
        Row(
            f"11. suppression of {emails:,} emails on 5 accounts ({label(latency)})",
            round(took, 1),
            "s",
            f"platform limit {bound[busiest]:.1f} s ({busiest}: {counts[busiest]:,} requests "
            f"x {label(latency).split()[0]} ms / {concurrency[busiest]} at once)",
            round(ratio, 2),
            f"<= {TARGET}x",
            ratio <= TARGET and not failed,
            f"dry run {looked_up:.1f} s; requests: {each}; outcomes: {done}",
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.compliance", description=__doc__)
    parser.add_argument("--emails", type=int, default=EMAILS)
    parser.add_argument("--latency", type=float, default=LATENCY, help="seconds per request")
    args = parser.parse_args()
    isolate()
    sys.setrecursionlimit(10_000)
    with tempfile.TemporaryDirectory(prefix="bench-compliance-") as folder:
        emit(asyncio.run(measure(args.emails, args.latency, Path(folder))))


if __name__ == "__main__":
    main()
