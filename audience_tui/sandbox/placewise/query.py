"""The Reporting API's filter tree and cursors, as the Placewise sandbox reads them.

A filter is a tree: `{"type": "and"|"or", "operations": [...]}` over leaves
`{"type": op, "field": f, "value": v}` with op one of equal (null: IS NULL), not_equal (null: IS NOT
NULL), greater_than (the docs spell it `greated_than`; both are accepted), greater_or_equal_to,
less_than, less_or_equal_to. `not_equal` with a value follows SQL: a member whose field is null
is not returned (clients wanting "null or different" send an `or` with `equal null`).

The same tree is compiled to SQL for the `members` report and evaluated in Python over the rows of
`members_grouped_count`. Cursors are opaque: base64 of the position plus a keyed hash of it and of
the query, so a tampered or reused-for-another-query cursor is refused with 422.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .data import micros

LOGIC_COST = {"and": 1, "or": 3}
ORDERING = {
    "greater_than": ">",
    "greated_than": ">",
    "greater_or_equal_to": ">=",
    "less_than": "<",
    "less_or_equal_to": "<=",
}
LEAF_OPS = frozenset({"equal", "not_equal", *ORDERING})
MAX_DEPTH = 16
_CURSOR_KEY = b"placewise-sandbox-cursor"

# Filterable fields of the `members` report -> (SQL expression, kind); kind drives value checks.
MEMBER_FIELDS: Mapping[str, tuple[str, str]] = {
    "id": ("m.id", "number"),
    "community_id": ("c.community_id", "number"),
    "optin_channel": ("m.optin_channel", "text"),
    "optin_subchannel": ("m.optin_subchannel", "text"),
    "optin_platform": ("m.optin_platform", "text"),
    "gender": ("m.gender", "text"),
    "age": ("m.age", "text"),
    "birth_year_group": ("m.birth_year_group", "number"),
    "marketing_via_sms": ("m.mv_sms", "bool"),
    "marketing_via_email": ("m.mv_email", "bool"),
    "marketing_via_push": ("m.mv_push", "bool"),
    "marketing_via_anything": ("m.mv_any", "bool"),
    "sms_status": ("m.sms_status", "text"),
    "email_status": ("m.email_status", "text"),
    "push_status": ("m.push_status", "text"),
    "push_devices": ("m.push_devices", "number"),
    "location_country": ("m.location_country", "text"),
    "city_place_id": ("m.city_place_id", "number"),
    "place_id": ("m.place_id", "number"),
    "created_at": ("m.created_at", "timestamp"),
    "updated_at": ("m.updated_at", "timestamp"),
}
GROUPED_FIELDS: Mapping[str, tuple[str, str]] = {
    "community_id": ("community_id", "number"),
    "grouping_type": ("grouping_type", "text"),
    "grouping_value": ("grouping_value", "text"),
}


class QueryError(ValueError):
    """A request the Reporting API refuses with 422 and this message."""


@dataclass(frozen=True, slots=True)
class Leaf:
    op: str
    field: str
    column: str
    value: Any


@dataclass(frozen=True, slots=True)
class Logic:
    op: str
    operations: tuple[Leaf | Logic, ...]


Node = Leaf | Logic


def parse_filter(doc: Any, fields: Mapping[str, tuple[str, str]], depth: int = 0) -> Node | None:
    """Validate a filter tree against the report's filterable fields (422 on anything else)."""
    if doc is None and depth == 0:
        return None
    if depth > MAX_DEPTH:
        raise QueryError("filter is nested too deeply")
    if not isinstance(doc, dict) or not isinstance(doc.get("type"), str):
        raise QueryError("every filter node must be an object with a 'type'")
    kind = doc["type"]
    if kind in LOGIC_COST:
        ops = doc.get("operations")
        if not isinstance(ops, list) or not ops:
            raise QueryError(f"'{kind}' needs a non-empty 'operations' list")
        return Logic(kind, tuple(parse_filter(op, fields, depth + 1) for op in ops))  # type: ignore[misc]
    if kind not in LEAF_OPS:
        raise QueryError(f"unknown filter type {kind!r}")
    name = doc.get("field")
    if not isinstance(name, str) or name not in fields:
        raise QueryError(f"field {name!r} is not filterable in this report")
    column, field_kind = fields[name]
    return Leaf(kind, name, column, _value(kind, name, field_kind, doc.get("value")))


def _value(op: str, name: str, kind: str, value: Any) -> Any:
    if value is None:
        if op in ORDERING:
            raise QueryError(f"{op} on {name!r} needs a value")
        return None
    if isinstance(value, list | dict):
        raise QueryError(f"value for {name!r} must be a scalar")
    if op in ORDERING and kind not in ("number", "timestamp"):
        raise QueryError(f"{op} applies to numeric and timestamp fields, not {name!r}")
    if kind == "timestamp":
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise QueryError(f"{value!r} is not an ISO 8601 timestamp ({name})") from None
        return micros(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    if kind == "bool":
        if not isinstance(value, bool):
            raise QueryError(f"{name!r} takes true or false")
        return int(value)
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise QueryError(f"{name!r} takes a number")
    return value


def filter_cost(node: Node | None) -> int:
    if not isinstance(node, Logic):
        return 0
    return LOGIC_COST[node.op] + sum(filter_cost(op) for op in node.operations)


def to_sql(node: Node | None) -> tuple[str, list[Any]]:
    """(WHERE fragment, parameters) for a parsed tree; "1" when there is no filter."""
    if node is None:
        return "1", []
    if isinstance(node, Logic):
        parts = [to_sql(op) for op in node.operations]
        joiner = f" {node.op.upper()} "
        return "(" + joiner.join(sql for sql, _ in parts) + ")", [p for _, ps in parts for p in ps]
    if node.value is None:
        return f"{node.column} IS {'' if node.op == 'equal' else 'NOT '}NULL", []
    symbol = {"equal": "=", "not_equal": "!="}.get(node.op) or ORDERING[node.op]
    return f"{node.column} {symbol} ?", [node.value]


def evaluate(node: Node | None, row: Mapping[str, Any]) -> bool:
    """The same semantics as `to_sql`, over a dict (grouped count rows)."""
    if node is None:
        return True
    if isinstance(node, Logic):
        combine: Callable[[Any], bool] = all if node.op == "and" else any
        return combine(evaluate(op, row) for op in node.operations)
    actual = row.get(node.column)
    if node.value is None:
        return (actual is None) == (node.op == "equal")
    if actual is None:
        return False
    if node.op == "equal":
        return actual == node.value
    if node.op == "not_equal":
        return actual != node.value
    try:
        return {
            ">": actual > node.value,
            ">=": actual >= node.value,
            "<": actual < node.value,
            "<=": actual <= node.value,
        }[ORDERING[node.op]]
    except TypeError:
        return False


def equal_values(node: Node | None, field: str) -> set[Any] | None:
    """Values an `and`-conjunction (or single leaf) pins `field` to; None when not pinned."""
    leaves = node.operations if isinstance(node, Logic) and node.op == "and" else (node,)
    for leaf in leaves:
        if isinstance(leaf, Leaf) and leaf.field == field and leaf.op == "equal":
            return {leaf.value}
    return None


def query_hash(body: Mapping[str, Any], customer: str) -> str:
    """What a cursor is bound to: the report, its filter and aggregation, and the customer."""
    key = json.dumps(
        [body.get("report"), body.get("filter"), body.get("aggregate_by"), customer],
        sort_keys=True,
    )
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def make_cursor(club_id: int, position: int, bound_to: str) -> str:
    payload = json.dumps({"c": club_id, "p": position, "q": bound_to}, separators=(",", ":"))
    mac = hmac.new(_CURSOR_KEY, payload.encode(), hashlib.sha256).hexdigest()[:12]
    return base64.urlsafe_b64encode(f"{payload}|{mac}".encode()).decode().rstrip("=")


def read_cursor(cursor: Any, bound_to: str) -> tuple[int, int]:
    """(club id, position) from a cursor this sandbox issued for the same query, else 422."""
    try:
        raw = base64.urlsafe_b64decode(str(cursor) + "=" * (-len(str(cursor)) % 4)).decode()
        payload, mac = raw.rsplit("|", 1)
        good = hmac.new(_CURSOR_KEY, payload.encode(), hashlib.sha256).hexdigest()[:12]
        data = json.loads(payload)
        if not hmac.compare_digest(mac, good) or data["q"] != bound_to:
            raise ValueError
        return int(data["c"]), int(data["p"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise QueryError("Invalid page_info: not a cursor issued for this query") from None
