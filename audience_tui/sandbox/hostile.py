"""Hostile members: the values real member data holds that could attack a terminal or a spreadsheet.

When enabled (`AUDIENCE_TUI_SANDBOX_HOSTILE=1`, or `seed(store)` directly), every platform gets a
handful of members whose names, emails and custom fields hold markup, terminal escape sequences,
control and C1 characters, right-to-left overrides and combining marks, emoji, very long and empty
values, and spreadsheet formulas. They join one small list per platform, stored exactly like the
platform's own rows (a seeded active member of that list is the template), so every adapter reads
them through its normal paths. The app must show them literally and harmlessly.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .emma.data import join_groups
from .ownpage.data import default_guid
from .store import Store

ENV = "AUDIENCE_TUI_SANDBOX_HOSTILE"
SEED_KEY = "hostile-v1"

# One member per kind of hostility: (kind, name, email, custom field value).
MEMBERS: tuple[tuple[str, str, str, str], ...] = (
    (
        "markup",
        "[@click=app.quit]Click[/] [b]me[/b] [link=https://evil.example]here[/link]",
        "hostile.markup+[b]x[/b]@example.com",
        "[red]city[/red] [/]",
    ),
    (
        "escape",
        "\x1b]0;pwned\x07\x1b[2J\x1b[31mRed\x1b]8;;https://evil.example\x07link\x1b]8;;\x07",
        "hostile.escape\x1b[31m@example.com",
        "\x1b[5mblink\x1b[0m",
    ),
    (
        "control",
        "Nul\x00Bs\x08Cr\rLf\nDel\x7fCsi\x9b31mEnd",
        "hostile.control@example.com",
        "tab\there\x0bvt\x0cff",
    ),
    (
        "bidi",
        "\u202eevil.exe\u202c مرحبا Z\u0334\u0321\u032aa\u0337l\u0338go",
        "hostile.bidi@example.com",
        "\u2066isolate\u2069 עברית",
    ),
    (
        "emoji",
        "👩\u200d👩\u200d👧\u200d👦 🏳\ufe0f\u200d🌈 Ĳsbrand",
        "hostile.emoji@example.com",
        "🎉" * 20,
    ),
    ("long", "L" * 3000 + "ong", "hostile.long@example.com", "x" * 5000),
    ("empty", "", "hostile.empty@example.com", ""),
    (
        "formula",
        '=HYPERLINK("https://evil.example","click")',
        "hostile.formula@example.com",
        "+cmd|' /C calc'!A0",
    ),
)
KINDS = tuple(kind for kind, *_ in MEMBERS)
ESCAPE_BYTES = frozenset("\x1b\x07\x9b\x9d") | frozenset(map(chr, range(0x80, 0xA0)))


def enabled() -> bool:
    return os.environ.get(ENV, "").strip() not in ("", "0")


@dataclass(frozen=True, slots=True)
class Target:
    """Where one platform keeps the hostile members and how a row is rewritten for each."""

    audience: str  # the list's id as the adapter names it
    table: str
    template: str  # WHERE clause choosing an active member of the chosen small list
    key: str  # the primary key column, given max + 1
    rewrite: Callable[[dict[str, Any], int, tuple[str, str, str, str]], dict[str, Any]]
    after: Callable[[sqlite3.Connection, dict[str, Any]], None] = lambda conn, row: None
    scope: str = "1"  # the rows `key` counts within: a list's positions are its paging order


def _heyloyalty(row: dict[str, Any], n: int, member: tuple[str, str, str, str]) -> dict[str, Any]:
    kind, name, email, custom = member
    return {
        "rid": None,
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"hostile:{kind}")),
        "firstname": name,
        "lastname": name[:40],
        "email": email,
        "city": custom,
    }


def _emma(row: dict[str, Any], n: int, member: tuple[str, str, str, str]) -> dict[str, Any]:
    _, name, email, custom = member
    fields = {**json.loads(row["fields"]), "first_name": name, "last_name": name[:40]}
    fields["city"] = custom
    return {"email": email, "email_lc": email.lower(), "fields": json.dumps(fields)}


def _emma_groups(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    join_groups(conn, row["member_id"], row["status"], [EMMA_GROUP])


def _kajabi(row: dict[str, Any], n: int, member: tuple[str, str, str, str]) -> dict[str, Any]:
    _, name, email, custom = member
    return {"person": None, "name": name, "email": email, "custom_1": custom,
            "address_city": custom, "external_user_id": None, "active_payments": 0}  # fmt: skip


def _placewise(row: dict[str, Any], n: int, member: tuple[str, str, str, str]) -> dict[str, Any]:
    _, name, email, custom = member
    extra = {"favourite_store": custom}
    return {"id": None, "person": None, "first_name": name, "last_name": name[:40], "email": email,
            "extra": json.dumps(extra)}  # fmt: skip


def _ownpage(row: dict[str, Any], n: int, member: tuple[str, str, str, str]) -> dict[str, Any]:
    _, name, email, custom = member
    data = {**json.loads(row["data"]), "data_firstname": name, "data_lastname": name[:40]}
    data["data_city"] = custom
    return {"seq": None, "email": email, "email_key": email.lower(), "guid": default_guid(email),
            "data": json.dumps(data)}  # fmt: skip


EMMA_GROUP = 2_150_005  # "Board & staff"
HEYLOYALTY_LIST, KAJABI_SITE, PLACEWISE_CLUB, OWNPAGE_LIST = 2, 2147602, 237, 1204  # City Lade
TARGETS: Mapping[str, Target] = {
    "heyloyalty": Target(
        str(HEYLOYALTY_LIST), "heyloyalty_members",
        f"list_id = {HEYLOYALTY_LIST} AND status = 'active'", "position", _heyloyalty,
        scope=f"list_id = {HEYLOYALTY_LIST}",
    ),
    "emma": Target(
        str(EMMA_GROUP), "emma_members",
        "status = 'a' AND deleted_at IS NULL AND member_id IN (SELECT member_id FROM"
        f" emma_group_members WHERE member_group_id = {EMMA_GROUP})",
        "member_id", _emma, _emma_groups,
    ),
    "kajabi": Target(
        str(KAJABI_SITE), "kajabi_contacts", f"site_id = {KAJABI_SITE} AND subscribed = 1", "id",
        _kajabi,
    ),
    "placewise": Target(
        "city-lade", "placewise_members",
        f"club_id = {PLACEWISE_CLUB} AND c_email = 1 AND left_at IS NULL", "position", _placewise,
        scope=f"club_id = {PLACEWISE_CLUB}",
    ),
    "ownpage": Target(
        str(OWNPAGE_LIST), "ownpage_subscribers", f"list_id = {OWNPAGE_LIST} AND subscribed = 1",
        "seq", _ownpage,
    ),
}  # fmt: skip


def _add(conn: sqlite3.Connection, target: Target) -> None:
    """Each hostile member as a copy of one active member of the list, with its values replaced."""
    template = conn.execute(
        f"SELECT * FROM {target.table} WHERE {target.template} ORDER BY rowid LIMIT 1"
    ).fetchone()
    if template is None:
        raise RuntimeError(f"hostile seeding: no active member in {target.table}")
    top = (
        conn.execute(
            f"SELECT MAX({target.key}) FROM {target.table} WHERE {target.scope}"
        ).fetchone()[0]
        or 0
    )
    stored = {column["name"] for column in conn.execute(f"PRAGMA table_info({target.table})")}
    for n, member in enumerate(MEMBERS, 1):
        row = {**dict(template), target.key: top + n}
        row.update(target.rewrite(row, n, member))
        row = {column: value for column, value in row.items() if column in stored}  # not generated
        columns = ", ".join(row)
        cursor = conn.execute(
            f"INSERT INTO {target.table} ({columns}) VALUES ({', '.join('?' * len(row))})",
            tuple(row.values()),
        )
        target.after(conn, {**row, "rowid": cursor.lastrowid})


def seed(store: Store) -> None:
    """Add the hostile members to every platform's small list, once per database."""
    if store.seeded(SEED_KEY):
        return

    def write(conn: sqlite3.Connection) -> None:
        for target in TARGETS.values():
            _add(conn, target)
        store.mark_seeded(conn, SEED_KEY)

    store.write(write)


def install(store: Store) -> None:
    """Seed the hostile members when the environment asks for them."""
    if enabled():
        seed(store)
