"""Bad input on the command line: invalid emails, filter values of the wrong type, unknown lists
and accounts, CSV files that are empty, too big, in another delimiter or with bad rows. Each gets
a clear message and the documented exit code, and nothing is sent that the user did not confirm."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from audience_tui.cli import main
from audience_tui.core import csvimport
from audience_tui.demo import Sandbox
from audience_tui.sandbox.people import person


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--demo", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def statuses(capsys: pytest.CaptureFixture[str], email: str) -> list[str]:
    code, out, _ = run(capsys, "lookup", email, "--format", "jsonl")
    assert code in (0, 5)  # 5: on no list
    return [json.loads(line)["status"] for line in out.splitlines()]


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("lookup", "not-an-email"), 2, "is not an email address"),
        (("optout", "two@@example.com", "--yes"), 2, "is not an email address"),
        (("members", "demo-heyloyalty", "2", "--filter", "points gt many"), 2, "not a number"),
        (("members", "demo-heyloyalty", "1", "--filter", "nosuchfield eq 1"), 2, "nosuchfield"),
        (("members", "demo-heyloyalty", "2", "--filter", "points"), 2, "points"),
        (("members", "demo-heyloyalty", "No such list"), 5, "has no list"),
        (("lists", "demo-nobody"), 5, "no account named"),
    ],
)
def test_bad_arguments_get_a_clear_message(
    args: tuple[str, ...],
    code: int,
    words: str,
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
) -> None:
    got, _, err = run(capsys, *args)
    assert got == code and words in err, err


def test_an_opt_out_needs_a_confirmation(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    email = person(2500).email
    before = statuses(capsys, email)
    assert "active" in before
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))  # not a terminal: no one answered
    code, _, err = run(capsys, "optout", email)
    assert code == 2 and "--yes" in err
    assert run(capsys, "optout", email, "--dry-run")[0] == 0
    assert statuses(capsys, email) == before  # nothing was sent


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("", "the file is empty"),
        ("\x00\x01\x02binary", "binary"),
        ("email;firstname\nnew.one@example.com;Ny\n", None),  # another delimiter: understood
        ("firstname\nNo Email\n", "email"),
    ],
)
def test_import_files_are_checked_before_anything_is_sent(
    content: str,
    words: str | None,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "import", "demo-heyloyalty", "1", str(path), "--dry-run")
    if words is None:
        assert code == 0 and "1" in out, (out, err)
    else:
        assert code == 2 and words in err.lower(), err


def test_bad_rows_are_named_and_only_confirmed_rows_are_sent(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "email,firstname\ngood.row@example.com,Good\nnot-an-email,Bad\n,Empty\n", encoding="utf-8"
    )
    code, out, err = run(capsys, "import", "demo-heyloyalty", "1", str(path), "--dry-run")
    assert code == 0, err
    assert "line 3" in (out + err) and "line 4" in (out + err)
    assert statuses(capsys, "good.row@example.com") == []  # a dry run sends nothing
    code, _, err = run(capsys, "import", "demo-heyloyalty", "1", str(path))
    assert code == 2 and "--yes" in err  # no terminal, no --yes: not confirmed
    assert statuses(capsys, "good.row@example.com") == []


def test_a_huge_file_is_refused_with_a_size(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.setattr(csvimport, "MAX_BYTES", 1024 * 1024)
    path = tmp_path / "huge.csv"
    path.write_text("email\n" + "x@example.com\n" * 100_000, encoding="utf-8")
    code, _, err = run(capsys, "import", "demo-heyloyalty", "1", str(path), "--yes")
    assert code == 2 and "MB" in err and "split it" in err
