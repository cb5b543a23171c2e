"""Keep secrets out of every text the app writes: errors, logs, audit records, exports.

Secrets are registered when an account's credentials are loaded; `redact` replaces each registered
value (and the usual credential-bearing header shapes) wherever it appears.
"""

from __future__ import annotations

import re
import threading

MASK = "***"
_MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words
_lock = threading.Lock()
_secrets: set[str] = set()
_HEADER_PATTERN = re.compile(
    r"(?i)(authorization|x-client-authorization|x-ownpage-client-token|access_token|"
    r"refresh_token|client_secret|password|api[_-]?secret|private[_-]?key)"
    r"(\"?\s*[:=]\s*\"?)(bearer\s+|basic\s+)?([^\s\"',&}]+)"
)


def register_secret(value: str | None) -> None:
    """Remember a secret so that `redact` masks it from now on, in this process."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """`text` with every registered secret and credential-looking header value masked."""
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    return _HEADER_PATTERN.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3) or ''}{MASK}", text)
