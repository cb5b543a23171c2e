"""Emma sandbox writes to single members: the status changes (opt-out by email, `PUT
/members/status`, `PUT /members/status/{from}/to/{to}`) and the single-member upsert `POST
/members/add`, sharing one way of moving a member's status and its groups' live counts.

Statuses settable through the API are `a` (active), `e` (error) and `o` (opt-out); a move to `o`
is recorded in the member's opt-out history (`GET /members/{id}/optout`).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from .data import bump_counts, groups_of, join_groups, stamp
from .imports import EMAIL

SETTABLE = ("a", "e", "o")


class HttpError(Exception):
    """An answer other than 200: Emma's `{"error": message}` body with this status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def set_status(conn: sqlite3.Connection, row: sqlite3.Row, to: str) -> None:
    """Move one member (row with member_id, status, deleted_at) to status `to`."""
    if row["status"] == to:
        return
    when = stamp()
    conn.execute(
        "UPDATE emma_members SET status = ?, last_modified_at = ? WHERE member_id = ?",
        (to, when, row["member_id"]),
    )
    if to == "o":
        conn.execute("INSERT INTO emma_optouts VALUES (?, ?, NULL)", (row["member_id"], when))
    if row["deleted_at"] is None:
        groups = groups_of(conn, row["member_id"])
        bump_counts(conn, groups, row["status"], -1)
        bump_counts(conn, groups, to, 1)


def _status(value: Any) -> str:
    if value not in SETTABLE:
        raise HttpError(400, f"Invalid status {value!r}: use one of a, e, o")
    return str(value)


def change_statuses(conn: sqlite3.Connection, body: Any) -> bool:
    """PUT /members/status {"member_ids", "status_to"}: True if every member was updated."""
    if not isinstance(body, dict) or not isinstance(body.get("member_ids"), list):
        raise HttpError(400, "member_ids is required")
    to = _status(body.get("status_to"))
    found = 0
    for member_id in body["member_ids"]:
        row = conn.execute(
            "SELECT member_id, status, deleted_at FROM emma_members WHERE member_id = ?",
            (member_id,),
        ).fetchone()
        if row is not None:
            set_status(conn, row, to)
            found += 1
    return found == len(body["member_ids"])


def move_status(conn: sqlite3.Connection, old: str, new: str, body: Any) -> bool:
    """PUT /members/status/{from}/to/{to}, optionally {"group_id"}: every member with status
    `from` (in that group) gets `to`."""
    old, new = _status(old), _status(new)
    group = body.get("group_id") if isinstance(body, dict) else None
    sql = "SELECT member_id, status, deleted_at FROM emma_members WHERE status = ?"
    args: list[Any] = [old]
    if group is not None:
        sql += (
            " AND member_id IN (SELECT member_id FROM emma_group_members WHERE member_group_id = ?)"
        )
        args.append(group)
    for row in conn.execute(sql, args).fetchall():
        set_status(conn, row, new)
    return True


def add_member(conn: sqlite3.Connection, body: Any) -> dict[str, Any]:
    """POST /members/add {"email", "fields", "group_ids"}: add or update one member; its
    status is kept (an opted-out member stays opted out)."""
    email = body.get("email") if isinstance(body, dict) else None
    if not isinstance(email, str) or not EMAIL.match(email.strip()):
        raise HttpError(400, "Invalid email address")
    email = email.strip()
    known = {r[0] for r in conn.execute("SELECT shortcut_name FROM emma_fields")}
    given = body.get("fields") or {}
    if not isinstance(given, dict):
        raise HttpError(400, "fields must be an object")
    values = {k: v for k, v in given.items() if k in known}
    group_ids = body.get("group_ids") or []
    if not isinstance(group_ids, list) or not all(isinstance(g, int) for g in group_ids):
        raise HttpError(400, "group_ids must be an array of group ids")
    when = stamp()
    existing = conn.execute(
        "SELECT member_id, status, fields FROM emma_members WHERE email_lc = ?", (email.lower(),)
    ).fetchone()
    if existing is None:
        member_id = conn.execute("SELECT MAX(member_id) FROM emma_members").fetchone()[0] + 1
        status = "a"
        conn.execute(
            "INSERT INTO emma_members (member_id, email, email_lc, status, fields, member_since) "
            "VALUES (?, ?, ?, 'a', ?, ?)",
            (member_id, email, email.lower(), json.dumps(values, ensure_ascii=False), when),
        )
    else:
        member_id, status = existing["member_id"], existing["status"]
        merged = {**json.loads(existing["fields"]), **values}
        conn.execute(
            "UPDATE emma_members SET fields = ?, last_modified_at = ?, deleted_at = NULL "
            "WHERE member_id = ?",
            (json.dumps(merged, ensure_ascii=False), when, member_id),
        )
    join_groups(conn, member_id, status, group_ids)
    return {"status": status, "added": existing is None, "member_id": member_id}
