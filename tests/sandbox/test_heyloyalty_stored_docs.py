"""The Heyloyalty sandbox's stored listing documents (`doc`): a page made of stored docs is byte
for byte the page SQLite computes, a stored doc is what the listing serves, and no change to a
member (a write, an import, a copied row) or to its list's fields can leave a stale doc served.
The million-member list stores its docs as it is built, and an older database gets the column
and a resumable background build of them."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from audience_tui.demo import Sandbox
from audience_tui.sandbox import hostile, people
from audience_tui.sandbox.heyloyalty import data as heyloyalty_data
from audience_tui.sandbox.heyloyalty import routes as heyloyalty
from audience_tui.sandbox.heyloyalty.http import MULTI_MADE
from audience_tui.sandbox.heyloyalty.listing import listing, store_docs
from audience_tui.sandbox.heyloyalty.writes import _import_rows
from audience_tui.sandbox.store import BuildProgress, Store

LISTS = "/loyalty/v1/lists"
VIP = f"{LISTS}/2"
SMALL = (1, 2, 3)
BIG = heyloyalty_data.BIG_LIST_ID
TOTAL, EXACT, BATCH = 200, 30, 75  # three batches, the Python/SQL boundary in the first
QUERIES: tuple[dict[str, Any], ...] = (
    {"perpage": 50},
    {"perpage": 50, "page": 3},
    {"perpage": 40, "page": 2, "order": "-1"},
    {"perpage": 5000},
    {"show": "removed", "perpage": 30},
    {"show": "temporary", "perpage": 30, "order": "-1"},
    {"filter[email][sw][]": "hostile."},
    {"filter[firstname][sw][]": "a", "perpage": 20, "page": 2},
    {"filter[country][eq][]": "53", "show": "removed", "order": "-1"},
    {"orderby": "firstname", "order": "-1", "perpage": 25},
    {"orderby": "updated_at", "perpage": 25, "page": 2},
)
BY_FIELD: dict[str, tuple[dict[str, Any], ...]] = {
    "interests": ({"filter[interests][in][]": ["1", "5"], "perpage": 100, "page": 2},),
    "points": ({"filter[points][gt][]": "100", "orderby": "points", "order": "-1"},),
    "tier": ({"filter[tier][eq][]": "2", "logic": "or", "filter[sex][ie]": ""},),
}


@pytest.fixture
def api(heyloyalty_api: httpx.AsyncClient) -> httpx.AsyncClient:
    return heyloyalty_api


def store_all(store: Store, *list_ids: int) -> None:
    store.write(lambda conn: [store_docs(conn, list_id) for list_id in list_ids])


def clear_docs(store: Store) -> None:
    store.write(lambda conn: conn.execute("UPDATE heyloyalty_members SET doc = NULL"))


def stored(store: Store, list_id: int) -> tuple[int, int]:
    """(members, members with a stored doc) of a list."""
    found = store.connect().execute(
        "SELECT count(*), count(doc) FROM heyloyalty_members WHERE list_id = ?", (list_id,)
    )
    return tuple(found.fetchone())


async def page(api: httpx.AsyncClient, list_id: int, params: dict[str, Any]) -> bytes:
    response = await api.get(f"{LISTS}/{list_id}/members", params=params)
    assert response.status_code == 200, response.text
    return response.content


async def queries_of(api: httpx.AsyncClient, list_id: int) -> list[dict[str, Any]]:
    fields = (await api.get(f"{LISTS}/{list_id}")).json()["fields"]
    return [*QUERIES, *(q for name in fields for q in BY_FIELD.get(name, ()))]


@pytest.mark.parametrize("list_id", SMALL)
async def test_stored_docs_serve_the_computed_bytes(
    api: httpx.AsyncClient, sandbox: Sandbox, list_id: int
) -> None:
    hostile.seed(sandbox.store)  # markup, escapes, control characters and emoji on list 2
    queries = await queries_of(api, list_id)
    computed = [await page(api, list_id, q) for q in queries]
    store_all(sandbox.store, list_id)
    members, docs = stored(sandbox.store, list_id)
    assert docs == members > 0
    for query, expected in zip(queries, computed, strict=True):
        assert await page(api, list_id, query) == expected, query
    assert sum(len(json.loads(body)["members"]) for body in computed) > 100


async def test_a_stored_doc_is_what_the_listing_serves(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    store_all(sandbox.store, 2)
    first = json.loads(await page(api, 2, {"perpage": 1}))["members"][0]
    marker = '{"id":"stored","status":{"status":"active"}}'

    def mark(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE heyloyalty_members SET doc = ? WHERE id = ?", (marker, first["id"]))

    sandbox.store.write(mark)
    served = json.loads(await page(api, 2, {"perpage": 2}))["members"]
    assert served[0] == json.loads(marker) and served[1]["id"] != first["id"]


async def test_changes_after_storing_are_listed(api: httpx.AsyncClient, sandbox: Sandbox) -> None:
    store_all(sandbox.store, 2)
    active = json.loads(await page(api, 2, {"perpage": 3}))["members"]
    removed = json.loads(await page(api, 2, {"show": "removed", "perpage": 1}))["members"]
    (gone, patched, imported), back = active, removed[0]
    assert (await api.delete(f"{VIP}/members/{gone['id']}")).status_code == 204
    change = {"firstname": "Patched", "tier": "3", "interests[]": ["9", "2"]}
    assert (await api.patch(f"{VIP}/members/{patched['id']}", data=change)).status_code == 204
    put = {"email": back["email"], "firstname": "Back"}
    assert (await api.put(f"{VIP}/members/{back['id']}", data=put)).status_code == 204
    counts = sandbox.store.write(
        _import_rows, 2, ["email", "lastname"], [[imported["email"], "Imported"]], {}
    )
    assert counts == (0, 1, [])

    views = [{"perpage": 5000}, {"show": "removed", "perpage": 5000}]
    served = [json.loads(await page(api, 2, q))["members"] for q in views]
    listed = {m["id"]: m for m in served[0]}
    assert gone["id"] not in listed
    assert next(m for m in served[1] if m["id"] == gone["id"])["status"]["status"] == "unsubscribed"
    assert listed[patched["id"]]["firstname"] == "Patched"
    assert listed[patched["id"]]["tier"] == {"value": "Platinum", "id": 3}
    assert [i["id"] for i in listed[patched["id"]]["interests"]] == [9, 2]
    assert listed[back["id"]]["firstname"] == "Back" and listed[back["id"]]["sex"] is None
    assert listed[imported["id"]]["lastname"] == "Imported" and listed[imported["id"]]["imported"]
    members, docs = stored(sandbox.store, 2)
    assert docs == members - 4  # only the changed rows lost theirs
    served_bytes = [await page(api, 2, q) for q in views]
    clear_docs(sandbox.store)
    assert served_bytes == [await page(api, 2, q) for q in views]


async def test_a_fields_change_drops_that_lists_docs(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    store_all(sandbox.store, 1, 2)
    fields = (await api.get(VIP)).json()["fields"]
    fields["interests"]["options"]["5"] = "Rejser"

    def relabel(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE heyloyalty_lists SET fields = ? WHERE id = 2", (json.dumps(fields),))

    sandbox.store.write(relabel)
    assert stored(sandbox.store, 2)[1] == 0
    assert stored(sandbox.store, 1)[1] == stored(sandbox.store, 1)[0]
    travellers = json.loads(await page(api, 2, {"filter[interests][in][]": "5"}))["members"]
    labels = {i["value"] for m in travellers for i in m["interests"] if i["id"] == 5}
    assert labels == {"Rejser"}


async def test_a_copied_row_does_not_keep_the_doc_it_copied(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    store_all(sandbox.store, 2)
    hostile.seed(sandbox.store)  # each hostile member is a copy of a stored member's row
    found = json.loads(await page(api, 2, {"filter[email][sw][]": "hostile."}))["members"]
    assert {m["email"] for m in found} == {email for _, _, email, _ in hostile.MEMBERS}
    assert len({m["id"] for m in found}) == len(hostile.MEMBERS)


# --- the million-member list, in miniature ----------------------------------------------------
@pytest.fixture
def small_big(monkeypatch: pytest.MonkeyPatch) -> None:
    """The big list at TOTAL members, the first EXACT made in Python, in batches of BATCH."""
    monkeypatch.setattr(people, "EXACT", EXACT)
    monkeypatch.setattr(heyloyalty_data, "BIG_TOTAL", TOTAL)
    monkeypatch.setattr(heyloyalty_data, "BATCH", BATCH)


def open_big(path: Path) -> Store:
    """The store as the demo opens it (builds included), once its builds have finished."""
    store = Store.open(path, big_lists=["heyloyalty"])
    heyloyalty.install(store)
    deadline = time.monotonic() + 60
    while not all(b.finished or b.error for b in store.builds.values()):
        assert time.monotonic() < deadline, store.builds
        time.sleep(0.01)
    assert not [b.error for b in store.builds.values() if b.error]
    return store


def big_pages(store: Store) -> list[bytes]:
    conn = store.connect()
    queries = [
        {"perpage": "20"},
        {"perpage": "20", "page": "2", "order": "-1"},
        {"perpage": "10", "show": "removed"},
        {"perpage": "10", "show": "temporary", "order": "-1"},
        {"perpage": "15", "filter": {"firstname": {"sw": ["a"]}}, "orderby": "points"},
    ]
    return [listing(conn, str(store.path), str(BIG), q) or b"" for q in queries]


def test_the_big_list_stores_its_docs_as_it_is_built(small_big: None, tmp_path: Path) -> None:
    store = open_big(tmp_path / "big.sqlite")
    assert stored(store, BIG) == (TOTAL, TOTAL)
    assert store.seeded(heyloyalty_data.DOCS_KEY)
    served = big_pages(store)
    clear_docs(store)
    assert big_pages(store) == served
    assert all(json.loads(body)["members"] for body in served)


def test_the_build_makes_each_interests_json_once(small_big: None, tmp_path: Path) -> None:
    """The build's docs take each Interests value's JSON from the values made once on the
    builder's connection (`make_multi_values`), instead of making it per member: a made value
    changed there shows in every doc stored after it."""
    store = Store.open(tmp_path / "made.sqlite", big_lists=False)
    heyloyalty.install(store)
    store.write(heyloyalty_data._insert_list, heyloyalty_data.BIG_LIST)
    conn = store.connect()
    heyloyalty_data._prepare_big_sql(conn)
    conn.execute(f"UPDATE {MULTI_MADE} SET json = json_array('made')")
    store.write(heyloyalty_data._insert_big, 0, TOTAL)
    docs = conn.execute(
        "SELECT interests, doc FROM heyloyalty_members WHERE list_id = ?", (BIG,)
    ).fetchall()
    assert len(docs) == TOTAL
    made = [json.loads(doc)["interests"] for interests, doc in docs if interests is not None]
    assert made and all(value == ["made"] for value in made)
    assert all(json.loads(doc)["interests"] == [] for interests, doc in docs if interests is None)


def make_old(path: Path) -> None:
    """The database as the code before stored docs left it: no doc column, no docs key."""
    conn = sqlite3.connect(path)
    for trigger in ("doc_update", "doc_insert", "doc_fields", "count_touch"):
        conn.execute(f"DROP TRIGGER heyloyalty_{trigger}")
    conn.execute("ALTER TABLE heyloyalty_members DROP COLUMN doc")
    conn.execute("DELETE FROM sandbox_meta WHERE key = ?", (heyloyalty_data.DOCS_KEY,))
    conn.commit()
    conn.close()


def test_an_older_database_gets_the_column_and_its_docs_built_once(
    small_big: None, tmp_path: Path
) -> None:
    path = tmp_path / "old.sqlite"
    open_big(path).close()
    make_old(path)
    store = open_big(path)
    assert stored(store, BIG) == (TOTAL, TOTAL)
    assert store.builds[heyloyalty_data.DOCS_KEY].done == TOTAL
    served = big_pages(store)
    clear_docs(store)
    assert big_pages(store) == served
    again = open_big(path)
    assert again.builds[heyloyalty_data.DOCS_KEY].finished
    assert stored(again, BIG) == (TOTAL, 0)  # registered as done: the build did not run again


def test_the_docs_build_resumes_at_the_first_member_without_one(
    small_big: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_big(tmp_path / "big.sqlite")
    conn = store.connect()
    rids = [r[0] for r in conn.execute(f"SELECT rid FROM heyloyalty_members WHERE list_id = {BIG}")]
    resume = rids[TOTAL // 2]
    forget = "UPDATE heyloyalty_members SET doc = NULL WHERE rid >= ?"
    store.write(lambda conn: conn.execute(forget, (resume,)))
    calls: list[tuple[int, ...]] = []

    def recorded(conn: sqlite3.Connection, list_id: int, *bounds: int) -> None:
        calls.append(bounds)
        store_docs(conn, list_id, *bounds)

    monkeypatch.setattr(heyloyalty_data, "store_docs", recorded)
    progress = BuildProgress("docs", TOTAL)
    heyloyalty_data._store_big_docs(store, progress)
    assert calls[0][0] == resume and progress.done == progress.total == TOTAL
    assert stored(store, BIG) == (TOTAL, TOTAL)
