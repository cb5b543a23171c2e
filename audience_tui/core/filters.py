"""The one filter vocabulary: parsing, validation, splitting between server and app, evaluation.

- `parse_condition("age gte 30")` reads the CLI's 'FIELD OP VALUE' form.
- `coerce` checks a condition against the field's type (a date that is not a date is refused here,
  with a message at the field, before any request) and turns choice labels into option ids.
- `plan` splits a Filter into what the platform evaluates and what the app evaluates over pages.
- `matches` is the reference evaluation: the app-side filter, and the oracle the tests compare each
  adapter's server-side translation against.

Values of choice fields are option ids as strings; multi-choice values are lists of them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from .errors import ValidationError
from .models import (
    LIST_OPERATORS,
    OPERATOR_LABELS,
    OPERATORS,
    UNARY_OPERATORS,
    Condition,
    FieldSpec,
    FieldType,
    Filter,
    Member,
)

Ordered = TypeVar("Ordered", float, date, str)
_CONDITION = re.compile(r"^\s*(?P<field>[^\s]+)\s+(?P<op>[a-z]+)(?:\s+(?P<value>.*?))?\s*$")
_TRUE = {"true", "yes", "1", "y", "on"}
_FALSE = {"false", "no", "0", "n", "off"}


def parse_condition(text: str) -> Condition:
    """'FIELD OP VALUE' -> Condition; list operators take comma-separated values."""
    found = _CONDITION.match(text)
    if not found:
        raise ValidationError(f"cannot read filter {text!r}: expected 'FIELD OP VALUE'")
    op = found["op"]
    if op not in OPERATORS:
        raise ValidationError(
            f"unknown operator {op!r} in {text!r}; use one of: {', '.join(OPERATORS)}"
        )
    raw = found["value"]
    if op in UNARY_OPERATORS:
        if raw:
            raise ValidationError(f"operator {op!r} ({OPERATOR_LABELS[op]}) takes no value")
        return Condition(found["field"], op, None)
    if raw is None or raw == "":
        raise ValidationError(f"operator {op!r} ({OPERATOR_LABELS[op]}) needs a value")
    raw = raw.strip().strip("'\"") if len(raw) > 1 and raw[0] == raw[-1] in "'\"" else raw
    if op in LIST_OPERATORS:
        return Condition(found["field"], op, [v.strip() for v in raw.split(",") if v.strip()])
    return Condition(found["field"], op, raw)


def parse_date(value: Any) -> date | None:
    """A date from an ISO date or timestamp (platform formats included); None if not one."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().removeprefix("@D:")
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def parse_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    try:
        number = float(str(value).strip().replace(",", "."))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def parse_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


# Spellings of one status across surfaces and platforms: opted_out, "opted out", Opt-out...
_SAME_WORD = {"optedout": "optout", "unsubscribed": "optout", "subscribed": "active"}


def _spelling(text: str) -> str:
    """A label as typed any way: case, spaces, '-' and '_' aside, status synonyms as one."""
    key = re.sub(r"[\s_-]+", "", text.casefold())
    return _SAME_WORD.get(key, key)


def _option_id(spec: FieldSpec, value: Any) -> str:
    text = str(value).strip()
    options = spec.options or {}
    if text in options:
        return text
    for option_id, label in options.items():
        if label.casefold() == text.casefold():
            return option_id
    for option_id, label in options.items():
        if _spelling(label) == _spelling(text):
            return option_id
    choices = ", ".join(f"{label} ({oid})" for oid, label in options.items()) or "none listed"
    raise ValidationError(f"{spec.label}: {text!r} is not one of the options: {choices}")


def coerce(condition: Condition, spec: FieldSpec) -> Condition:
    """The condition with its value checked and normalised for the field's type."""
    op = condition.op
    if op not in spec.operators:
        allowed = ", ".join(sorted(spec.operators))
        raise ValidationError(
            f"{spec.label}: operator {op!r} does not apply to a {spec.type} field "
            f"(use one of: {allowed})"
        )
    if op in UNARY_OPERATORS:
        return Condition(spec.name, op, None)
    values = condition.value if isinstance(condition.value, list | tuple) else [condition.value]
    if op not in LIST_OPERATORS and len(values) != 1:
        raise ValidationError(f"{spec.label}: operator {op!r} takes one value")
    if not values:
        raise ValidationError(f"{spec.label}: operator {op!r} needs at least one value")
    normalised = [_coerce_value(spec, v) for v in values]
    return Condition(spec.name, op, normalised if op in LIST_OPERATORS else normalised[0])


def _coerce_value(spec: FieldSpec, value: Any) -> Any:
    if spec.type is FieldType.NUMBER:
        number = parse_number(value)
        if number is None:
            raise ValidationError(f"{spec.label}: {value!r} is not a number")
        return int(number) if number.is_integer() else number
    if spec.type is FieldType.DATE:
        day = parse_date(value)
        if day is None:
            raise ValidationError(f"{spec.label}: {value!r} is not a date (use YYYY-MM-DD)")
        return day.isoformat()
    if spec.type is FieldType.BOOLEAN:
        flag = parse_bool(value)
        if flag is None:
            raise ValidationError(f"{spec.label}: {value!r} is not yes/no")
        return flag
    if spec.type in (FieldType.CHOICE, FieldType.MULTI):
        return _option_id(spec, value)
    text = str(value)
    if not text:
        raise ValidationError(f"{spec.label}: the value is empty (use 'ie' for 'is empty')")
    return text


def resolve(filter: Filter, fields: Sequence[FieldSpec]) -> Filter:
    """Coerce every condition against the audience's fields (by name or label)."""
    by_name: dict[str, FieldSpec] = {}
    for spec in fields:
        by_name.setdefault(spec.label.casefold(), spec)
    for spec in fields:
        by_name[spec.name.casefold()] = spec
    out = []
    for condition in filter.conditions:
        found = by_name.get(condition.field.casefold())
        if found is None:
            names = ", ".join(s.name for s in fields)
            raise ValidationError(f"unknown field {condition.field!r}; this list has: {names}")
        out.append(coerce(condition, found))
    return Filter(tuple(out), filter.logic)


@dataclass(frozen=True, slots=True)
class FilterPlan:
    """`server` goes to the platform; `local` is evaluated by the app over the pages it returns."""

    server: Filter
    local: Filter
    reasons: tuple[str, ...] = ()

    @property
    def scans(self) -> bool:
        return bool(self.local)


def plan(
    filter: Filter,
    fields: Sequence[FieldSpec],
    server_logic: Iterable[str],
    accepts: Callable[[Condition, FieldSpec], bool] | None = None,
) -> FilterPlan:
    """Split `filter` by what the platform evaluates itself.

    A condition goes to the server when its operator is among the field's server_operators and
    `accepts` (the adapter's say on particular values) agrees. With `and`, each condition goes
    where it can; with `or`, a single app-side condition makes the whole filter app-side (the
    server cannot return a superset otherwise).
    """
    specs = {s.name: s for s in fields}
    local: list[Condition] = []
    server: list[Condition] = []
    reasons: list[str] = []
    for condition in filter.conditions:
        spec = specs.get(condition.field)
        if (
            spec is not None
            and condition.op in spec.server_operators
            and (accepts is None or accepts(condition, spec))
        ):
            server.append(condition)
        else:
            label = spec.label if spec else condition.field
            reasons.append(
                f"{label} {OPERATOR_LABELS.get(condition.op, condition.op)}: "
                "the platform cannot filter on this, so the app checks it page by page"
            )
            local.append(condition)
    logic = filter.logic
    if len(filter.conditions) > 1 and logic not in set(server_logic):
        if server:
            reasons.append(f"the platform cannot combine conditions with '{logic}'")
        return FilterPlan(Filter(), filter, tuple(reasons))
    if logic == "or" and local:
        return FilterPlan(Filter(), filter, tuple(reasons))
    return FilterPlan(Filter(tuple(server), logic), Filter(tuple(local), logic), tuple(reasons))


def plan_note(title: str, split: FilterPlan, fields: Sequence[FieldSpec]) -> str:
    """Who evaluates what, in one or two sentences for the user."""
    if not split.server and not split.local:
        return "No condition: every member of the list is shown."
    if not split.local:
        return f"{title} evaluates this filter itself."
    if not split.server:
        why = f"; {split.reasons[-1]}" if split.reasons and "'or'" in split.reasons[-1] else ""
        return (
            f"{title} cannot evaluate this filter{why}: the app checks every member page by "
            "page (the count is known when the scan ends; x stops it)."
        )
    return (
        f"{title} evaluates {describe(split.server, fields)}; the app checks "
        f"{describe(split.local, fields)} page by page (x stops the scan)."
    )


# --- reference evaluation ---------------------------------------------------------------------
def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple | dict) and len(value) == 0)


def _as_ids(value: Any) -> set[str]:
    if _is_empty(value):
        return set()
    if isinstance(value, list | tuple | set):
        return {str(v) for v in value}
    return {str(value)}


def _compare(field_type: FieldType, actual: Any, op: str, wanted: Any) -> bool:
    if op == "ie":
        return _is_empty(actual)
    if op == "nie":
        return not _is_empty(actual)
    if field_type in (FieldType.CHOICE, FieldType.MULTI):
        have = _as_ids(actual)
        want = _as_ids(wanted)
        if op == "eq":
            return have == want
        if op == "neq":
            return have != want
        if op == "in":
            return bool(have & want)
        if op == "nin":
            return not have & want
        if op == "ina":
            return want <= have
        return False
    if field_type is FieldType.BOOLEAN:
        flag, wanted_flag = parse_bool(actual) if actual is not None else None, parse_bool(wanted)
        return (flag == wanted_flag) if op == "eq" else (flag != wanted_flag)
    if field_type is FieldType.NUMBER:
        return _order(op, parse_number(actual), parse_number(wanted))
    if field_type is FieldType.DATE:
        return _order(op, parse_date(actual), parse_date(wanted))
    text = "" if actual is None else str(actual).casefold()
    part = str(wanted).casefold()
    if op == "sw":
        return text.startswith(part)
    if op == "ew":
        return text.endswith(part)
    if op == "ct":
        return part in text
    if op == "nct":
        return part not in text
    return _order(op, text, part)


def _order(op: str, a: Ordered | None, w: Ordered | None) -> bool:
    """The equality and order operators on two values of one kind (None: not comparable)."""
    if op == "eq":
        return a == w
    if op == "neq":
        return a != w
    if a is None or w is None:
        return False
    if op == "gt":
        return a > w
    if op == "gte":
        return a >= w
    if op == "lt":
        return a < w
    if op == "lte":
        return a <= w
    return False


def matches(filter: Filter, member: Member, types: Mapping[str, FieldType] | None = None) -> bool:
    """Whether `member` satisfies `filter`; `types` gives each field's type (text by default)."""
    if not filter.conditions:
        return True
    types = types or {}
    results = (
        _compare(types.get(c.field, FieldType.TEXT), member.fields.get(c.field), c.op, c.value)
        for c in filter.conditions
    )
    return all(results) if filter.logic == "and" else any(results)


def describe(filter: Filter, fields: Sequence[FieldSpec] = ()) -> str:
    """A readable one-line form of the filter, choice ids shown as labels."""
    specs = {s.name: s for s in fields}
    parts = []
    for c in filter.conditions:
        spec = specs.get(c.field)
        label = spec.label if spec else c.field
        value = c.value
        if spec and spec.options:
            ids = value if isinstance(value, list) else [value]
            value = [spec.options.get(str(v), str(v)) for v in ids if v is not None]
            value = value if c.op in LIST_OPERATORS else (value[0] if value else None)
        if isinstance(value, bool):
            value = "yes" if value else "no"
        if c.op in UNARY_OPERATORS:
            parts.append(f"{label} {OPERATOR_LABELS[c.op]}")
        elif isinstance(value, list):
            parts.append(f"{label} {OPERATOR_LABELS[c.op]} {', '.join(map(str, value))}")
        else:
            parts.append(f"{label} {OPERATOR_LABELS[c.op]} {value}")
    return f" {filter.logic} ".join(parts) or "all members"
