"""The log file: readable by its user only, and without the people the app works on.

Log lines name accounts, lists and requests; httpx logs each request's full URL, and a lookup's
URL holds the email looked up. So the file and its rotations are 0600 in a 0700 folder (also when
an older version left them readable), and `without_emails` takes every address out of a line.
"""

from __future__ import annotations

import os
import re
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TextIO

from .private_files import PRIVATE_FILE

PRIVATE_DIR = 0o700
EMAIL_MASK = "<email>"
_AT = re.compile(r"@|%40")  # an address as text or URL-encoded, in a sentence, a path or a query
_DOMAIN = re.compile(r"[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,}")
_NOT_LOCAL = frozenset("@/?&=:;,'\"<>()[]{}")


def without_emails(text: str) -> str:
    """`text` with every email address replaced by EMAIL_MASK.

    Found from each `@` outwards, never by a pattern tried at every position: a long log line
    (a response body at --debug) costs linear time.
    """
    parts, done = [], 0
    for at in _AT.finditer(text):
        domain = _DOMAIN.match(text, at.end())
        start = at.start()
        while start > done and not (text[start - 1] in _NOT_LOCAL or text[start - 1].isspace()):
            start -= 1
        if domain is None or start == at.start() or at.start() < done:
            continue
        parts += [text[done:start], EMAIL_MASK]
        done = domain.end()
    return "".join([*parts, text[done:]])


class PrivateRotatingFileHandler(RotatingFileHandler):
    """A RotatingFileHandler whose files only their user can read, from their first byte."""

    def __init__(self, path: Path, **options: object) -> None:
        path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        os.chmod(path.parent, PRIVATE_DIR)
        for old in path.parent.glob(f"{path.name}*"):  # rotations an older version left 0644
            os.chmod(old, PRIVATE_FILE)
        super().__init__(path, **options)  # type: ignore[arg-type]

    def _open(self) -> TextIO:  # type: ignore[override]  # a text stream, as the base
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
        os.fchmod(fd, PRIVATE_FILE)
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)
