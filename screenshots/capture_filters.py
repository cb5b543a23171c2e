"""Regenerate the filter screenshots (15-filter-builder, 16-filtered-table) at 120x40 on the demo
sandbox.

    .venv/bin/python screenshots/capture_filters.py [OUTPUT_DIR]

Same way as capture.py (whose helpers it uses), on a throwaway sandbox with the small demo lists:
Kajabi's Yoga Academy filtered by a name Kajabi searches itself and a subscription state the app
checks page by page, then the table of the matches the scan found.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from capture import HERE, SIZE, save, settle
from textual.pilot import Pilot
from textual.widgets import Input, Select

from audience_tui.sandbox.demo import Sandbox, demo_session
from audience_tui.sandbox.store import Store
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.launch import DEMO_HINT


async def capture(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = Sandbox.start(Store.open(Path(tmp) / "sandbox.sqlite", big_lists=False))
        session = demo_session(sandbox)
        try:
            app = AudienceApp(session, sandbox=sandbox, first_run_hint=DEMO_HINT)
            async with app.run_test(size=SIZE) as pilot:
                await shoot(pilot, app, out)
        finally:
            await session.aclose()


async def shoot(pilot: Pilot[None], app: AudienceApp, out: Path) -> None:
    async def keys(*pressed: str) -> None:
        await pilot.press(*pressed)
        await settle(pilot)

    async def condition(field: str, op: str, value: object) -> None:
        app.screen.query_one("#field", Select).value = field
        await settle(pilot)
        app.screen.query_one("#op", Select).value = op
        await settle(pilot)
        if isinstance(value, str):
            app.screen.query_one("#text", Input).value = value
        else:
            app.screen.query_one("#choice", Select).value = value
        await pilot.click("#add")
        await settle(pilot)

    await settle(pilot)
    await keys("down", "down", "enter")  # demo-kajabi
    await keys("down", "down", "enter")  # Yoga Academy
    await keys("f")
    await condition("name", "ct", "an")
    await condition("subscribed", "eq", False)
    app.screen.query_one("#name", Input).value = "Unsubscribed with an"
    for field in app.screen.query(Input):
        field.cursor_blink = False
    await settle(pilot)
    save(app, out, "15-filter-builder")
    await pilot.click("#apply")
    await settle(pilot)
    await keys("down", "down")
    save(app, out, "16-filtered-table")


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    out.mkdir(parents=True, exist_ok=True)
    asyncio.run(capture(out.resolve()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
