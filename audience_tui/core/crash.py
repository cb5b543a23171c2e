"""An unexpected error, told to the user in one redacted sentence, kept in full in a private file.

Python's and Textual's default crash output print the traceback (Textual with every local
variable, secrets and member data among them) to the terminal. Instead the user reads the error's
type and redacted message and where the traceback is: a 0600 file under platformdirs' state dir,
redacted and without local variables, to attach to a bug report.
"""

from __future__ import annotations

import logging
import os
import traceback
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from .redact import redact
from .sanitize import clean
from .secret_store import write_private

log = logging.getLogger(__name__)


def crash_dir() -> Path:
    return Path(platformdirs.user_state_dir("audience-tui")) / "crashes"


def report(exc: BaseException) -> Path | None:
    """Write the redacted traceback of `exc` to a private file; its path, or None if that failed."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = crash_dir() / f"crash-{stamp}-{os.getpid()}.txt"
    text = redact("".join(traceback.format_exception(exc)))
    try:
        write_private(path, text)
    except OSError as error:
        log.warning("could not write the crash report: %s", error)
        return None
    return path


def message(exc: BaseException, path: Path | None) -> str:
    """What the user reads: the error in one redacted, printable line, and where the rest is."""
    where = f"; details in {path}" if path else ""
    return f"unexpected error ({type(exc).__name__}): {clean(redact(str(exc)))}{where}"
