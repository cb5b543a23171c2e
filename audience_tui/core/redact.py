"""Keep secrets out of every text the app writes: errors, logs, audit records, exports.

Secrets are registered when an account's credentials are loaded; `redact` masks each registered
value wherever it appears, also as a server would echo it back (JSON- or URL-escaped, or inside a
base64 blob such as HTTP Basic's `base64(user:secret)`), and the value of every credential-looking
field: to its closing quote when it is quoted (a secret may contain a quote), else to the next
blank or separator.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from urllib.parse import quote

MASK = "***"
_MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words
_lock = threading.Lock()
_secrets: set[str] = set()
_fragments: set[str] = set()  # what any base64 blob holding a registered secret must contain
_MIN_FRAGMENT = 6  # shorter would match inside ordinary blobs (ids, hashes)
_URLSAFE = str.maketrans("+/", "-_")
_KEY = (
    r"(?i)(?:authorization|x-client-authorization|x-ownpage-client-token|access_token|"
    r"refresh_token|client_secret|password|api[_-]?secret|private[_-]?key)"
)
_SCHEME = r"(?:(?:bearer|basic)\s+)?"
_FIELD = re.compile(
    _KEY
    + r"""\\?["']?\s*[:=]\s*(?:"""
    # inside a JSON string (\"...\"): its escaped quotes and backslashes are \\\" and \\\\
    + rf'\\"{_SCHEME}(?P<escaped>(?:\\\\\\\\|\\\\\\"|(?!\\")[\s\S])*)'
    + rf'|"{_SCHEME}(?P<double>(?:\\[\s\S]|[^"\\])*)'  # to the closing quote, past escapes
    + rf"|'{_SCHEME}(?P<single>(?:\\[\s\S]|[^'\\])*)"
    + rf"""|{_SCHEME}(?P<bare>[^\s"',&}}]+))"""
)
_FIELD_WORDS = ("authorization", "token", "secret", "password", "private")  # in every _KEY
_BLOB = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")
_BASIC = re.compile(r"(?i)\bbasic\s+([A-Za-z0-9+/]{8,}={0,2})")


def _echoed(secret: str) -> set[str]:
    """`secret` as it may come back inside a JSON body (once or twice encoded) or a URL."""
    once = json.dumps(secret)[1:-1]
    return {secret, once, json.dumps(once)[1:-1], quote(secret, safe="")}


def _base64_fragments(secret: str) -> set[str]:
    """The base64 characters that encode `secret` alone, at each of the three byte alignments
    it can have inside a blob (`user:secret` puts it anywhere), in both alphabets: a blob that
    holds the secret contains one of them, so no blob needs decoding to be checked."""
    data, found = secret.encode(), set()
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + data).decode()
        first, end = -(-8 * offset // 6), 8 * (offset + len(data)) // 6  # whole secret bits
        if end - first >= _MIN_FRAGMENT:
            found |= {encoded[first:end], encoded[first:end].translate(_URLSAFE)}
    return found


def register_secret(value: str | None) -> None:
    """Remember a secret so that `redact` masks it from now on, in this process."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _lock:
            _secrets.update(_echoed(value))
            _fragments.update(_base64_fragments(value))


def _decoded(blob: str) -> str:
    """The text inside a base64 (or base64url) blob, or "" if it is not one."""
    padded = blob.rstrip("=") + "=" * (-len(blob.rstrip("=")) % 4)
    try:
        data = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return ""
    return data.decode("utf-8", "ignore")


def _mask_field(match: re.Match[str]) -> str:
    name = next(n for n in ("escaped", "double", "single", "bare") if match.group(n) is not None)
    start, end = match.span(name)
    whole = match.group(0)
    return whole[: start - match.start()] + MASK + whole[end - match.start() :]


def _mask_basic(match: re.Match[str]) -> str:
    """HTTP Basic credentials (`Basic base64(user:secret)`) wherever they are echoed."""
    if ":" not in _decoded(match.group(1)):
        return match.group()  # "Basic membership" and the like
    return match.group()[: match.start(1) - match.start()] + MASK


def redact(text: str) -> str:
    """`text` with every registered secret and credential-looking value masked."""
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
        fragments = list(_fragments)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    if inside := [f for f in fragments if f in text]:  # a blob holding a secret: Basic's
        text = _BLOB.sub(  # base64(user:secret), a base64 token
            lambda m: MASK if any(f in m.group() for f in inside) else m.group(), text
        )
    lower = text.lower()  # the patterns run only where they can match: a big body is common
    if "basic" in lower:
        text = _BASIC.sub(_mask_basic, text)
    if any(word in lower for word in _FIELD_WORDS):
        text = _FIELD.sub(_mask_field, text)
    return text
