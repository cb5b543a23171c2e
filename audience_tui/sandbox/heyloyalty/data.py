"""The Heyloyalty sandbox's tables and demo data.

Members live in one table with a column per field any demo list uses (the list's `fields` JSON
says which it has). `position` is the insertion order, which is also `created_at` order, so the
default listing (by created_at) pages through the (list_id, status, position) index at any offset.

A member's `doc` is its listing JSON, stored so a page concatenates texts instead of writing
them (heyloyalty_listing.store_docs), or NULL, which the listing computes. The million-member
list stores its docs as it is built; a database built before docs existed gets the column on
open and its big list's docs in a background build of their own. The small lists keep NULL
docs: a whole one is at most 3,000 members, ~30 ms to compute. Triggers make a stored doc
NULL again when anything else in its row or its list's fields changes, and on an INSERT that
copies one (the hostile members copy a template row), so a stored doc is never stale.
"""

from __future__ import annotations

import hashlib
import json
import logging
import operator
import sqlite3
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from .. import people
from ..people import POSITIONAL_EMAIL, Person, later, person
from ..store import COMMIT_ROWS, MAIN, BuildProgress, Store
from .http import POSITIONAL_ID, make_multi_values
from .listing import store_docs

log = logging.getLogger("audience_tui.sandbox.heyloyalty.routes")
SEED_KEY = "heyloyalty:v1"
BIG_KEY = "heyloyalty:big:v1"
DOCS_KEY = "heyloyalty:big-docs:v1"
BIG_LIST_ID = 4
BIG_TOTAL = 1_000_000
BATCH = 20_000
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

SEX = {"1": "Male", "2": "Female"}
# Heyloyalty's country ids: 53 is Denmark (support article); the others are the sandbox's own.
COUNTRIES = {
    "53": "Danmark",
    "160": "Norge",
    "205": "Sverige",
    "73": "Frankrig",
    "72": "Finland",
    "171": "Polen",
    "80": "Tyskland",
    "225": "Storbritannien",
}
_COUNTRY_BY_ISO = dict(
    zip(("DK", "NO", "SE", "FR", "FI", "PL", "DE", "GB"), COUNTRIES, strict=True)
)
INTERESTS = {
    "1": "Music",
    "2": "Books",
    "3": "Movies",
    "4": "Gaming",
    "5": "Travel",
    "6": "Sports",
    "7": "Cooking",
    "8": "Shopping",
    "9": "Art & Design",
}
_INTEREST_BY_PERSON = {
    "music": "1",
    "books": "2",
    "electronics": "4",
    "travel": "5",
    "sports": "6",
    "food": "7",
    "fashion": "8",
    "beauty": "8",
    "home_and_garden": "9",
}
TIERS = {"1": "Silver", "2": "Gold", "3": "Platinum"}

# name: (type, type_id, format, label, options)
FIELD_CATALOGUE: Mapping[str, tuple[str, int, str, str, Mapping[str, str] | None]] = {
    "firstname": ("fixed", 1, "text", "First Name", None),
    "lastname": ("fixed", 2, "text", "Last Name", None),
    "email": ("fixed", 3, "text", "E-mail", None),
    "mobile": ("fixed", 4, "text", "Mobile", None),
    "sex": ("fixed", 5, "choice", "Sex", SEX),
    "birthdate": ("fixed", 6, "date", "Birthdate", None),
    "city": ("fixed", 9, "text", "City", None),
    "country": ("fixed", 10, "choice", "Country", COUNTRIES),
    "interests": ("custom", 18, "multi", "Interests", INTERESTS),
    "points": ("custom", 19, "number", "Points", None),
    "sms_consent": ("custom", 20, "boolean", "SMS consent", None),
    "tier": ("custom", 21, "choice", "VIP tier", TIERS),
}
FIELD_COLUMNS = tuple(FIELD_CATALOGUE)

# id, name, created_at, people range, fields, opt-in
_BASIC = ("firstname", "lastname", "email")
DEMO_LISTS: tuple[tuple[int, str, str, range, tuple[str, ...], bool], ...] = (
    (
        1,
        "Newsletter DK",
        "2017-03-01 09:12:44",
        range(0, 3000),
        (*_BASIC, "mobile", "sex", "birthdate", "city", "country", "interests", "sms_consent"),
        True,
    ),
    (
        2,
        "VIP Club",
        "2019-06-14 14:02:10",
        range(1200, 1600),
        (
            *_BASIC,
            "sex",
            "birthdate",
            "city",
            "country",
            "points",
            "tier",
            "interests",
            "sms_consent",
        ),
        False,
    ),
    (
        3,
        "Webshop customers",
        "2018-11-20 08:30:00",
        range(2400, 3600),
        (*_BASIC, "mobile", "city", "country", "points", "birthdate"),
        False,
    ),
)
BIG_LIST = (
    BIG_LIST_ID,
    "All customers (1M)",
    "2016-01-04 10:00:00",
    range(0, BIG_TOTAL),
    (*_BASIC, "sex", "birthdate", "city", "country", "points", "interests"),
    False,
)

_TYPES = ", ".join(
    f"{c} {'INTEGER' if c in ('points', 'sms_consent') else 'TEXT'}" for c in FIELD_COLUMNS
)
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS heyloyalty_lists (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL,
    open_rate INTEGER NOT NULL, click_rate INTEGER NOT NULL, optin INTEGER NOT NULL,
    fields TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS heyloyalty_members (
    rid INTEGER PRIMARY KEY, id TEXT NOT NULL, list_id INTEGER NOT NULL,
    position INTEGER NOT NULL, status TEXT NOT NULL, email_status TEXT,
    imported INTEGER NOT NULL DEFAULT 0, sent_mail INTEGER NOT NULL DEFAULT 0,
    open_rate INTEGER NOT NULL DEFAULT 0, click_rate INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, unsubscribed_at TEXT,
    {_TYPES}, doc TEXT);
CREATE TABLE IF NOT EXISTS heyloyalty_counts (
    list_id INTEGER NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL, changes INTEGER NOT NULL,
    PRIMARY KEY (list_id, status));
CREATE TRIGGER IF NOT EXISTS heyloyalty_count_insert AFTER INSERT ON heyloyalty_members BEGIN
    INSERT INTO heyloyalty_counts VALUES (new.list_id, new.status, 1, 1)
    ON CONFLICT (list_id, status) DO UPDATE SET n = n + 1, changes = changes + 1;
END;
CREATE TRIGGER IF NOT EXISTS heyloyalty_count_status AFTER UPDATE OF status ON heyloyalty_members
WHEN old.status IS NOT new.status BEGIN
    UPDATE heyloyalty_counts SET n = n - 1, changes = changes + 1
    WHERE list_id = old.list_id AND status = old.status;
    INSERT INTO heyloyalty_counts VALUES (new.list_id, new.status, 1, 1)
    ON CONFLICT (list_id, status) DO UPDATE SET n = n + 1, changes = changes + 1;
END;
CREATE INDEX IF NOT EXISTS heyloyalty_members_page
    ON heyloyalty_members (list_id, status, position);
CREATE INDEX IF NOT EXISTS heyloyalty_members_email
    ON heyloyalty_members (list_id, status, email COLLATE NOCASE) WHERE NOT ({POSITIONAL_EMAIL});
CREATE UNIQUE INDEX IF NOT EXISTS heyloyalty_members_id
    ON heyloyalty_members (id) WHERE NOT ({POSITIONAL_ID});
"""
# After the doc column exists: a database from before docs gets it by ALTER TABLE first.
DOC_TRIGGERS = """
CREATE TRIGGER IF NOT EXISTS heyloyalty_doc_update AFTER UPDATE ON heyloyalty_members
WHEN old.doc IS NOT NULL AND new.doc IS old.doc BEGIN
    UPDATE heyloyalty_members SET doc = NULL WHERE rid = new.rid;
END;
CREATE TRIGGER IF NOT EXISTS heyloyalty_doc_insert AFTER INSERT ON heyloyalty_members
WHEN new.doc IS NOT NULL BEGIN
    UPDATE heyloyalty_members SET doc = NULL WHERE rid = new.rid;
END;
-- an update of anything but the doc moves the list's version (heyloyalty_views)
CREATE TRIGGER IF NOT EXISTS heyloyalty_count_touch AFTER UPDATE ON heyloyalty_members
WHEN old.status IS new.status AND old.doc IS new.doc BEGIN
    UPDATE heyloyalty_counts SET changes = changes + 1
    WHERE list_id = new.list_id AND status = new.status;
END;
CREATE TRIGGER IF NOT EXISTS heyloyalty_doc_fields AFTER UPDATE OF fields ON heyloyalty_lists
WHEN old.fields IS NOT new.fields BEGIN
    UPDATE heyloyalty_members SET doc = NULL WHERE list_id = new.id AND doc IS NOT NULL;
END;
"""
MEMBER_COLUMNS = (
    "id", "list_id", "position", "status", "email_status", "imported", "sent_mail", "open_rate",
    "click_rate", "created_at", "updated_at", "unsubscribed_at", *FIELD_COLUMNS,
)  # fmt: skip
_NO_VALUES = dict.fromkeys(FIELD_COLUMNS)
_AS_ROW = operator.itemgetter(*MEMBER_COLUMNS)
_INSERT = (
    f"INSERT INTO heyloyalty_members ({', '.join(MEMBER_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(MEMBER_COLUMNS))})"
)
_BIG_EPOCH = datetime(2016, 1, 4, 10, 0, tzinfo=UTC)


def now_text() -> str:
    return datetime.now(UTC).strftime(TIME_FORMAT)


def new_member_id() -> str:
    return str(uuid.uuid4())


def field_definitions(names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The list's `fields` map as GET /lists/{id} returns it."""
    out = {}
    for name in names:
        kind, type_id, fmt, label, options = FIELD_CATALOGUE[name]
        spec: dict[str, Any] = {"id": type_id, "type": kind, "type_id": type_id, "format": fmt}
        spec |= {"name": name, "label": label, "fallback": None, "required_in_shop": None}
        if options is not None:
            spec["options"] = dict(options)
        out[name] = spec
    return out


def _values(p: Person, dice: bytes) -> dict[str, Any]:
    interests = sorted({_INTEREST_BY_PERSON[i] for i in p.interests if i in _INTEREST_BY_PERSON})
    return {
        "firstname": p.first_name,
        "lastname": p.last_name,
        "email": p.email,
        "mobile": f"+{p.phone}",
        "sex": {"female": "2", "male": "1"}.get(p.gender),
        "birthdate": p.birthdate.isoformat() if p.birthdate else None,
        "city": None if dice[12] < 8 else p.city,
        "country": None if dice[12] > 245 else _COUNTRY_BY_ISO.get(p.country),
        "interests": "," + ",".join(interests) + "," if interests else None,
        "points": None if dice[10] < 20 else int.from_bytes(dice[11:13]) % 5000,
        "sms_consent": None if dice[13] < 25 else int(dice[14] < 100),
        "tier": ("1", "1", "1", "2", "2", "3")[dice[15] % 6],
    }


def _row(
    p: Person, list_id: int, position: int, created: datetime, fields: tuple[str, ...]
) -> tuple[Any, ...]:
    """One seeded member; a single hash of (list, person) gives its id and every coin toss."""
    digest = hashlib.blake2b(f"heyloyalty:{list_id}:{p.index}".encode(), digest_size=32).digest()
    dice = digest[16:]
    status, unsubscribed = "active", None
    if int.from_bytes(dice[0:2]) % 100 < 6:
        status = "unsubscribed"
        days = 30 + int.from_bytes(dice[2:4]) % 900
        unsubscribed = later(created, timedelta(days=days)).strftime(TIME_FORMAT)
    elif dice[4] % 100 < 3:
        status = "temporary"
    values = _values(p, dice)
    stamp = created.isoformat(" ")[:19]  # TIME_FORMAT, faster
    record = {
        **_NO_VALUES,
        "id": str(uuid.UUID(bytes=digest[:16], version=4)),
        "list_id": list_id,
        "position": position,
        "status": status,
        "email_status": "hard_bounce" if dice[5] < 3 else None,
        "imported": int(dice[6] < 77),
        "sent_mail": dice[7] % 120,
        "open_rate": dice[8] % 80,
        "click_rate": dice[9] % 25,
        "created_at": stamp,
        "updated_at": unsubscribed or stamp,
        "unsubscribed_at": unsubscribed,
        **{name: values[name] for name in fields},
    }
    return _AS_ROW(record)


def _insert_list(conn: sqlite3.Connection, spec: tuple[Any, ...]) -> None:
    list_id, name, created, _, fields, optin = spec
    conn.execute(
        "INSERT OR IGNORE INTO heyloyalty_lists VALUES (?, ?, ?, ?, ?, ?, ?)",
        (list_id, name, created, 30 + list_id * 3, 8 + list_id, int(optin),
         json.dumps(field_definitions(fields))),
    )  # fmt: skip


def _seed_small(conn: sqlite3.Connection, store: Store) -> None:
    for spec in DEMO_LISTS:
        list_id, _, _, people, fields, _ = spec
        _insert_list(conn, spec)
        crowd = sorted((person(i) for i in people), key=lambda p: p.created_at)
        conn.executemany(
            _INSERT,
            (_row(p, list_id, n, p.created_at, fields) for n, p in enumerate(crowd, 1)),
        )
    analyze(conn)
    store.mark_seeded(conn, SEED_KEY)


def analyze(conn: sqlite3.Connection) -> None:
    """Sampled statistics, so the planner seeks an email through its index on a long list
    instead of walking the paging index in order."""
    conn.execute("PRAGMA analysis_limit = 1000")
    conn.execute("ANALYZE heyloyalty_members")


def _big_rows(list_id: int, start: int, stop: int) -> Iterable[tuple[Any, ...]]:
    """The big list's members start..stop-1 made in Python: the people below people.EXACT."""
    fields = BIG_LIST[4]
    for i in range(start, stop):
        yield _row(person(i), list_id, i + 1, _BIG_EPOCH + timedelta(seconds=240 * i), fields)


def _prepare_big_sql(conn: sqlite3.Connection) -> None:
    """The crowd's lookup tables, one from a person's interests (a mask) to this platform's
    multi value, and each such value's listing JSON (made once, for the batches' docs)."""
    people.prepare_crowd(conn)
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS heyloyalty_interest (mask PRIMARY KEY, ids)")
    masks = []
    for mask in range(1 << len(people.INTERESTS)):
        chosen = [name for bit, name in enumerate(people.INTERESTS) if mask >> bit & 1]
        ids = sorted({_INTEREST_BY_PERSON[n] for n in chosen if n in _INTEREST_BY_PERSON})
        masks.append((mask, "," + ",".join(ids) + "," if ids else None))
    conn.executemany("INSERT OR REPLACE INTO heyloyalty_interest VALUES (?, ?)", masks)
    fields = field_definitions(BIG_LIST[4])
    make_multi_values(conn, fields, "SELECT ids AS value FROM heyloyalty_interest")


_COUNTRY_CASE = " ".join(f"WHEN '{iso}' THEN '{code}'" for iso, code in _COUNTRY_BY_ISO.items())
_SQL_COLUMNS = (
    "id", "list_id", "position", "status", "email_status", "imported", "sent_mail", "open_rate",
    "click_rate", "created_at", "updated_at", "unsubscribed_at", "firstname", "lastname", "email",
    "sex", "birthdate", "city", "country", "points", "interests",
)  # fmt: skip
_CREATED = "datetime(:epoch + 240 * i, 'unixepoch')"
_UNSUBSCRIBED = (
    "CASE WHEN x % 100 < 6 THEN "
    "datetime(:epoch + 240 * i + 86400 * (30 + (x / 10000) % 900), 'unixepoch') END"
)
# The people from people.EXACT on, drawn in SQL with the same shares as `_row` (its coin tosses
# come from the crowd's draws x, y, z instead of a per-list hash).
_BIG_SQL = f"""
INSERT INTO heyloyalty_members ({", ".join(_SQL_COLUMNS)})
SELECT printf('%08x-%04x-4%03x-%x%03x-%012x', x % 4294967296, y % 65536, (y / 65536) % 4096,
        8 + z % 4, (z / 4) % 4096, :list_id * 1099511627776 + i),
    :list_id, i + 1,
    CASE WHEN x % 100 < 6 THEN 'unsubscribed' WHEN (x / 100) % 100 < 3 THEN 'temporary'
         ELSE 'active' END,
    CASE WHEN y % 256 < 3 THEN 'hard_bounce' END,
    (y / 256) % 256 < 77, (y / 65536) % 120, z % 80, (z / 80) % 25,
    {_CREATED}, coalesce({_UNSUBSCRIBED}, {_CREATED}), {_UNSUBSCRIBED},
    first_name, last_name, email,
    CASE gender WHEN 'female' THEN '2' WHEN 'male' THEN '1' END,
    birthdate,
    CASE WHEN (z / 2000) % 256 >= 8 THEN city END,
    CASE WHEN (z / 2000) % 256 <= 245 THEN CASE country {_COUNTRY_CASE} END END,
    CASE WHEN (z / 512000) % 256 >= 20 THEN (x * 7 + z) % 5000 END,
    (SELECT ids FROM heyloyalty_interest WHERE mask = interests)
FROM ({people.crowd_sql(salt=BIG_LIST_ID)})
"""


def _insert_big(conn: sqlite3.Connection, start: int, stop: int) -> None:
    """The big list's members start..stop-1, with their docs stored (the batch's new rids)."""
    list_id = BIG_LIST[0]
    before = conn.execute("SELECT coalesce(max(rid), 0) FROM heyloyalty_members").fetchone()[0]
    exact = min(stop, people.EXACT)
    if start < exact:
        conn.executemany(_INSERT, _big_rows(list_id, start, exact))
    if max(start, exact) < stop:
        params = {"list_id": list_id, "epoch": int(_BIG_EPOCH.timestamp())}
        conn.execute(_BIG_SQL, params | {"start": max(start, exact), "stop": stop})
    store_docs(conn, list_id, before + 1, multi_made=True)


def _build_big(store: Store, progress: BuildProgress) -> None:
    """Batches of BATCH rows in `position` = created_at order (`Store.write_rows`), resuming
    where a build stopped.

    People below people.EXACT are made by `_row` like the small lists' members, the rest by one
    INSERT ... SELECT per batch (`_BIG_SQL`), then the batch's docs.
    """
    started = time.perf_counter()
    list_id = BIG_LIST[0]
    conn = store.connect()
    _prepare_big_sql(conn)
    progress.done = conn.execute(
        "SELECT coalesce(max(position), 0) FROM heyloyalty_members WHERE list_id = ?", (list_id,)
    ).fetchone()[0]
    first = progress.done

    def analyze_early(end: int) -> None:
        if first == 0 and end <= COMMIT_ROWS:  # statistics from the first rows on
            store.write_in(MAIN, analyze)

    def finish(conn: sqlite3.Connection) -> None:
        analyze(conn)
        store.mark_seeded(conn, BIG_KEY)

    store.write_rows(progress, BATCH, _insert_big, finish, analyze_early)
    log.info(
        "%s: %d members built in %.1f s", BIG_LIST[1], BIG_TOTAL, time.perf_counter() - started
    )


def _store_big_docs(store: Store, progress: BuildProgress) -> None:
    """The big list's docs in a database built before they were stored: rid batches of BATCH
    from the first member without one, so a stopped build resumes (~15 s for a million)."""
    started = time.perf_counter()
    conn = store.connect()
    first, last = conn.execute(
        "SELECT min(rid), max(rid) FROM heyloyalty_members WHERE list_id = ?", (BIG_LIST_ID,)
    ).fetchone()
    start = conn.execute(
        "SELECT min(rid) FROM heyloyalty_members WHERE +list_id = ? AND doc IS NULL",
        (BIG_LIST_ID,),
    ).fetchone()[0]
    if start is None:
        store.write(store.mark_seeded, DOCS_KEY)
        return
    progress.total, progress.done = last - first + 1, start - first
    while start <= last:

        def batch(conn: sqlite3.Connection, low: int = start) -> None:
            store_docs(conn, BIG_LIST_ID, low, low + BATCH - 1)
            if low + BATCH > last:
                store.mark_seeded(conn, DOCS_KEY)

        store.write(batch)
        start += BATCH
        progress.done = min(start, last + 1) - first
    log.info("%s: docs stored in %.1f s", BIG_LIST[1], time.perf_counter() - started)


def _add_doc_column(conn: sqlite3.Connection) -> None:
    """A database from before stored docs gets the column (all NULL: computed, as before)."""
    columns = {row["name"] for row in conn.execute("PRAGMA table_info(heyloyalty_members)")}
    if "doc" not in columns:
        conn.execute("ALTER TABLE heyloyalty_members ADD COLUMN doc TEXT")


def _has_members(conn: sqlite3.Connection, list_id: int) -> bool:
    found = conn.execute("SELECT 1 FROM heyloyalty_members WHERE list_id = ? LIMIT 1", (list_id,))
    return found.fetchone() is not None


def _install_big(store: Store) -> None:
    """The million-member list's build, and the build of its docs when members exist from
    before docs were stored (a new build stores every batch's, so none is needed then)."""
    store.write(_insert_list, BIG_LIST)
    if not store.seeded(DOCS_KEY) and not _has_members(store.connect(), BIG_LIST_ID):
        store.write(store.mark_seeded, DOCS_KEY)
    builds = {BIG_KEY: _build_big, DOCS_KEY: _store_big_docs}
    for key, build in builds.items():
        store.build_in_background(
            key,
            BIG_LIST[1],
            BIG_TOTAL,
            partial(build, store),
            platform="heyloyalty",
            audience_id=str(BIG_LIST_ID),
        )


def install(store: Store) -> None:
    """Tables (the doc column added to an older database), the small lists at once, and the
    million-member list in the background."""
    conn = store.connect()
    conn.executescript(SCHEMA)
    _add_doc_column(conn)
    conn.executescript(DOC_TRIGGERS)
    if not store.seeded(SEED_KEY):
        store.write(_seed_small, store)
    if store.wants_big("heyloyalty"):
        _install_big(store)
