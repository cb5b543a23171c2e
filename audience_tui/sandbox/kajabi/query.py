"""Kajabi sandbox: contact and customer listings (filters, sort, paging) and their documents.

Contacts and customers share one filter set (as in Kajabi's reference); a customer is read through
its contact, whose name and email it mirrors, and a contact's net revenue is its customer's.
Behaviour Kajabi does not document is chosen here and marked "assumed":
- page[size] above 100 is clamped to 100, the default is 25; a page past the end is empty;
- flag filters take true/false (also 1/0); `subscribed=false` lists the unsubscribed;
- unknown filter[...] parameters are ignored; a malformed value is a 400.
Text "contains" filters fold case with Python's casefold (not SQLite's ASCII-only LIKE).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .data import iso

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 25


class BadRequest(Exception):
    """A query Kajabi would refuse: becomes a JSON:API 400 error (`parameter` is its source)."""

    def __init__(self, detail: str, parameter: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.parameter = parameter


CONTACT_TEXT = (
    "name",
    "email",
    "phone_number",
    "business_number",
    "address_line_1",
    "address_line_2",
    "address_city",
    "address_state",
    "address_country",
    "address_zip",
    "external_user_id",
    "custom_1",
    "custom_2",
    "custom_3",
)
CONTAINS = {
    f"{column}_contains": f"c.{column}"
    for column in (
        "name",
        "email",
        "phone_number",
        "mobile_phone_number",
        "address_line_1",
        "address_line_2",
        "address_city",
        "address_state",
        "address_country",
        "address_zip",
    )
}
# filter -> (column, after the cutoff?) for the "in the last N days" windows
WINDOWS = {
    "created_in_last": ("c.created_at", True),
    "not_created_in_last": ("c.created_at", False),
    "joined_in_last": ("c.created_at", True),
    "subscribed_in_last": ("c.subscribed_at", True),
    "unsubscribed_in_last": ("c.unsubscribed_at", True),
    "manually_unsubscribed_in_last": ("c.unsubscribed_at", True),
    "opted_out_in_last": ("c.unsubscribed_at", True),
    "active_in_last": ("cu.last_request_at", True),
    "inactive_in_last": ("cu.last_request_at", False),
}
FLAGS = {
    "subscribed": ("c.subscribed = 1", "c.subscribed = 0"),
    "never_subscribed": ("c.ever_subscribed = 0", "c.ever_subscribed = 1"),
    "is_hidden": ("0", "1"),  # the demo hides nobody
}
REVENUE = {
    "net_revenue_equal_to": "=",
    "net_revenue_greater_than": ">",
    "net_revenue_less_than": "<",
}
TAG_TEST = "EXISTS (SELECT 1 FROM kajabi_contact_tags t WHERE t.contact_id = c.id AND t.tag_id = ?)"
SORTS = {
    "contacts": {"name": "c.name", "email": "c.email", "created_at": "c.created_at"},
    "customers": {
        "name": "c.name",
        "email": "c.email",
        "created_at": "cu.created_at",
        "net_revenue": "cu.net_revenue",
        "last_request_at": "cu.last_request_at",
    },
}
COLUMNS = (
    "c.*, cu.id AS customer_id, cu.net_revenue, cu.sign_in_count, cu.last_request_at,"
    " cu.bounced_at, cu.public_location, cu.created_at AS customer_created_at,"
    " cu.updated_at AS customer_updated_at"
)
FROM = {
    "contacts": "kajabi_contacts c LEFT JOIN kajabi_customers cu ON cu.contact_id = c.id",
    "customers": "kajabi_customers cu JOIN kajabi_contacts c ON c.id = cu.contact_id",
}


def _flag(name: str, value: str) -> bool:
    text = value.strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise BadRequest(f"filter[{name}] must be true or false", f"filter[{name}]")


def _days(name: str, value: str) -> int:
    if not value.strip().isdigit():
        raise BadRequest(f"filter[{name}] must be a whole number of days", f"filter[{name}]")
    return int(value)


def _amount(name: str, value: str) -> float:
    try:
        amount = float(value)
    except ValueError:
        amount = math.nan
    if not math.isfinite(amount):
        raise BadRequest(f"filter[{name}] must be a number", f"filter[{name}]")
    return amount


def where(filters: Mapping[str, str], now: datetime) -> tuple[list[str], list[Any]]:
    """SQL conditions and their parameters for Kajabi's filter[...] parameters (site excepted)."""
    sql: list[str] = []
    args: list[Any] = []
    for name, value in filters.items():
        if name == "search":
            sql.append(
                "(instr(kj_fold(c.name), kj_fold(?)) OR instr(kj_fold(c.email), kj_fold(?)))"
            )
            args += [value, value]
        elif name in CONTAINS:
            sql.append(f"instr(kj_fold({CONTAINS[name]}), kj_fold(?)) > 0")
            args.append(value)
        elif name in WINDOWS:
            column, after = WINDOWS[name]
            cutoff = iso(now - timedelta(days=_days(name, value)))
            sql.append(f"{column} >= ?" if after else f"({column} IS NULL OR {column} < ?)")
            args.append(cutoff)
        elif name in FLAGS:
            sql.append(FLAGS[name][0 if _flag(name, value) else 1])
        elif name in REVENUE:
            sql.append(f"coalesce(cu.net_revenue, 0) {REVENUE[name]} ?")
            args.append(_amount(name, value))
        elif name in ("has_tag_id", "has_all_tag_id", "has_no_tag_id"):
            ids = [v.strip() for v in value.split(",") if v.strip()]
            if not ids or not all(v.isdigit() for v in ids):
                raise BadRequest(f"filter[{name}] must be tag ids", f"filter[{name}]")
            if name == "has_tag_id":
                sql.append(f"({' OR '.join([TAG_TEST] * len(ids))})")
            else:
                negate = "NOT " if name == "has_no_tag_id" else ""
                sql += [negate + TAG_TEST] * len(ids)
            args += [int(v) for v in ids]
    return sql, args


@dataclass(frozen=True, slots=True)
class Listing:
    """One page request of contacts or customers, already checked."""

    resource: str  # "contacts" | "customers"
    site_id: int
    filters: Mapping[str, str]
    sort: str
    number: int
    size: int


def parse_listing(resource: str, params: Mapping[str, str], site_id: int) -> Listing:
    """The page, size and sort of a listing request; 400 for values Kajabi would refuse."""
    number, size = page_of(params)
    sort = params.get("sort") or "-created_at"
    if sort.removeprefix("-") not in SORTS[resource]:
        allowed = ", ".join(SORTS[resource])
        raise BadRequest(f"sort must be one of {allowed} (prefix - for descending)", "sort")
    filters = {
        key[7:-1]: value
        for key, value in params.items()
        if key.startswith("filter[") and key.endswith("]") and key != "filter[site_id]"
    }
    return Listing(resource, site_id, filters, sort, number, size)


def page_of(params: Mapping[str, str]) -> tuple[int, int]:
    """(page number, page size) of a request: size clamped to 100 (assumed), 25 by default."""
    number = _positive(params.get("page[number]"), 1, "page[number]")
    size = min(MAX_PAGE_SIZE, _positive(params.get("page[size]"), DEFAULT_PAGE_SIZE, "page[size]"))
    return number, size


def _positive(value: str | None, default: int, name: str) -> int:
    if value is None or value == "":
        return default
    if not value.isdigit() or int(value) < 1:
        raise BadRequest(f"{name} must be a positive whole number", name)
    return int(value)


def fold(value: str | None) -> str:
    return (value or "").casefold()


def list_page(conn: sqlite3.Connection, listing: Listing) -> tuple[list[dict[str, Any]], int]:
    """(documents of the page, total count)."""
    sql, args = where(listing.filters, datetime.now(UTC))
    clause = " AND ".join(["c.site_id = ?", *sql])
    args = [listing.site_id, *args]
    source = FROM[listing.resource]
    total = conn.execute(f"SELECT count(*) FROM {source} WHERE {clause}", args).fetchone()[0]
    direction = "DESC" if listing.sort.startswith("-") else "ASC"
    order = (
        f"{SORTS[listing.resource][listing.sort.removeprefix('-')]} {direction}, c.id {direction}"
    )
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM {source} WHERE {clause} ORDER BY {order} LIMIT ? OFFSET ?",
        [*args, listing.size, (listing.number - 1) * listing.size],
    ).fetchall()
    build = DOCUMENTS[listing.resource]
    return [build(conn, row) for row in rows], total


def fetch_one(conn: sqlite3.Connection, resource: str, item_id: str) -> dict[str, Any] | None:
    """The document of one contact or customer, None when there is none with that id."""
    if not item_id.isdigit():
        return None
    key = "c.id" if resource == "contacts" else "cu.id"
    row = conn.execute(
        f"SELECT {COLUMNS} FROM {FROM[resource]} WHERE {key} = ?",
        (int(item_id),),
    ).fetchone()
    return None if row is None else DOCUMENTS[resource](conn, row)


def _ref(kind: str, value: Any) -> dict[str, Any]:
    return {"data": None if value is None else {"id": str(value), "type": kind}}


def contact_document(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    attributes: dict[str, Any] = {name: row[name] for name in CONTACT_TEXT}
    attributes["subscribed"] = bool(row["subscribed"])
    attributes["created_at"] = row["created_at"]
    attributes["updated_at"] = row["updated_at"]
    tags = conn.execute(
        "SELECT tag_id FROM kajabi_contact_tags WHERE contact_id = ? ORDER BY tag_id", (row["id"],)
    ).fetchall()
    return {
        "id": str(row["id"]),
        "type": "contacts",
        "attributes": attributes,
        "relationships": {
            "site": _ref("sites", row["site_id"]),
            "customer": _ref("customers", row["customer_id"]),
            "tags": {"data": [{"id": str(t[0]), "type": "contact_tags"} for t in tags]},
        },
    }


def customer_document(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": str(row["customer_id"]),
        "type": "customers",
        "attributes": {
            "name": row["name"],
            "email": row["email"],
            "avatar": None,
            "external_user_id": row["external_user_id"],
            "public_bio": None,
            "public_location": row["public_location"],
            "public_website": None,
            "socials": {"twitter": None, "facebook": None, "instagram": None},
            "net_revenue": f"{row['net_revenue']:.1f}",
            "sign_in_count": row["sign_in_count"],
            "last_request_at": row["last_request_at"],
            "bounced_at": row["bounced_at"],
            "created_at": row["customer_created_at"],
            "updated_at": row["customer_updated_at"],
        },
        "relationships": {
            "site": _ref("sites", row["site_id"]),
            "contact": _ref("contacts", row["id"]),
        },
    }


DOCUMENTS: Mapping[str, Callable[[sqlite3.Connection, sqlite3.Row], dict[str, Any]]] = {
    "contacts": contact_document,
    "customers": customer_document,
}


def sparse(document: dict[str, Any], wanted: str | None) -> dict[str, Any]:
    """`fields[type]=a,b`: only the named attributes (relationships stay)."""
    if not wanted:
        return document
    names = {n.strip() for n in wanted.split(",")}
    attributes = {k: v for k, v in document["attributes"].items() if k in names}
    return {**document, "attributes": attributes}


def total_pages(total: int, size: int) -> int:
    return max(1, math.ceil(total / size))
