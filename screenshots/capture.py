"""Regenerate the README's screenshots: every screen at 120x40 on the demo sandbox.

    .venv/bin/python screenshots/capture.py [OUTPUT_DIR]

Drives the app with Textual's Pilot as a person would (keys only), saves an SVG of each screen with
`app.save_screenshot`, and converts each to PNG with cairosvg. The sandbox runs on a throwaway
database with the small demo lists, so the pictures are the same on every run and the opt-out
shown does not touch the user's own demo data.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import cairosvg
from textual.pilot import Pilot
from textual.widgets import Input

from audience_tui.bootstrap import Root, open_root
from audience_tui.core.models import MemberStatus
from audience_tui.core.session import Session
from audience_tui.sandbox.people import person
from audience_tui.sandbox.store import Store
from audience_tui.tui.app import AudienceApp

SIZE = (120, 40)
HERE = Path(__file__).resolve().parent
# The SVGs name Fira Code (loaded from the web by browsers); cairosvg needs an installed font.
PNG_FONT = os.environ.get("SCREENSHOT_FONT", "DejaVu Sans Mono")


async def settle(pilot: Pilot[None]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def someone_everywhere(session: Session) -> str:
    """A demo person active on at least three platforms (the demo populations overlap)."""
    for index in range(2400, 2700):
        email = person(index).email
        results = await session.lookup(email)
        if sum(any(m.status is MemberStatus.ACTIVE for m in r.members) for r in results) >= 3:
            return email
    raise SystemExit("no demo person found on three platforms")


def save(app: AudienceApp, out: Path, name: str) -> None:
    svg = out / f"{name}.svg"
    app.save_screenshot(str(svg))
    text = svg.read_text(encoding="utf-8").replace("Fira Code", PNG_FONT)
    cairosvg.svg2png(bytestring=text.encode("utf-8"), write_to=str(out / f"{name}.png"))
    print(f"{svg} (+ .png)")


Shoot = Callable[[Pilot[None], AudienceApp, Path], Awaitable[None]]


def demo_root(folder: Path) -> Root:
    """The demo, as the app opens it, over a throwaway sandbox with the small demo lists, and
    with config, state and data folders of its own: the user's settings, import journal and
    audit file are neither read nor written (the import monitor's picture once listed every
    import that earlier captures had started)."""
    for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        os.environ[var] = str(folder / var.lower())
    return open_root(demo=True, store=Store.open(folder / "sandbox.sqlite", big_lists=False))


async def on_demo(out: Path, shoot: Shoot) -> None:
    """Run `shoot` on the app over a throwaway sandbox with the small demo lists."""
    with tempfile.TemporaryDirectory() as tmp:
        root = demo_root(Path(tmp))
        try:
            app = AudienceApp.of(root)
            async with app.run_test(size=SIZE) as pilot:
                await shoot(pilot, app, out)
        finally:
            await root.session.aclose()


def main_for(shoot: Shoot) -> int:
    """The command line of a capture script: `[OUTPUT_DIR]`, default this folder."""
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    out.mkdir(parents=True, exist_ok=True)
    asyncio.run(on_demo(out.resolve(), shoot))
    return 0


async def shoot(pilot: Pilot[None], app: AudienceApp, out: Path) -> None:
    async def keys(*pressed: str) -> None:
        await pilot.press(*pressed)
        await settle(pilot)

    await settle(pilot)
    email = await someone_everywhere(app.session)
    save(app, out, "01-accounts")
    await keys("question_mark")
    save(app, out, "02-help")
    await keys("escape", "ctrl+p")
    save(app, out, "03-command-palette")
    await keys("escape", "down", "down", "down", "down", "enter")  # demo-heyloyalty
    save(app, out, "04-lists")
    await keys("enter")
    save(app, out, "05-members")
    await keys("enter")
    save(app, out, "06-member-detail")
    await keys("o")
    save(app, out, "07-opt-out-confirm")
    await keys("escape", "escape", "escape", "escape")  # back to the accounts
    await keys("slash")
    app.screen.query_one(Input).value = email
    app.screen.query_one(Input).cursor_blink = False
    save(app, out, "08-lookup-prompt")
    await keys("enter")
    save(app, out, "09-lookup-everywhere")
    await keys("O")
    save(app, out, "10-opt-out-everywhere")
    await keys("enter")
    save(app, out, "11-opt-out-everywhere-done")
    await keys("escape")
    save(app, out, "12-lookup-after-opt-out")


if __name__ == "__main__":
    sys.exit(main_for(shoot))
