"""Ownpage documents -> core models, read defensively (a wrong shape is InvalidResponseError).

Subscribers are bare JSON objects: `email`, `guid`, `subscribed`, dates, `unsubscribed_cause`,
send/open/click counters and any number of publisher-defined `data_*` attributes. Member values
are untrusted: only their type is checked here; the display layer sanitises them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from ...core.errors import InvalidResponseError
from ...core.filters import parse_bool, parse_number
from ...core.models import FieldSpec, FieldType, ImportRowError, Member, MemberStatus
from ...core.platforms import title as platform_title
from ..wire import expect, parse_timestamp

PLATFORM = platform_title("ownpage")

CAUSES: Mapping[str, str] = {
    "READER": "Reader (clicked unsubscribe)",
    "PUBLISHER": "Publisher (API or dashboard)",
    "HARD_BOUNCE": "Hard bounce (invalid address)",
    "MULTIPLE_BOUNCES": "Multiple bounces (3 in a row)",
}
DATE_FIELDS = ("subscribed_at", "unsubscribed_at", "last_sent_at", "last_open_at", "last_click_at")
COUNT_FIELDS = ("send_count", "open_count", "click_count")

BUILTIN_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("email", "Email", server_operators=frozenset({"ct", "eq"})),
    FieldSpec("guid", "GUID"),
    FieldSpec("subscribed", "Subscribed", FieldType.BOOLEAN, aggregatable=True),
    FieldSpec("subscribed_at", "Subscribed at", FieldType.DATE),
    FieldSpec("unsubscribed_at", "Unsubscribed at", FieldType.DATE),
    FieldSpec(
        "unsubscribed_cause", "Unsubscribe cause", FieldType.CHOICE, CAUSES, aggregatable=True
    ),
    FieldSpec("last_sent_at", "Last sent", FieldType.DATE),
    FieldSpec("last_open_at", "Last open", FieldType.DATE),
    FieldSpec("last_click_at", "Last click", FieldType.DATE),
    FieldSpec("send_count", "Emails sent", FieldType.NUMBER),
    FieldSpec("open_count", "Emails opened", FieldType.NUMBER),
    FieldSpec("click_count", "Emails clicked", FieldType.NUMBER),
)


def data_fields(documents: list[dict[str, Any]]) -> list[FieldSpec]:
    """The `data_*` attributes seen in `documents`, in order of appearance, typed by value."""
    seen: dict[str, FieldType] = {}
    for doc in documents:
        for key, value in doc.items():
            if not key.startswith("data_") or value is None:
                continue
            kind = _value_type(value)
            seen[key] = kind if seen.get(key, kind) == kind else FieldType.TEXT
    return [
        FieldSpec(
            key, key.removeprefix("data_").replace("_", " ").capitalize(), kind, builtin=False
        )
        for key, kind in seen.items()
    ]


def _label(key: str) -> str:
    """data_sport_favori -> "Sport favori"."""
    return key.removeprefix("data_").replace("_", " ").capitalize()


def _value_type(value: Any) -> FieldType:
    if isinstance(value, bool):
        return FieldType.BOOLEAN
    if isinstance(value, int | float):
        return FieldType.NUMBER
    return FieldType.TEXT


def documents(body: Any, label: str) -> list[dict[str, Any]]:
    """A subscribers answer: a JSON array of objects that each carry a string email."""
    docs: list[dict[str, Any]] = expect(
        body, list, what="the subscribers answer", request=label, platform=PLATFORM
    )
    for position, doc in enumerate(docs):
        if not isinstance(doc, dict) or not isinstance(doc.get("email"), str):
            raise InvalidResponseError.unexpected(
                f"subscriber #{position + 1} is not an object with an email",
                platform=PLATFORM,
                request=label,
            )
    return docs


def member(doc: dict[str, Any], audience_id: str) -> Member:
    """One subscriber of one list; the email is the id (Ownpage keys its upserts by email)."""
    fields: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False)
        fields[key] = value
    subscribed = fields["subscribed"] = parse_bool(doc.get("subscribed"))
    for key in COUNT_FIELDS:
        number = parse_number(doc.get(key))
        fields[key] = int(number) if number is not None and number.is_integer() else number
    for key in (*DATE_FIELDS, "guid", "unsubscribed_cause"):
        value = fields.get(key)
        fields[key] = value if isinstance(value, str) and value else None
    cause = fields["unsubscribed_cause"]
    opted_out = subscribed is False
    platform_status = "subscribed" if not opted_out else f"unsubscribed ({cause or 'no cause'})"
    names = (fields.get("data_firstname"), fields.get("data_lastname"))
    name = " ".join(str(n) for n in names if isinstance(n, str | int) and str(n)) or None
    return Member(
        id=doc["email"],
        email=doc["email"],
        status=MemberStatus.OPTED_OUT if opted_out else MemberStatus.ACTIVE,
        audience_id=audience_id,
        name=name,
        platform_status=platform_status,
        created_at=parse_timestamp(fields["subscribed_at"]),
        fields=fields,
        raw=doc,
    )


@dataclass(frozen=True, slots=True)
class Counts:
    """GET .../subscribers/count: subscribed, unsubscribed, and unsubscribed by cause."""

    subscribed: int
    unsubscribed: int
    causes: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.subscribed + self.unsubscribed

    def for_status(self, status: str) -> int:
        """The count matching a subscribers `status` view (subscribed, unsubscribed, all)."""
        return {"subscribed": self.subscribed, "unsubscribed": self.unsubscribed}.get(
            status, self.total
        )


def counts(body: Any, label: str) -> Counts:
    body = expect(body, dict, what="the counts answer", request=label, platform=PLATFORM)
    subscribed, unsubscribed = body.get("subscribed"), body.get("unsubscribed")
    if not _is_count(subscribed) or not _is_count(unsubscribed):
        raise InvalidResponseError.unexpected(
            "the counts object lacks whole 'subscribed' / 'unsubscribed' numbers",
            platform=PLATFORM,
            request=label,
        )
    raw_causes = body.get("cause") or {}
    if not isinstance(raw_causes, dict) or not all(map(_is_count, raw_causes.values())):
        raise InvalidResponseError.unexpected(
            "'cause' is not an object of counts", platform=PLATFORM, request=label
        )
    return Counts(subscribed, unsubscribed, {str(k): v for k, v in raw_causes.items()})


def _is_count(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@dataclass(frozen=True, slots=True)
class Summary:
    """The synchronous answer of the upsert endpoint, with its errors as row errors."""

    created: int = 0
    subscribed: int = 0
    unsubscribed: int = 0
    data_changed: int = 0
    duplicates: int = 0
    row_errors: tuple[ImportRowError, ...] = ()

    def __add__(self, other: Summary) -> Summary:
        return Summary(
            self.created + other.created,
            self.subscribed + other.subscribed,
            self.unsubscribed + other.unsubscribed,
            self.data_changed + other.data_changed,
            self.duplicates + other.duplicates,
            self.row_errors + other.row_errors,
        )


def summary(body: Any, first_row: int, label: str) -> Summary:
    """Parse an upsert summary; `first_row` numbers the chunk's rows (1-based) in row errors."""
    body = expect(body, dict, what="the upsert summary", request=label, platform=PLATFORM)

    def number(key: str) -> int:
        value = body.get(key, 0)
        if not _is_count(value):
            raise InvalidResponseError.unexpected(
                f"{key!r} in the upsert summary is not a count", platform=PLATFORM, request=label
            )
        return value

    errors = expect(
        body.get("errors") or [], list, what="its errors", request=label, platform=PLATFORM
    )
    return Summary(
        created=number("nb_created"),
        subscribed=number("nb_subscribed"),
        unsubscribed=number("nb_unsubscribed"),
        data_changed=number("nb_data_changed"),
        duplicates=number("duplicate_emails_count") + number("duplicate_guid_count"),
        row_errors=tuple(_row_error(item, first_row) for item in errors),
    )


def _row_error(item: Any, first_row: int) -> ImportRowError:
    """An error item: Ownpage's format is unpublished, so objects and plain strings are read."""
    if not isinstance(item, dict):
        return ImportRowError(row="?", message=str(item))
    index = item.get("index")
    email = item.get("email")
    if isinstance(index, int) and not isinstance(index, bool):
        row = f"row {first_row + index}"
    else:
        row = str(email) if email else "?"
    message = str(item.get("cause") or item.get("message") or json.dumps(item))
    if email and row != email:
        message = f"{message}: {email}"
    return ImportRowError(row=row, message=message)
