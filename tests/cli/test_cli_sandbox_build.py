"""`audience-tui --demo sandbox build` shows the builds' progress; a list still being built says
so on stderr instead of printing nothing without a word."""

from __future__ import annotations

import io

import pytest

from audience_tui.cli import main
from audience_tui.commands.sandbox_cmd import BuildBars
from audience_tui.demo import BuildProgress, Builds, Sandbox


def test_the_bars_say_how_far_each_build_has_come() -> None:
    builds = [
        BuildProgress("Placewise: Mega Mall (1M members)", 1_000_000, finished=True),
        BuildProgress("All customers (1M)", 1_000_000, done=250_000),
        BuildProgress("All customers (1M)", 1_000_000),
    ]
    out = io.StringIO()
    bars = BuildBars(out)
    bars.draw(builds)
    bars.draw(builds)  # nothing new: nothing written again
    builds[1].done, builds[1].finished = 1_000_000, True
    builds[2].error = "OSError: disk full"
    bars.draw(builds)
    lines = out.getvalue().splitlines()
    assert len(lines) == 4
    assert (
        lines[0].startswith("Mega Mall (1M members)") and "100%  1,000,000 of 1,000,000" in lines[0]
    )
    assert lines[1].startswith("All customers (1M), pass 1") and "250,000 of 1,000,000" in lines[1]
    assert "#######" in lines[1] and " 25%" in lines[1]
    assert lines[2].startswith("All customers (1M), pass 1") and "100%" in lines[2]
    assert lines[3].startswith("All customers (1M), pass 2") and "failed: OSError" in lines[3]


def test_build_without_big_lists_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--demo", "sandbox", "build"]) == 0
    assert "no big list to build" in capsys.readouterr().err


def test_a_list_being_built_says_how_far_it_is(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    building = BuildProgress("Newsletter DK", 1_000_000, done=280_000)
    monkeypatch.setattr(
        Builds,
        "progress",
        lambda self, account, audience_id: building if audience_id == "1" else None,
    )
    code = main(["--demo", "members", "demo-heyloyalty", "Newsletter DK", "--limit", "1"])
    err = capsys.readouterr().err
    assert code == 0
    assert "being built: 280,000 of 1,000,000" in err and "sandbox build" in err


def test_builds_running_side_by_side_each_say_how_far_they_are() -> None:
    """Placewise's list and Heyloyalty's build at once (a database file each); the second
    pass of Heyloyalty's waits for the first and says nothing until it starts."""
    builds = [
        BuildProgress("Placewise: Mega Mall (1M members)", 1_000_000, done=300_000, started=True),
        BuildProgress("All customers (1M)", 1_000_000, done=100_000, started=True),
        BuildProgress("All customers (1M)", 1_000_000),
    ]
    out = io.StringIO()
    BuildBars(out).draw(builds)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Mega Mall (1M members)") and "300,000 of" in lines[0]
    assert lines[1].startswith("All customers (1M), pass 1") and "100,000 of" in lines[1]
