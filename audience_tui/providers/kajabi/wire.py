"""Kajabi's wire format: JSON:API documents in and out, fields, and the filter[...] translation.

Two resources are read as audiences: contacts (everyone on a site, with the marketing `subscribed`
flag) and customers (contacts who bought or were granted an offer, with revenue and sign-ins).
Only filters whose meaning is exactly one of our operators are declared server-side; Kajabi's
"in the last N days" windows compare timestamps against "now" in an unstated time zone, so a
date condition is never translated to one of them (the app checks dates itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ...core.errors import InvalidResponseError, UnsupportedError
from ...core.filters import parse_bool
from ...core.http import default_error_detail
from ...core.models import (
    Condition,
    FieldSpec,
    FieldType,
    Filter,
    Member,
    MemberStatus,
    Sort,
)
from ...core.platforms import title as platform_title
from ..wire import json_or_none, object_or_empty, parse_timestamp

PLATFORM = platform_title("kajabi")
CONTACTS = "contacts"
CUSTOMERS = "customers"
CT = frozenset({"ct"})


def _text(name: str, label: str, server: frozenset[str] = frozenset(), **kw: Any) -> FieldSpec:
    return FieldSpec(name, label, FieldType.TEXT, server_operators=server, **kw)


def _date(name: str, label: str, **kw: Any) -> FieldSpec:
    return FieldSpec(name, label, FieldType.DATE, **kw)


CONTACT_FIELDS: tuple[FieldSpec, ...] = (
    _text("name", "Name", CT, sortable=True),
    _text("email", "Email", CT, sortable=True),
    FieldSpec("subscribed", "Subscribed", FieldType.BOOLEAN, server_operators=frozenset({"eq"})),
    _text("phone_number", "Phone number", CT),
    _text("business_number", "Business number"),
    _text("address_line_1", "Address line 1", CT),
    _text("address_line_2", "Address line 2", CT),
    _text("address_city", "City", CT),
    _text("address_state", "State", CT),
    _text("address_country", "Country", CT),
    _text("address_zip", "Zip code", CT),
    _text("external_user_id", "External user id"),
    _text("custom_1", "Custom field 1", builtin=False),
    _text("custom_2", "Custom field 2", builtin=False),
    _text("custom_3", "Custom field 3", builtin=False),
    _date("created_at", "Created", sortable=True),
    _date("updated_at", "Updated"),
)
CUSTOMER_FIELDS: tuple[FieldSpec, ...] = (
    _text("name", "Name", CT, sortable=True),
    _text("email", "Email", CT, sortable=True),
    FieldSpec(
        "net_revenue",
        "Net revenue",
        FieldType.NUMBER,
        server_operators=frozenset({"eq", "gt", "lt"}),
        sortable=True,
    ),
    FieldSpec("sign_in_count", "Sign-ins", FieldType.NUMBER),
    _date("last_request_at", "Last seen", sortable=True),
    _date("bounced_at", "Bounced"),
    _text("external_user_id", "External user id"),
    _text("public_location", "Location"),
    _text("public_website", "Website"),
    _text("public_bio", "Bio"),
    _date("created_at", "Created", sortable=True),
    _date("updated_at", "Updated"),
)
FIELDS: Mapping[str, tuple[FieldSpec, ...]] = {CONTACTS: CONTACT_FIELDS, CUSTOMERS: CUSTOMER_FIELDS}
NUMBER_OPS = {"eq": "equal_to", "gt": "greater_than", "lt": "less_than"}


def filter_params(resource: str, filter: Filter) -> dict[str, str]:
    """`filter[...]` parameters for the server-side part of a query (Kajabi ANDs them all)."""
    specs = {spec.name: spec for spec in FIELDS[resource]}
    if len(filter.conditions) > 1 and filter.logic != "and":
        raise UnsupportedError("Kajabi combines filters with 'and' only", platform=PLATFORM)
    params: dict[str, str] = {}
    for condition in filter.conditions:
        spec = specs.get(condition.field)
        if spec is None or condition.op not in spec.server_operators:
            raise UnsupportedError(
                f"Kajabi cannot filter {condition.field} with {condition.op!r}", platform=PLATFORM
            )
        name, value = _translate(condition)
        key = f"filter[{name}]"
        if key in params and params[key] != value:
            # Kajabi takes one value per parameter: two different 'contains' on one field.
            raise UnsupportedError(f"Kajabi takes one {name} filter at a time", platform=PLATFORM)
        params[key] = value
    return params


def _translate(condition: Condition) -> tuple[str, str]:
    if condition.op == "ct":
        return f"{condition.field}_contains", str(condition.value)
    if condition.field == "subscribed":
        if parse_bool(condition.value) is not True:
            # filter[subscribed] lists subscribed contacts; nothing documented lists the others.
            raise UnsupportedError(
                "Kajabi can only list subscribed contacts; use 'subscribed neq true' "
                "(checked by the app) for the others",
                platform=PLATFORM,
            )
        return "subscribed", "true"
    amount = float(condition.value)
    text = str(int(amount)) if amount.is_integer() else str(amount)
    return f"net_revenue_{NUMBER_OPS[condition.op]}", text


def sort_param(resource: str, sort: Sort | None) -> str | None:
    """`sort=field` / `sort=-field`; None keeps Kajabi's default (newest first)."""
    if sort is None:
        return None
    if not any(s.name == sort.field and s.sortable for s in FIELDS[resource]):
        raise UnsupportedError(f"Kajabi cannot sort {resource} by {sort.field}", platform=PLATFORM)
    return f"-{sort.field}" if sort.descending else sort.field


def error_detail(response: httpx.Response) -> str | None:
    """Every JSON:API error as 'title: detail (where)'; the token endpoint's {"error"} as is."""
    body = json_or_none(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors:
        return default_error_detail(response)
    parts = []
    for item in errors[:5]:
        if not isinstance(item, dict):
            continue
        title, detail = item.get("title"), item.get("detail")
        text = ": ".join(dict.fromkeys(str(p) for p in (title, detail) if p))
        source = object_or_empty(item.get("source"))
        where = source.get("pointer") or source.get("parameter")
        parts.append(f"{text} ({where})" if where else text)
    return "; ".join(p for p in parts if p)[:500] or default_error_detail(response)


# --- reading documents --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Listing:
    """One page of a JSON:API collection: its resources and what `meta`/`links` say."""

    items: list[dict[str, Any]]
    total: int | None
    has_next: bool


def parse_listing(body: Any, label: str, kind: str) -> Listing:
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise InvalidResponseError.unexpected(
            f"expected a JSON:API document with a list of {kind}", platform=PLATFORM, request=label
        )
    items = body["data"]
    for item in items:
        _resource(item, label, kind)
    meta = object_or_empty(body.get("meta"))
    total = meta.get("total_count")
    total = total if isinstance(total, int) and not isinstance(total, bool) and total >= 0 else None
    links = object_or_empty(body.get("links"))
    has_next = bool(links.get("next")) if "next" in links else bool(items)
    return Listing(items, total, has_next)


def parse_single(body: Any, label: str, kind: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidResponseError.unexpected(
            f"expected a JSON:API document with one of {kind}", platform=PLATFORM, request=label
        )
    return _resource(body.get("data"), label, kind)


def _resource(item: Any, label: str, kind: str) -> dict[str, Any]:
    if (
        not isinstance(item, dict)
        or not isinstance(item.get("id"), str | int)
        or isinstance(item.get("id"), bool)
        or not isinstance(item.get("attributes", {}), dict)
    ):
        raise InvalidResponseError.unexpected(
            f"a resource of {kind} without an id or attributes", platform=PLATFORM, request=label
        )
    if item.get("type") not in (None, kind):
        raise InvalidResponseError.unexpected(
            f"expected {kind}, got {str(item.get('type'))[:40]!r}", platform=PLATFORM, request=label
        )
    return item


def _flatten(attributes: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects (a customer's socials) become dotted names; values stay as sent."""
    out: dict[str, Any] = {}
    for key, value in attributes.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def subscription(subscribed: Any) -> tuple[MemberStatus, str]:
    """A contact's `subscribed` as (status, words). Anything but a JSON boolean (missing, null)
    is unknown, never opted out: a read-back without the attribute must not confirm an opt-out,
    nor a listing show someone as out who may still get mail."""
    if subscribed is True:
        return MemberStatus.ACTIVE, "subscribed"
    if subscribed is False:
        return MemberStatus.OPTED_OUT, "not subscribed"
    return MemberStatus.UNKNOWN, "subscribed not stated"


def to_member(item: dict[str, Any], resource: str, audience_id: str | None) -> Member:
    """A contact (status from `subscribed`) or a customer: a customer's record carries no
    subscription (the documents only filter customers by it), so its status is unknown, never
    read as active: consent drift and counts must not take a purchase record for a subscriber."""
    attributes = item.get("attributes") or {}
    fields = _flatten(attributes)
    if resource == CONTACTS:
        status, platform_status = subscription(attributes.get("subscribed"))
    else:
        status, platform_status = MemberStatus.UNKNOWN, "customer: no subscription flag"
    return Member(
        id=str(item["id"]),
        email=_string(attributes.get("email")),
        status=status,
        audience_id=audience_id,
        name=_string(attributes.get("name")),
        platform_status=platform_status,
        created_at=parse_timestamp(attributes.get("created_at")),
        updated_at=parse_timestamp(attributes.get("updated_at")),
        fields=fields,
        raw=item,
    )


def related_id(item: Mapping[str, Any], relation: str) -> str | None:
    """The id in relationships.<relation>.data, when the document carries it."""
    relationships = item.get("relationships")
    link = relationships.get(relation) if isinstance(relationships, dict) else None
    data = link.get("data") if isinstance(link, dict) else None
    found = data.get("id") if isinstance(data, dict) else None
    return str(found) if isinstance(found, str | int) and not isinstance(found, bool) else None
