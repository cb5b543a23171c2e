"""Ownpage's sandbox tables and deterministic demo subscribers.

French press newsletters (a daily, a sports weekly, a culture letter, news alerts) over overlapping
ranges of the shared population, so a reader of "Le Quotidien" is often also on "Sport Hebdo" and on
other platforms. Send/open/click counters, the four unsubscribe causes and `data_*` attributes look
like what a publisher's export holds. The million-subscriber list fills up in the background.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..people import later, person
from ..store import BuildProgress, Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS ownpage_lists (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ownpage_subscribers (
    seq INTEGER PRIMARY KEY,
    list_id INTEGER NOT NULL REFERENCES ownpage_lists(id),
    email TEXT NOT NULL,
    email_key TEXT NOT NULL,
    guid TEXT NOT NULL,
    subscribed INTEGER NOT NULL,
    subscribed_at TEXT,
    unsubscribed_at TEXT,
    unsubscribed_cause TEXT,
    last_sent_at TEXT,
    last_open_at TEXT,
    last_click_at TEXT,
    send_count INTEGER NOT NULL DEFAULT 0,
    open_count INTEGER NOT NULL DEFAULT 0,
    click_count INTEGER NOT NULL DEFAULT 0,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX IF NOT EXISTS ownpage_subscribers_email
    ON ownpage_subscribers (list_id, email_key);
CREATE INDEX IF NOT EXISTS ownpage_subscribers_list ON ownpage_subscribers (list_id);
CREATE INDEX IF NOT EXISTS ownpage_subscribers_status ON ownpage_subscribers (list_id, subscribed);
CREATE TABLE IF NOT EXISTS ownpage_tokens (
    token TEXT PRIMARY KEY,
    client TEXT NOT NULL,
    expires_at REAL NOT NULL
);
"""

COLUMNS = (
    "list_id, email, email_key, guid, subscribed, subscribed_at, unsubscribed_at, "
    "unsubscribed_cause, last_sent_at, last_open_at, last_click_at, send_count, open_count, "
    "click_count, data"
)
INSERT = f"INSERT INTO ownpage_subscribers ({COLUMNS}) VALUES ({', '.join('?' * 15)})"

SMALL_KEY = "ownpage-small-v1"
BIG_KEY = "ownpage-big-v1"
BATCH = 20_000
# Weighted like a real list: most leave by clicking "unsubscribe", bounces come next.
CAUSES = ("READER",) * 5 + ("HARD_BOUNCE",) * 2 + ("MULTIPLE_BOUNCES",) * 2 + ("PUBLISHER",)
SPORTS = ("football", "rugby", "cyclisme", "tennis", "handball", "basket", "voile")
CULTURE = ("cinéma", "théâtre", "musique", "expositions", "livres", "patrimoine")
EDITIONS = ("Paris", "Lyon", "Nord", "Bretagne", "Sud-Ouest", "Alpes")
_LAST_SEND = datetime(2025, 3, 14, 6, 30, tzinfo=UTC)  # the newest newsletter of the demo


@dataclass(frozen=True, slots=True)
class ListSpec:
    """A demo list: which people (start, start+step, ...) and how they behave."""

    id: int
    name: str
    created_at: str
    start: int
    size: int
    step: int = 1
    unsub_percent: float = 8.0
    extra: str = ""  # the list's own data_* attribute


SMALL_LISTS = (
    ListSpec(1201, "Le Quotidien", "2017-06-09T08:48:43.000Z", 0, 3600, extra="edition"),
    ListSpec(1202, "Sport Hebdo", "2018-02-01T10:12:05.000Z", 2700, 900, 1, 12.0, "sport"),
    ListSpec(1203, "Culture & Loisirs", "2019-09-23T14:03:51.000Z", 3200, 700, 1, 6.0, "culture"),
    ListSpec(1204, "Alertes Info", "2021-11-30T17:45:00.000Z", 150, 300, 13, 15.0),
)
BIG_LIST = ListSpec(
    1250, "Le Quotidien — édition numérique", "2020-01-06T07:00:00.000Z", 0, 1_000_000, 1, 9.0
)
HOSTILE_INDEX = 7  # one reader of Le Quotidien whose name is markup: the UI must not render it


def iso(moment: datetime) -> str:
    """Ownpage's timestamp form (as on the lists endpoint) of a UTC time: milliseconds and a Z."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def default_guid(email: str) -> str:
    """Ownpage's default subscriber guid: md5 of the email."""
    return hashlib.md5(email.encode()).hexdigest()


class _Coins:
    """Every draw one subscriber row needs, from a single hash (the million-row build is hot)."""

    def __init__(self, list_id: int, index: int) -> None:
        self._bytes = hashlib.blake2b(f"ownpage{list_id}:{index}".encode(), digest_size=40).digest()
        self._next = 0

    def below(self, high: int) -> int:
        at = self._next
        self._next += 3
        return int.from_bytes(self._bytes[at : at + 3]) % max(high, 1)

    def percent(self, percent: float) -> bool:
        return self.below(10000) < percent * 100

    def pick(self, choices: tuple[str, ...]) -> str:
        return choices[self.below(len(choices))]


def subscriber_row(spec: ListSpec, index: int) -> tuple[object, ...]:
    """The INSERT values of person `index` on list `spec` (a pure function of both)."""
    p = person(index)
    coins = _Coins(spec.id, index)
    # The same person has the same publisher id (or none) and the same name on every list.
    guid = f"OP{100000 + index}" if index % 10 in (1, 4, 7) else default_guid(p.email)
    joined = min(
        p.created_at + timedelta(days=coins.below(500)),
        _LAST_SEND - timedelta(days=30 + coins.below(60)),
    )
    out = coins.percent(spec.unsub_percent)
    left = later(joined, timedelta(days=1 + coins.below(700))) if out else None
    sent = coins.below(25 if out else 400)
    opened = coins.below(sent + 1)
    clicked = coins.below(opened // 3 + 1)
    last_sent = (left or _LAST_SEND) - timedelta(days=coins.below(20))
    seen = iso(last_sent)
    data: dict[str, str] = {}
    if index % 17 != 5:
        data["data_firstname"] = p.first_name
        data["data_lastname"] = p.last_name
    data["data_city"] = p.city
    if spec.extra == "edition":
        data["data_edition"] = coins.pick(EDITIONS)
        data["data_abonne_papier"] = "oui" if coins.percent(20) else "non"
    elif spec.extra == "sport":
        data["data_sport_favori"] = coins.pick(SPORTS)
    elif spec.extra == "culture":
        data["data_centres_interet"] = coins.pick(CULTURE)
    if spec.id == SMALL_LISTS[0].id and index == HOSTILE_INDEX:
        data["data_lastname"] = "[@click=app.quit]Dupont[/b]\x1b[31m"
    return (
        spec.id,
        p.email,
        p.email.lower(),
        guid,
        0 if out else 1,
        iso(joined),
        iso(left) if left else None,
        coins.pick(CAUSES) if out else None,
        seen if sent else None,
        seen if opened else None,
        iso(last_sent + timedelta(minutes=5)) if clicked else None,
        sent,
        opened,
        clicked,
        json.dumps(data, ensure_ascii=False),
    )


def create_tables(conn: sqlite3.Connection) -> None:
    # Statement by statement: executescript would commit Store.write's transaction.
    for statement in filter(str.strip, SCHEMA.split(";")):
        conn.execute(statement)


def add_list(conn: sqlite3.Connection, spec: ListSpec) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO ownpage_lists VALUES (?, ?, ?, ?)",
        (spec.id, spec.name, spec.created_at, spec.created_at),
    )


def _indices(spec: ListSpec, first: int, last: int) -> range:
    return range(spec.start + first * spec.step, spec.start + last * spec.step, spec.step)


def seed_small(conn: sqlite3.Connection) -> None:
    """The small lists, in one transaction (run through Store.write)."""
    for spec in SMALL_LISTS:
        add_list(conn, spec)
        conn.executemany(INSERT, (subscriber_row(spec, i) for i in _indices(spec, 0, spec.size)))


def build_big(store: Store, progress: BuildProgress) -> None:
    """Fill the big list in committed batches, resuming where an interrupted build stopped."""
    spec = BIG_LIST
    done = (
        store.connect()
        .execute("SELECT COUNT(*) FROM ownpage_subscribers WHERE list_id = ?", (spec.id,))
        .fetchone()[0]
    )
    progress.done = done
    while done < spec.size:
        last = min(done + BATCH, spec.size)
        rows = [subscriber_row(spec, i) for i in _indices(spec, done, last)]
        store.write(_insert_batch, store, rows, last == spec.size)
        done = progress.done = last
    if not store.seeded(BIG_KEY):
        store.write(store.mark_seeded, BIG_KEY)


def _insert_batch(
    conn: sqlite3.Connection, store: Store, rows: list[tuple[object, ...]], final: bool
) -> None:
    # OR IGNORE: an address the API added meanwhile keeps its subscription.
    conn.executemany(INSERT.replace("INSERT", "INSERT OR IGNORE", 1), rows)
    if final:
        store.mark_seeded(conn, BIG_KEY)
