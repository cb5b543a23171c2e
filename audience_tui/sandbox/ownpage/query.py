"""Ownpage's sandbox data operations: paging, counts, the upsert endpoint, deletes and tokens.

Each function takes a SQLite connection first (run through `Store.run` / `Store.write`) and
implements one documented behaviour of the API (see /work/shared/providers/ownpage.md): the
subscriber upsert's summary counters, duplicate skipping and per-row errors included.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from .data import INSERT, default_guid

STATUSES = ("subscribed", "unsubscribed", "all")
CAUSES = ("HARD_BOUNCE", "MULTIPLE_BOUNCES", "PUBLISHER", "READER")
POSTED_CAUSES = ("READER", "PUBLISHER")  # what the upsert accepts; READER is the default
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z0-9-]{2,}$")
_STATUS_SQL = {
    "subscribed": " AND subscribed = 1",
    "unsubscribed": " AND subscribed = 0",
    "all": "",
}


def valid_email(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and bool(_EMAIL.match(value))


# --- reads -------------------------------------------------------------------------------------
def lists(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT id, name, created_at, updated_at FROM ownpage_lists ORDER BY id")
    return [dict(row) for row in rows]


def list_exists(conn: sqlite3.Connection, list_id: int) -> bool:
    row = conn.execute("SELECT 1 FROM ownpage_lists WHERE id = ?", (list_id,)).fetchone()
    return row is not None


def document(row: sqlite3.Row) -> dict[str, Any]:
    """A subscriber as the API returns it (data_* attributes only when set)."""
    doc: dict[str, Any] = {
        "email": row["email"],
        "guid": row["guid"],
        "subscribed": bool(row["subscribed"]),
        "subscribed_at": row["subscribed_at"],
        "unsubscribed_at": row["unsubscribed_at"],
        "unsubscribed_cause": row["unsubscribed_cause"],
    }
    doc.update(json.loads(row["data"]))
    for key in ("last_sent_at", "last_open_at", "last_click_at"):
        doc[key] = row[key]
    for key in ("send_count", "open_count", "click_count"):
        doc[key] = row[key]
    return doc


def subscribers(
    conn: sqlite3.Connection,
    list_id: int,
    status: str,
    offset: int,
    count: int,
    search: str | None,
    exact: bool,
) -> list[dict[str, Any]]:
    """One page in insertion order; `search` matches the email (case-insensitive)."""
    sql = "SELECT * FROM ownpage_subscribers WHERE list_id = ?" + _STATUS_SQL[status]
    args: list[Any] = [list_id]
    if search is not None and exact:
        sql += " AND email_key = ?"
        args.append(search.lower())
    elif search:
        sql += " AND instr(email_key, ?) > 0"
        args.append(search.lower())
    sql += " ORDER BY seq LIMIT ? OFFSET ?"
    args += [count, offset]
    return [document(row) for row in conn.execute(sql, args)]


def counts(conn: sqlite3.Connection, list_id: int) -> dict[str, Any]:
    """The count endpoint: subscribed, unsubscribed and the unsubscribed by cause."""
    out: dict[str, Any] = {"subscribed": 0, "unsubscribed": 0, "cause": dict.fromkeys(CAUSES, 0)}
    where = "FROM ownpage_subscribers WHERE list_id = ?"
    for subscribed, n in conn.execute(
        f"SELECT subscribed, COUNT(*) {where} GROUP BY 1", (list_id,)
    ):
        out["subscribed" if subscribed else "unsubscribed"] += n
    causes = f"SELECT unsubscribed_cause, COUNT(*) {where} AND subscribed = 0 GROUP BY 1"
    for cause, n in conn.execute(causes, (list_id,)):
        if cause in out["cause"]:
            out["cause"][cause] += n
    return out


# --- the upsert --------------------------------------------------------------------------------
@dataclass
class Summary:
    """The synchronous answer of POST .../subscribers (field names as documented)."""

    errors: list[dict[str, Any]] = field(default_factory=list)
    unique_emails_count: int = 0
    duplicate_emails_count: int = 0
    duplicate_guid_count: int = 0
    nb_created: int = 0
    nb_subscribed: int = 0
    nb_unsubscribed: int = 0
    nb_data_changed: int = 0

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def upsert(conn: sqlite3.Connection, list_id: int, items: list[Any], now: str) -> Summary:
    """Create or update subscribers by email, per the documented rules.

    A missing or non-boolean `subscribed` keeps an existing address's status and subscribes a new
    one; `false` unsubscribes with `unsubscribed_cause` (READER unless PUBLISHER is given); `true`
    re-subscribes and clears the unsubscription. Emails or guids repeated in the payload are
    counted and skipped; invalid rows are listed in `errors` and skipped.
    """
    summary = Summary()
    seen_emails: set[str] = set()
    seen_guids: set[str] = set()
    for index, item in enumerate(items):
        email = item.get("email") if isinstance(item, dict) else None
        if not valid_email(email):
            summary.errors.append(
                {
                    "index": index,
                    "email": email if isinstance(email, str) else None,
                    "cause": "email is not valid",
                }
            )
            continue
        key = email.lower()
        guid = item.get("guid")
        guid = str(guid) if isinstance(guid, str | int) and str(guid) else None
        if key in seen_emails:
            summary.duplicate_emails_count += 1
            continue
        if guid is not None and guid in seen_guids:
            summary.duplicate_guid_count += 1
            continue
        seen_emails.add(key)
        if guid is not None:
            seen_guids.add(guid)
        _apply(conn, list_id, item, email, guid, now, summary)
    summary.unique_emails_count = len(seen_emails)
    return summary


def _apply(
    conn: sqlite3.Connection,
    list_id: int,
    item: dict[str, Any],
    email: str,
    guid: str | None,
    now: str,
    summary: Summary,
) -> None:
    wanted = item.get("subscribed")
    wanted = wanted if isinstance(wanted, bool) else None
    cause = item.get("unsubscribed_cause")
    cause = cause if cause in POSTED_CAUSES else "READER"
    data = {k: v for k, v in item.items() if k.startswith("data_") and not isinstance(v, dict)}
    row = conn.execute(
        "SELECT * FROM ownpage_subscribers WHERE list_id = ? AND email_key = ?",
        (list_id, email.lower()),
    ).fetchone()
    if row is None:
        subscribed = wanted is not False
        conn.execute(
            INSERT,
            (
                list_id,
                email,
                email.lower(),
                guid or default_guid(email),
                int(subscribed),
                now,
                None if subscribed else now,
                None if subscribed else cause,
                None,
                None,
                None,
                0,
                0,
                0,
                json.dumps(data, ensure_ascii=False),
            ),
        )
        summary.nb_created += 1
        if subscribed:
            summary.nb_subscribed += 1
        else:
            summary.nb_unsubscribed += 1
        return
    old_data = json.loads(row["data"])
    new_data = {**old_data, **data}
    new_guid = guid or row["guid"]
    if new_data != old_data or new_guid != row["guid"]:
        summary.nb_data_changed += 1
    sets = {"data": json.dumps(new_data, ensure_ascii=False), "guid": new_guid}
    if wanted is True and not row["subscribed"]:
        sets.update(subscribed=1, subscribed_at=now, unsubscribed_at=None, unsubscribed_cause=None)
        summary.nb_subscribed += 1
    elif wanted is False and row["subscribed"]:
        sets.update(subscribed=0, unsubscribed_at=now, unsubscribed_cause=cause)
        summary.nb_unsubscribed += 1
    assignments = ", ".join(f"{column} = ?" for column in sets)
    conn.execute(
        f"UPDATE ownpage_subscribers SET {assignments} WHERE seq = ?", (*sets.values(), row["seq"])
    )


# --- deletes -----------------------------------------------------------------------------------
def delete_emails(conn: sqlite3.Connection, list_id: int, emails: list[str]) -> int:
    deleted = 0
    for email in emails:
        deleted += conn.execute(
            "DELETE FROM ownpage_subscribers WHERE list_id = ? AND email_key = ?",
            (list_id, email.lower()),
        ).rowcount
    return deleted


def delete_all(conn: sqlite3.Connection, list_id: int, status: str) -> int:
    sql = "DELETE FROM ownpage_subscribers WHERE list_id = ?" + _STATUS_SQL[status]
    return conn.execute(sql, (list_id,)).rowcount


# --- tokens ------------------------------------------------------------------------------------
def issue_token(conn: sqlite3.Connection, client: str, now: float, ttl: float) -> str:
    conn.execute("DELETE FROM ownpage_tokens WHERE expires_at < ?", (now,))
    token = secrets.token_hex(14)
    conn.execute("INSERT INTO ownpage_tokens VALUES (?, ?, ?)", (token, client, now + ttl))
    return token


def token_valid(conn: sqlite3.Connection, token: str, now: float) -> bool:
    row = conn.execute(
        "SELECT 1 FROM ownpage_tokens WHERE token = ? AND expires_at > ?", (token, now)
    ).fetchone()
    return row is not None


def expire_all_tokens(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE ownpage_tokens SET expires_at = 0")
