"""Snapshot tests (120x40) of the import monitor and of the mapping step of a new import.

Regenerate after an intended change with
`pytest tests/tui/test_imports_tui_snapshots.py --snapshot-update` and look at the SVGs under
tests/tui/__snapshots__/ before committing them. Times are pinned so the pictures do not age.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_imports_tui import EMMA_CSV, choose_file, confirm, finished, open_monitor, settle
from textual.pilot import Pilot
from tui_helpers import SIZE

from audience_tui.core.session import Session
from audience_tui.demo import Sandbox, demo_session
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens import import_view
from audience_tui.tui.screens import imports as imports_screen
from audience_tui.tui.screens.imports import ImportsScreen


@pytest.fixture
def session(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    monkeypatch.setattr(imports_screen, "FAST_POLL", 0.05)
    pinned = datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)

    def stamp(moment: datetime | None, form: str = "%Y-%m-%d %H:%M:%S %Z") -> str:
        return pinned.strftime(form) if moment else "—"

    monkeypatch.setattr(import_view, "stamp", stamp)
    monkeypatch.setattr(imports_screen, "zone", lambda: "UTC")
    session = demo_session(sandbox)
    yield session
    asyncio.run(session.aclose())


@pytest.fixture
def people(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "people.csv"
    path.write_text(EMMA_CSV, encoding="utf-8")
    return path


def test_mapping_step(snap_compare: Callable[..., bool], session: Session, people: Path) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await open_monitor(pilot, "demo-emma")
        await choose_file(pilot, "Monthly Newsletter", people)

    app = AudienceApp(session)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_monitor_after_an_import(
    snap_compare: Callable[..., bool], session: Session, people: Path
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await open_monitor(pilot, "demo-emma")
        await choose_file(pilot, "Monthly Newsletter", people)
        monitor = await confirm(pilot)
        await finished(pilot, monitor)
        assert isinstance(pilot.app.screen, ImportsScreen)
        pilot.app.clear_notifications()  # the "started" toast would time out mid-comparison
        await settle(pilot)

    app = AudienceApp(session)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
