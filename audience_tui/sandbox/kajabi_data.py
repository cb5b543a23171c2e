"""Kajabi sandbox: its tables and the demo account's data (two sites, contacts, customers, tags).

The demo account has several sites on purpose: Kajabi then requires `filter[site_id]` on every
contact and customer listing, the rule clients most often get wrong. People come from people.py
(index ranges overlap the other platforms' lists and each other, so one lookup finds a person on
both sites and elsewhere). Timestamps are spread over the three years before the seeding day, so
the "in the last N days" filters have something to find.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from .people import chance, number, person, pick
from .store import Store

SEED_KEY = "kajabi:v1"
# (site id, title, subdomain, first person index, contacts, custom_1 choices)
SITES = (
    (2147601, "Yoga Academy", "yoga-academy", 0, 1800, ("beginner", "intermediate", "advanced")),
    (2147602, "Photo Masterclass", "photo-masterclass", 1500, 420, ("canon", "nikon", "sony")),
)
TAGS = ("Newsletter", "Webinar 2024", "VIP", "Challenge", "Waitlist")
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
        iso(created + timedelta(days=number(index, salt + "upd", 30))),
    )


def seed(conn: sqlite3.Connection, store: Store) -> None:
    """The small demo data, in one transaction (well under a second)."""
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    next_contact = CONTACT_ID_BASE
    next_customer = CUSTOMER_ID_BASE
    for s, (site_id, title, subdomain, first, count, customs) in enumerate(SITES):
        opened = iso(today - timedelta(days=4 * 365 - 40 * s))
        conn.execute(
            "INSERT INTO kajabi_sites VALUES (?, ?, ?, ?, ?)",
            (site_id, title, subdomain, opened, opened),
        )
        tag_ids = [TAG_ID_BASE + 10 * s + k for k in range(len(TAGS))]
        conn.executemany(
            "INSERT INTO kajabi_tags VALUES (?, ?, ?)",
            [(tag_id, site_id, name) for tag_id, name in zip(tag_ids, TAGS, strict=True)],
        )
        contacts, customers, tags = [], [], []
        for index in range(first, first + count):
            next_contact += 1
            salt = f"kajabi{site_id}"
            buyer = chance(index, salt + "customer", 22)
            row = _contact_row(next_contact, site_id, index, customs, today, buyer)
            contacts.append(row)
            tags += [
                (next_contact, tag_id)
                for k, tag_id in enumerate(tag_ids)
                if chance(index, f"{salt}tag{k}", 18)
            ]
            if buyer:
                next_customer += 1
                created = row[-2]
                customers.append(
                    (
                        next_customer,
                        next_contact,
                        pick(index, salt + "revenue", [str(r) for r in REVENUES]),
                        number(index, salt + "signins", 240),
                        iso(today - timedelta(hours=number(index, salt + "seen", 24 * 400))),
                        None,
                        person(index).city,
                        created,
                        created,
                    )
                )
        conn.executemany(
            "INSERT INTO kajabi_contacts (id, site_id, person, name, email, phone_number,"
            " business_number, mobile_phone_number, subscribed, ever_subscribed, subscribed_at,"
            " unsubscribed_at, address_line_1, address_line_2, address_city, address_state,"
            " address_country, address_zip, external_user_id, custom_1, custom_2, custom_3,"
            " created_at, updated_at) VALUES (" + ", ".join("?" * 24) + ")",
            contacts,
        )
        conn.executemany(
            "INSERT INTO kajabi_customers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", customers
        )
        conn.executemany("INSERT INTO kajabi_contact_tags VALUES (?, ?)", tags)
        # Some buyers pay by instalments: Kajabi refuses to delete them (422).
        conn.execute(
            "UPDATE kajabi_contacts SET active_payments = 1 WHERE id IN (SELECT contact_id FROM"
            " kajabi_customers WHERE net_revenue >= 497 AND contact_id % 3 = 0)"
        )
    store.mark_seeded(conn, SEED_KEY)


def install(store: Store) -> None:
    """Create the tables and seed the demo account once."""
    store.connect().executescript(SCHEMA)  # executescript commits: outside store.write
    if not store.seeded(SEED_KEY):
        store.write(seed, store)
