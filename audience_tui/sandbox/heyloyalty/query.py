"""How the Heyloyalty sandbox reads requests: PHP-style bracket parameters and member filters.

`filter[firstname][eq][]=john` arrives as flat pairs; `brackets` nests them as PHP does. `where`
turns the nested filter into SQL over the members table with the seed's semantics: fifteen
operators, `and`/`or`, case-insensitive text, choice fields compared by option id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from ..people import POSITIONAL_EMAIL, email_position

_KEY = re.compile(r"\[([^\]]*)\]")
# Which operators each format accepts: the seed's "applies to" column.
APPLIES_TO: Mapping[str, frozenset[str]] = {
    "text": frozenset({"eq", "neq", "sw", "ew", "ct", "nct", "ie", "nie"}),
    "number": frozenset({"eq", "neq", "gt", "gte", "lt", "lte", "ie", "nie"}),
    "date": frozenset({"eq", "neq", "gt", "gte", "lt", "lte", "ie", "nie"}),
    "boolean": frozenset({"eq", "neq", "ie", "nie"}),
    "choice": frozenset({"eq", "neq", "in", "nin", "ie", "nie"}),
    "multi": frozenset({"in", "nin", "ina", "ie", "nie"}),
}
_LIKE = {"sw": "{}%", "ew": "%{}", "ct": "%{}%", "nct": "%{}%"}
_COMPARE = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


# Either through the index of the other emails or at the position the email names: SQLite
# searches both indexes and joins their rows (its multi-index OR), the same rows as
# `email = ? COLLATE NOCASE` alone.
EMAIL_EQUALS = (
    f"((email = ? COLLATE NOCASE AND NOT ({POSITIONAL_EMAIL})) "
    "OR (position = ? AND email = ? COLLATE NOCASE))"
)


def email_equals(email: str) -> tuple[str, list[Any]]:
    """SQL and arguments for members whose email is `email` (any case): `EMAIL_EQUALS`."""
    return EMAIL_EQUALS, [email, email_position(email), email]


class BadRequest(Exception):
    """A request the platform answers with 400 {"error": message}."""


def brackets(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """PHP's parse_str: `a[b][]=1&a[b][]=2` -> {"a": {"b": ["1", "2"]}}; `a[]` appends."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        path = [head, *_KEY.findall("[" + rest)] if rest else [head]
        node: Any = root
        for depth, part in enumerate(path):
            if depth == len(path) - 1:
                if isinstance(node, list):
                    node.append(value)
                else:
                    node[part] = value
                break
            if isinstance(node, list):  # `a[][b]`: PHP makes a new element; not used here
                break
            appends = path[depth + 1] == ""
            child = node.get(part)
            if not isinstance(child, list if appends else dict):
                child = node[part] = [] if appends else {}
            node = child
    return root


def fold(value: Any) -> str | None:
    """SQL function hl_fold: Unicode case folding (SQLite's own lower() is ASCII-only)."""
    return None if value is None else str(value).casefold()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def typed_value(fmt: str, field: str, value: str) -> Any:
    """A filter value in the column's storage type; 400 when it is not one."""
    text = value.strip()
    try:
        if fmt == "number":
            return float(text.replace(",", "."))
        if fmt == "date":
            return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise BadRequest(
            f"The value '{value}' is not a valid {fmt} for the field {field}"
        ) from None
    if fmt == "boolean":
        flags = {"1": 1, "true": 1, "0": 0, "false": 0}
        if text.lower() not in flags:
            raise BadRequest(f"The value '{value}' is not a valid boolean for the field {field}")
        return flags[text.lower()]
    return text


def _condition(field: str, fmt: str, op: str, values: list[str]) -> list[tuple[str, list[Any]]]:
    """SQL for one field/operator; list operators take the array, others one value each."""
    col = field  # a list field name, checked against the catalogue by the caller
    if op in ("ie", "nie"):
        empty = f"({col} IS NULL OR {col} = '')"
        return [(empty if op == "ie" else f"NOT {empty}", [])]
    if not values:
        raise BadRequest(f"The filter {op} on {field} needs a value")
    if fmt == "multi" or op in ("in", "nin", "ina"):
        ids = [v.strip() for v in values]
        if fmt == "multi":
            tests = [f"coalesce({col}, '') LIKE ? ESCAPE '\\'" for _ in ids]
            args: list[Any] = [f"%,{_escape_like(i)},%" for i in ids]
        else:
            tests, args = [f"coalesce({col}, '') = ?" for _ in ids], list(ids)
        joined = "(" + (" AND " if op == "ina" else " OR ").join(tests) + ")"
        return [(f"NOT {joined}" if op == "nin" else joined, args)]
    out = []
    for raw in values:
        value = typed_value(fmt, field, raw)
        if fmt == "text":
            wanted = fold(value) or ""
            if op in _LIKE:
                test = f"coalesce(hl_fold({col}), '') LIKE ? ESCAPE '\\'"
                out.append((f"NOT {test}" if op == "nct" else test, [
                    _LIKE[op].format(_escape_like(wanted))
                ]))  # fmt: skip
                continue
            # ASCII values compare with NOCASE, which can use the (list_id, email) index; a
            # NULL column makes `eq` NULL, which every and/or combination here treats as false
            equal, args = f"{col} = ? COLLATE NOCASE", [wanted]
            if not wanted.isascii():
                equal = f"hl_fold({col}) = ?"
            elif col == "email":
                equal, args = email_equals(wanted)
            out.append((equal if op == "eq" else f"NOT coalesce({equal}, 0)", args))
        elif op in _COMPARE:
            out.append((f"{col} {_COMPARE[op]} ?", [value]))
        else:
            out.append((f"{col} = ?" if op == "eq" else f"{col} IS NOT ?", [value]))
    return out


def where(filters: Any, logic: str, formats: Mapping[str, str]) -> tuple[str, list[Any]]:
    """SQL condition and arguments for the `filter` parameter, or ('', []) without one."""
    if filters in (None, "", {}):
        return "", []
    if not isinstance(filters, dict):
        raise BadRequest("The filter parameter must be of the form filter[field][operator][]")
    if logic not in ("and", "or"):
        raise BadRequest("The logic parameter must be either 'and' or 'or'")
    parts: list[tuple[str, list[Any]]] = []
    for field, ops in filters.items():
        if field not in formats:
            raise BadRequest(f"The field {field} does not exist on the list")
        if not isinstance(ops, dict):
            raise BadRequest(f"The filter on {field} must name an operator")
        for op, raw in ops.items():
            if op not in APPLIES_TO.get(formats[field], ()):
                raise BadRequest(f"The operator {op} cannot be used on the field {field}")
            values = [v for v in (raw if isinstance(raw, list) else [raw]) if isinstance(v, str)]
            parts += _condition(field, formats[field], op, values)
    sql = f" {logic.upper()} ".join(f"({p})" for p, _ in parts)
    return f"({sql})", [a for _, args in parts for a in args]
