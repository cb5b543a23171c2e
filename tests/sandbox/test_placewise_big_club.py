"""Placewise's million-member club, in miniature, stored compactly. Its moments (joined, consents,
updated, left) are integers, 8 bytes against the text's 27, served as Placewise's text and
filtered, sorted and bucketed as that text was. Its members are found by the
position their email names (person i at position i + 1, whose email ends in i before the '@'),
not through an index of a million emails (49 MB of random keys, rewritten at every commit of the
build); every lookup by email (the by_email route, the list's email property, an import's match,
an update's uniqueness check) finds the members it found before, changed emails and positions
moved by a delete included."""

from __future__ import annotations

import sqlite3
from datetime import timedelta, timezone
from typing import Any

import pytest

from audience_tui.demo import Sandbox
from audience_tui.sandbox import people
from audience_tui.sandbox.people import POSITIONAL_EMAIL
from audience_tui.sandbox.placewise import data, imports, reporting, storage
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


MOMENTS = ("created_at", "updated_at", "c_email_at", "c_sms_at", "left_at")


def report(big: Sandbox, body: dict[str, Any]) -> dict[str, Any]:
    clubs = [(CLUB, data.BIG_CLUB[1])]
    prepared = reporting.prepare(body)
    return reporting.run(big.store.connect(), prepared, body, clubs, "test")


def test_moments_are_stored_as_integers_and_served_as_placewise_text(big: Sandbox) -> None:
    kinds = ", ".join(f"typeof({column})" for column in MOMENTS)
    assert {k for row in rows(big, f"SELECT {kinds} FROM placewise_members") for k in row} == {
        "integer",
        "null",
    }
    span = (data.BIG_END - data.BIG_START) / TOTAL
    for position in (3, EXACT + 7):
        joined = data.stamp(data.BIG_START + span * position)
        assert len(joined) == 27 and joined.endswith("Z")
        member = placewise._list_members(
            big.store.connect(),
            SLUG,
            {"page": position, "per_page": 1, "order": "m.position ASC", "search": ""}
            | {"properties": {}, "ids": []},
        )["members"][0]
        assert member["created_at"] == joined
        consents = member["consents"].values()
        assert {c["updated_at"] for c in consents} <= {joined, member["updated_at"]}
        # A moment given in another zone compares as the text did, to the microsecond.
        local = (data.BIG_START + span * position).astimezone(timezone(timedelta(hours=2)))
        after = {"type": "greater_than", "field": "created_at", "value": local.isoformat()}
        found = report(big, {"report": "members", "limit": TOTAL, "filter": after})["records"]
        assert len(found) == TOTAL - position
        exactly = {"type": "equal", "field": "created_at", "value": joined}
        assert [
            r["id"] for r in report(big, {"report": "members", "filter": exactly})["records"]
        ] == [member["id"]]


def test_joins_and_leaves_are_bucketed_by_their_moments(big: Sandbox) -> None:
    found = rows(big, f"SELECT created_at, left_at FROM placewise_members WHERE club_id = {CLUB}")
    body = {"report": "member_balance", "interval": "1mo"}
    body |= {"from": "2016-12-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}
    series = report(big, body)
    months = series["time_buckets"]
    joins, leaves = (s["values"] for s in series["series"])

    def month(moment: int) -> int:
        return months.index(data.stamp_of(moment)[:7] + "-01T00:00:00.000000Z")

    assert joins == [sum(month(r[0]) == i for r in found) for i in range(len(months))]
    left = [r[1] for r in found if r[1] is not None]
    assert left and leaves == [sum(month(m) == i for m in left) for i in range(len(months))]


def test_coded_derived_and_later_moments_are_generated_not_stored(big: Sandbox) -> None:
    columns = {r["name"]: r["hidden"] for r in rows(big, "PRAGMA table_xinfo(placewise_members)")}
    generated = {name for name, hidden in columns.items() if hidden == 2}  # virtual
    assert generated == {*storage.CODES, *storage.DERIVED, *storage.SINCE_JOINED}
    assert tuple(name for name in columns if name not in generated) == ("id", *storage.STORED)
    million = f"FROM placewise_members WHERE club_id = {CLUB} AND position > {EXACT}"
    kinds = rows(big, f"SELECT DISTINCT typeof(sms_status_code), typeof(age_code) {million}")
    assert {tuple(kind) for kind in kinds} <= {("integer", "integer"), ("integer", "null")}
    same = rows(big, f"SELECT count(*) {million} AND updated_at_delta = 0 AND c_email = 1")
    assert same[0][0] > 0.5 * (TOTAL - EXACT)


def test_a_value_without_a_code_and_a_changed_status_read_as_written(big: Sandbox) -> None:
    member_id = members(big)[EXACT + 2][0]
    changes = {"optin_channel": "kiosk", "properties": {"email": "kiosk@example.org"}}
    write = big.store.write
    created = write(imports.submit, CLUB, {"operation": "create", "members": [changes]})
    assert created
    write(imports.finish_all)
    write(placewise._update_member, SLUG, member_id, {"sms_enabled": False, "push_enabled": False})
    kiosk = {"type": "equal", "field": "optin_channel", "value": "kiosk"}
    found = report(big, {"report": "members", "filter": kiosk})["records"]
    assert [r["optin_channel"] for r in found] == ["kiosk"]
    assert by_email(big, "kiosk@example.org") == found[0]["id"]
    record = report(
        big, {"report": "members", "filter": {"type": "equal", "field": "id", "value": member_id}}
    )
    (member,) = record["records"]
    assert member["sms_status"] == "disabled" and member["push_status"] == "disabled"
    assert not member["marketing_via_sms"] and not member["marketing_via_push"]
    assert member["marketing_via_anything"] == member["marketing_via_email"]


def test_a_number_given_for_a_coded_column_reads_as_its_text(big: Sandbox) -> None:
    """A TEXT column kept a client's number as its digits: 5 is "5", not the 6th channel."""
    for channel, read in ((5, "5"), (True, "1"), (2.5, "2.5"), ("app", "app")):
        email = f"channel.{read}@example.org"
        body = {"optin_channel": channel, "properties": {"email": email}}
        big.store.write(imports.submit, CLUB, {"operation": "create", "members": [body]})
        big.store.write(imports.finish_all)
        member_id = by_email(big, email)
        record = report(
            big,
            {"report": "members", "filter": {"type": "equal", "field": "id", "value": member_id}},
        )
        assert record["records"][0]["optin_channel"] == read
