"""Kajabi sandbox: its tables and the demo account's data (sites, contacts, customers, tags).

The demo account has several sites on purpose: Kajabi then requires `filter[site_id]` on every
contact and customer listing, the rule clients most often get wrong. People come from people.py
(index ranges overlap the other platforms' lists and each other, so one lookup finds a person on
both sites and elsewhere). Timestamps are spread over the three years before the seeding day, so
the "in the last N days" filters have something to find. Two small sites are seeded at once; with
big lists on, a third site of 100 000 contacts fills up in the background.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from ..people import chance, later, number, person, pick
from ..store import BuildProgress, Store

SEED_KEY = "kajabi:v1"
BIG_KEY = "kajabi:big:v1"
# (site id, title, subdomain, first person index, contacts, custom_1 choices)
Site = tuple[int, str, str, int, int, tuple[str, ...]]
SITES: tuple[Site, ...] = (
    (2147601, "Yoga Academy", "yoga-academy", 0, 1800, ("beginner", "intermediate", "advanced")),
    (2147602, "Photo Masterclass", "photo-masterclass", 1500, 420, ("canon", "nikon", "sony")),
)
TAGS = ("Newsletter", "Webinar 2024", "VIP", "Challenge", "Waitlist")
# The demo's big site (only when the store builds big lists): built in the background.
BIG_SITE: Site = (
    2147603,
    "Mindful Business Club",
    "mindful-business",
    0,
    100_000,
    ("starter", "growth", "scale"),
)
BIG_BATCH = 10_000
SITE_ID_SPAN = 10_000_000  # contact and customer ids of site s start at BASE + s * SPAN
CONTACT_ID_BASE = 880_000_000
CUSTOMER_ID_BASE = 550_000_000
TAG_ID_BASE = 77_000
REVENUES = (0.0, 27.0, 49.0, 97.0, 149.0, 197.0, 297.0, 497.0, 997.0)
STREETS = ("Storgata", "Nørrebrogade", "Drottninggatan", "Rue de la Paix", "Main Street")

SCHEMA = """
CREATE TABLE IF NOT EXISTS kajabi_sites (
    id INTEGER PRIMARY KEY, title TEXT NOT NULL, subdomain TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kajabi_contacts (
    id INTEGER PRIMARY KEY, site_id INTEGER NOT NULL REFERENCES kajabi_sites(id),
    person INTEGER, name TEXT, email TEXT NOT NULL, phone_number TEXT, business_number TEXT,
    mobile_phone_number TEXT, subscribed INTEGER NOT NULL DEFAULT 0,
    ever_subscribed INTEGER NOT NULL DEFAULT 0, subscribed_at TEXT, unsubscribed_at TEXT,
    address_line_1 TEXT, address_line_2 TEXT, address_city TEXT, address_state TEXT,
    address_country TEXT, address_zip TEXT, external_user_id TEXT,
    custom_1 TEXT, custom_2 TEXT, custom_3 TEXT, active_payments INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS kajabi_contacts_site ON kajabi_contacts(site_id, created_at);
CREATE TABLE IF NOT EXISTS kajabi_customers (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL UNIQUE REFERENCES kajabi_contacts(id) ON DELETE CASCADE,
    net_revenue REAL NOT NULL DEFAULT 0, sign_in_count INTEGER NOT NULL DEFAULT 0,
    last_request_at TEXT, bounced_at TEXT, public_location TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kajabi_tags (
    id INTEGER PRIMARY KEY, site_id INTEGER NOT NULL, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kajabi_contact_tags (
    contact_id INTEGER NOT NULL REFERENCES kajabi_contacts(id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL, PRIMARY KEY (contact_id, tag_id));
"""


def iso(moment: datetime) -> str:
    """Kajabi's timestamp form: UTC, seconds, a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _contact_row(
    contact_id: int, site_id: int, index: int, customs: tuple[str, ...], now: datetime, buyer: bool
) -> tuple[object, ...]:
    """One contact of the demo, a pure function of (site, person index, seeding day)."""
    p = person(index)
    salt = f"kajabi{site_id}"
    created = now - timedelta(seconds=number(index, salt + "created", 3 * 365 * 86400))
    never = chance(index, salt + "never", 5)
    unsubscribed = not never and chance(index, salt + "unsub", 15)
    subscribed_at = None if never else iso(created + timedelta(minutes=3))
    unsubscribed_at = None
    if unsubscribed:
        age = max(1, int((now - created).total_seconds()) - 3600)
        unsubscribed_at = iso(now - timedelta(seconds=number(index, salt + "unsub_at", age)))
    has_address = chance(index, salt + "address", 60)
    street = f"{STREETS[index % len(STREETS)]} {1 + number(index, salt + 'no', 120)}"
    return (
        contact_id,
        site_id,
        index,
        p.name if not chance(index, salt + "noname", 4) else None,
        p.email,
        f"+{p.phone}" if chance(index, salt + "phone", 55) else None,
        None,
        f"+{p.phone}" if chance(index, salt + "mobile", 20) else None,
        0 if never or unsubscribed else 1,
        0 if never else 1,
        subscribed_at,
        unsubscribed_at,
        street if has_address else None,
        "2nd floor" if has_address and chance(index, salt + "line2", 15) else None,
        p.city if has_address else None,
        None,
        p.country if has_address else None,
        f"{1000 + number(index, salt + 'zip', 8999)}" if has_address else None,
        f"u{index}" if buyer else None,  # set once a contact has been granted an offer
        pick(index, salt + "custom1", customs) if chance(index, salt + "c1", 70) else None,
        pick(index, salt + "custom2", ("instagram", "podcast", "friend", "google")),
        None,
        iso(created),
        iso(later(created, timedelta(days=number(index, salt + "upd", 30)), now)),
    )


def open_site(conn: sqlite3.Connection, s: int, site: Site, today: datetime) -> None:
    """The site row and its tags (idempotent: a resumed build opens it again)."""
    site_id, title, subdomain = site[:3]
    opened = iso(today - timedelta(days=4 * 365 - 40 * s))
    conn.execute(
        "INSERT OR IGNORE INTO kajabi_sites VALUES (?, ?, ?, ?, ?)",
        (site_id, title, subdomain, opened, opened),
    )
    conn.executemany(
        "INSERT OR IGNORE INTO kajabi_tags VALUES (?, ?, ?)",
        [(_tag_id(s, k), site_id, name) for k, name in enumerate(TAGS)],
    )


def _tag_id(s: int, k: int) -> int:
    return TAG_ID_BASE + 10 * s + k


def insert_people(
    conn: sqlite3.Connection, s: int, site: Site, start: int, stop: int, today: datetime
) -> None:
    """Contacts start..stop (positions within the site) with their customers and tags."""
    site_id, first, customs = site[0], site[3], site[5]
    salt = f"kajabi{site_id}"
    contacts, customers, tags = [], [], []
    for position in range(start, stop):
        index = first + position
        contact_id = CONTACT_ID_BASE + s * SITE_ID_SPAN + position + 1
        buyer = chance(index, salt + "customer", 22)
        row = _contact_row(contact_id, site_id, index, customs, today, buyer)
        tags += [
            (contact_id, _tag_id(s, k))
            for k in range(len(TAGS))
            if chance(index, f"{salt}tag{k}", 18)
        ]
        paying = 0
        if buyer:
            revenue = pick(index, salt + "revenue", [str(r) for r in REVENUES])
            # Some buyers pay by instalments: Kajabi refuses to delete them (422).
            paying = int(float(revenue) >= 497 and contact_id % 3 == 0)
            created = row[-2]
            customers.append(
                (
                    CUSTOMER_ID_BASE + s * SITE_ID_SPAN + position + 1,
                    contact_id,
                    revenue,
                    number(index, salt + "signins", 240),
                    iso(today - timedelta(hours=number(index, salt + "seen", 24 * 400))),
                    None,
                    person(index).city,
                    created,
                    created,
                )
            )
        contacts.append((*row, paying))
    conn.executemany(
        "INSERT INTO kajabi_contacts (id, site_id, person, name, email, phone_number,"
        " business_number, mobile_phone_number, subscribed, ever_subscribed, subscribed_at,"
        " unsubscribed_at, address_line_1, address_line_2, address_city, address_state,"
        " address_country, address_zip, external_user_id, custom_1, custom_2, custom_3,"
        " created_at, updated_at, active_payments) VALUES (" + ", ".join("?" * 25) + ")",
        contacts,
    )
    conn.executemany("INSERT INTO kajabi_customers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", customers)
    conn.executemany("INSERT INTO kajabi_contact_tags VALUES (?, ?)", tags)


def seeding_day() -> datetime:
    """The moment the demo's times count back from: the start of today (UTC), so the data is
    the same all day and no contact was created, updated or seen later than now."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def seed(conn: sqlite3.Connection, store: Store) -> None:
    """The small demo data, in one transaction (well under a second)."""
    today = seeding_day()
    for s, site in enumerate(SITES):
        open_site(conn, s, site, today)
        insert_people(conn, s, site, 0, site[4], today)
    store.mark_seeded(conn, SEED_KEY)


def build_big_site(store: Store, progress: BuildProgress) -> None:
    """The big site's contacts in batches; resumes after the last batch an earlier run kept."""
    s, site, today = len(SITES), BIG_SITE, seeding_day()
    done = (
        store.connect()
        .execute("SELECT count(*) FROM kajabi_contacts WHERE site_id = ?", (site[0],))
        .fetchone()[0]
    )
    progress.done = done
    while done < site[4]:
        stop = min(site[4], done + BIG_BATCH)
        store.write(insert_people, s, site, done, stop, today)
        done = progress.done = stop
    store.write(store.mark_seeded, BIG_KEY)


def install(store: Store) -> None:
    """Create the tables, seed the demo account once, and start the big site's build."""
    store.connect().executescript(SCHEMA)  # executescript commits: outside store.write
    if not store.seeded(SEED_KEY):
        store.write(seed, store)
    if store.wants_big("kajabi"):
        store.write(open_site, len(SITES), BIG_SITE, seeding_day())
        store.build_in_background(
            BIG_KEY,
            f"Kajabi: {BIG_SITE[1]}",
            BIG_SITE[4],
            lambda p: build_big_site(store, p),
            platform="kajabi",
            audience_id=str(BIG_SITE[0]),
        )
