"""Screenshots of the import monitor and of a new import, at 120x40 on the demo sandbox.

    .venv/bin/python screenshots/capture_imports.py [OUTPUT_DIR]

Like capture.py (whose `save` it uses): keys only, a throwaway sandbox and a throwaway folder of
CSV files, so the user's own demo data is never touched.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

from capture import HERE, SIZE, demo_root, save
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select
from textual.worker import WorkerState

from audience_tui.core.models import ImportState
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens.import_start import ImportStartScreen

RUNNING = {ImportState.QUEUED, ImportState.RUNNING}
PEOPLE = (
    "Email,First Name,City,Shoe size\n"
    "ann.berg@example.com,Ann,Oslo,38\n"
    "not-an-email,Bob,Bergen,40\n"
    "cy.dahl@example.com,Cy,Trondheim,41\n"
    "dee.lund@example.com,Dee,,39\n"
)


async def settle(pilot: Pilot[None]) -> None:
    """Every worker done but the file picker's loader (it waits for folders to open) and the
    app's following of a started import to its end."""
    await pilot.pause()
    while any(
        w.group not in ("_loader", "imports-through")
        and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
        for w in pilot.app.workers
    ):
        await asyncio.sleep(0.02)
    await pilot.pause()


def club_csv() -> str:
    rows = [f"member{i}@example.com,Member {i},{4790000000 + i}" for i in range(1200)]
    rows[41] = "member41@example.com,Member 41,call me"  # refused by the platform
    return "email,first_name,msisdn\n" + "\n".join(rows) + "\n"


async def monitor(pilot: Pilot[None], account: str) -> None:
    await pilot.press("escape", "escape", "escape")
    await settle(pilot)
    table = pilot.app.screen.query_one(DataTable)
    table.move_cursor(row=table.get_row_index(account))
    await pilot.press("i")
    await settle(pilot)


async def start(pilot: Pilot[None], list_name: str, path: Path) -> None:
    await pilot.press("n")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ImportStartScreen)
    ids = {a.name: a.id for a in screen.audiences.values()}
    screen.query_one("#list", Select).value = ids[list_name]
    screen.query_one("#path", Input).value = str(path)
    screen.query_one("#path", Input).cursor_blink = False
    screen.query_one("#path", Input).focus()  # enter in the path goes on to the mapping
    await settle(pilot)


async def finish(pilot: Pilot[None]) -> None:
    await pilot.click("#confirm")
    for _ in range(100):
        await asyncio.sleep(0.1)
        await settle(pilot)
        if not {j.state for j in pilot.app.screen.jobs.values()} & RUNNING:
            break
    pilot.app.clear_notifications()
    await settle(pilot)


async def capture(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "imports"
        folder.mkdir()
        (folder / "people.csv").write_text(PEOPLE, encoding="utf-8")
        (folder / "club-members.csv").write_text(club_csv(), encoding="utf-8")
        os.chdir(folder)
        root = demo_root(Path(tmp))
        try:
            app = AudienceApp.of(root)
            async with app.run_test(size=SIZE) as pilot:
                await settle(pilot)
                await monitor(pilot, "demo-emma")
                await start(pilot, "Monthly Newsletter", folder / "people.csv")
                save(app, out, "17-import-file")
                await pilot.press("enter")
                await settle(pilot)
                save(app, out, "18-import-mapping")
                await finish(pilot)
                save(app, out, "19-import-monitor")
                await monitor(pilot, "demo-placewise")
                await start(pilot, "City Lade", folder / "club-members.csv")
                await pilot.press("enter")
                await settle(pilot)
                await finish(pilot)
                save(app, out, "20-import-monitor-bulks")
                await monitor(pilot, "demo-heyloyalty")
                await start(pilot, "VIP Club", folder / "people.csv")
                await pilot.press("enter")
                await settle(pilot)
                await pilot.click("#confirm")
                await asyncio.sleep(1.0)
                await pilot.press("r")
                await settle(pilot)
                pilot.app.clear_notifications()
                await settle(pilot)
                save(app, out, "21-import-untracked")
        finally:
            await root.session.aclose()


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    out.mkdir(parents=True, exist_ok=True)
    asyncio.run(capture(out.resolve()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
