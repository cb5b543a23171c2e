"""The million-member demo lists' fast build, in miniature: people below people.EXACT are made in
Python exactly as in the small lists, the rest by SQL (people.crowd_sql), and the adapters read
both kinds of row as members."""

from __future__ import annotations

from pathlib import Path

import pytest

from audience_tui.core.models import MemberStatus, PageRequest, Query
from audience_tui.core.platforms import create
from audience_tui.demo import Sandbox, demo_accounts
from audience_tui.sandbox import people
from audience_tui.sandbox.heyloyalty import data as heyloyalty_data
from audience_tui.sandbox.placewise import data as placewise_data
from audience_tui.sandbox.store import BuildProgress, Store

TOTAL, EXACT = 60, 10


@pytest.fixture
def big(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """A sandbox whose two big lists hold TOTAL members, the first EXACT made in Python."""
    monkeypatch.setattr(people, "EXACT", EXACT)
    monkeypatch.setattr(heyloyalty_data, "BIG_TOTAL", TOTAL)
    monkeypatch.setattr(heyloyalty_data, "BATCH", 25)  # the Python/SQL boundary inside a batch
    monkeypatch.setattr(placewise_data, "BIG_TOTAL", TOTAL)
    monkeypatch.setattr(placewise_data, "BIG_BATCH", 25)
    store = Store.open(tmp_path / "big.sqlite", big_lists=False)
    sandbox = Sandbox.start(store)
    store.write(heyloyalty_data._insert_list, heyloyalty_data.BIG_LIST)
    heyloyalty_data._build_big(store, BuildProgress("h", TOTAL))
    store.write(placewise_data.insert_club, placewise_data.BIG_CLUB)
    placewise_data.build_big(store, BuildProgress("p", TOTAL))
    return sandbox


def provider(sandbox: Sandbox, platform: str):
    account, secrets = next((a, s) for a, s in demo_accounts() if a.platform == platform)
    return create(account, secrets, transport=sandbox.transport)


def test_people_below_exact_are_person_i_and_the_crowd_is_deterministic(big: Sandbox) -> None:
    conn = big.store.connect()
    rows = conn.execute(
        "SELECT person, first_name, last_name, email FROM placewise_members "
        "WHERE club_id = ? ORDER BY position",
        (placewise_data.BIG_CLUB[0],),
    ).fetchall()
    assert len(rows) == TOTAL and [r[0] for r in rows] == list(range(TOTAL))
    for index, first, last, email in rows[:EXACT]:
        p = people.person(index)
        assert (first, last, email) == (p.first_name, p.last_name, p.email)
    emails = [r[3] for r in rows]
    assert len(set(emails)) == TOTAL and all(f"{r[0]}@" in r[3] for r in rows)
    again = conn.execute(
        f"SELECT email FROM ({people.crowd_sql(salt=placewise_data.BIG_CLUB[0])})",
        {"start": EXACT, "stop": TOTAL},
    ).fetchall()
    assert [r[0] for r in again] == emails[EXACT:]  # the same people on every build


async def test_both_kinds_of_row_read_as_members(big: Sandbox) -> None:
    for platform, name in (("heyloyalty", "All customers (1M)"), ("placewise", "Mega Mall (1M)")):
        adapter = provider(big, platform)
        audience = next(a for a in await adapter.audiences() if a.name == name)
        query = Query(status=MemberStatus.ACTIVE) if platform == "heyloyalty" else Query()
        page = await adapter.members(audience, query, PageRequest(limit=100, offset=0))
        assert page.total is not None and EXACT < page.total <= TOTAL
        assert all(m.email and "@" in m.email for m in page.members)
        statuses = {m.status for m in page.members}
        assert statuses == {MemberStatus.ACTIVE} if platform == "heyloyalty" else len(statuses) > 1
