"""One sanitiser for every value that came from an API before it reaches a terminal.

Member names, emails and custom fields are untrusted: an ESC byte would reach the terminal and a
`[` would be parsed as markup. The UI renders the result as plain Text/Content (never markup); this
module removes what even plain text would let through: control characters, C1 codes and
bidirectional overrides that could reorder what the user reads.
"""

from __future__ import annotations

import re
from typing import Any

REPLACEMENT = "\ufffd"
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(value: Any) -> str:
    """Printable text for any value: None becomes "", tabs become spaces, controls become U+FFFD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = value if isinstance(value, str) else str(value)
    return _CONTROL.sub(REPLACEMENT, text.replace("\t", " "))


def one_line(value: Any, width: int | None = None) -> str:
    """`clean` value cut to `width` cells' worth of characters with an ellipsis."""
    text = clean(value)
    if width is not None and len(text) > width:
        return text[: max(width - 1, 0)] + "…"
    return text
