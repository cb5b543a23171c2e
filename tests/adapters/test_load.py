"""The sandbox served over loopback under bounded concurrent clients: paging, lookups, opt-outs
and imports at once on every platform, all answered correctly, no write lost or duplicated."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

from audience_tui.core.models import ImportRequest, MemberStatus, PageRequest, Query
from audience_tui.core.session import Session
from audience_tui.demo import demo_accounts
from audience_tui.sandbox.people import person

CLIENTS = 20
PAGE = 25
TIME_LIMIT = 40.0


async def test_concurrent_clients_get_correct_answers_and_writes_land_once(
    served: str,
    tmp_path: Path,
) -> None:
    pairs = demo_accounts(host=served)
    secrets = {account.name: values for account, values in pairs}
    session = Session([a for a, _ in pairs], lambda account: secrets[account.name])
    gate = asyncio.Semaphore(CLIENTS)
    jobs: list[Callable[[], Awaitable[None]]] = []
    problems: list[str] = []
    try:
        # What each list holds, read once, one client: the answers under load must match.
        expected: dict[tuple[str, str, int], list[str]] = {}
        targets = []
        for account in session.accounts:
            provider = session.provider(account.name)
            audience = (await provider.audiences())[0]
            for offset in range(0, 8 * PAGE, PAGE):
                page = await provider.members(audience, Query(), PageRequest(PAGE, offset))
                expected[account.name, audience.id, offset] = [m.id for m in page.members]
            page = await provider.members(audience, Query(), PageRequest(PAGE, 10 * PAGE))
            active = [m for m in page.members if m.status is MemberStatus.ACTIVE][:6]
            targets += [(account.name, m) for m in active]

            for (name, _, offset), ids in list(expected.items()):
                if name != account.name:
                    continue

                async def read(p=provider, a=audience, o=offset, ids=ids, n=name) -> None:
                    got = [
                        m.id for m in (await p.members(a, Query(), PageRequest(PAGE, o))).members
                    ]
                    if got != ids:
                        problems.append(f"{n} page at {o}: {got[:3]} != {ids[:3]}")

                jobs += [read, read, read]

        for index in range(2400, 2430):
            email = person(index).email

            async def look(email: str = email) -> None:
                results = await session.lookup(email)
                if any(r.error for r in results):
                    problems.append(f"lookup {email}: {[str(r.error) for r in results if r.error]}")

            jobs.append(look)

        for name, member in targets:  # each opt-out asked twice at once: sent once

            async def opt_out(name: str = name, member=member) -> None:
                outcome = await session.opt_out(name, member)
                if not outcome.confirmed:
                    problems.append(f"opt-out {name} {member.id}: {outcome.error}")

            jobs += [opt_out, opt_out]

        ownpage = session.provider("demo-ownpage")
        imported_list = (await ownpage.audiences())[-1]
        new = [f"load.{n}@example.com" for n in range(60)]
        for chunk in range(0, len(new), 10):
            rows = [{"email": e} for e in new[chunk : chunk + 10]]

            async def import_rows(rows: list[dict[str, str]] = rows) -> None:
                await ownpage.start_import(ImportRequest(imported_list, rows, "load.csv"))

            jobs += [import_rows, import_rows]  # every row imported twice

        random.Random(7).shuffle(jobs)

        async def bounded(job: Callable[[], Awaitable[None]]) -> None:
            async with gate:
                try:
                    await job()
                except Exception as exc:  # every failure is a finding, collected
                    problems.append(f"{type(exc).__name__}: {exc}")

        assert len(jobs) >= 200
        async with asyncio.timeout(TIME_LIMIT):
            await asyncio.gather(*(bounded(job) for job in jobs))
        assert not problems, problems[:10]

        # every opt-out landed, read back from the platform
        for name, member in targets:
            provider = session.provider(name)
            audience = next(a for a in await provider.audiences() if a.id == member.audience_id)
            after = await provider.member(audience, member.id)
            assert after.status is MemberStatus.OPTED_OUT, (name, member.id)
        audit = [e["action"] for e in session.audit.read()]
        assert audit.count("opt_out.attempt") == audit.count("opt_out.confirmed") == len(targets)
        assert audit.count("opt_out.already_opted_out") == len(targets)
    finally:
        await session.aclose()

    # each imported email is on the list exactly once (the served sandbox's own database)
    with sqlite3.connect(tmp_path / "served.sqlite") as db:
        counts = dict(
            db.execute(
                "SELECT email, COUNT(*) FROM ownpage_subscribers WHERE list_id = ? AND email LIKE"
                " 'load.%' GROUP BY email",
                (int(imported_list.id),),
            ).fetchall()
        )
    assert counts == dict.fromkeys(new, 1)
