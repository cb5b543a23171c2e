"""Regenerate the filter screenshots (15-filter-builder, 16-filtered-table) at 120x40 on the demo
sandbox.

    .venv/bin/python screenshots/capture_filters.py [OUTPUT_DIR]

Same way as capture.py (whose helpers it uses), on a throwaway sandbox with the small demo lists:
Kajabi's Yoga Academy filtered by a name Kajabi searches itself and a subscription state the app
checks page by page, then the table of the matches the scan found.
"""

from __future__ import annotations

import sys
from pathlib import Path

from capture import main_for, save, settle
from textual.pilot import Pilot
from textual.widgets import Button, Input, Select

from audience_tui.tui.app import AudienceApp


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
        # Pressed, not clicked: a click leaves the pointer over the button, and the shot would
        # show it hovered or not depending on timing.
        app.screen.query_one("#add", Button).press()
        await pilot.pause(0.3)  # past the button's pressed look
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


if __name__ == "__main__":
    sys.exit(main_for(shoot))
