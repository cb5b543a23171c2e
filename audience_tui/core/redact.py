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
_KEY = (
    r"(?i)(?:authorization|x-client-authorization|x-ownpage-client-token|access_token|"
    r"refresh_token|client_secret|password|api[_-]?secret|private[_-]?key)"
)
_SCHEME = r"(?:(?:bearer|basic)\s+)?"
_FIELD = re.compile(
    _KEY + r"""\\?["']?\s*[:=]\s*(?:"""
    # inside a JSON string (\"...\"): its escaped quotes and backslashes are \\\" and \\\\
    + rf'\\"{_SCHEME}(?P<escaped>(?:\\\\\\\\|\\\\\\"|(?!\\")[\s\S])*)'
    + rf'|"{_SCHEME}(?P<double>(?:\\[\s\S]|[^"\\])*)'  # to the closing quote, past escapes
    + rf"|'{_SCHEME}(?P<single>(?:\\[\s\S]|[^'\\])*)"
    + rf"""|{_SCHEME}(?P<bare>[^\s"',&}}]+))"""
)
_BLOB = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")
_BASIC = re.compile(r"(?i)\bbasic\s+([A-Za-z0-9+/]{8,}={0,2})")


def _echoed(secret: str) -> set[str]:
    """`secret` as it may come back inside a JSON body (once or twice encoded) or a URL."""
    once = json.dumps(secret)[1:-1]
    return {secret, once, json.dumps(once)[1:-1], quote(secret, safe="")}


def register_secret(value: str | None) -> None:
    """Remember a secret so that `redact` masks it from now on, in this process."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _lock:
            _secrets.update(_echoed(value))


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
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    if known:  # a blob holding a secret: Basic's base64(user:secret), a base64 token
        text = _BLOB.sub(
            lambda m: MASK if any(s in _decoded(m.group()) for s in known) else m.group(), text
        )
    text = _BASIC.sub(_mask_basic, text)
    return _FIELD.sub(_mask_field, text)
