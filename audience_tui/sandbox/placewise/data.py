"""Placewise sandbox data: the tables, the demo clubs and their members, and the documents.

A member is kept as columns (not a JSON document) so that a club of a million members stays small
and the Reporting API's filters and grouped counts run as SQL. Its moments are integers
(microseconds since the Unix epoch, 8 bytes against the text's 27), compared, sorted and bucketed
as such; their text is made where a document is served (`stamp_of`). How the columns are stored
(codes, moments after joining, columns generated when read) is `storage`'s. The Reporting API's
age band is set by `derive` on every write (it moves with the day); its other analytical columns
(birth year group, marketing_via_*) are generated from the row (`storage.DERIVED`).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache, partial
from typing import Any

from .. import people
from ..demo_credentials import PLACEWISE_CUSTOMER_ID
from ..people import POSITIONAL_EMAIL, email_position, sql_choice
from ..store import BuildProgress, Store, database_of
from .storage import (
    AGE_BANDS,
    ENABLED,
    MEMBERS_COLUMNS,
    PROPERTY_COLUMNS,
    STORED,
    code_sql,
    stored_values,
    text,
)

SEED_KEY = "placewise-small-v1"
BIG_KEY = "placewise-big-v1"
BIG_TOTAL = 1_000_000
BIG_BATCH = 20_000
BIG_START = datetime(2017, 1, 1, tzinfo=UTC)  # the big club's members join evenly over 8 years
BIG_END = datetime(2025, 1, 1, tzinfo=UTC)
CUSTOMER_ID = PLACEWISE_CUSTOMER_ID
DATABASE = database_of("placewise")  # the schema its tables are created in (a file of its own)

# (club id, community id, main slug, short slug, name, first person index, members)
CLUBS: tuple[tuple[int, int, str, str, str, int, int], ...] = (
    (235, 3433, "infinity-mall", "iml", "Infinity Mall", 0, 2000),
    (236, 3434, "storsenteret-nord", "ssn", "Storsenteret Nord", 1200, 1500),
    (237, 3435, "city-lade", "cla", "City Lade", 2500, 1000),
)
BIG_CLUB = (238, 3436, "mega-mall", "mgm", "Mega Mall (1M)", 0, BIG_TOTAL)

INTERESTS = people.INTERESTS
CONSENTS = ("email_marketing", "sms_marketing")  # kept as columns; others in other_consents
DISTRICTS = ("Sentrum", "Nord", "Vest")
INSERT = (
    f"INSERT INTO placewise_members ({', '.join(STORED)}) VALUES ({', '.join('?' for _ in STORED)})"
)

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {DATABASE}.placewise_clubs (
    id INTEGER PRIMARY KEY, community_id INTEGER UNIQUE, customer_id INTEGER,
    main_slug TEXT UNIQUE, short_slug TEXT, name TEXT, country TEXT, timezone TEXT);
CREATE TABLE IF NOT EXISTS {DATABASE}.placewise_members (
    {MEMBERS_COLUMNS});
CREATE UNIQUE INDEX IF NOT EXISTS {DATABASE}.placewise_members_position
    ON placewise_members (club_id, position);
CREATE INDEX IF NOT EXISTS {DATABASE}.placewise_members_email ON placewise_members (club_id, email)
    WHERE NOT ({POSITIONAL_EMAIL});
"""
# A member whose email ends in its position less one before the '@' (every member of the
# million-member club: person i at position i + 1) is found at that position, so only the other
# members' emails are indexed, as Heyloyalty's are: a million random keys took 49 MB and a rewrite
# of the index at every commit of the build. Either branch gives the rows `email = ?` would.
EMAIL_EQUALS = (
    f"((club_id = ? AND email = ? AND NOT ({POSITIONAL_EMAIL})) "
    "OR (club_id = ? AND position = ? AND email = ?))"
)


def member_equals(club_id: int, column: str, value: Any) -> tuple[str, list[Any]]:
    """SQL and arguments for a club's members whose `column` is `value` (emails: EMAIL_EQUALS)."""
    if column == "email" and isinstance(value, str):
        return EMAIL_EQUALS, [club_id, value, club_id, email_position(value), value]
    return f"club_id = ? AND {column} = ?", [club_id, value]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def stamp(moment: datetime) -> str:
    """Placewise's timestamp form, e.g. 2017-06-19T09:56:22.527000Z (sorts as text)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def now_stamp() -> str:
    return stamp(datetime.now(UTC))


def micros(moment: datetime) -> int:
    """A moment as a member's columns hold it: microseconds since the Unix epoch."""
    return (moment - _EPOCH) // _MICROSECOND


def now_micros() -> int:
    return micros(datetime.now(UTC))


@lru_cache(maxsize=256)  # a member's moments are mostly one: joined, consented, updated
def stamp_of(moment: int) -> str:
    """`stamp` of a stored moment (`micros`), its date made once a day (half the time of
    `stamp`'s datetime for each: a page of members holds thousands)."""
    day, rest = divmod(moment, 86_400_000_000)
    seconds, fraction = divmod(rest, 1_000_000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{_date_of(day)}T{hours:02}:{minutes:02}:{seconds:02}.{fraction:06}Z"


@lru_cache(maxsize=64)
def _date_of(day: int) -> str:
    return (_EPOCH + timedelta(days=day)).date().isoformat()


def _text(moment: int | None) -> str | None:
    return None if moment is None else stamp_of(moment)


def age_band(birthday: str | None, today: date) -> str | None:
    """The Reporting API's age band for an ISO birthday."""
    if not birthday:
        return None
    try:
        born = date.fromisoformat(birthday[:10])
    except ValueError:
        return None
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return AGE_BANDS[0 if age <= 14 else min(len(AGE_BANDS) - 1, (age - 15) // 5 + 1)]


def derive(row: dict[str, Any], today: date | None = None) -> dict[str, Any]:
    """Set the age band of `row` from its birthday, as of today (stored: it changes with the
    date; the other analytical columns are generated from the row: `storage.DERIVED`)."""
    row["age"] = age_band(row.get("birthday"), today or date.today())
    return row


def interest_mask(names: Iterable[str]) -> int:
    return sum(1 << INTERESTS.index(n) for n in set(names) if n in INTERESTS)


def interest_names(mask: int) -> list[str]:
    return list(_interest_names(mask))


@lru_cache(maxsize=1024)
def _interest_names(mask: int) -> tuple[str, ...]:
    return tuple(name for bit, name in enumerate(INTERESTS) if mask & (1 << bit))


def demo_row(club_id: int, position: int, p: people.Person, created: datetime) -> dict[str, Any]:
    """The demo member for person `p` at `position` of a club, deterministic.

    One hash per member and club drives every choice (consents, statuses, place), which keeps
    seeding the small clubs well under a second.
    """
    d = hashlib.blake2b(f"placewise{club_id}:{p.index}".encode(), digest_size=16).digest()
    c_email = 1 if d[0] % 100 < 78 else (0 if d[0] % 100 < 90 else None)
    left = created + timedelta(days=1 + int.from_bytes(d[1:3]) % 600)  # consent withdrawn
    joined = micros(created)
    gone = micros(min(left, datetime.now(UTC) - timedelta(hours=1))) if c_email == 0 else None
    c_sms = (1, 1, 0, None)[d[3] % 4]
    email_status = "hard_bounced" if d[4] % 100 < 3 else "verified"
    if c_email == 0 and d[5] % 100 < 40:
        email_status = "disabled"
    city = people.CITIES.index((p.city, p.country)) + 1
    district = d[6] % 4
    push = d[7] % 100 < 40
    row = {
        "club_id": club_id,
        "position": position,
        "person": p.index,
        "first_name": p.first_name,
        "last_name": p.last_name,
        "email": p.email,
        "msisdn": p.phone,
        "birthday": p.birthdate.isoformat() if p.birthdate else None,
        "gender": {"female": "woman", "male": "man"}.get(p.gender),
        "interests": interest_mask(p.interests),
        "bonus_points": int.from_bytes(d[8:10]) % 5000,
        "extra": None,
        "c_email": c_email,
        "c_email_at": (joined if c_email else gone) if c_email is not None else None,
        "c_sms": c_sms,
        "c_sms_at": joined if c_sms is not None else None,
        "other_consents": None,
        "sms_status": "verified" if c_sms else ENABLED[d[9] % 2],
        "email_status": email_status,
        "push_status": "enabled" if push else "disabled",
        "push_devices": int(push),
        "optin_channel": p.channel,
        "optin_subchannel": (None, None, "campaign-10-2017")[d[10] % 3],
        "optin_platform": p.platform,
        "location_country": p.country,
        "city_place_id": city,
        "place_id": city * 10 + district if district else None,
        "created_at": joined,
        "updated_at": gone if c_email == 0 else joined,
        "left_at": gone if c_email == 0 else None,
    }
    return derive(row)


def values(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return stored_values(row)


def insert_club(conn: sqlite3.Connection, club: tuple[Any, ...]) -> None:
    club_id, community_id, slug, short, name, *_ = club
    conn.execute(
        "INSERT OR IGNORE INTO placewise_clubs VALUES (?, ?, ?, ?, ?, ?, 'NO', 'Europe/Oslo')",
        (club_id, community_id, CUSTOMER_ID, slug, short, name),
    )


def _joined(p: people.Person) -> datetime:
    return p.created_at


def seed_small(conn: sqlite3.Connection, store: Store) -> None:
    """The three small clubs; each club's members in order of joining (position ~ created_at)."""
    for club in CLUBS:
        insert_club(conn, club)
        club_id, _, _, _, _, first, count = club
        joined = sorted(map(people.person, range(first, first + count)), key=_joined)
        rows = (values(demo_row(club_id, pos, p, p.created_at)) for pos, p in enumerate(joined, 1))
        conn.executemany(INSERT, rows)
    store.mark_seeded(conn, SEED_KEY, DATABASE)


# The people from people.EXACT on, drawn in SQL with the shares of `demo_row` and the analytical
# columns of `derive` (its coin tosses come from the crowd's draws x, y, z, not a per-club hash).
# The first step computes each value used more than once, so it is computed once per member.
_MICROS = ":start_us + (i + 1) * :step_us"  # the moment person i (at position i + 1) joined
_SMS_CHOICE = sql_choice("(y / 160000)", ENABLED)
_BIG_SQL = f"""
WITH m AS MATERIALIZED (
    SELECT *, {_MICROS} AS joined,
        min({_MICROS} + 86400000000 * (1 + (x / 100) % 600), :cap_us) AS gone,
        CASE WHEN x % 100 < 78 THEN 1 WHEN x % 100 < 90 THEN 0 END AS c_email,
        CASE y % 4 WHEN 0 THEN 1 WHEN 1 THEN 1 WHEN 2 THEN 0 END AS c_sms,
        (z / 4) % 100 < 40 AS push, (y / 40000) % 4 AS district,
        :year - CAST(substr(birthdate, 1, 4) AS INTEGER)
            - (:month_day < substr(birthdate, 6, 5)) AS years
    FROM ({people.crowd_sql(salt=BIG_CLUB[0])})),
p AS MATERIALIZED (
    SELECT *, CASE WHEN c_email IS 0 AND (y / 400) % 100 < 40 THEN 'disabled'
                   WHEN (y / 4) % 100 < 3 THEN 'hard_bounced' ELSE 'verified' END AS email_status
    FROM m)
INSERT INTO placewise_members ({", ".join(STORED)})
SELECT :club_id, i + 1, i, first_name, last_name, email, phone, birthdate,
    {code_sql("gender", "CASE gender WHEN 'female' THEN 'woman' WHEN 'male' THEN 'man' END")},
    interests, (z / 400) % 5000, NULL,
    c_email, CASE c_email WHEN 1 THEN 0 WHEN 0 THEN gone - joined END,
    c_sms, CASE WHEN c_sms IS NOT NULL THEN 0 END, NULL,
    {code_sql("sms_status", f"CASE WHEN c_sms IS 1 THEN 'verified' ELSE {_SMS_CHOICE} END")},
    {code_sql("email_status", "email_status")},
    {code_sql("push_status", "CASE WHEN push THEN 'enabled' ELSE 'disabled' END")}, push,
    {code_sql("optin_channel", "channel")},
    {code_sql("optin_subchannel", "CASE WHEN (x / 60000) % 3 = 2 THEN 'campaign-10-2017' END")},
    {code_sql("optin_platform", "platform")}, {code_sql("location_country", "country")},
    city_k + 1, CASE WHEN district THEN (city_k + 1) * 10 + district END,
    joined, CASE WHEN c_email IS 0 THEN gone - joined ELSE 0 END,
    CASE WHEN c_email IS 0 THEN gone - joined END,
    CASE WHEN years <= 14 THEN 0 ELSE min({len(AGE_BANDS) - 1}, (years - 15) / 5 + 1) END
FROM p
"""


def build_big(store: Store, progress: BuildProgress) -> None:
    """The million-member club in batches of BIG_BATCH (`Store.write_rows`), resuming after the
    last stored position.

    People below people.EXACT are made by `demo_row` like the small clubs' members, the rest by
    one INSERT ... SELECT per batch (`_BIG_SQL`): a million members in well under a minute.
    """
    club_id = BIG_CLUB[0]
    conn = store.connect()
    people.prepare_crowd(conn, DATABASE)
    progress.done = conn.execute(
        "SELECT COALESCE(MAX(position), 0) FROM placewise_members WHERE club_id = ?", (club_id,)
    ).fetchone()[0]
    span = (BIG_END - BIG_START) / BIG_TOTAL
    today = date.today()
    params = {
        "club_id": club_id,
        "start_us": micros(BIG_START),
        "step_us": span // _MICROSECOND,
        "cap_us": micros(datetime.now(UTC) - timedelta(hours=1)),
        "year": today.year,
        "month_day": today.strftime("%m-%d"),
    }

    def insert(conn: sqlite3.Connection, done: int, stop: int) -> None:
        exact = min(stop, people.EXACT)
        conn.executemany(
            INSERT,
            (
                values(demo_row(club_id, pos, people.person(pos - 1), BIG_START + span * pos))
                for pos in range(done + 1, exact + 1)
            ),
        )
        if exact < stop:
            conn.execute(_BIG_SQL, {**params, "start": max(done, exact), "stop": stop})

    finish = partial(store.mark_seeded, key=BIG_KEY, database=DATABASE)
    store.write_rows(progress, BIG_BATCH, insert, finish, database=DATABASE)


def club_doc(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "community_id": row["community_id"],
        "customer_id": row["customer_id"],
        "main_slug": row["main_slug"],
        "short_slug": row["short_slug"],
        "other_slugs": [],
        "name": row["name"],
        "country": row["country"],
        "timezone": row["timezone"],
        "member_identifiers": ["msisdn", "email"],
    }


# The consents every demo club defines (member schema); members hold email and SMS marketing.
CONSENT_DEFINITIONS = (*CONSENTS, "dmp_profiling", "cookie_tracking")


def member_schema_doc() -> dict[str, Any]:
    """GET /v3/loyalty_clubs/{slug}/member_schema, in the legacy docs' shape: a JSON Schema of
    the member properties plus the club's identifiers, consents and languages."""
    text, date_ = {"type": "string"}, {"type": "string", "format": "date"}
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "identifiers": ["email", "msisdn"],
        "consents": {slug: {"version": ""} for slug in CONSENT_DEFINITIONS},
        "languages": ["no", "en"],
        "default_language": "no",
        "version": "v2",
        "products": {"default": {"properties": list(PROPERTY_COLUMNS)}},
        "properties": {
            "email": {"type": "string", "format": "email"},
            "first_name": text,
            "last_name": text,
            "msisdn": text,
            "birthday": date_,
            "gender": {"type": "string", "enum": ["man", "woman", "other"]},
            "interests": {"type": "array", "items": {"type": "string", "enum": list(INTERESTS)}},
            "bonus_points": {"type": "integer"},
        },
        "required": ["email"],
    }


_CONSENT_COLUMNS = tuple(zip(CONSENTS, ("c_email", "c_sms"), strict=True))


def _consents(row: sqlite3.Row) -> dict[str, dict[str, Any]]:
    others = row["other_consents"]
    out: dict[str, dict[str, Any]] = json.loads(others) if others else {}
    for slug, column in _CONSENT_COLUMNS:
        if row[column] is not None:
            out[slug] = {"status": bool(row[column]), "updated_at": _text(row[f"{column}_at"])}
    return out


def _consent_statuses(row: sqlite3.Row) -> dict[str, bool]:
    """`_consents`' statuses alone (the Reporting API's), in the same order."""
    others = row["other_consents"]
    out = {slug: c["status"] for slug, c in json.loads(others).items()} if others else {}
    for slug, column in _CONSENT_COLUMNS:
        if row[column] is not None:
            out[slug] = bool(row[column])
    return out


def member_doc(row: sqlite3.Row) -> dict[str, Any]:
    """The management API's Member document (personal data included)."""
    properties = {name: row[name] for name in PROPERTY_COLUMNS if row[name] is not None}
    if "gender" in properties:
        properties["gender"] = text("gender", properties["gender"])
    properties["interests"] = interest_names(row["interests"])
    properties["bonus_points"] = row["bonus_points"]
    if row["extra"]:
        properties.update(json.loads(row["extra"]))
    return {
        "id": row["id"],
        "properties": properties,
        "consents": _consents(row),
        "sms_status": text("sms_status", row["sms_status"]),
        "email_status": text("email_status", row["email_status"]),
        "push_status": text("push_status", row["push_status"]),
        "optin_channel": text("optin_channel", row["optin_channel"]),
        "optin_subchannel": text("optin_subchannel", row["optin_subchannel"]),
        "created_at": _text(row["created_at"]),
        "updated_at": _text(row["updated_at"]),
        "banned_until": None,
        "person_id": row["id"],
    }


def report_record(row: sqlite3.Row) -> dict[str, Any]:
    """The Reporting API's `members` record: analytical fields only, no personal data."""
    return {
        "id": row["id"],
        "community_id": row["community_id"],
        "optin_channel": text("optin_channel", row["optin_channel"]),
        "optin_subchannel": text("optin_subchannel", row["optin_subchannel"]),
        "optin_platform": text("optin_platform", row["optin_platform"]),
        "gender": text("gender", row["gender"]),
        "age": text("age", row["age"]),
        "birth_year_group": row["birth_year_group"],
        "subunit_ids": [],
        "group_ids": [],
        "favorite_stores": [],
        "properties": {
            "interests": interest_names(row["interests"]),
            "bonus_points": row["bonus_points"],
        },
        "consents": _consent_statuses(row),
        "marketing_via_sms": bool(row["mv_sms"]),
        "marketing_via_email": bool(row["mv_email"]),
        "marketing_via_push": bool(row["mv_push"]),
        "marketing_via_anything": bool(row["mv_any"]),
        "sms_status": text("sms_status", row["sms_status"]),
        "email_status": text("email_status", row["email_status"]),
        "push_status": text("push_status", row["push_status"]),
        "push_devices": row["push_devices"],
        "msisdn_country": "NO" if (row["msisdn"] or "").startswith("47") else None,
        "location_country": text("location_country", row["location_country"]),
        "city_place_id": row["city_place_id"],
        "place_id": row["place_id"],
        "created_at": _text(row["created_at"]),
        "updated_at": _text(row["updated_at"]),
    }
