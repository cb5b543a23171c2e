"""Where the demo cache's bytes are (`bench/build.py: split`), on the big lists in miniature:
the tables and indexes by their pages on disk, and the part of the Heyloyalty members' table
that is their stored listing JSON (bench/limits.md's split of the cache comes from it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from audience_tui.sandbox import people
from audience_tui.sandbox.heyloyalty import data as heyloyalty_data
from audience_tui.sandbox.heyloyalty import routes as heyloyalty
from audience_tui.sandbox.placewise import data as placewise_data
from audience_tui.sandbox.placewise import routes as placewise
from audience_tui.sandbox.store import BuildProgress, Store
from bench.build import _note_finished, split

TOTAL = 2000


def test_the_split_names_the_big_tables_and_the_stored_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(people, "EXACT", 100)
    monkeypatch.setattr(heyloyalty_data, "BIG_TOTAL", TOTAL)
    monkeypatch.setattr(placewise_data, "BIG_TOTAL", TOTAL)
    store = Store.open(tmp_path / "big.sqlite", big_lists=False)
    heyloyalty.install(store)
    placewise.install(store)
    store.write(heyloyalty_data._insert_list, heyloyalty_data.BIG_LIST)
    heyloyalty_data._build_big(store, BuildProgress("h", TOTAL))
    store.write(placewise_data.insert_club, placewise_data.BIG_CLUB)
    placewise_data.build_big(store, BuildProgress("p", TOTAL))
    store.close()

    parts = dict(split(tmp_path / "big.sqlite", top=3))
    assert list(parts)[:2] == ["heyloyalty_members", "placewise_members"]
    assert len(parts) == 5 and parts["the rest"] > 0
    docs = parts["of heyloyalty_members: its stored listing JSON"]
    assert 0.5 * TOTAL * 600 / 1e6 < docs < parts["heyloyalty_members"]


def test_no_split_without_the_tables(tmp_path: Path) -> None:
    Store.open(tmp_path / "empty.sqlite", big_lists=False).connect().close()
    assert split(tmp_path / "empty.sqlite") == []


def test_a_platform_is_noted_finished_when_all_of_its_builds_are() -> None:
    """The build row's note says when each platform's big list was done (bench.build)."""
    builds = [
        BuildProgress("members", 10, platform="heyloyalty", finished=True),
        BuildProgress("docs", 10, platform="heyloyalty"),
        BuildProgress("club", 10, platform="placewise", finished=True),
    ]
    finished: dict[str, float] = {}
    _note_finished(builds, finished, 3.0)
    builds[1].finished = True
    _note_finished(builds, finished, 5.0)
    _note_finished(builds, finished, 7.0)
    assert finished == {"placewise": 3.0, "heyloyalty": 5.0}
