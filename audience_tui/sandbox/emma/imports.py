"""Emma's bulk import (POST /members) in the sandbox: accepted at once, carried out a little later.

The real platform answers `{"import_id": N}` and runs the import in the background ("generally
pretty fast"); its status reads `status: null, import_finished: null` until it is done. The
sandbox keeps the request and applies it once `DELAY` seconds have passed or the import's status
has been polled `POLLS` times, whichever comes first, so a client sees it running and then done.

Assumed where the documentation is silent: rows whose email is not an address are counted in
`num_skipped` and listed in `/imports/{id}/members` with `change_type: "r"`, `member_id: null`
and an `error` message; an import in which no row has a valid email ends with `status: "e"`.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Mapping
from typing import Any

from .data import IMPORT_BASE, join_groups, stamp

DELAY = 1.5  # seconds an import stays running
POLLS = 2  # status reads after which it finishes regardless of the clock
MAX_PAYLOAD = 10 * 1024 * 1024  # "JSON payloads must not exceed 10 MB"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_RESERVED = frozenset({"email", "fields", "group_ids"})


class ImportRefused(Exception):
    """The request cannot start an import: (HTTP status, message for `{"error": ...}`)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def create_import(conn: sqlite3.Connection, body: Any, now: float) -> int:
    """Validate a bulk request, store it as a running import and return its id."""
    if not isinstance(body, dict) or not isinstance(body.get("members"), list):
        raise ImportRefused(400, "members must be a list of member objects")
    if not body["members"]:
        raise ImportRefused(400, "members is empty")
    group_ids = body.get("group_ids") or []
    if not isinstance(group_ids, list) or not all(
        isinstance(g, int) or (isinstance(g, str) and g.isdigit()) for g in group_ids
    ):
        raise ImportRefused(400, "group_ids must be a list of group ids")
    group_ids = [int(g) for g in group_ids]
    for gid in group_ids:
        if not conn.execute(
            "SELECT 1 FROM emma_groups WHERE member_group_id = ? AND deleted_at IS NULL", (gid,)
        ).fetchone():
            raise ImportRefused(404, f"Group {gid} does not exist")
    add_only = bool(body.get("add_only"))
    last = conn.execute("SELECT MAX(import_id) FROM emma_imports").fetchone()[0]
    import_id = (last or IMPORT_BASE - 1) + 1
    payload = {"members": body["members"], "group_ids": group_ids, "add_only": add_only}
    conn.execute(
        "INSERT INTO emma_imports (import_id, style, import_started, source_filename, due, payload)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            import_id,
            "add_only" if add_only else "add_and_update",
            stamp(),
            str(body["source_filename"]) if body.get("source_filename") else None,
            now + DELAY,
            json.dumps(payload),
        ),
    )
    return import_id


def count_poll(conn: sqlite3.Connection, import_id: int) -> None:
    conn.execute("UPDATE emma_imports SET polls = polls + 1 WHERE import_id = ?", (import_id,))


def running_imports(conn: sqlite3.Connection, now: float) -> tuple[int, bool]:
    """(how many imports are still running, whether one of them is due to finish)."""
    running, due = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(due <= ? OR polls >= ?), 0) FROM emma_imports "
        "WHERE import_finished IS NULL",
        (now, POLLS),
    ).fetchone()
    return running, bool(due)


def finish_due(conn: sqlite3.Connection, now: float) -> int:
    """Carry out every import whose time has come; returns how many are still running."""
    due = conn.execute(
        "SELECT import_id, payload FROM emma_imports WHERE import_finished IS NULL "
        "AND (due <= ? OR polls >= ?) ORDER BY import_id",
        (now, POLLS),
    ).fetchall()
    for row in due:
        _apply(conn, row["import_id"], json.loads(row["payload"]))
    return running_imports(conn, now)[0]


def _values(item: Mapping[str, Any], known: set[str]) -> dict[str, Any]:
    """The member's field values, nested (`fields`) or flat (every other key), known fields only."""
    nested = item.get("fields")
    source = nested if isinstance(nested, dict) else item
    return {k: v for k, v in source.items() if k in known and k not in _RESERVED}


def _apply(conn: sqlite3.Connection, import_id: int, payload: Mapping[str, Any]) -> None:
    known = {r[0] for r in conn.execute("SELECT shortcut_name FROM emma_fields")}
    when = stamp()
    seen: set[str] = set()
    rows: list[tuple[Any, ...]] = []
    added = updated = skipped = duplicates = 0
    touched: set[str] = set()
    for item in payload["members"]:
        email = item.get("email") if isinstance(item, dict) else None
        if not isinstance(email, str) or not EMAIL.match(email.strip()):
            skipped += 1
            shown = email if isinstance(email, str) else json.dumps(item)[:200]
            rows.append((None, "r", None, shown, "Invalid email address"))
            continue
        email = email.strip()
        if email.lower() in seen:
            duplicates += 1
            continue
        seen.add(email.lower())
        values = _values(item, known)
        touched.update(values)
        existing = conn.execute(
            "SELECT member_id, status, fields, deleted_at FROM emma_members WHERE email_lc = ?",
            (email.lower(),),
        ).fetchone()
        if existing is not None and payload["add_only"]:
            skipped += 1
            continue
        if existing is None:
            member_id = (conn.execute("SELECT MAX(member_id) FROM emma_members").fetchone()[0]) + 1
            status, change = "a", "a"
            conn.execute(
                "INSERT INTO emma_members (member_id, email, email_lc, status, fields, "
                "member_since) VALUES (?, ?, ?, 'a', ?, ?)",
                (member_id, email, email.lower(), json.dumps(values, ensure_ascii=False), when),
            )
            added += 1
        else:
            member_id, status = existing["member_id"], existing["status"]
            change = "n" if existing["deleted_at"] else "u"
            merged = {**json.loads(existing["fields"]), **values}
            conn.execute(
                "UPDATE emma_members SET fields = ?, last_modified_at = ?, deleted_at = NULL "
                "WHERE member_id = ?",
                (json.dumps(merged, ensure_ascii=False), when, member_id),
            )
            updated += 1
        join_groups(conn, member_id, status, payload["group_ids"])
        rows.append((member_id, change, status, email, None))
    conn.executemany(
        "INSERT INTO emma_import_members VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(import_id, seq, *row) for seq, row in enumerate(rows)],
    )
    failed = not seen  # no row carried a usable email address
    conn.execute(
        "UPDATE emma_imports SET status = ?, import_finished = ?, error_message = ?, "
        "num_members_added = ?, num_members_updated = ?, num_skipped = ?, num_duplicates = ?, "
        "fields_updated = ?, groups_updated = ?, payload = NULL WHERE import_id = ?",
        (
            "e" if failed else "o",
            when,
            "No member in the import had a valid email address" if failed else None,
            added,
            updated,
            skipped,
            duplicates,
            json.dumps(sorted(touched)),
            json.dumps(payload["group_ids"]),
            import_id,
        ),
    )
