"""Emma's sandbox data: the SQLite schema, the demo account, and Emma's JSON documents.

One demo account (a charity's audience): a few thousand members over six groups, six custom fields,
some members opted out (with their opt-out record), some in error, a few archived. Member ids are
above int32 as on the real platform. Group counts are kept in the group rows and moved with every
write (`bump_counts`), so `GET /groups` stays cheap even on the million-member group.
Archived members belong to no group (the sandbox's choice; the documents do not say), which lets
group pages be cut straight from the membership index.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ..demo_credentials import EMMA_ACCOUNT_ID
from ..people import INTERESTS, chance, later, number, person, pick
from ..store import BuildProgress, Store

ACCOUNT_ID = EMMA_ACCOUNT_ID
MEMBER_BASE = 4_300_000_000  # member ids > int32, like the ids users report (EmmaSharp #35)
IMPORT_BASE = 4_941_417_354
SMALL_PEOPLE = range(2000, 5600)  # people.py indices; overlaps the other platforms' demo lists
BIG_PEOPLE = range(1_000_000, 2_000_000)
BIG_GROUP_ID = 2_150_100
BIG_BATCH = 20_000
SEED_KEY = "emma-small-v1"
BIG_KEY = "emma-big-v1"

# (id, name, type, share of the account in percent); type t = test group, hidden by default.
GROUPS: tuple[tuple[int, str, str, float], ...] = (
    (2_150_001, "Monthly Newsletter", "g", 62),
    (2_150_002, "Event invitations", "g", 27),
    (2_150_003, "Donors", "g", 12),
    (2_150_004, "Volunteers", "g", 8),
    (2_150_005, "Board & staff", "g", 0.8),
    (2_150_006, "Seed list (test sends)", "t", 0.4),
)
CATEGORIES = ("Children & youth", "Environment", "Health", "Culture", "Emergency relief")
# (shortcut_name, display_name, field_type, widget_type, options)
FIELDS: tuple[tuple[str, str, str, str, tuple[str, ...] | None], ...] = (
    ("first_name", "First Name", "text", "text", None),
    ("last_name", "Last Name", "text", "text", None),
    ("city", "City", "text", "text", None),
    ("birthday", "Birthday", "date", "date", None),
    ("favourite_category", "Favourite category", "text", "select one", CATEGORIES),
    ("interests", "Interests", "text[]", "check_multiple", INTERESTS),
)
FIELD_BASE = 3_300_001
STATUS_WORDS = {"a": "active", "e": "error", "o": "opt-out", "f": "forwarded"}
COUNT_COLUMNS = {"a": "active_count", "o": "optout_count", "e": "error_count"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS emma_members (
    member_id INTEGER PRIMARY KEY, email TEXT NOT NULL, email_lc TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL, fields TEXT NOT NULL, member_since TEXT NOT NULL,
    last_modified_at TEXT, deleted_at TEXT, bounce_count INTEGER NOT NULL DEFAULT 0,
    email_error TEXT);
CREATE INDEX IF NOT EXISTS emma_members_live ON emma_members (member_id)
    WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS emma_members_archived ON emma_members (member_id)
    WHERE deleted_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS emma_groups (
    member_group_id INTEGER PRIMARY KEY, group_name TEXT NOT NULL, group_type TEXT NOT NULL,
    active_count INTEGER NOT NULL DEFAULT 0, optout_count INTEGER NOT NULL DEFAULT 0,
    error_count INTEGER NOT NULL DEFAULT 0, deleted_at TEXT);
CREATE TABLE IF NOT EXISTS emma_group_members (
    member_group_id INTEGER NOT NULL, member_id INTEGER NOT NULL,
    PRIMARY KEY (member_group_id, member_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS emma_group_members_by_member ON emma_group_members (member_id);
CREATE TABLE IF NOT EXISTS emma_fields (
    field_id INTEGER PRIMARY KEY, shortcut_name TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL,
    field_type TEXT NOT NULL, widget_type TEXT NOT NULL, column_order INTEGER NOT NULL,
    options TEXT);
CREATE TABLE IF NOT EXISTS emma_optouts (
    member_id INTEGER NOT NULL, timestamp TEXT NOT NULL, mailing_id INTEGER);
CREATE INDEX IF NOT EXISTS emma_optouts_by_member ON emma_optouts (member_id);
CREATE TABLE IF NOT EXISTS emma_imports (
    import_id INTEGER PRIMARY KEY, status TEXT, style TEXT NOT NULL, import_started TEXT NOT NULL,
    import_finished TEXT, source_filename TEXT, error_message TEXT,
    num_members_added INTEGER NOT NULL DEFAULT 0, num_members_updated INTEGER NOT NULL DEFAULT 0,
    num_skipped INTEGER NOT NULL DEFAULT 0, num_duplicates INTEGER NOT NULL DEFAULT 0,
    fields_updated TEXT NOT NULL DEFAULT '[]', groups_updated TEXT NOT NULL DEFAULT '[]',
    due REAL NOT NULL, polls INTEGER NOT NULL DEFAULT 0, payload TEXT);
CREATE TABLE IF NOT EXISTS emma_import_members (
    import_id INTEGER NOT NULL, seq INTEGER NOT NULL, member_id INTEGER, change_type TEXT NOT NULL,
    member_status_id TEXT, email TEXT, error TEXT, PRIMARY KEY (import_id, seq));
"""


def stamp(moment: datetime | None = None) -> str:
    """Emma's stored timestamp form (no zone; the sandbox keeps UTC)."""
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S")


def emma_time(value: str | None) -> str | None:
    """A stored timestamp as Emma writes it in JSON: `@D:2010-11-12T11:23:45`."""
    return f"@D:{value}" if value else None


# --- documents -----------------------------------------------------------------------------------
def member_doc(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "member_id": row["member_id"],
        "account_id": ACCOUNT_ID,
        "email": row["email"],
        "status": STATUS_WORDS.get(row["status"], row["status"]),
        "member_status_id": row["status"],
        "fields": json.loads(row["fields"]),
        "member_since": emma_time(row["member_since"]),
        "last_modified_at": emma_time(row["last_modified_at"]),
        "deleted_at": emma_time(row["deleted_at"]),
        "confirmed_opt_in": None,
        "plaintext_preferred": False,
        "email_error": row["email_error"],
        "bounce_count": row["bounce_count"],
    }


def group_doc(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "member_group_id": row["member_group_id"],
        "group_name": row["group_name"],
        "group_type": row["group_type"],
        "active_count": row["active_count"],
        "optout_count": row["optout_count"],
        "error_count": row["error_count"],
        "account_id": ACCOUNT_ID,
        "deleted_at": emma_time(row["deleted_at"]),
        "purged_at": None,
    }


def field_doc(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "field_id": row["field_id"],
        "shortcut_name": row["shortcut_name"],
        "display_name": row["display_name"],
        "field_type": row["field_type"],
        "widget_type": row["widget_type"],
        "column_order": row["column_order"],
        "required": False,
        "short_display_name": None,
        "options": json.loads(row["options"]) if row["options"] else None,
        "deleted_at": None,
        "account_id": ACCOUNT_ID,
    }


def import_doc(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "import_id": row["import_id"],
        "account_id": ACCOUNT_ID,
        "status": row["status"],
        "style": row["style"],
        "import_started": emma_time(row["import_started"]),
        "import_finished": emma_time(row["import_finished"]),
        "source_filename": row["source_filename"],
        "error_message": row["error_message"],
        "num_members_added": row["num_members_added"],
        "num_members_updated": row["num_members_updated"],
        "num_skipped": row["num_skipped"],
        "num_duplicates": row["num_duplicates"],
        "fields_updated": json.loads(row["fields_updated"]),
        "groups_updated": json.loads(row["groups_updated"]),
    }


# --- writes shared by seeding, opt-out and imports ----------------------------------------------
def bump_counts(
    conn: sqlite3.Connection, group_ids: Iterable[int], status: str, delta: int
) -> None:
    """Move the live count of `status` in each group by `delta` (no count for `f`: no-op)."""
    column = COUNT_COLUMNS.get(status)
    if column is None:
        return
    conn.executemany(
        f"UPDATE emma_groups SET {column} = {column} + ? WHERE member_group_id = ?",
        [(delta, gid) for gid in group_ids],
    )


def purge(conn: sqlite3.Connection, member_ids: Iterable[int]) -> None:
    """Remove members with their group memberships, opt-out history and import lines."""
    for member_id in member_ids:
        row = conn.execute(
            "SELECT status, deleted_at FROM emma_members WHERE member_id = ?", (member_id,)
        ).fetchone()
        if row is None:
            continue
        if row[1] is None:
            bump_counts(conn, groups_of(conn, member_id), row[0], -1)
        for table in ("emma_group_members", "emma_optouts", "emma_import_members"):
            conn.execute(f"DELETE FROM {table} WHERE member_id = ?", (member_id,))
        conn.execute("DELETE FROM emma_members WHERE member_id = ?", (member_id,))


def groups_of(conn: sqlite3.Connection, member_id: int) -> list[int]:
    rows = conn.execute(
        "SELECT member_group_id FROM emma_group_members WHERE member_id = ?", (member_id,)
    )
    return [r[0] for r in rows]


def join_groups(
    conn: sqlite3.Connection, member_id: int, status: str, group_ids: Iterable[int]
) -> None:
    """Put a live member in groups, counting only the memberships that are new."""
    added = [
        gid
        for gid in group_ids
        if conn.execute(
            "INSERT OR IGNORE INTO emma_group_members VALUES (?, ?)", (gid, member_id)
        ).rowcount
    ]
    bump_counts(conn, added, status, 1)


# --- demo data ----------------------------------------------------------------------------------
def _person_row(index: int) -> tuple[tuple[Any, ...], str, str | None]:
    """(emma_members row, status, opt-out timestamp) of person `index` in the demo account."""
    p = person(index)
    status = "a"
    if chance(index, "emma-optout", 8):
        status = "o"
    elif chance(index, "emma-error", 3):
        status = "e"
    fields: dict[str, Any] = {
        "first_name": p.first_name,
        "last_name": p.last_name,
        "city": p.city,
        "birthday": emma_time(f"{p.birthdate.isoformat()}T00:00:00") if p.birthdate else None,
        "favourite_category": pick(index, "emma-category", CATEGORIES)
        if chance(index, "emma-has-category", 70)
        else None,
        "interests": list(p.interests),
    }
    since = p.created_at
    modified = later(since, timedelta(days=number(index, "emma-modified", 400)))
    archived = stamp(modified) if chance(index, "emma-archived", 1) else None
    opted_at = stamp(modified) if status == "o" else None
    row = (
        MEMBER_BASE + index,
        p.email,
        p.email.lower(),
        status,
        json.dumps(fields, ensure_ascii=False),
        stamp(since),
        stamp(modified) if chance(index, "emma-touched", 40) or opted_at else None,
        archived,
        3 if status == "e" else 0,
        "Hard bounce: mailbox unavailable" if status == "e" else None,
    )
    return row, status, opted_at


def _insert_people(
    conn: sqlite3.Connection, indices: Iterable[int], memberships: Mapping[int, float]
) -> None:
    """Insert people as members, in the groups their coin says (group id -> percent)."""
    members, links, optouts = [], [], []
    counts: dict[tuple[int, str], int] = {}
    for index in indices:
        row, status, opted_at = _person_row(index)
        members.append(row)
        member_id = row[0]
        if opted_at:
            optouts.append((member_id, opted_at, 3_100_000 + number(index, "emma-mailing", 40)))
        if row[7]:  # archived members sit in no group
            continue
        for gid, percent in memberships.items():
            if chance(index, f"emma-group-{gid}", percent):
                links.append((gid, member_id))
                counts[gid, status] = counts.get((gid, status), 0) + 1
    conn.executemany("INSERT INTO emma_members VALUES (?,?,?,?,?,?,?,?,?,?)", members)
    conn.executemany("INSERT INTO emma_group_members VALUES (?, ?)", links)
    conn.executemany("INSERT INTO emma_optouts VALUES (?, ?, ?)", optouts)
    for (gid, status), n in counts.items():
        bump_counts(conn, [gid], status, n)


def _seed_small(conn: sqlite3.Connection, store: Store) -> None:
    conn.executemany(
        "INSERT INTO emma_groups (member_group_id, group_name, group_type) VALUES (?, ?, ?)",
        [(gid, name, kind) for gid, name, kind, _ in GROUPS],
    )
    conn.executemany(
        "INSERT INTO emma_fields VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (FIELD_BASE + n, name, label, ftype, widget, n + 1, json.dumps(opts) if opts else None)
            for n, (name, label, ftype, widget, opts) in enumerate(FIELDS)
        ],
    )
    _insert_people(conn, SMALL_PEOPLE, {gid: share for gid, _, _, share in GROUPS})
    store.mark_seeded(conn, SEED_KEY)


def _build_big(store: Store, progress: BuildProgress) -> None:
    """Fill the million-member group in batches; it exists (and counts) from the first batch."""
    conn = store.connect()
    done = conn.execute(
        "SELECT COUNT(*) FROM emma_members WHERE member_id >= ?", (MEMBER_BASE + BIG_PEOPLE[0],)
    ).fetchone()[0]
    progress.done = done
    for start in range(BIG_PEOPLE.start + done, BIG_PEOPLE.stop, BIG_BATCH):
        batch = range(start, min(start + BIG_BATCH, BIG_PEOPLE.stop))

        def write(conn: sqlite3.Connection, batch: range = batch) -> None:
            _insert_people(conn, batch, {BIG_GROUP_ID: 100})
            if batch.stop == BIG_PEOPLE.stop:
                store.mark_seeded(conn, BIG_KEY)

        store.write(write)
        progress.done += len(batch)


def install(store: Store) -> None:
    """Create Emma's tables and seed the demo account (the big group fills in the background)."""
    conn = store.connect()
    conn.executescript(SCHEMA)
    if not store.seeded(SEED_KEY):
        store.write(_seed_small, store)
    if store.wants_big("emma"):
        store.write(
            lambda conn: conn.execute(
                "INSERT OR IGNORE INTO emma_groups (member_group_id, group_name, group_type) "
                "VALUES (?, 'Supporters archive (1M)', 'g')",
                (BIG_GROUP_ID,),
            )
        )
        store.build_in_background(
            BIG_KEY,
            "Emma: Supporters archive",
            len(BIG_PEOPLE),
            lambda p: _build_big(store, p),
            platform="emma",
            audience_id=str(BIG_GROUP_ID),
        )
