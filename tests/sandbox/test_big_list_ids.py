"""The big Heyloyalty list's members drawn in SQL are found by the position their id names, not
through an index of ids (50 MB of random keys at a million, rewritten at every commit of the
build): only the other members' ids are indexed, and every member is found by its id, read,
changed and erased as before, on the big list as on the small ones."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest
from big_heyloyalty import EXACT, MEMBERS, TOTAL, with_big_list

from audience_tui.demo import Sandbox
from audience_tui.sandbox import people
from audience_tui.sandbox import store as store_module
from audience_tui.sandbox.heyloyalty import data as heyloyalty_data
from audience_tui.sandbox.heyloyalty import routes as heyloyalty
from audience_tui.sandbox.heyloyalty.http import POSITIONAL_ID, member_row, positional
from audience_tui.sandbox.store import BuildProgress, Store

BIG = heyloyalty_data.BIG_LIST_ID


@pytest.fixture
def big(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    return with_big_list(sandbox, monkeypatch)


def ids(sandbox: Sandbox, where: str) -> list[tuple[int, str]]:
    found = sandbox.store.connect().execute(
        f"SELECT list_id, id FROM heyloyalty_members WHERE {where} ORDER BY rid"
    )
    return [tuple(row) for row in found]


def test_only_the_members_not_drawn_in_sql_are_in_the_index_of_ids(big: Sandbox) -> None:
    conn = big.store.connect()
    indexes = {row["name"]: row for row in conn.execute("PRAGMA index_list(heyloyalty_members)")}
    assert not [name for name in indexes if name.startswith("sqlite_autoindex")]
    by_id = indexes["heyloyalty_members_id"]
    assert by_id["unique"] and by_id["partial"]
    drawn = ids(big, POSITIONAL_ID)
    assert len(drawn) == TOTAL - EXACT and {list_id for list_id, _ in drawn} == {BIG}
    indexed = ids(big, f"NOT ({POSITIONAL_ID})")
    small = conn.execute(f"SELECT count(*) FROM heyloyalty_members WHERE list_id != {BIG}")
    assert len(indexed) == small.fetchone()[0] + EXACT


def test_a_positional_id_names_a_position_of_its_own_list_only() -> None:
    member = "a3078f18-0a3a-4f22-9abb-0400000927c0"  # the million's person 600,000
    assert positional(4, member) == 600_001
    assert positional(3, member) is None
    for other in ("0400000927c0", member.upper(), member[:-1] + "g", member + "0", ""):
        assert positional(4, other) is None


async def test_every_kind_of_member_is_found_changed_and_erased_by_its_id(
    big: Sandbox, heyloyalty_api: httpx.AsyncClient
) -> None:
    drawn = [member for _, member in ids(big, POSITIONAL_ID)]
    made = [member for list_id, member in ids(big, f"NOT ({POSITIONAL_ID})") if list_id == BIG]
    small = next(member for list_id, member in ids(big, "list_id = 1"))
    members = [(BIG, drawn[0]), (BIG, drawn[-1]), (BIG, made[0]), (1, small)]
    for list_id, member in members:
        found = await heyloyalty_api.get(f"{MEMBERS.format(list_id)}/{member}")
        assert found.status_code == 200 and found.json()["id"] == member
        wrong_list = await heyloyalty_api.get(f"{MEMBERS.format(3)}/{member}")
        assert wrong_list.status_code == 404
    # a drawn member's id with one character changed is nobody
    missing = drawn[0][:3] + ("0" if drawn[0][3] != "0" else "1") + drawn[0][4:]
    assert (await heyloyalty_api.get(f"{MEMBERS.format(BIG)}/{missing}")).status_code == 404

    member = f"{MEMBERS.format(BIG)}/{drawn[1]}"
    changed = await heyloyalty_api.patch(member, data={"firstname": "Renamed"})
    assert changed.status_code == 204, changed.text
    assert (await heyloyalty_api.get(member)).json()["fields"]["firstname"]["value"] == "Renamed"
    assert (await heyloyalty_api.delete(member)).status_code == 204  # the opt-out
    assert (await heyloyalty_api.get(member)).json()["status"]["status"] == "unsubscribed"
    removed = await heyloyalty_api.get(MEMBERS.format(BIG), params={"show": "removed"})
    assert drawn[1] in {m["id"] for m in removed.json()["members"]}
    assert (await heyloyalty_api.delete(f"{member}/obscure")).status_code == 204
    erased = (await heyloyalty_api.get(member)).json()
    assert erased["id"] == drawn[1] and erased["fields"]["email"]["value"] is None


async def test_a_new_member_of_the_big_list_is_found_by_its_id(
    big: Sandbox, heyloyalty_api: httpx.AsyncClient
) -> None:
    created = await heyloyalty_api.post(
        MEMBERS.format(BIG), data={"email": "new.member@example.com", "firstname": "New"}
    )
    assert created.status_code in (200, 201), created.text
    member = created.json()["id"]
    found = await heyloyalty_api.get(f"{MEMBERS.format(BIG)}/{member}")
    assert found.status_code == 200 and found.json()["fields"]["email"]["value"] == (
        "new.member@example.com"
    )


def test_a_build_stopped_midway_resumes_to_the_members_of_one_built_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(people, "EXACT", EXACT)
    monkeypatch.setattr(heyloyalty_data, "BIG_TOTAL", TOTAL)
    monkeypatch.setattr(heyloyalty_data, "BATCH", 25)
    monkeypatch.setattr(store_module, "COMMIT_ROWS", 50)
    insert = heyloyalty_data._insert_big

    def stopping(conn: sqlite3.Connection, start: int, stop: int) -> None:
        if start == 75:
            raise RuntimeError("stopped")
        insert(conn, start, stop)

    built: list[list[tuple[object, ...]]] = []
    for name, stops in (("at-once", False), ("resumed", True)):
        store = Store.open(tmp_path / f"{name}.sqlite", big_lists=False)
        heyloyalty.install(store)
        store.write(heyloyalty_data._insert_list, heyloyalty_data.BIG_LIST)
        if stops:
            with monkeypatch.context() as patched:
                patched.setattr(heyloyalty_data, "_insert_big", stopping)
                with pytest.raises(RuntimeError):
                    heyloyalty_data._build_big(store, BuildProgress("h", TOTAL))
            assert not store.seeded(heyloyalty_data.BIG_KEY)
        heyloyalty_data._build_big(store, BuildProgress("h", TOTAL))
        conn = store.connect()
        members = conn.execute(
            f"SELECT * FROM heyloyalty_members WHERE list_id = {BIG} ORDER BY position"
        ).fetchall()
        found = [member_row(conn, str(BIG), m["id"]) for m in members]
        assert [f["rid"] if f else None for f in found] == [m["rid"] for m in members]
        built.append([tuple(m)[1:] for m in members])  # all but the rid
        store.close()
    assert len(built[0]) == TOTAL and built[1] == built[0]
