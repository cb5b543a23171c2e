"""Helpers every adapter shares, for answers whose shape is not trusted and emails it sends.

One way to refuse an answer of the wrong shape (`expect`, `InvalidResponseError.unexpected`),
one timestamp reader and one email check, so that the five adapters word their errors alike
and a fix to any of them reaches every platform.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx

from ..core.errors import InvalidResponseError, ValidationError
from ..core.http import json_of

T = TypeVar("T")
# Deliberately permissive (the platforms validate too): one @, no spaces, a dot in the domain.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# An email sent in a URL path: no `/` either, which a server may decode from %2F and route by.
_EMAIL_IN_PATH = re.compile(r"^[^@\s/]+@[^@\s/]+\.[^@\s/]+$")


def object_or_empty(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one (an optional part left out or wrong)."""
    return value if isinstance(value, dict) else {}


def json_or_none(response: httpx.Response) -> Any:
    """The body as JSON, or None when it is not JSON (an error or token answer read leniently)."""
    try:
        return json_of(response)
    except ValueError:
        return None


def expect(value: Any, kind: type[T], *, what: str, request: str, platform: str) -> T:
    """`value` if it is a `kind` (a JSON `true` is no int: a bool passes only where bool is
    asked for), else InvalidResponseError naming `what` and the `request` that answered it."""
    if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
        return value
    raise InvalidResponseError.unexpected(
        f"{what} is {type(value).__name__}, expected {kind.__name__}",
        platform=platform,
        request=request,
    )


def parse_timestamp(value: Any, *, zoneless_is_utc: bool = False) -> datetime | None:
    """An ISO-8601 timestamp (`Z`, an offset, or a space between date and time) as a datetime;
    None when absent or unreadable. A time without a zone stays naive (shown as "no zone
    stated") unless the platform documents its times as UTC (`zoneless_is_utc`)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if zoneless_is_utc and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def checked_email(email: str, *, platform: str, in_path: bool = False) -> str:
    """The email trimmed, or ValidationError saying it is not one; `in_path`: the adapter puts
    it in a URL path, where a `/` is refused too."""
    email = email.strip()
    if not (_EMAIL_IN_PATH if in_path else _EMAIL).match(email):
        raise ValidationError(f"{email!r} is not an email address", platform=platform)
    return email
