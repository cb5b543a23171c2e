"""A deterministic population shared by the five emulated platforms.

Person `i` is the same human on every platform (same name, email, birthday, city), so a lookup
across accounts finds them in several places, as it would for a real customer. Everything is a pure
function of the index: no random state, no files, the same data on every machine and every run,
and fast enough to generate a million people in a few seconds.
"""

from __future__ import annotations

import hashlib
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
