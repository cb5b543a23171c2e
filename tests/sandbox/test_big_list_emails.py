"""The big Heyloyalty list's members are found by the position their email names (person i at
position i + 1, whose email ends in i before the '@'), not through an index of emails (57 MB
of random keys at a million, rewritten at every commit of the build): only the other members'
emails are indexed, and every lookup by email (a filter, an import's match, a delete by field)
finds the same members as before, changed emails included, without reading the whole list."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from big_heyloyalty import EXACT, MEMBERS, TOTAL, with_big_list

from audience_tui.demo import Sandbox
from audience_tui.sandbox.heyloyalty import data as heyloyalty_data
from audience_tui.sandbox.heyloyalty.query import where
from audience_tui.sandbox.heyloyalty.writes import _import_rows, _members_where
from audience_tui.sandbox.people import POSITIONAL_EMAIL, email_position

BIG = heyloyalty_data.BIG_LIST_ID


@pytest.fixture
def big(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    return with_big_list(sandbox, monkeypatch)


_FROM = "FROM heyloyalty_members WHERE"


def test_an_email_names_the_position_of_the_digits_before_its_at() -> None:
    assert email_position("freja.sorensen600000@example.org") == 600_001
    assert email_position("Hugo.Garcia4@Inbox.Example.FR") == 5
    assert email_position("a0@example.com") == 1
    for other in ("no.digits@example.com", "123@example.com", "a12", "a١٢@example.com", ""):
        assert email_position(other) == -1


def rows(big: Sandbox, sql: str, *args: Any) -> list[Any]:
    return big.store.connect().execute(sql, args).fetchall()


def test_only_the_emails_that_name_no_position_of_theirs_are_indexed(big: Sandbox) -> None:
    members = f"SELECT count(*) FROM heyloyalty_members WHERE list_id {{}} {BIG} AND {{}}"
    assert rows(big, members.format("=", f"NOT ({POSITIONAL_EMAIL})"))[0][0] == 0
    assert rows(big, members.format("=", POSITIONAL_EMAIL))[0][0] == TOTAL
    small = rows(big, members.format("!=", f"NOT ({POSITIONAL_EMAIL})"))[0][0]
    assert small > 0.99 * rows(big, members.format("!=", "1"))[0][0]
    index = {r["name"]: r for r in rows(big, "PRAGMA index_list(heyloyalty_members)")}
    assert index["heyloyalty_members_email"]["partial"]


def plan(big: Sandbox, select: str, args: list[Any]) -> str:
    return " / ".join(r[3] for r in rows(big, f"EXPLAIN QUERY PLAN {select}", *args))


# The statistics ANALYZE left on the bench's database (the million and the small lists): the
# planner chooses by them, and with the million's it read the list's rows for an import's match.
MILLION_STATISTICS = {
    "heyloyalty_members_id": "25488 1",
    "heyloyalty_members_email": "4860 667 401 1",
    "heyloyalty_members_page": "1208340 667 401 1",
}


def test_a_lookup_by_email_seeks_both_indexes_instead_of_reading_the_list(big: Sandbox) -> None:
    def as_the_million(conn: Any) -> None:
        for index, stat in MILLION_STATISTICS.items():
            conn.execute("DELETE FROM sqlite_stat1 WHERE idx = ?", (index,))
            stat1 = "INSERT INTO sqlite_stat1 VALUES ('heyloyalty_members', ?, ?)"
            conn.execute(stat1, (index, stat))

    big.store.write(as_the_million)
    big.store.connect().execute("ANALYZE sqlite_schema")  # the statistics read again
    email = "a.b7@example.com"
    sql, args = where({"email": {"eq": [email]}}, "and", {"email": "text"})
    imported, matched = _members_where("email", email, [BIG])
    deleted, everywhere = _members_where("email", email, None)
    for select, selected in (
        (f"rid {_FROM} list_id = ? AND status = ? AND {sql}", [BIG, "active", *args]),  # filter
        (f"rid {_FROM} {imported} ORDER BY position LIMIT 1", matched),  # an import's match
        (f"* {_FROM} {deleted} ORDER BY list_id, position", everywhere),  # delete by field
    ):
        found = plan(big, f"SELECT {select}", selected)
        assert "MULTI-INDEX OR" in found and "INDEX heyloyalty_members_email" in found, found
        assert "heyloyalty_members_page (" in found and "SCAN" not in found, found


async def found(api: httpx.AsyncClient, list_id: int, email: str) -> list[str]:
    """The ids of the list's members with this email, in each of its three status views."""
    out = []
    for show in ("active", "removed", "temporary"):
        params = {"filter[email][eq][]": email, "show": show}
        page = await api.get(MEMBERS.format(list_id), params=params)
        assert page.status_code == 200, page.text
        out += [member["id"] for member in page.json()["members"]]
    return out


def member_at(big: Sandbox, list_id: int, position: int) -> Any:
    return rows(
        big, "SELECT * FROM heyloyalty_members WHERE list_id = ? AND position = ?",
        list_id, position,
    )[0]  # fmt: skip


async def test_every_kind_of_member_is_found_by_email_changed_emails_too(
    big: Sandbox, heyloyalty_api: httpx.AsyncClient
) -> None:
    for list_id, position in ((BIG, 1), (BIG, EXACT + 1), (BIG, TOTAL), (1, 7), (2, 100)):
        member = member_at(big, list_id, position)
        assert await found(heyloyalty_api, list_id, member["email"].upper()) == [member["id"]]
    # a drawn member's email changed to one naming another position, and to one naming none
    moved, renamed = member_at(big, BIG, 50), member_at(big, BIG, 60)
    for member, email in ((moved, "x.y10@example.com"), (renamed, "plain@example.com")):
        changed = await heyloyalty_api.patch(
            f"{MEMBERS.format(BIG)}/{member['id']}", data={"email": email}
        )
        assert changed.status_code == 204, changed.text
        assert await found(heyloyalty_api, BIG, email) == [member["id"]]
        assert await found(heyloyalty_api, BIG, member["email"]) == []
    assert await found(heyloyalty_api, BIG, member_at(big, BIG, 11)["email"]) == [
        member_at(big, BIG, 11)["id"]
    ]  # the member at the position the moved email names is still found by its own


async def test_an_import_and_a_delete_by_field_find_the_big_lists_members_by_email(
    big: Sandbox, heyloyalty_api: httpx.AsyncClient
) -> None:
    imported, deleted = member_at(big, BIG, TOTAL - 1), member_at(big, BIG, TOTAL - 2)
    counts = big.store.write(
        _import_rows, BIG, ["email", "lastname"], [[imported["email"], "Imported"]], {}
    )
    assert counts == (0, 1, [])  # updated, not created again
    assert member_at(big, BIG, TOTAL - 1)["lastname"] == "Imported"
    response = await heyloyalty_api.request(
        "DELETE",
        "/loyalty/v2/lists/members/byfield",
        json={"field": "email", "value": deleted["email"].upper(), "lists": [BIG]},
    )
    assert response.json() == [{"list_id": BIG, "member_id": deleted["id"]}]
    assert member_at(big, BIG, TOTAL - 2)["status"] == "unsubscribed"
