"""Placewise sandbox bulk imports: `POST /v3/{slug}/members/imports` and their status.

Each request is one bulk of at most 1000 members under an import id (given by the client to group
bulks, or made up on the first request). A bulk advances one step per status poll:
waiting -> working -> finished; when it finishes its members are created or updated and the rows
that fail validation are reported in `members_errors`, keyed by their identifier.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Any

from . import writes as placewise_members
from .data import DATABASE, member_equals, now_stamp

MAX_MEMBERS = 1000
OPERATIONS = frozenset({"create", "update"})
IDENTIFIERS = frozenset({"id", "email", "msisdn"})
NEXT_STATUS = {"waiting": "working", "working": "finished"}

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {DATABASE}.placewise_imports (
    id TEXT PRIMARY KEY, club_id INTEGER NOT NULL, created_at TEXT);
CREATE TABLE IF NOT EXISTS {DATABASE}.placewise_bulks (
    id INTEGER PRIMARY KEY, import_id TEXT NOT NULL, request_number INTEGER NOT NULL,
    operation TEXT, identifier TEXT, payload TEXT, status TEXT, in_payload INTEGER,
    created INTEGER DEFAULT 0, updated INTEGER DEFAULT 0, errors TEXT, created_at TEXT,
    UNIQUE (import_id, request_number));
"""


class ImportRefused(ValueError):
    """422 with {"error": <code>}, the documented import error codes."""


def submit(conn: sqlite3.Connection, club_id: int, body: Any) -> str:
    """Store one bulk (validated as the docs say) and return its import id."""
    if not isinstance(body, dict):
        raise ImportRefused("invalid_body")
    members = body.get("members")
    if not isinstance(members, list) or not members:
        raise ImportRefused("members_empty")
    if len(members) > MAX_MEMBERS:
        raise ImportRefused("members_size_incorrect")
    operation = body.get("operation", "create")
    identifier = body.get("member_identifier_type", "email")
    if operation not in OPERATIONS:
        raise ImportRefused("invalid_operation")
    if identifier not in IDENTIFIERS:
        raise ImportRefused("invalid_member_identifier_type")
    for kind in ("email", "msisdn"):
        seen = [_identifier(m, kind) for m in members]
        seen = [s for s in seen if s is not None]
        if len(seen) != len(set(seen)):
            raise ImportRefused(f"duplicated_{kind}s")
    import_id = str(body.get("import_id") or uuid.uuid4())
    owner = conn.execute("SELECT club_id FROM placewise_imports WHERE id = ?", (import_id,))
    found = owner.fetchone()
    if found is None:
        conn.execute(
            "INSERT INTO placewise_imports VALUES (?, ?, ?)", (import_id, club_id, now_stamp())
        )
    elif found[0] != club_id:
        raise ImportRefused("import_id_taken")
    number = body.get("request_number")
    if not isinstance(number, int) or isinstance(number, bool):
        number = conn.execute(
            "SELECT COALESCE(MAX(request_number), 0) + 1 FROM placewise_bulks WHERE import_id = ?",
            (import_id,),
        ).fetchone()[0]
    try:
        conn.execute(
            "INSERT INTO placewise_bulks (import_id, request_number, operation, identifier, "
            "payload, status, in_payload, created_at) VALUES (?, ?, ?, ?, ?, 'waiting', ?, ?)",
            (
                import_id,
                number,
                operation,
                identifier,
                json.dumps(members),
                len(members),
                now_stamp(),
            ),
        )
    except sqlite3.IntegrityError:
        raise ImportRefused("duplicated_request_number") from None
    return import_id


def _identifier(member: Any, kind: str) -> str | None:
    if not isinstance(member, dict):
        return None
    if kind == "id":
        value = member.get("id")
    else:
        value = (
            (member.get("properties") or {}).get(kind)
            if isinstance(member.get("properties"), dict)
            else None
        )
    return None if value is None else str(value)


def advance(conn: sqlite3.Connection, club_id: int, import_id: str) -> bool:
    """One poll: every unfinished bulk moves a step (finishing runs it). False if unknown."""
    found = conn.execute(
        "SELECT 1 FROM placewise_imports WHERE id = ? AND club_id = ?", (import_id, club_id)
    ).fetchone()
    if found is None:
        return False
    for bulk in conn.execute(
        "SELECT * FROM placewise_bulks WHERE import_id = ? AND status != 'finished'", (import_id,)
    ).fetchall():
        status = NEXT_STATUS[bulk["status"]]
        if status == "finished":
            _run(conn, club_id, bulk)
        conn.execute("UPDATE placewise_bulks SET status = ? WHERE id = ?", (status, bulk["id"]))
    return True


def unfinished(conn: sqlite3.Connection) -> bool:
    found = conn.execute("SELECT 1 FROM placewise_bulks WHERE status != 'finished' LIMIT 1")
    return found.fetchone() is not None


def finish_all(conn: sqlite3.Connection) -> None:
    """Every unfinished bulk of every import carried out and finished (see app.drain)."""
    for bulk in conn.execute(
        "SELECT b.*, i.club_id FROM placewise_bulks b JOIN placewise_imports i"
        " ON i.id = b.import_id WHERE b.status != 'finished'"
    ).fetchall():
        _run(conn, bulk["club_id"], bulk)
        conn.execute("UPDATE placewise_bulks SET status = 'finished' WHERE id = ?", (bulk["id"],))


def _run(conn: sqlite3.Connection, club_id: int, bulk: sqlite3.Row) -> None:
    created = updated = 0
    errors: dict[str, list[Any]] = {}
    for number, member in enumerate(json.loads(bulk["payload"]), 1):
        key = _identifier(member, bulk["identifier"])
        label = key or f"#{number}"
        problems = placewise_members.validate(member)
        if key is None:
            problems.setdefault("identifier", []).append(
                {"property": bulk["identifier"], "error": "missing_identifier"}
            )
        if problems:
            errors[label] = [p for found in problems.values() for p in found]
            continue
        column = "id" if bulk["identifier"] == "id" else bulk["identifier"]
        match, args = member_equals(club_id, column, key)
        current = conn.execute(f"SELECT * FROM placewise_members WHERE {match}", args).fetchone()
        if bulk["operation"] == "create" and current is not None:
            errors[label] = [{"property": column, "error": "taken"}]
        elif bulk["operation"] == "update" and current is None:
            errors[label] = [{"property": column, "error": "not_found"}]
        else:
            body = {k: v for k, v in member.items() if k != "id"}
            placewise_members.apply(conn, club_id, current, body)
            created += current is None
            updated += current is not None
    conn.execute(
        "UPDATE placewise_bulks SET created = ?, updated = ?, errors = ? WHERE id = ?",
        (created, updated, json.dumps(errors), bulk["id"]),
    )


def _counters(rows: list[sqlite3.Row], payload_key: str) -> dict[str, int]:
    return {
        payload_key: sum(r["in_payload"] for r in rows),
        "members_created_number": sum(r["created"] for r in rows),
        "members_updated_number": sum(r["updated"] for r in rows),
        "members_with_validation_errors_number": sum(
            len(json.loads(r["errors"] or "{}")) for r in rows
        ),
    }


def status_doc(conn: sqlite3.Connection, import_id: str) -> dict[str, Any]:
    imported = conn.execute("SELECT * FROM placewise_imports WHERE id = ?", (import_id,))
    header = imported.fetchone()
    bulks = conn.execute(
        "SELECT * FROM placewise_bulks WHERE import_id = ? ORDER BY request_number", (import_id,)
    ).fetchall()
    return {
        **_counters(bulks, "members_in_payloads_number"),
        "created_at": header["created_at"],
        "bulks": [
            {"id": b["id"], "request_number": b["request_number"], "status": b["status"]}
            for b in bulks
        ],
    }


def bulk_doc(conn: sqlite3.Connection, import_id: str, bulk_id: int) -> dict[str, Any] | None:
    bulk = conn.execute(
        "SELECT * FROM placewise_bulks WHERE import_id = ? AND id = ?", (import_id, bulk_id)
    ).fetchone()
    if bulk is None:
        return None
    return {
        "id": bulk["id"],
        "import_id": import_id,
        "request_number": bulk["request_number"],
        "operation": bulk["operation"],
        "status": bulk["status"],
        "retries": 0,
        **_counters([bulk], "members_in_payload_number"),
        "members_errors": json.loads(bulk["errors"] or "{}"),
        "created_at": bulk["created_at"],
    }
