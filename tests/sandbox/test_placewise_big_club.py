"""Placewise's million-member club, in miniature, stored compactly: its members are found by the
position their email names (person i at position i + 1, whose email ends in i before the '@'),
not through an index of a million emails (49 MB of random keys, rewritten at every commit of the
build); every lookup by email (the by_email route, the list's email property, an import's match,
an update's uniqueness check) finds the members it found before, changed emails and positions
moved by a delete included."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from audience_tui.demo import Sandbox
from audience_tui.sandbox import people
from audience_tui.sandbox.heyloyalty.query import POSITIONAL_EMAIL
from audience_tui.sandbox.placewise import data, imports
from audience_tui.sandbox.placewise import routes as placewise
from audience_tui.sandbox.store import BuildProgress

TOTAL, EXACT = 90, 15
SLUG = data.BIG_CLUB[2]
CLUB = data.BIG_CLUB[0]


@pytest.fixture
def big(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """`sandbox` with the big club built at TOTAL members, the first EXACT made in Python."""
    monkeypatch.setattr(people, "EXACT", EXACT)
    monkeypatch.setattr(data, "BIG_TOTAL", TOTAL)
    monkeypatch.setattr(data, "BIG_BATCH", 40)
    sandbox.store.write(data.insert_club, data.BIG_CLUB)
    data.build_big(sandbox.store, BuildProgress("p", TOTAL))
    return sandbox


def rows(big: Sandbox, sql: str, *args: Any) -> list[sqlite3.Row]:
    return big.store.connect().execute(sql, args).fetchall()


def test_only_the_emails_that_name_no_position_of_theirs_are_indexed(big: Sandbox) -> None:
    count = "SELECT count(*) FROM placewise_members WHERE club_id {} ? AND {}"
    assert rows(big, count.format("=", POSITIONAL_EMAIL), CLUB)[0][0] == TOTAL
    assert rows(big, count.format("=", f"NOT ({POSITIONAL_EMAIL})"), CLUB)[0][0] == 0
    small = rows(big, count.format("!=", f"NOT ({POSITIONAL_EMAIL})"), CLUB)[0][0]
    assert small > 0.99 * rows(big, count.format("!=", "1"), CLUB)[0][0]
    indexes = {r["name"]: r for r in rows(big, "PRAGMA index_list(placewise_members)")}
    assert indexes["placewise_members_email"]["partial"]


def by_email(big: Sandbox, email: str) -> int | None:
    try:
        return placewise._one_member(big.store.connect(), SLUG, "email", email)["id"]
    except placewise.Refusal:
        return None


def listed(big: Sandbox, *emails: str) -> list[int]:
    params = {"page": 1, "per_page": 100, "order": "m.position ASC", "search": ""}
    params |= {"properties": {"email": list(emails)}, "ids": []}
    found = placewise._list_members(big.store.connect(), SLUG, params)
    return [member["id"] for member in found["members"]]


def members(big: Sandbox) -> list[tuple[int, str]]:
    found = rows(
        big, "SELECT id, email FROM placewise_members WHERE club_id = ? ORDER BY position", CLUB
    )
    return [(row["id"], row["email"]) for row in found]


def test_every_lookup_by_email_finds_the_member_whatever_its_email_and_position(
    big: Sandbox,
) -> None:
    write = big.store.write
    before = members(big)
    for member_id, email in before[:3] + before[EXACT : EXACT + 3] + before[-2:]:
        assert by_email(big, email) == member_id and listed(big, email.upper()) == [member_id]
    (first, first_email), (crowd, crowd_email) = before[1], before[EXACT + 5]
    assert listed(big, first_email, crowd_email) == [first, crowd]
    # A changed email: one naming another position, then one naming none.
    for new in (f"moved{EXACT + 40}@example.org", "no.digits@example.org"):
        write(placewise._update_member, SLUG, crowd, {"properties": {"email": new}})
        assert by_email(big, new) == crowd and by_email(big, crowd_email) is None
        taken = {"properties": {"email": new}}
        with pytest.raises(placewise.Refusal, match="Invalid parameters"):
            write(placewise._update_member, SLUG, first, taken)
    # A delete moves every later member up a position: their emails no longer name theirs.
    deleted = before[EXACT][0]
    write(placewise._delete_member, SLUG, deleted)
    after = members(big)
    changed = {crowd: "no.digits@example.org"}
    assert after == [(i, changed.get(i, e)) for i, e in before if i != deleted]
    for member_id, email in after[EXACT - 1 :]:
        assert by_email(big, email) == member_id
    moved_id, moved_email = after[-1]
    update = {"operation": "update", "member_identifier_type": "email"}
    update["members"] = [{"properties": {"email": moved_email, "first_name": "Imported"}}]
    write(imports.submit, CLUB, update)
    write(imports.finish_all)
    name = "SELECT first_name FROM placewise_members WHERE id = ?"
    assert rows(big, name, moved_id)[0][0] == "Imported"


def test_a_lookup_by_email_seeks_the_indexes_instead_of_reading_the_club(big: Sandbox) -> None:
    conn = big.store.connect()
    sql, args = data.member_equals(CLUB, "email", "a.b7@example.com")
    plan = [
        r[3]
        for r in conn.execute(
            f"EXPLAIN QUERY PLAN SELECT * FROM placewise_members WHERE {sql}", args
        )
    ]
    assert any("placewise_members_email" in step for step in plan), plan
    assert any("placewise_members_position" in step for step in plan), plan
    assert not any(step.startswith("SCAN") for step in plan), plan
