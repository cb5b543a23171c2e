"""The subject-access report says where a person's record came from: the imports that included
them, started here or listed by the platform, and "not reported by <platform>" where it cannot
be known; in every format, with untrusted values escaped in HTML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audience_tui.cli import main
from audience_tui.demo import Sandbox
from audience_tui.sandbox.people import person

EMAIL = "imported.person@example.org"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--demo", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def imported(capsys: pytest.CaptureFixture[str], folder: Path) -> Path:
    """`EMAIL` imported from this app into Emma's account-wide list and into an Ownpage list,
    from a file whose name is markup."""
    source = folder / "<b>leads&co.csv"
    source.write_text(f"email\n{EMAIL}\n", encoding="utf-8")
    for account, audience in (("demo-emma", "All members"), ("demo-ownpage", "Le Quotidien")):
        code, _, err = run(capsys, "import", account, audience, str(source), "--yes")
        assert code == 0, err
    return source


@pytest.mark.usefixtures("quick_import_polls")
def test_import_history_in_json_markdown_and_html(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = imported(capsys, tmp_path)
    code, out, err = run(capsys, "subject-access", EMAIL, "--format", "json")
    assert code == 0, err
    records = {r["account"]: r for r in json.loads(out)["records"]}
    (emma,) = records["demo-emma"]["imports"]["imports"]
    assert emma["included"] == "added" and emma["source"] == "started here, listed by Emma"
    assert emma["file"] == str(source) and emma["list"] == "All members" and emma["finished"]
    ownpage = records["demo-ownpage"]["imports"]
    assert ownpage["note"] == "not reported by Ownpage"
    (candidate,) = ownpage["imports"]
    assert candidate["included"] == "not reported by Ownpage"
    assert candidate["source"] == "started here" and candidate["list"] == "Le Quotidien"

    code, out, err = run(capsys, "subject-access", EMAIL, "--format", "md")
    assert code == 0, err
    assert "added; started here, listed by Emma; list All members" in out
    assert "| Imports | not reported by Ownpage |" in out

    code, out, err = run(capsys, "subject-access", EMAIL, "--format", "html")
    assert code == 0, err
    assert "<b>leads" not in out and "&lt;b&gt;leads&amp;co.csv" in out
    assert "not reported by Ownpage" in out and "started here, listed by Emma" in out


def test_a_platform_that_reports_no_import_says_none(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing imported: Heyloyalty's `imported` flag says no, Kajabi cannot say."""
    code, out, err = run(capsys, "subject-access", person(1).email, "--format", "json")
    assert code == 0, err
    records = {r["account"]: r["imports"] for r in json.loads(out)["records"]}
    assert records["demo-heyloyalty"] == {"note": None, "imports": []}
    assert records["demo-kajabi"] == {"note": "not reported by Kajabi", "imports": []}
