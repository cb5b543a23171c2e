"""Imports started from this app are kept between runs, followed later, and their refused rows
counted once (the rows withheld before sending and those the platform refused)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from audience_tui.cli import main
from audience_tui.core.csvimport import RejectedRow
from audience_tui.core.import_journal import Journal, StartedImport
from audience_tui.core.models import Audience, ImportJob, ImportRowError, ImportState
from audience_tui.demo import Sandbox
from audience_tui.tui.screens.import_view import job_detail


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--demo", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def people(tmp_path: Path) -> Path:
    csv_file = tmp_path / "people.csv"
    csv_file.write_text("email,first_name\njournal.person@example.com,Kept\nbroken,No\n")
    return csv_file


def test_a_no_wait_import_is_followed_in_a_later_run(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], people: Path
) -> None:
    code, out, err = run(
        capsys, "import", "demo-placewise", "Infinity Mall", str(people), "--yes", "--no-wait"
    )
    assert code == 0, err
    assert "imports demo-placewise --watch" in err
    started = Journal().load()
    assert [entry.account for entry in started] == ["demo-placewise"]
    code, out, err = run(capsys, "imports", "demo-placewise", "--format", "jsonl")  # a new session
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert code == 0, err
    assert row["id"] == started[0].job.id
    assert row["state"] == "finished" and row["finished"] is not None and row["added"] == 1
    assert Journal().load()[0].job.finished_at is not None  # the last known state is kept


def test_imports_of_a_platform_without_an_import_list_shows_those_started_here(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], people: Path
) -> None:
    code, _, err = run(capsys, "imports", "demo-heyloyalty")
    assert code == 0 and "no imports" in err
    code, _, err = run(
        capsys, "import", "demo-heyloyalty", "Webshop customers", str(people), "--yes"
    )
    assert code == 0, err
    code, out, err = run(capsys, "imports", "demo-heyloyalty", "--format", "jsonl")
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and row["state"] == "untracked" and row["list"] == "3"
    assert "no import status endpoint" in err


@pytest.mark.usefixtures("quick_import_polls")
def test_one_count_of_refused_rows(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], people: Path
) -> None:
    code, out, err = run(capsys, "import", "demo-emma", "All members", str(people), "--yes")
    assert code == 0, err
    assert "1 row(s) refused" in out and "line 3: 'broken' is not an email address" in out
    (entry,) = Journal().load()
    detail = job_detail(entry.job, {}, entry).plain
    assert "Rows refused (1)" in detail and "No row was refused" not in detail


def test_the_journal_keeps_what_it_is_given(tmp_path: Path) -> None:
    job = ImportJob(
        "imp-1",
        ImportState.FINISHED,
        "club",
        datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 5, tzinfo=UTC),
        submitted=2,
        errors=1,
        row_errors=[ImportRowError("a@example.com", "taken")],
        parts=[ImportJob("bulk-1", ImportState.FINISHED, note="bulk 1")],
    )
    entry = StartedImport(
        "acct", Audience("club", "Club"), "f.csv", 2, job, withheld=[RejectedRow(3, "bad")]
    )
    journal = Journal(tmp_path / "imports.json")
    journal.save([entry])
    journal.save(
        [
            StartedImport(
                "acct", Audience("x", "X"), "g.csv", 1, ImportJob("imp-2", ImportState.QUEUED)
            )
        ]
    )
    loaded = journal.load()
    assert [e.job.id for e in loaded] == ["imp-1", "imp-2"]
    assert loaded[0] == entry
    (tmp_path / "imports.json").write_text("{not json")
    assert journal.load() == []
