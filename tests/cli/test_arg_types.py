"""Arguments checked when the command line is read: an output path that cannot be written stops
the command before anything is sent (found after an erase, it would lose the receipt that proves
what was erased), and a port out of range is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from audience_tui.cli import main
from audience_tui.core.audit import AuditLog
from audience_tui.demo import Sandbox

EMAIL = "henrik.johnsen2100@mail.example.no"


def bad_paths(tmp_path: Path) -> list[str]:
    afile = tmp_path / "plain.txt"
    afile.write_text("x")
    return [str(tmp_path), str(afile / "under-a-file.jsonl")]


@pytest.mark.parametrize(
    "argv",
    [
        ("erase", EMAIL, "--yes", "--receipt"),
        ("suppress", "emails.csv", "--yes", "--receipt"),
        ("subject-access", EMAIL, "--output"),
        ("accounts", "probe", "demo-emma", "--output"),
    ],
)
def test_unwritable_output_is_refused_before_any_write(
    argv: tuple[str, ...],
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "emails.csv").write_text(f"email\n{EMAIL}\n")
    for bad in bad_paths(tmp_path):
        with pytest.raises(SystemExit) as exit_:
            main(["--demo", *argv, bad])
        err = capsys.readouterr().err
        assert exit_.value.code == 2
        assert "cannot write" in err or "is a folder" in err, err
        assert "Traceback" not in err and "unexpected error" not in err
    assert list(AuditLog().read()) == []  # nothing was sent, or even started


def test_subject_access_never_replaces_a_file(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "held.json"
    target.write_text("mine")
    with pytest.raises(SystemExit) as exit_:
        main(["--demo", "subject-access", EMAIL, "--output", str(target)])
    assert exit_.value.code == 2 and "exists" in capsys.readouterr().err
    assert target.read_text() == "mine"


@pytest.mark.parametrize("command", [("sandbox", "serve"), ("serve",)])
@pytest.mark.parametrize("port", ["99999", "0", "-1", "http"])
def test_a_port_out_of_range_is_refused_not_wrapped(
    command: tuple[str, ...], port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--port 99999 once served on 34463 (99999 mod 65536) and said so as if asked."""
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--port", port])
    assert exit_.value.code == 2
    assert "argument --port:" in capsys.readouterr().err


def test_a_receipt_named_csv_is_refused(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--receipt r.csv`: the CSV twin (r.csv) would replace the JSON Lines receipt itself."""
    emails = tmp_path / "emails.csv"
    emails.write_text("email\nnobody@nowhere.example\n")
    with pytest.raises(SystemExit) as exit_:
        main(["--demo", "suppress", str(emails), "--yes", "--receipt", str(tmp_path / "r.csv")])
    assert exit_.value.code == 2
    assert "name the JSON Lines receipt (e.g. r.jsonl)" in capsys.readouterr().err
    assert not (tmp_path / "r.csv").exists()


@pytest.mark.parametrize(
    ("account", "audience", "said"),
    [
        ("demo-emma", "Donors", "error: Emma lists members in its own order"),
        ("demo-kajabi", "Yoga Academy", "error: Kajabi cannot sort contacts by nosuch"),
    ],
)
def test_an_error_naming_its_platform_does_not_name_it_twice(
    account: str, audience: str, said: str, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--demo", "members", account, audience, "--sort", "nosuch", "--limit", "1"])
    assert code == 2
    assert capsys.readouterr().err.splitlines() == [said]
