"""An unexpected error, told to the user in one redacted sentence, kept in full in a private file.

Python's and Textual's default crash output print the traceback (Textual with every local
variable, secrets and member data among them) to the terminal. Instead the user reads the error's
type and redacted message and where the traceback is: a 0600 file under platformdirs' state dir,
redacted, without local variables or email addresses, to attach to a bug report.

Not every exception is a defect: the core's own errors (the network, credentials, a rate limit,
a platform's answer), a folder the app cannot write (a read-only cache, a path through a file) or
a full disk are the user's to know or fix; `told` says so in one line, with an exit code, and no
crash report, in the CLI and the app alike.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import traceback
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from .errors import AudienceError, ConfigError
from .logfile import without_emails
from .private_files import write_private
from .redact import redact
from .sanitize import clean

log = logging.getLogger(__name__)


def crash_dir() -> Path:
    return Path(platformdirs.user_state_dir("audience-tui")) / "crashes"


def report(exc: BaseException) -> Path | None:
    """Write the redacted traceback of `exc` to a private file; its path, or None if that failed."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = crash_dir() / f"crash-{stamp}-{os.getpid()}.txt"
    text = without_emails(redact("".join(traceback.format_exception(exc))))  # attached to bugs
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


def told(exc: BaseException) -> tuple[str, int]:
    """What the user reads about `exc` (after "error: ") and the exit code, the same in the CLI
    and the app: an error the app knows (a platform's answer, the network, credentials, a rate
    limit, a folder or a full disk) in its own words and with its code, and no crash report;
    anything else is a defect, told in one line with the path of its report."""
    known = exc if isinstance(exc, AudienceError) else classified(exc)
    if known is not None:
        return redact(str(known)), known.exit_code
    return message(exc, report(exc)), AudienceError.exit_code


class DiskFullError(AudienceError):
    exit_code = 4
    kind = "disk full"


_FOLDERS = {  # where the app writes, and the variable that moves it (platformdirs, Linux names)
    "XDG_CACHE_HOME": platformdirs.user_cache_dir,
    "XDG_STATE_HOME": platformdirs.user_state_dir,
    "XDG_CONFIG_HOME": platformdirs.user_config_dir,
}
_NO_ACCESS = {errno.EACCES, errno.EPERM, errno.EROFS}
_UNWRITABLE = {*_NO_ACCESS, errno.ENOENT, errno.ENOTDIR, errno.EEXIST}  # in the app's folders
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
# the demo sandbox's database under the cache folder (SQLite gives no path)
_SQLITE_UNWRITABLE = ("unable to open database file", "attempt to write a readonly database")


def _app_folder(path: Path) -> tuple[str, Path] | None:
    """The app's folder that `path` is, holds or lies in, with the variable that moves it."""
    for variable, folder in _FOLDERS.items():
        home = Path(folder("audience-tui"))
        if home.is_relative_to(path) or path.is_relative_to(home):
            return variable, home
    return None


def classified(exc: BaseException) -> AudienceError | None:
    """`exc` as an error the user can act on (exit 2, or 4 for a full disk), if it is one."""
    if isinstance(exc, sqlite3.OperationalError) and str(exc) in _SQLITE_UNWRITABLE:
        exc = OSError(errno.EACCES, str(exc), platformdirs.user_cache_dir("audience-tui"))
    if not isinstance(exc, OSError):
        return None
    reason = exc.strerror or type(exc).__name__
    if exc.errno in _FULL:  # without a file name: a file already open, such as the output
        where = f" {os.fsdecode(exc.filename)}" if exc.filename else ""
        return DiskFullError(f"cannot write{where} ({reason}): free some space and try again")
    if not exc.filename:
        return None
    path = Path(os.fsdecode(exc.filename))
    folder = _app_folder(path)
    if folder is not None and exc.errno in _UNWRITABLE:
        variable, home = folder
        return ConfigError(
            f"cannot use {path} ({reason}): audience-tui keeps its files in {home}; make it "
            f"writable or set {variable} to a folder you can write"
        )
    if exc.errno in _NO_ACCESS:
        return ConfigError(f"cannot use {path} ({reason})")
    return None
