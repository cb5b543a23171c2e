"""Themes: the accounts and members screens readable in a light theme, a dark theme and with
NO_COLOR (snapshots at 120x40); the theme comes from the settings and a choice made in the
command palette is written back to the settings file."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from textual.pilot import Pilot
from textual.widgets import Input
from tui_helpers import SIZE, members_app, screen_text, settle

from audience_tui.bootstrap import DEMO_HINT
from audience_tui.core.session import Session
from audience_tui.core.settings import load, settings_path
from audience_tui.demo import Sandbox, demo_session
from audience_tui.tui.app import AudienceApp

LOOKS = {
    "light": ("textual-light", False),
    "dark": ("textual-dark", False),
    "no_color": ("textual-dark", True),
}


@pytest.fixture(params=list(LOOKS))
def look(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The theme in the settings file, and NO_COLOR in the environment where asked for."""
    theme, no_color = LOOKS[request.param]
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'theme = "{theme}"\n', encoding="utf-8")
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    return theme


@pytest.fixture
def session(sandbox: Sandbox) -> Iterator[Session]:
    session = demo_session(sandbox)
    yield session
    asyncio.run(session.aclose())


def test_accounts_screen(snap_compare: Callable[..., bool], session: Session, look: str) -> None:
    app = AudienceApp(session, first_run_hint=DEMO_HINT)
    assert app.theme == look
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


def test_members_screen(snap_compare: Callable[..., bool], sandbox: Sandbox, look: str) -> None:
    app, run_before = members_app(sandbox, "demo-heyloyalty", "down", "down")
    assert app.theme == look
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def test_theme_chosen_in_the_palette_is_remembered(session: Session) -> None:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('# mine\nprefetch = 4\n\n[keys]\n"app.quit" = "f10"\n', encoding="utf-8")
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"theme nord")
        await settle(pilot)
        assert "Theme: nord" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert app.theme == "nord"
        await pilot.press("ctrl+p", *"change theme")
        await settle(pilot)
        await pilot.press("enter")  # Textual's own theme picker: the choice is kept as well
        await settle(pilot)
        await pilot.press(*"textual-light", "enter")
        await settle(pilot)
        assert app.theme == "textual-light"
    loaded = load(path)
    assert loaded.problems == []
    assert loaded.settings.theme == "textual-light"
    assert (loaded.settings.prefetch, dict(loaded.settings.keys)) == (4, {"app.quit": "f10"})
    assert path.read_text(encoding="utf-8").startswith("# mine\n")


async def test_unknown_theme_is_reported_and_the_default_used(session: Session) -> None:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('theme = "neon-pink"\n', encoding="utf-8")
    app = AudienceApp(session)
    assert app.theme == "textual-dark"
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        [message] = [n.message for n in app._notifications]
        assert message.startswith(f"{path}:1: theme: unknown theme 'neon-pink'")


def test_add_account_form(snap_compare: Callable[..., bool], session: Session, look: str) -> None:
    """The form's fields stand out from the dialog in every look (they were invisible in the
    light theme)."""
    app = AudienceApp(session)

    async def open_form(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=open_form)
