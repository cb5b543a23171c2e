"""Placewise member fields and the translation of our filters into the Reporting filter tree.

The fields are those of the Reporting API's `members` report (seed 000) plus the personal
properties only the management API returns (names, email, msisdn, birthday). Which of them the
report filters on is not captured in the docs ("Filterable" column empty); scalar fields are
assumed filterable, arrays and objects (interests, consents) are not.

Operator translation (leaf types: equal / not_equal, null meaning IS NULL / IS NOT NULL, and
greater_than, greater_or_equal_to, less_than, less_or_equal_to):
- eq -> equal; ie -> equal null; nie -> not_equal null; gt/gte/lt/lte -> the ordering leaves;
- neq -> or(equal null, not_equal v): our "does not equal" includes members without a value,
  whatever the platform's not_equal does with nulls; nin likewise; in -> or of equal;
- dates compare whole days in UTC: eq d -> and(>= d, < d+1), gt d -> >= d+1, lte d -> < d+1.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from ...core.errors import UnsupportedError
from ...core.models import (
    OPERATOR_LABELS,
    Condition,
    FieldSpec,
    FieldType,
    Filter,
    MemberStatus,
)
from ...core.platforms import title as platform_title

TITLE = platform_title("placewise")
LOGIC_COST = {"and": 1, "or": 3}  # tokens a logical node adds to a report's cost
AGE_BANDS = ("-14", *(f"{n}-{n + 4}" for n in range(15, 80, 5)), "80-")
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
CONSENT_SLUGS = ("email_marketing", "sms_marketing", "dmp_profiling", "cookie_tracking")

_CHOICE = frozenset({"eq", "neq", "in", "nin", "ie", "nie"})
# Text eq/neq stay with the app: the reporting filter compares case-sensitively, and the one
# vocabulary (Heyloyalty's) is case-insensitive, so sending them would change their meaning.
_TEXT = frozenset({"ie", "nie"})
_ORDERED = frozenset({"eq", "neq", "gt", "gte", "lt", "lte", "ie", "nie"})
_BOOL = frozenset({"eq", "neq", "ie", "nie"})


def _options(*values: str) -> dict[str, str]:
    return {v: v.replace("_", " ").capitalize() for v in values}


FIELDS: tuple[FieldSpec, ...] = (
    # Personal properties: the management API only (the Reporting API strips personal data).
    FieldSpec("email", "Email", server_operators=frozenset({"eq"})),
    FieldSpec("first_name", "First name"),
    FieldSpec("last_name", "Last name"),
    FieldSpec("msisdn", "Mobile (MSISDN)"),
    FieldSpec("birthday", "Birthday", FieldType.DATE),
    # Analytical fields of the `members` report.
    FieldSpec(
        "gender", "Gender", FieldType.CHOICE, _options("woman", "man"), _CHOICE, aggregatable=True
    ),
    FieldSpec(
        "age", "Age", FieldType.CHOICE, {b: b for b in AGE_BANDS}, _CHOICE, aggregatable=True
    ),
    FieldSpec(
        "birth_year_group",
        "Birth years (5-year group)",
        FieldType.NUMBER,
        server_operators=_ORDERED,
    ),
    FieldSpec("optin_channel", "Opt-in channel", server_operators=_TEXT, aggregatable=True),
    FieldSpec("optin_subchannel", "Opt-in sub-channel", server_operators=_TEXT, aggregatable=True),
    FieldSpec(
        "optin_platform",
        "Opt-in platform",
        FieldType.CHOICE,
        _options("android", "ios", "webforms", "other"),
        _CHOICE,
        aggregatable=True,
    ),
    FieldSpec(
        "marketing_via_email", "Email marketing allowed", FieldType.BOOLEAN, server_operators=_BOOL
    ),
    FieldSpec(
        "marketing_via_sms", "SMS marketing allowed", FieldType.BOOLEAN, server_operators=_BOOL
    ),
    FieldSpec(
        "marketing_via_push", "Push marketing allowed", FieldType.BOOLEAN, server_operators=_BOOL
    ),
    FieldSpec(
        "marketing_via_anything",
        "Any marketing allowed",
        FieldType.BOOLEAN,
        server_operators=_BOOL,
        aggregatable=True,
    ),
    FieldSpec(
        "email_status",
        "Email status",
        FieldType.CHOICE,
        _options("enabled", "verified", "disabled", "hard_bounced"),
        _CHOICE,
    ),
    FieldSpec(
        "sms_status",
        "SMS status",
        FieldType.CHOICE,
        _options("enabled", "verified", "disabled"),
        _CHOICE,
    ),
    FieldSpec(
        "push_status", "Push status", FieldType.CHOICE, _options("enabled", "disabled"), _CHOICE
    ),
    FieldSpec("location_country", "Country", server_operators=_TEXT),
    FieldSpec(
        "city_place_id",
        "City (place id)",
        FieldType.NUMBER,
        server_operators=_ORDERED,
        aggregatable=True,
    ),
    FieldSpec(
        "place_id", "Place id", FieldType.NUMBER, server_operators=_ORDERED, aggregatable=True
    ),
    FieldSpec(
        "consents", "Consents given", FieldType.MULTI, _options(*CONSENT_SLUGS), aggregatable=True
    ),
    FieldSpec("interests", "Interests", FieldType.MULTI, _options(*INTERESTS), aggregatable=True),
    FieldSpec("created_at", "Joined", FieldType.DATE, server_operators=_ORDERED, sortable=True),
    FieldSpec("updated_at", "Updated", FieldType.DATE, server_operators=_ORDERED),
)
SPECS: Mapping[str, FieldSpec] = {spec.name: spec for spec in FIELDS}
MANAGEMENT_FILTERS = frozenset({"email"})  # the only conditions the management API evaluates
READ_ONLY = frozenset(SPECS) - {"email", "first_name", "last_name", "msisdn", "birthday", "gender"}

# Our field -> (grouping type, keys of the `members` report's aggregated rows), from seed 000.
# "location" is a grouping without a member field (city and district names).
GROUPINGS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "optin_channel": ("optin_channel", ("optin_channel",)),
    "optin_subchannel": ("optin_subchannel", ("optin_subchannel",)),
    "optin_platform": ("optin_platform", ("optin_platform",)),
    "gender": ("gender", ("gender",)),
    "age": ("age", ("age",)),
    "marketing_via_anything": ("marketing_via_anything", ("marketing_via_anything",)),
    "place_id": ("place", ("place_id",)),
    "city_place_id": ("city", ("city_place_id",)),
    "consents": ("consent", ("consent_key", "consent_value")),
    "location": ("location", ("location_city", "location_detail")),
    "interests": ("interest", ("interest",)),
}

# Status views the Reporting API can express (see placewise_parse.member_status).
STATUS_LEAVES: Mapping[MemberStatus, dict[str, Any]] = {
    MemberStatus.ACTIVE: {"type": "equal", "field": "marketing_via_email", "value": True},
    MemberStatus.ERROR: {"type": "equal", "field": "email_status", "value": "hard_bounced"},
}
_ORDER_OPS = {
    "gt": "greater_than",
    "gte": "greater_or_equal_to",
    "lt": "less_than",
    "lte": "less_or_equal_to",
}


def leaf(op: str, field: str, value: Any) -> dict[str, Any]:
    return {"type": op, "field": field, "value": value}


def logic(kind: str, nodes: list[dict[str, Any]]) -> dict[str, Any]:
    """An and/or node; a single operation stands alone (and costs nothing extra)."""
    return nodes[0] if len(nodes) == 1 else {"type": kind, "operations": nodes}


def tree_cost(node: Mapping[str, Any] | None) -> int:
    if not node or node.get("type") not in LOGIC_COST:
        return 0
    return LOGIC_COST[node["type"]] + sum(tree_cost(op) for op in node["operations"])


def _day(value: Any, shift: int = 0) -> str:
    return f"{date.fromisoformat(str(value)[:10]) + timedelta(days=shift)}T00:00:00Z"


def _date_node(field: str, op: str, value: Any) -> dict[str, Any]:
    start, end = _day(value), _day(value, 1)
    if op == "eq":
        return logic(
            "and", [leaf("greater_or_equal_to", field, start), leaf("less_than", field, end)]
        )
    if op == "neq":
        return logic(
            "or",
            [
                leaf("equal", field, None),
                leaf("less_than", field, start),
                leaf("greater_or_equal_to", field, end),
            ],
        )
    bound = {
        "gt": ("greater_or_equal_to", end),
        "gte": ("greater_or_equal_to", start),
        "lt": ("less_than", start),
        "lte": ("less_than", end),
    }[op]
    return leaf(bound[0], field, bound[1])


def condition_node(condition: Condition) -> dict[str, Any]:
    """One condition as a filter tree node (the condition already coerced to its field)."""
    spec = SPECS.get(condition.field)
    field, op, value = condition.field, condition.op, condition.value
    if spec is None or field in MANAGEMENT_FILTERS or op not in spec.server_operators:
        label = spec.label if spec else field
        raise UnsupportedError(
            f"the Reporting API cannot filter on {label} {OPERATOR_LABELS.get(op, op)}"
            + (" (it holds no personal data)" if field in MANAGEMENT_FILTERS else ""),
            platform=TITLE,
        )
    if op == "ie":
        return leaf("equal", field, None)
    if op == "nie":
        return leaf("not_equal", field, None)
    if spec.type is FieldType.DATE:
        return _date_node(field, op, value)
    values = list(value) if isinstance(value, list | tuple) else [value]
    if op == "eq":
        return leaf("equal", field, value)
    if op == "in":
        return logic("or", [leaf("equal", field, v) for v in values])
    if op in ("neq", "nin"):
        different = logic("and", [leaf("not_equal", field, v) for v in values])
        return logic("or", [leaf("equal", field, None), different])
    return leaf(_ORDER_OPS[op], field, value)


def report_filter(community_id: Any, filter: Filter, status: MemberStatus | None) -> dict[str, Any]:
    """The tree for one club: its community, the status view, then the user's conditions."""
    nodes = [leaf("equal", "community_id", community_id)]
    if status is not None:
        if status not in STATUS_LEAVES:
            raise UnsupportedError(
                f"Placewise reports cannot list {status.value} members; filter on "
                "'Email marketing allowed' or 'Email status' instead",
                platform=TITLE,
            )
        nodes.append(dict(STATUS_LEAVES[status]))
    user = [condition_node(c) for c in filter.conditions]
    if user and filter.logic == "or":
        nodes.append(logic("or", user))
    else:
        nodes += user
    return logic("and", nodes)
