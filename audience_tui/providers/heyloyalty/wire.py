"""Heyloyalty's wire format: the HMAC-signed Basic auth, filter parameters, and document parsing.

Kept apart from the adapter so the sandbox verifies signatures with the same `signature()` the
client computes (the dossier's test vector pins it), and so the parsers can be tested on the
seed's own example payloads. A scan that counts one field reads pages through a `projection`:
a typed decoder that skips the other ~20 keys of each member, and partial members.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import lru_cache
from operator import attrgetter
from types import MappingProxyType
from typing import Any

import httpx
import msgspec

from ...core.errors import InvalidResponseError, UnsupportedError
from ...core.models import (
    LIST_OPERATORS,
    OPERATORS_BY_TYPE,
    UNARY_OPERATORS,
    Audience,
    Column,
    FieldSpec,
    FieldType,
    Filter,
    Member,
    MemberStatus,
)
from ...core.platforms import title as platform_title
from ..wire import parse_timestamp

PLATFORM = platform_title("heyloyalty")

# Heyloyalty's field formats; the operators it evaluates per format are the seed's "applies to"
# column, which is exactly core's OPERATORS_BY_TYPE (that table was taken from this page).
FORMATS: Mapping[str, FieldType] = {
    "text": FieldType.TEXT,
    "number": FieldType.NUMBER,
    "date": FieldType.DATE,
    "boolean": FieldType.BOOLEAN,
    "choice": FieldType.CHOICE,
    "multi": FieldType.MULTI,
}
# status.status words -> our scale; "removed" is the name of the view unsubscribed members are in.
STATUSES: Mapping[str, MemberStatus] = {
    "active": MemberStatus.ACTIVE,
    "unsubscribed": MemberStatus.OPTED_OUT,
    "removed": MemberStatus.OPTED_OUT,
    "temporary": MemberStatus.PENDING,
    "deleted": MemberStatus.DELETED,
}
# The `show` parameter for each status view the platform lists.
SHOW: Mapping[MemberStatus, str] = {
    MemberStatus.ACTIVE: "active",
    MemberStatus.OPTED_OUT: "removed",
    MemberStatus.PENDING: "temporary",
}
# Top-level keys of a member document that are bookkeeping, not list fields.
SYSTEM_KEYS = frozenset((
    "id", "status", "opt_in", "opt_in_date", "sent_mail", "sent_sms", "sent_push", "open_count",
    "open_count_push", "open_rate", "click_count", "click_rate", "imported", "created_at",
    "updated_at", "created_by", "created_from", "updated_from", "deleted_from", "inSegment",
    "unsubscribed_at", "system_fields", "reference_from", "moved_at", "moved_from", "vouchers",
    "fields",
))  # fmt: skip
_MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$")


# --- authentication ---------------------------------------------------------------------------
def request_timestamp(now: datetime | None = None) -> str:
    """RFC-1123 GMT, as PHP's gmdate("D, d M Y H:i:s") . ' GMT' writes it."""
    return format_datetime((now or datetime.now(UTC)).astimezone(UTC), usegmt=True)


def signature(secret: str, timestamp: str) -> str:
    """base64 of the lower-case hex HMAC-SHA256 of the timestamp (hex text, not the raw digest)."""
    digest = hmac.new(secret.encode(), timestamp.encode(), hashlib.sha256).hexdigest()
    return base64.b64encode(digest.encode()).decode()


def authorization(api_key: str, secret: str, timestamp: str) -> str:
    pair = f"{api_key}:{signature(secret, timestamp)}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


class HeyloyaltyAuth(httpx.Auth):
    """Signs every request with a fresh timestamp (a retried request is signed again)."""

    def __init__(self, api_key: str, secret: str, clock: Callable[[], datetime] | None = None):
        self._key = api_key
        self._secret = secret
        self._clock = clock or (lambda: datetime.now(UTC))

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        timestamp = request_timestamp(self._clock())
        request.headers["X-Request-Timestamp"] = timestamp
        request.headers["Authorization"] = authorization(self._key, self._secret, timestamp)
        yield request


# --- requests ---------------------------------------------------------------------------------
def _wire_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def filter_params(filter: Filter) -> list[tuple[str, str]]:
    """`filter[field][op][]=value` pairs plus `logic`.

    Heyloyalty reads the values of one field and operator as one array: for list operators that
    array is the condition's set, for the others each value is a condition of its own. Two list
    conditions on the same field and operator would merge into one, so they are refused.
    """
    params: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for condition in filter.conditions:
        key = f"filter[{condition.field}][{condition.op}][]"
        if condition.op in UNARY_OPERATORS:
            if (condition.field, condition.op) not in seen:
                params.append((key, ""))
        elif condition.op in LIST_OPERATORS:
            if (condition.field, condition.op) in seen:
                raise UnsupportedError(
                    f"Heyloyalty takes one value list per field and operator; combine the "
                    f"'{condition.op}' conditions on {condition.field} into one",
                    platform=PLATFORM,
                )
            values = condition.value if isinstance(condition.value, list | tuple) else []
            params += [(key, _wire_value(v)) for v in values]
        else:
            params.append((key, _wire_value(condition.value)))
        seen.add((condition.field, condition.op))
    if params:
        params.append(("logic", filter.logic))
    return params


# --- responses --------------------------------------------------------------------------------
def parse_lists(doc: Any, label: str = "GET /loyalty/v1/lists") -> list[Audience]:
    """GET /lists: a bare array of lists with their member counts."""
    if not isinstance(doc, list):
        raise InvalidResponseError.unexpected(
            "expected an array of lists", platform=PLATFORM, request=label
        )
    out = []
    for item in doc:
        if not isinstance(item, dict) or item.get("id") is None:
            raise InvalidResponseError.unexpected(
                "a list without an id", platform=PLATFORM, request=label
            )
        count = item.get("members")
        extra = {k: item[k] for k in ("created_at", "open_rate", "click_rate") if k in item}
        out.append(
            Audience(
                id=str(item["id"]),
                name=str(item.get("name") or f"List {item['id']}"),
                member_count=count if isinstance(count, int) else None,
                kind="list",
                extra=extra,
            )
        )
    return out


def parse_fields(doc: Any, label: str) -> list[FieldSpec]:
    """GET /lists/{id}: the `fields` map; unknown formats (password) are shown as plain text."""
    fields = doc.get("fields") if isinstance(doc, dict) else None
    if not isinstance(fields, dict):
        raise InvalidResponseError.unexpected(
            "the list has no 'fields' map", platform=PLATFORM, request=label
        )
    specs = []
    for name, spec in fields.items():
        if not isinstance(spec, dict):
            raise InvalidResponseError.unexpected(
                f"field {name!r} is not an object", platform=PLATFORM, request=label
            )
        kind = FORMATS.get(str(spec.get("format")))
        options = spec.get("options")
        specs.append(
            FieldSpec(
                name=str(spec.get("name") or name),
                label=str(spec.get("label") or name),
                type=kind or FieldType.TEXT,
                options={str(k): str(v) for k, v in options.items()}
                if isinstance(options, dict)
                else None,
                server_operators=OPERATORS_BY_TYPE[kind] if kind else frozenset(),
                sortable=True,
                builtin=spec.get("type") != "custom",
            )
        )
    return specs


class Option(msgspec.Struct, gc=False):
    """A {value, id} choice as a projected page decodes it: the id only (see `projection`)."""

    id: Any = None


def _option_id(value: Any) -> Any:
    """A choice value in either shape ({value, id} or a bare id) as the option id text."""
    if isinstance(value, dict):
        value = value.get("id")
    elif isinstance(value, Option):
        value = value.id
    return None if value is None or value == "" else str(value)


def field_value(value: Any, fmt: str | None = None) -> Any:
    """One field value flattened: choice -> id text, multi -> list of id texts, dates trimmed.

    Without a format (the listing shape) the value's own shape tells: {value, id} is a choice.
    """
    if fmt == "multi" or isinstance(value, list):
        items = value if isinstance(value, list) else []
        return [i for i in map(_option_id, items) if i is not None]
    if fmt == "choice" or isinstance(value, dict | Option):
        return _option_id(value)
    if isinstance(value, str) and value.endswith(" 00:00:00"):  # the regex only where it may match
        found = _MIDNIGHT.match(value)
        return found[1] if found else value
    return value


def parse_member(
    doc: Any, label: str, audience_id: str, view: MemberStatus, *, keep_raw: bool = True
) -> Member:
    """A member in the listing shape (values at top level) or the detail shape (`fields`).

    `view` is the status view it was read from, used when the status word is one we do not know.
    `keep_raw` False: `Member.raw` is left empty (see `PageRequest.raw`): a decoded document is
    most of a member's memory, and 5,000 of them a page, several pages in flight.
    """
    if not isinstance(doc, dict):
        raise InvalidResponseError.unexpected(
            "a member without an id", platform=PLATFORM, request=label
        )
    fields = _detail_fields(doc.get("fields"))
    if fields is None:
        fields = {str(k): field_value(v) for k, v in doc.items() if k not in SYSTEM_KEYS}
    state = doc.get("status")
    return _member(doc.get("id"), state, fields, label, audience_id, view, doc, keep_raw=keep_raw)


def _detail_fields(detail: Any, only: Iterable[str] | None = None) -> dict[str, Any] | None:
    """The detail shape's `fields` map flattened (those named in `only`), None if absent."""
    if not isinstance(detail, dict):
        return None
    names = detail.keys() if only is None else [name for name in only if name in detail]
    return {
        str(name): field_value(value.get("value"), value.get("format"))
        if isinstance(value := detail[name], dict)
        else None
        for name in names
    }


def _member(
    member_id: Any,
    state: Any,
    fields: dict[str, Any],
    label: str,
    audience_id: str,
    view: MemberStatus,
    raw: Mapping[str, Any],
    *,
    keep_raw: bool = True,
) -> Member:
    """The member; its dates read from `raw`, which it keeps as `Member.raw` if `keep_raw`."""
    if not isinstance(member_id, str | int):
        raise InvalidResponseError.unexpected(
            "a member without an id", platform=PLATFORM, request=label
        )
    if isinstance(state, dict):
        word, channel = str(state.get("status") or ""), state.get("email")
    else:
        word, channel = str(state or ""), None
    email = fields.get("email")
    return Member(
        id=str(member_id),
        email=str(email) if email else None,
        status=STATUSES.get(word, view),
        audience_id=audience_id,
        name=_name(fields.get("firstname"), fields.get("lastname")),
        platform_status=f"{word} (email: {channel})" if channel else word,
        created_at=parse_timestamp(raw.get("created_at")) if raw else None,
        updated_at=parse_timestamp(raw.get("updated_at")) if raw else None,
        fields=fields,
        raw=raw if keep_raw else _PARTIAL,
    )


def _name(first: Any, last: Any) -> str | None:
    if first and last:
        return f"{first} {last}"
    return str(first or last) if first or last else None


def parse_page(
    doc: Any, label: str, audience_id: str, view: MemberStatus, *, keep_raw: bool = True
) -> tuple[list[Member], int | None]:
    """`{"page","per_page","total","members":[...]}` -> (members, total); `keep_raw` as for
    `parse_member`."""
    if not isinstance(doc, dict) or not isinstance(doc.get("members"), list):
        raise InvalidResponseError.unexpected(
            "expected an object with a 'members' array", platform=PLATFORM, request=label
        )
    members = [parse_member(m, label, audience_id, view, keep_raw=keep_raw) for m in doc["members"]]
    return members, _total(doc.get("total"))


def _total(total: Any) -> int | None:
    return total if isinstance(total, int) and not isinstance(total, bool) else None


# A listing value as a projected page decodes it: objects ({value, id} choices) as Option, which
# skips the label. A value outside this type (a list in a list) fails the typed decode, and the
# page is then parsed whole.
_Scalar = str | int | float | bool | None
ProjectedValue = list[Option | _Scalar] | Option | _Scalar
_PARTIAL: Mapping[str, Any] = MappingProxyType({})  # a projected member's `raw`: none kept


@dataclass(frozen=True, slots=True)
class Projection:
    """How to read a listing page for a scan that needs only some fields: `decoder` keeps, of
    each member, the id, the status and those fields (`names`, email always among them) and
    skips every other key of the ~25 a member has; `parse_projected_page` makes the members."""

    decoder: msgspec.json.Decoder[Any]
    page: type  # what `decoder` makes of a page of the expected shape
    names: tuple[str, ...]


@lru_cache(maxsize=32)
def projection(fields: frozenset[str]) -> Projection:
    # A field named like a bookkeeping key is never a list field (parse_member skips those).
    names = tuple(sorted((fields | {"email"}) - SYSTEM_KEYS))
    unset = msgspec.UNSET
    values = [
        (f"f{i}", ProjectedValue, msgspec.field(default=unset, name=name))
        for i, name in enumerate(names)
    ]
    # Decoded JSON holds no reference cycles: the members need not be tracked by the collector,
    # which 100k scanned members would otherwise run often.
    member = msgspec.defstruct(
        "ProjectedMember",
        [("id", Any, None), ("status", Any, None), ("fields", Any, unset), *values],
        gc=False,
    )
    page = msgspec.defstruct(
        "ProjectedPage",
        [("members", list[member]), ("total", Any, None)],  # type: ignore[valid-type]
    )
    return Projection(msgspec.json.Decoder(page), page, names)


def parse_projected_page(
    page: Any, projected: Projection, label: str, audience_id: str, view: MemberStatus
) -> tuple[list[Member], int | None]:
    """A page read by `projected.decoder` -> (partial members, total), as `parse_page` would
    make them with only the projected fields (no name, dates or raw document)."""
    names, unset = projected.names, msgspec.UNSET
    members: list[Member] = []
    astuple, append = msgspec.structs.astuple, members.append  # 100k times: looked up once
    for member in page.members:
        values = astuple(member)  # id, status, fields, then the projected names' values
        fields = None if values[2] is unset else _detail_fields(values[2], names)
        if fields is None:
            fields = {}
            for name, value in zip(names, values[3:], strict=True):
                if value is not unset:
                    fields[name] = field_value(value)
        append(_member(values[0], values[1], fields, label, audience_id, view, _PARTIAL))
    return members, _total(page.total)


_NULL = msgspec.Raw(b"null")
_FIELDS, _VALUE = attrgetter("fields"), attrgetter("value")


@lru_cache(maxsize=32)
def column_decoder(name: str) -> tuple[msgspec.json.Decoder[Any], type]:
    """How to read a listing page for one field's column: of each member that field's value,
    kept as its raw JSON (`null` where it is missing), its id (the first member's tells a page
    answered again), and the detail shape's `fields` if it has them; every other key of the ~25
    a member has is skipped. Returns the decoder and the page type it makes."""
    unset = msgspec.UNSET
    member = msgspec.defstruct(
        "ColumnMember",
        [
            ("id", Any, None),
            ("fields", Any, unset),
            ("value", msgspec.Raw, msgspec.field(default=_NULL, name=name)),
        ],
        gc=False,
    )
    page = msgspec.defstruct(
        "ColumnPage",
        [("members", list[member]), ("total", Any, None)],  # type: ignore[valid-type]
    )
    return msgspec.json.Decoder(page), page


def parse_column(page: Any, name: str) -> Column:
    """A page read by `column_decoder(name)` -> its column: what `parse_page` puts in each
    member's fields under `name`, with each different raw value decoded and flattened once.

    The members of a listing page are counted by their raw values in C (map, Counter): a scan
    reads 5,000 a page, and a Python loop over them cost more than decoding the page."""
    members = page.members
    shapes = list(map(_FIELDS, members))
    listed: Iterable[msgspec.Raw] = map(_VALUE, members)
    detailed: list[Any] = []
    if shapes.count(msgspec.UNSET) != len(members):  # some in the detail shape (`fields`)
        pairs = list(zip(members, shapes, strict=True))
        listed = [member.value for member, shape in pairs if not isinstance(shape, dict)]
        detailed = [
            (_detail_fields(s, (name,)) or {}).get(name) for _, s in pairs if isinstance(s, dict)
        ]
    raws = Counter(map(bytes, listed))
    values = [field_value(msgspec.json.decode(raw)) for raw in raws]
    first = str(members[0].id) if members and members[0].id is not None else None
    return Column.of(
        [*values, *detailed],
        [*raws.values(), *[1] * len(detailed)],
        total=_total(page.total),
        first=first,
    )
