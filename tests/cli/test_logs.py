"""The log file: 0600 (rotations too, and files an older version left readable), and no email in
it, also where httpx logs a lookup's full URL."""

from __future__ import annotations

import logging
import stat
from pathlib import Path
from urllib.parse import quote

import pytest

from audience_tui.cli import LOG_BACKUPS, log_path, main, setup_logging
from audience_tui.core import crash
from audience_tui.core.logfile import without_emails
from audience_tui.sandbox.people import person


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def flush() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()


def test_the_log_and_its_rotations_are_private(log_bytes: int) -> None:
    older = log_path().with_name("audience-tui.log.1")
    older.parent.mkdir(parents=True)
    older.write_text("from an older version\n")
    older.chmod(0o644)
    path = setup_logging(debug=False, console=False)
    assert mode(path) == 0o600 and mode(older) == 0o600 and mode(path.parent) == 0o700
    for _ in range(log_bytes * (LOG_BACKUPS + 1) // 1000):
        logging.getLogger("audience_tui.test").info("x" * 1000)
    flush()
    assert len(list(path.parent.iterdir())) == LOG_BACKUPS + 1
    assert {mode(p) for p in path.parent.iterdir()} == {0o600}


@pytest.mark.parametrize(
    "text",
    [
        "looked up someone.else+tag@mail.example.no",
        "HTTP Request: GET https://api.example/v1/members?email=a.b%40c.example&x=1",
        "GET /members/email/first_last%40example.com/optout",
    ],
)
def test_emails_are_taken_out_of_log_lines(text: str) -> None:
    masked = without_emails(text)
    assert "@" not in masked and "%40" not in masked and "<email>" in masked


@pytest.mark.usefixtures("sandbox")  # the demo over the test's copy of the seeded sandbox
def test_a_lookup_leaves_no_email_in_the_log(capsys: pytest.CaptureFixture[str]) -> None:
    email = person(3).email
    main(["--demo", "--debug", "lookup", email])
    assert email in capsys.readouterr().out  # the answer is the user's to see
    flush()
    text = log_path().read_text(encoding="utf-8")
    assert "HTTP Request" in text  # httpx did log the requests
    assert email not in text and quote(email, safe="") not in text


def test_a_crash_report_holds_no_email() -> None:
    """It is written to be attached to a bug report: the person's address stays here."""
    try:
        raise RuntimeError("opt-out of someone@example.com failed")
    except RuntimeError as exc:
        path = crash.report(exc)
    assert path is not None
    text = path.read_text(encoding="utf-8")
    assert "RuntimeError: opt-out of <email> failed" in text and "someone@" not in text
