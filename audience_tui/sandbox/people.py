"""A deterministic population shared by the five emulated platforms.

Person `i` is the same human on every platform (same name, email, birthday, city), so a lookup
across accounts finds them in several places, as it would for a real customer. Everything is a pure
function of the index: no random state, no files, the same data on every machine and every run,
and fast enough to generate a million people in a few seconds.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

FIRST_F = (
    "Anna",
    "Emma",
    "Ida",
    "Sofie",
    "Freja",
    "Maja",
    "Nora",
    "Ella",
    "Laura",
    "Clara",
    "Ingrid",
    "Astrid",
    "Sara",
    "Julie",
    "Camille",
    "Léa",
    "Chloé",
    "Mia",
    "Olivia",
    "Amelia",
    "Hanna",
    "Karin",
    "Linnea",
    "Selma",
    "Zofia",
    "Marta",
    "Aisha",
    "Yasmin",
    "Eva",
    "Liv",
)
FIRST_M = (
    "Lars",
    "Ole",
    "Jonas",
    "Emil",
    "Noah",
    "Oscar",
    "William",
    "Lucas",
    "Magnus",
    "Henrik",
    "Anders",
    "Mikkel",
    "Erik",
    "Thomas",
    "Hugo",
    "Louis",
    "Gabriel",
    "Jakub",
    "Piotr",
    "Omar",
    "Ali",
    "Sebastian",
    "Mathias",
    "Kasper",
    "Tobias",
    "Felix",
    "Leo",
    "Adam",
    "Karl",
    "Nils",
)
LAST = (
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Johnsen",
    "Pettersen",
    "Eriksen",
    "Berg",
    "Haugen",
    "Hagen",
    "Lund",
    "Nielsen",
    "Christensen",
    "Rasmussen",
    "Sørensen",
    "Madsen",
    "Lindberg",
    "Svensson",
    "Martin",
    "Bernard",
    "Dubois",
    "Moreau",
    "Laurent",
    "Nowak",
    "Kowalski",
    "Smith",
    "Brown",
    "García",
    "Rossi",
    "Müller",
    "Schmidt",
    "Novák",
    "Virtanen",
    "Korhonen",
)
DOMAINS = (
    "example.com",
    "example.org",
    "example.net",
    "mail.example.no",
    "post.example.dk",
    "inbox.example.fr",
    "example.se",
)
# (city, country ISO alpha-2)
CITIES = (
    ("Oslo", "NO"),
    ("Bergen", "NO"),
    ("Trondheim", "NO"),
    ("Stavanger", "NO"),
    ("København", "DK"),
    ("Aarhus", "DK"),
    ("Odense", "DK"),
    ("Aalborg", "DK"),
    ("Stockholm", "SE"),
    ("Göteborg", "SE"),
    ("Malmö", "SE"),
    ("Paris", "FR"),
    ("Lyon", "FR"),
    ("Helsinki", "FI"),
    ("Warszawa", "PL"),
    ("Kraków", "PL"),
    ("Berlin", "DE"),
    ("London", "GB"),
)
INTERESTS = (
    "fashion",
    "food",
    "sports",
    "travel",
    "music",
    "books",
    "home_and_garden",
    "kids",
    "beauty",
    "electronics",
    "cars",
    "dietary_and_nutrition",
)
CHANNELS = ("webforms", "app", "import", "pos", "default", "wifi")
PLATFORMS = ("android", "ios", "webforms", "other")

_EPOCH = datetime(2017, 1, 1, tzinfo=UTC)
_SPAN_SECONDS = 8 * 365 * 86400  # created_at spreads over 2017..2024
# The demo world's present: every date seeded from a person (joining, leaving, a change) lies
# before it, so the demo never shows a date in the future, and shows the same dates on every run.
DEMO_TODAY = datetime(2025, 6, 1, tzinfo=UTC)
_ASCII = str.maketrans(
    {
        "ø": "o",
        "æ": "ae",
        "å": "a",
        "ö": "o",
        "ä": "a",
        "é": "e",
        "ü": "u",
        "á": "a",
        "í": "i",
        "ó": "o",
        "ú": "u",
        "ç": "c",
        "ł": "l",
        "ń": "n",
    }
)


def _draws(index: int, salt: str = "") -> bytes:
    return hashlib.blake2b(f"{salt}{index}".encode(), digest_size=32).digest()


@dataclass(frozen=True, slots=True)
class Person:
    index: int
    first_name: str
    last_name: str
    email: str
    gender: str  # "female" | "male" | "" (not given)
    birthdate: date | None
    city: str
    country: str
    phone: str
    interests: tuple[str, ...]
    created_at: datetime
    channel: str
    platform: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def person(index: int) -> Person:
    """The `index`-th person of the demo world."""
    d = _draws(index)
    female = d[0] % 2 == 0
    first = (FIRST_F if female else FIRST_M)[d[1] % 30]
    last = LAST[d[2] % len(LAST)]
    local = f"{first}.{last}".lower().translate(_ASCII).replace(" ", "")
    email = f"{local}{index}@{DOMAINS[d[3] % len(DOMAINS)]}"
    gender = "" if d[4] % 17 == 0 else ("female" if female else "male")
    birthdate = None
    if d[5] % 11:
        birthdate = date(1945, 1, 1) + timedelta(days=int.from_bytes(d[6:8]) % (365 * 60))
    city, country = CITIES[d[8] % len(CITIES)]
    phone = f"47{40000000 + int.from_bytes(d[9:12]) % 9999999}"
    count = d[12] % 4
    interests = tuple(sorted({INTERESTS[d[13 + k] % len(INTERESTS)] for k in range(count)}))
    created = _EPOCH + timedelta(seconds=int.from_bytes(d[17:21]) % _SPAN_SECONDS)
    return Person(
        index=index,
        first_name=first,
        last_name=last,
        email=email,
        gender=gender,
        birthdate=birthdate,
        city=city,
        country=country,
        phone=phone,
        interests=interests,
        created_at=created,
        channel=CHANNELS[d[21] % len(CHANNELS)],
        platform=PLATFORMS[d[22] % len(PLATFORMS)],
    )


def later(start: datetime, step: timedelta, until: datetime = DEMO_TODAY) -> datetime:
    """`start` plus `step`, folded back to stay before `until` (a step that fits is kept as it
    is): an event after joining that never lies in the demo's future."""
    room = until - start
    return start + step % room if room > timedelta(0) else start


def chance(index: int, salt: str, percent: float) -> bool:
    """A deterministic coin for this person and purpose (e.g. 'opted out on Emma')."""
    d = _draws(index, salt)
    return int.from_bytes(d[:4]) % 10000 < percent * 100


def pick(index: int, salt: str, choices: tuple[str, ...] | list[str]) -> str:
    d = _draws(index, salt)
    return choices[int.from_bytes(d[:4]) % len(choices)]


def number(index: int, salt: str, high: int) -> int:
    """A deterministic integer in [0, high)."""
    return int.from_bytes(_draws(index, salt)[:6]) % max(high, 1)


# --- the crowd beyond EXACT, drawn in SQL -------------------------------------------------------
# The million-member demo lists are built by INSERT ... SELECT over a recursive CTE: Python
# generation (a blake2b digest per person) takes ~15 s per million before a row is written. People
# below EXACT are `person(i)` exactly (the small lists and the cross-platform overlap live there);
# people from EXACT on come from `crowd_sql`: the same name, city, domain and interest tables and
# similar shares, drawn from a cheap integer hash (two squarings modulo a prime below sqrt(2**63),
# so SQLite's 64-bit integers never overflow). Deterministic too, but not equal to `person(i)`.
EXACT = 20_000
_PRIME = 3_000_000_019
_BIRTH_SPAN = 365 * 60
BUILD_CACHE_KIB = -65536  # negative: KiB, so 64 MB


def sql_draw(column: str, salt: int) -> str:
    """A SQL expression: a pseudo-random integer in [0, 3e9) from the integer `column`."""
    x = f"((({column}) * 2654435761 + {salt * 97_531 + 12_345}) % {_PRIME})"
    y = f"(({x} * {x} + {salt}) % {_PRIME})"
    return f"(({y} * {y} + {salt + 7}) % {_PRIME})"


def sql_choice(draw: str, choices: Sequence[str]) -> str:
    """A SQL expression: one of `choices` (plain words) picked by the integer expression `draw`."""
    cases = " ".join(f"WHEN {k} THEN '{choice}'" for k, choice in enumerate(choices))
    return f"CASE {draw} % {len(choices)} {cases} END"


def prepare_crowd(conn: sqlite3.Connection, database: str = "main") -> None:
    """Ready a builder thread's connection: the lookup tables `crowd_sql` joins (temporary: they
    live as long as the connection) and a page cache big enough for the indexes' random inserts
    (of `database`, the schema the build writes)."""
    conn.execute(f"PRAGMA {database}.cache_size = {BUILD_CACHE_KIB}")
    conn.executescript(
        """
        CREATE TEMP TABLE IF NOT EXISTS people_first (k INTEGER PRIMARY KEY, name, ascii, female);
        CREATE TEMP TABLE IF NOT EXISTS people_last (k INTEGER PRIMARY KEY, name, ascii);
        CREATE TEMP TABLE IF NOT EXISTS people_domain (k INTEGER PRIMARY KEY, name);
        CREATE TEMP TABLE IF NOT EXISTS people_city (k INTEGER PRIMARY KEY, city, country);
        DELETE FROM people_first; DELETE FROM people_last;
        DELETE FROM people_domain; DELETE FROM people_city;
        """
    )
    firsts = [(n, 1) for n in FIRST_F] + [(n, 0) for n in FIRST_M]
    conn.executemany(
        "INSERT INTO people_first VALUES (?, ?, ?, ?)",
        [(k, n, _ascii(n), female) for k, (n, female) in enumerate(firsts)],
    )
    conn.executemany(
        "INSERT INTO people_last VALUES (?, ?, ?)", [(k, n, _ascii(n)) for k, n in enumerate(LAST)]
    )
    conn.executemany("INSERT INTO people_domain VALUES (?, ?)", list(enumerate(DOMAINS)))
    conn.executemany(
        "INSERT INTO people_city VALUES (?, ?, ?)", [(k, *c) for k, c in enumerate(CITIES)]
    )


def _ascii(name: str) -> str:
    return name.lower().translate(_ASCII).replace(" ", "")


def crowd_sql(salt: int) -> str:
    """A SELECT of people :start <= i < :stop (all >= EXACT) for INSERT ... SELECT.

    Columns: i, first_name, last_name, email, gender, birthdate, city, city_k (index into
    CITIES), country, phone, interests (bit mask over INTERESTS), channel, platform, and three
    more draws x, y, z (integers in [0, 3e9), salted by `salt`) for a platform's own coin tosses.
    """
    salts = (1, 2, 3, 4 + 3 * salt, 5 + 3 * salt, 6 + 3 * salt)
    first = ", ".join(sql_draw(":start", salt) for salt in salts)
    step = ", ".join(sql_draw("i + 1", salt) for salt in salts)
    picks = " | ".join(
        f"(CASE WHEN (b / 5040) % 4 > {k} THEN 1 << ((b / {20160 * 12**k}) % 12) ELSE 0 END)"
        for k in range(3)
    )
    return f"""
    WITH RECURSIVE d(i, a, b, c, x, y, z) AS (  -- each draw computed once per row, in the queue
        SELECT :start, {first} UNION ALL SELECT i + 1, {step} FROM d WHERE i + 1 < :stop)
    SELECT d.i AS i, f.name AS first_name, l.name AS last_name,
        f.ascii || '.' || l.ascii || d.i || '@' || dm.name AS email,
        CASE WHEN (a / 60) % 17 = 0 THEN '' WHEN f.female THEN 'female' ELSE 'male' END AS gender,
        CASE WHEN (a / 1020) % 11 = 0 THEN NULL
             ELSE date('1945-01-01', '+' || ((a / 11220) % {_BIRTH_SPAN}) || ' days')
        END AS birthdate,
        ct.city AS city, ct.k AS city_k, ct.country AS country,
        '47' || (40000000 + c % 9999999) AS phone,
        {picks} AS interests,
        {sql_choice("(c / 9999999)", CHANNELS)} AS channel,
        {sql_choice("z", PLATFORMS)} AS platform,
        x, y, z
    FROM d
    JOIN people_first f ON f.k = a % 60
    JOIN people_last l ON l.k = b % {len(LAST)}
    JOIN people_domain dm ON dm.k = (b / 40) % {len(DOMAINS)}
    JOIN people_city ct ON ct.k = (b / 280) % {len(CITIES)}
    """


# A member whose email ends in its position less one before the '@' (every member of a
# million-member list or club: person i at position i + 1, and people's emails end in i) is found
# by that position, so Heyloyalty's and Placewise's indexes of emails leave such members out
# (partial on NOT this): a million random keys took 50-57 MB and a rewrite of the index at every
# commit of the build.
POSITIONAL_EMAIL = (
    "substr(email, instr(email, '@') - length(position - 1) - 1, length(position - 1) + 2) "
    "GLOB '[^0-9]' || (position - 1) || '@'"
)
_DIGITS = frozenset("0123456789")


def email_position(email: str) -> int:
    """The position a member with this email holds if its email is positional
    (`POSITIONAL_EMAIL`): the decimal digits right before the first '@', after a non-digit,
    plus one; -1 (no position) for any other email."""
    at = email.find("@")
    start = at
    while start > 0 and email[start - 1] in _DIGITS:
        start -= 1
    if at < 0 or start in (0, at):
        return -1
    return int(email[start:at]) + 1
