"""Regenerate the charts screenshots (13-chart, 14-chart-over-time) at 120x40 on the demo sandbox.

    .venv/bin/python screenshots/capture_charts.py [OUTPUT_DIR]

Same way as capture.py (whose helpers it uses): keys only, a throwaway sandbox with the small demo
lists. The bars are Heyloyalty's countries counted by scanning every page; the line chart is
Placewise's member balance (joined / left per month) over ten years.
"""

from __future__ import annotations

import sys
from pathlib import Path

from capture import main_for, save, settle
from textual.pilot import Pilot
from textual.widgets import OptionList

from audience_tui.tui.app import AudienceApp


async def shoot(pilot: Pilot[None], app: AudienceApp, out: Path) -> None:
    async def keys(*pressed: str) -> None:
        await pilot.press(*pressed)
        await settle(pilot)

    await settle(pilot)
    await keys("down", "down", "down", "down", "enter")  # demo-heyloyalty
    await keys("down", "c")  # Webshop customers
    await keys("enter")  # country, the first field counted by scanning
    save(app, out, "13-chart")
    await keys("escape", "escape", "up", "up", "up", "up", "enter")  # demo-placewise
    await keys("c", "t")  # Infinity Mall, over time
    periods = app.screen.query_one("#periods", OptionList)
    await keys(*["tab"] * 2, *["down"] * (len(periods.options) - 1 - (periods.highlighted or 0)))
    await keys("enter")  # the longest period
    save(app, out, "14-chart-over-time")


if __name__ == "__main__":
    sys.exit(main_for(shoot))
