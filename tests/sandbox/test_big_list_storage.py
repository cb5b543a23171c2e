"""The big lists' storage changes nothing the platforms answer: the Heyloyalty and Placewise
million-member lists, in miniature, built as before (4 KB pages, a commit per batch) and as now
(8 KB pages, a commit per COMMIT_ROWS), hold the same rows and serve the same bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from audience_tui.sandbox import people
from audience_tui.sandbox import store as store_module
from audience_tui.sandbox.heyloyalty import data as heyloyalty_data
from audience_tui.sandbox.heyloyalty import routes as heyloyalty
from audience_tui.sandbox.heyloyalty.listing import listing
from audience_tui.sandbox.placewise import data as placewise_data
from audience_tui.sandbox.placewise import reporting
from audience_tui.sandbox.placewise import routes as placewise
from audience_tui.sandbox.store import BuildProgress, Store

TOTAL, EXACT, BATCH = 200, 30, 75  # three batches, the Python/SQL boundary in the first
PAGES = (
    {"perpage": "40"},
    {"perpage": "40", "page": "3", "order": "-1"},
    {"perpage": "10", "show": "removed"},
    {"perpage": "10", "show": "temporary", "order": "-1"},
    {"perpage": "15", "filter": {"firstname": {"sw": ["a"]}}, "orderby": "points"},
    {"perpage": "5000"},
)


CLUB_PAGES = (
    {"page": 2, "per_page": 40, "order": "m.position ASC"},
    {"page": 1, "per_page": 30, "order": "m.updated_at DESC"},
)
REPORTS = (
    {"report": "members", "limit": 1000},
    {"report": "members", "aggregate_by": "age"},
    {"report": "member_balance", "interval": "1mo", "from": "2016-12-01", "to": "2025-02-01"},
)


def build(path: Path, page_size: int, commit_rows: int, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setattr(store_module, "PAGE_SIZE", page_size)
    monkeypatch.setattr(store_module, "COMMIT_ROWS", commit_rows)
    store = Store.open(path, big_lists=False)
    heyloyalty.install(store)  # the two platforms' tables and small lists, no big build
    placewise.install(store)
    store.write(heyloyalty_data._insert_list, heyloyalty_data.BIG_LIST)
    heyloyalty_data._build_big(store, BuildProgress("h", TOTAL))
    store.write(placewise_data.insert_club, placewise_data.BIG_CLUB)
    placewise_data.build_big(store, BuildProgress("p", TOTAL))
    return store


def answers(store: Store) -> tuple[object, ...]:
    conn = store.connect()
    pages = [listing(conn, "db", str(heyloyalty_data.BIG_LIST_ID), q) for q in PAGES]
    club = placewise_data.BIG_CLUB[2]
    clubs = [placewise_data.BIG_CLUB[:2]]
    for query in CLUB_PAGES:  # Placewise's answers, as served
        pages.append(
            placewise._list_members(
                conn, club, {**query, "search": "", "properties": {}, "ids": []}
            )
        )
    for body in REPORTS:
        pages.append(reporting.run(conn, reporting.prepare(body), body, clubs, "storage"))
    tables = (
        conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
        for table, order in (
            ("heyloyalty_members", "list_id, position"),
            ("placewise_members", "club_id, position"),
            ("sandbox_meta", "key"),
        )
    )
    return (*pages, *([tuple(row) for row in rows] for rows in tables))


def test_built_as_before_and_as_now_the_big_lists_answer_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(people, "EXACT", EXACT)
    for module, total, batch in (
        (heyloyalty_data, "BIG_TOTAL", "BATCH"),
        (placewise_data, "BIG_TOTAL", "BIG_BATCH"),
    ):
        monkeypatch.setattr(module, total, TOTAL)
        monkeypatch.setattr(module, batch, BATCH)
    before = build(tmp_path / "before.sqlite", 4096, BATCH, monkeypatch)
    now = build(tmp_path / "now.sqlite", 8192, 100_000, monkeypatch)
    sizes = [s.connect().execute("PRAGMA page_size").fetchone()[0] for s in (before, now)]
    assert sizes == [4096, 8192]
    served = answers(before)
    assert all(served[: len(PAGES) + len(CLUB_PAGES) + len(REPORTS)])
    assert len(served[len(PAGES) + len(CLUB_PAGES) + len(REPORTS)]) > TOTAL  # type: ignore[arg-type]
    assert answers(now) == served
    before.close()
    now.close()
