"""Heyloyalty's request signature, checked as the platform documents it (providers/heyloyalty.md,
"Authentication"), written here from the dossier and not taken from the client, so that a client
misreading the scheme fails against the sandbox instead of agreeing with itself.

Every request carries `X-Request-Timestamp` and `Authorization: Basic base64(key:signature)` where
signature = base64(lower-case hex text of HMAC-SHA256(secret, the timestamp exactly as sent)).
The documents give the timestamp as RFC-1123 GMT (`Fri, 24 May 2013 13:16:26 GMT`); the official
Node client and the NaviPartner client send ISO-8601 (`2024-01-01T12:00:00.000Z`), so both are
accepted. A header that is neither is refused: a server that signs "whatever was sent" still
needs a timestamp there.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime


def timestamp_accepted(value: str) -> bool:
    """Whether `value` is an RFC-1123 GMT date or an ISO-8601 date-time with a zone."""
    if value.endswith(" GMT"):
        try:
            parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return False
        return True
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return "T" in value and parsed.tzinfo is not None


def expected_signature(secret: str, timestamp: str) -> bytes:
    """The signature the platform computes: base64 of the hex digest's text (88 characters)."""
    hex_text = hmac.new(secret.encode(), timestamp.encode(), hashlib.sha256).hexdigest()
    return base64.b64encode(hex_text.encode("ascii"))


def signed_by(headers: Mapping[str, str], api_key: str, secret: str) -> bool:
    """Whether a request's headers (lower-case names) carry a valid signature for this key."""
    timestamp = headers.get("x-request-timestamp") or ""
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    if not timestamp_accepted(timestamp) or scheme.lower() != "basic":
        return False
    try:
        key, _, sent = base64.b64decode(token, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    key_ok = hmac.compare_digest(key.encode(), api_key.encode())
    return hmac.compare_digest(sent.encode(), expected_signature(secret, timestamp)) and key_ok
