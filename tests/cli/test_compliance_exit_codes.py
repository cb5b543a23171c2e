"""The compliance commands that search one person (erase, subject-access) or a file of them
(suppress) exit as `lookup` and `optout` do: 5 when every account answered and none holds the
person, 4 when an account could not be searched (the person may be there), 0 otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from audience_tui.cli import main
from audience_tui.core.errors import NetworkError
from audience_tui.demo import Sandbox
from audience_tui.providers.emma.adapter import EmmaProvider
from audience_tui.sandbox.people import person

NOBODY = "nobody.anywhere@example.com"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--demo", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def emma_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """Emma's lookup fails (as one that ran out of retries would): the account goes unsearched."""

    async def refuse(self: EmmaProvider, email: str) -> list[object]:
        raise NetworkError("no answer", platform="Emma")

    monkeypatch.setattr(EmmaProvider, "lookup", refuse)


@pytest.mark.parametrize(
    "argv",
    [
        ("lookup", NOBODY),
        ("optout", NOBODY, "--yes"),
        ("erase", NOBODY, "--dry-run"),
        ("erase", NOBODY, "--yes"),
        ("subject-access", NOBODY),
    ],
)
def test_an_email_found_nowhere_exits_5(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: tuple[str, ...]
) -> None:
    extra = ("--receipt", str(tmp_path / "r.jsonl")) if argv[:2] == ("erase", NOBODY) else ()
    code, _, err = run(capsys, *argv, *extra)
    assert code == 5, err
    assert f"{NOBODY} was not found in any account searched" in err


@pytest.mark.parametrize(
    "argv",
    [
        ("lookup", NOBODY),
        ("erase", NOBODY, "--dry-run"),
        ("subject-access", NOBODY),
    ],
)
def test_an_account_not_searched_exits_4_not_5(
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    emma_down: None,
    argv: tuple[str, ...],
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 4, err
    assert "demo-emma" in err


def test_a_found_person_still_exits_0(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    email = person(6).email
    for argv in (("erase", email, "--dry-run"), ("subject-access", email)):
        code, _, err = run(capsys, *argv)
        assert code == 0, err


def test_a_suppress_dry_run_with_an_account_not_searched_exits_4(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path, emma_down: None
) -> None:
    """As `optout --dry-run`: the dry run's answer is incomplete, whatever else it found."""
    emails = tmp_path / "emails.csv"
    emails.write_text(f"email\n{person(6).email}\n{NOBODY}\n")
    code, out, err = run(capsys, "suppress", str(emails), "--dry-run")
    assert code == 4, err
    assert "lookup failed" in out


def test_a_suppress_dry_run_with_emails_found_nowhere_exits_0(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A file is a batch: an email of it found nowhere is one of its outcomes (the receipt's
    `not found`), not the run's failure."""
    emails = tmp_path / "emails.csv"
    emails.write_text(f"email\n{person(6).email}\n{NOBODY}\n")
    code, out, err = run(capsys, "suppress", str(emails), "--dry-run")
    assert code == 0, err
    assert "not found in any account searched: 1" in out
