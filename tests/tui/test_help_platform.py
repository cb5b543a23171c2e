"""`?` on a screen of one account says what its platform can do, from the adapter's
capabilities; off an account (the accounts screen) there is no such section."""

from __future__ import annotations

from textual.widgets import Static
from tui_helpers import SIZE, open_lists, settle

from audience_tui.core.capability_doc import help_section
from audience_tui.core.session import Session
from audience_tui.providers.emma.adapter import EmmaProvider
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens.help import HelpScreen, platform_help


async def test_help_on_an_account_screen_says_what_its_platform_can_do(session: Session) -> None:
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen) and not app.screen.query("#platform")
        await pilot.press("escape")
        await open_lists(pilot, "demo-emma")
        lists = app.screen
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert platform_help(lists) == help_section(EmmaProvider)
        assert app.screen.query_one("#platform", Static).display
