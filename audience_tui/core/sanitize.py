"""One sanitiser for every value that came from an API before it reaches a terminal or a file.

Member names, emails, custom fields, field names and error bodies are untrusted: an ESC byte would
reach the terminal and a `[` would be parsed as markup. The UI renders the result as plain
Text/Content (never markup); this module removes what even plain text would let through: control
characters, C1 codes, bidirectional overrides that could reorder what the user reads, and lone
surrogates (a JSON `\\ud800` escape decodes to one; no UTF-8 stream can write it, so printing or
saving it would fail on the whole list, or on the opt-out of the member carrying it).
"""

from __future__ import annotations

import json
import re
from typing import Any

REPLACEMENT = "\ufffd"
_CONTROLS = r"\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_CONTROL = re.compile(f"[{_CONTROLS}]")
_CHANGED = re.compile(f"[\t{_CONTROLS}]")  # what `clean` changes in a text
_BATCH = 2048  # texts searched at once: a page's text (megabytes) is not copied whole
# JSON escapes C0 controls itself; DEL, C1 codes (0x9b is an 8-bit CSI), line separators, bidi
# overrides and lone surrogates it would write raw, so they are written as \u escapes too.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_RAW_IN_JSON = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def clean(value: Any) -> str:
    """Printable text for any value: None becomes "", tabs become spaces, controls become U+FFFD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = value if isinstance(value, str) else str(value)
    return _CONTROL.sub(REPLACEMENT, text.replace("\t", " "))


def clean_texts(texts: list[str]) -> list[str]:
    """`clean` over many texts (a page of CSV cells): one search over them all, and each text
    cleaned only when something in the page is to change. A million members are 14 million
    cells, and a `clean` call per cell was a third of writing them out."""
    for start in range(0, len(texts), _BATCH):  # a match is one character: none spans two
        if _CHANGED.search("".join(texts[start : start + _BATCH])):
            return [clean(text) for text in texts]
    return texts


def one_line(value: Any, width: int | None = None) -> str:
    """`clean` value cut to `width` cells' worth of characters with an ellipsis."""
    text = clean(value)
    if width is not None and len(text) > width:
        return text[: max(width - 1, 0)] + "…"
    return text


def clean_lines(text: str) -> str:
    """`clean` line by line, the line breaks kept: a log message or traceback that quotes a
    server's answer, written where a terminal may show it (`tail -f` of the log, stderr)."""
    return "\n".join(clean(line) for line in text.split("\n"))


def sendable(text: str) -> bool:
    """Whether `text` can travel in a URL or a UTF-8 body (a lone surrogate cannot)."""
    return not _SURROGATE.search(text)


def json_text(value: Any) -> str:
    """`value` as one line of JSON that is safe to print and to encode as UTF-8; the data is
    unchanged (what is escaped reads back as it was)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
