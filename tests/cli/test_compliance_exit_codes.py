"""The compliance commands that search one person (erase, subject-access) or a file of them
(suppress) exit as `lookup` and `optout` do: 5 when every account answered and none holds the
person, 3 when an account refused the credentials, 4 when one could not be searched otherwise
(the person may be there), 0 otherwise."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from variants import emma_writes_answered

from audience_tui import demo
from audience_tui.cli import main
from audience_tui.core.compliance import drift
from audience_tui.core.errors import NetworkError
from audience_tui.core.models import Account
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


@pytest.fixture
def emma_keys_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's Emma account is given keys the sandbox refuses (HTTP 403, as the platform
    answers wrong keys): the account goes unsearched, and the user must fix its credentials."""
    give_emma_wrong_keys(monkeypatch)


def give_emma_wrong_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    demo_accounts = demo.demo_accounts

    def with_wrong_keys(host: str = demo.IN_PROCESS_HOST) -> list[tuple[Account, dict[str, str]]]:
        return [
            (account, {k: f"wrong-{v}" for k, v in secrets.items()})
            if account.platform == "emma"
            else (account, secrets)
            for account, secrets in demo_accounts(host)
        ]

    monkeypatch.setattr(demo, "demo_accounts", with_wrong_keys)


def subscribed_on_emma(sandbox: Sandbox) -> str:
    """The email of a member the demo's Emma holds subscribed."""
    sql = "SELECT email FROM emma_members WHERE status = 'a' AND deleted_at IS NULL LIMIT 1"
    return str(sandbox.store.connect().execute(sql).fetchone()[0])


def emails_file(tmp_path: Path) -> str:
    """A suppression file of a person the demo holds and of one no account holds."""
    emails = tmp_path / "emails.csv"
    emails.write_text(f"email\n{person(6).email}\n{NOBODY}\n")
    return str(emails)


def with_files(argv: tuple[str, ...], tmp_path: Path) -> tuple[str, ...]:
    """`argv` with its FILE (suppress) and a receipt in `tmp_path` (for erase and suppress)."""
    if argv[0] in ("lookup", "subject-access"):
        return argv
    receipt = ("--receipt", str(tmp_path / "r.jsonl"))
    if argv[0] == "suppress":
        return ("suppress", emails_file(tmp_path), *argv[1:], *receipt)
    return (*argv, *receipt)


UNSEARCHED = [
    ("lookup", NOBODY),
    ("erase", NOBODY, "--dry-run"),
    ("erase", NOBODY, "--yes"),
    ("erase", person(6).email, "--yes"),
    ("subject-access", NOBODY),
    ("subject-access", person(6).email),
    ("suppress", "--dry-run"),
    ("suppress", "--yes"),
]


@pytest.mark.parametrize("argv", UNSEARCHED)
def test_an_account_refusing_its_credentials_exits_3_as_lookup(
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    emma_keys_wrong: None,
    argv: tuple[str, ...],
) -> None:
    """Whatever else the run found or did: the user has credentials to fix, as `lookup` says."""
    code, out, err = run(capsys, *with_files(argv, tmp_path))
    assert code == 3, err
    assert "demo-emma" in out + err


def test_the_receipt_and_the_report_keep_the_refusal_in_words(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path, emma_keys_wrong: None
) -> None:
    code, _, err = run(capsys, "erase", NOBODY, "--yes", "--receipt", str(tmp_path / "r.jsonl"))
    assert code == 3, err
    lines = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    (emma,) = [ln for ln in lines if ln.get("account") == "demo-emma"]
    assert emma["action"] == "not searched" and "Emma refused the keys" in emma["error"]

    code, out, err = run(capsys, "subject-access", NOBODY)
    assert code == 3, err
    assert "Emma refused the keys" in json.loads(out)["could_not_search"]["demo-emma"]


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


@pytest.mark.parametrize("argv", UNSEARCHED)
def test_an_account_not_searched_exits_4_not_5(
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    emma_down: None,
    argv: tuple[str, ...],
) -> None:
    code, out, err = run(capsys, *with_files(argv, tmp_path))
    assert code == 4, err
    assert "demo-emma" in out + err and "no answer" in out + err


def test_a_found_person_still_exits_0(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    email = person(6).email
    for argv in (("erase", email, "--dry-run"), ("subject-access", email)):
        code, _, err = run(capsys, *argv)
        assert code == 0, err


def test_a_suppress_dry_run_with_an_account_not_searched_exits_4(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path, emma_down: None
) -> None:
    """As `optout --dry-run`: the dry run's answer is incomplete, whatever else it found."""
    code, out, err = run(capsys, "suppress", emails_file(tmp_path), "--dry-run")
    assert code == 4, err
    assert "lookup failed" in out


def test_a_suppress_dry_run_with_emails_found_nowhere_exits_0(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A file is a batch: an email of it found nowhere is one of its outcomes (the receipt's
    `not found`), not the run's failure."""
    code, out, err = run(capsys, "suppress", emails_file(tmp_path), "--dry-run")
    assert code == 0, err
    assert "not found in any account searched: 1" in out


def receipt_of(path: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A receipt's lines and its summary (the last line)."""
    *lines, last = [json.loads(line) for line in path.read_text().splitlines()]
    return lines, last


def every_pair_once(lines: list[dict[str, Any]], emails: list[str], accounts: list[str]) -> None:
    """Every email x account has an outcome, and no email x account x list has two."""
    assert {(ln["email"], ln["account"]) for ln in lines} == {
        (e, a) for e in emails for a in accounts
    }
    keys = Counter((ln["email"], ln["account"], ln["list"]) for ln in lines)
    assert max(keys.values()) == 1, keys


def test_a_suppress_run_receipts_the_accounts_it_could_not_search_until_they_are(
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A receipt says what was not done too: an email x account whose lookup failed is `not
    searched`, with why. Nothing was sent there, so the next run of the same file looks it up
    again, and its receipt says what that found instead of the old failure."""
    emails = [subscribed_on_emma(sandbox), NOBODY]
    source = tmp_path / "emails.csv"
    source.write_text("email\n" + "\n".join(emails) + "\n")
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    with monkeypatch.context() as refused:
        give_emma_wrong_keys(refused)
        code, out, err = run(capsys, "suppress", str(source), "--yes", "--receipt", str(first))
    assert code == 3, err
    lines, summary = receipt_of(first)
    every_pair_once(lines, emails, summary["accounts"])
    emma = [ln for ln in lines if ln["account"] == "demo-emma"]
    assert sorted(ln["email"] for ln in emma) == sorted(emails)
    for line in emma:
        assert line["action"] == "not searched" and "Emma refused the keys" in line["error"]
    assert summary["actions"]["not searched"] == 2
    assert "2 failed, 0 not confirmed by read-back" in err

    code, out, err = run(capsys, "suppress", str(source), "--yes", "--receipt", str(second))
    assert code == 0, err
    assert "resuming the run started" in err
    others = 2 * (len(summary["accounts"]) - 1)  # every pair but Emma's was done by the first
    assert f"{others} email x account pair(s) done by an earlier run" in out
    lines, summary = receipt_of(second)
    every_pair_once(lines, emails, summary["accounts"])
    emma = {ln["email"]: ln["action"] for ln in lines if ln["account"] == "demo-emma"}
    assert emma == {emails[0]: "sent", NOBODY: "not found"}, emma
    assert "not searched" not in summary["actions"]


def test_a_dry_run_counts_who_is_in_no_account_searched_while_one_was_not(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path, emma_down: None
) -> None:
    """The account not searched found no one: who is on no account searched is said so (the
    `not searched` line was once taken for a find, and the person was in neither count)."""
    code, out, err = run(capsys, "suppress", emails_file(tmp_path), "--dry-run")
    assert code == 4, err
    assert f"not found in any account searched: 1\n  {NOBODY}" in out
    assert "lookup failed" in out


def write_on_emma(
    command: str, email: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, ...]:
    """The argv of `command` writing to `email` on the demo's Emma alone, its receipt in
    `tmp_path` (drift --apply's drifted person is `email`, its scan being core's)."""
    only = ("--account", "demo-emma", "--yes", "--receipt", str(tmp_path / "r.jsonl"))
    if command == "erase":
        return ("erase", email, *only)
    if command == "drift":

        async def found(*args: object, **kw: object) -> list[drift.Drifted]:
            return [drift.Drifted(email)]

        monkeypatch.setattr(drift, "find", found)
        return ("drift", "--apply", *only)
    source = tmp_path / "emails.csv"
    source.write_text(f"email\n{email}\n")
    return ("suppress", str(source), *only)


@pytest.mark.parametrize("command", ["suppress", "drift", "erase"])
@pytest.mark.parametrize(("status", "expected"), [(403, 3), (401, 3), (422, 4), (503, 4)])
def test_a_write_refused_with_the_credentials_exits_3_naming_the_account(
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    status: int,
    expected: int,
) -> None:
    """The lookup answered and the write (opt-out, erase) was refused: the user has credentials
    to fix, as when the lookup is refused, and is told on which account. A write refused
    otherwise (422), or whose answer was lost (503) and that reads back not applied, exits 4.
    The receipt keeps the failed write with why, either way."""
    email = subscribed_on_emma(sandbox)
    emma_writes_answered(monkeypatch, status)
    code, out, err = run(capsys, *write_on_emma(command, email, tmp_path, monkeypatch))
    assert code == expected, out + err
    refused = "demo-emma refused the credentials" in err
    assert refused is (expected == 3), err
    lines, _ = receipt_of(tmp_path / "r.jsonl")
    (line,) = [ln for ln in lines if ln["account"] == "demo-emma"]
    assert line["email"].casefold() == email.casefold() and line["action"] == "failed", line
    assert f"HTTP {status}" in line["error"], line
