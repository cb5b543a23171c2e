"""A screen is styled as it mounts and not all over again as it first shows (styled_once.py), and
what it shows is what a whole restyle would give it; a screen shown again is restyled."""

from __future__ import annotations

import pytest
from textual.dom import DOMNode
from textual.screen import Screen
from tui_helpers import open_members, running, settle, until

from audience_tui.core.session import Session
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens.filter_builder import FilterBuilder
from audience_tui.tui.screens.help import HelpScreen
from audience_tui.tui.screens.member_detail import MemberDetailScreen


def styles(screen: Screen[object]) -> list[tuple[str, str]]:
    return [(repr(node), node.styles.css) for node in screen.walk_children(with_self=True)]


@pytest.fixture
def restyled(monkeypatch: pytest.MonkeyPatch) -> list[DOMNode]:
    """Each node the app restyles (with its descendants), in order."""
    nodes: list[DOMNode] = []
    update_styles = AudienceApp.update_styles

    def recording(app: AudienceApp, node: DOMNode, animate: bool = True) -> None:
        nodes.append(node)
        update_styles(app, node, animate)

    monkeypatch.setattr(AudienceApp, "update_styles", recording)
    return nodes


@pytest.mark.parametrize(
    ("key", "opens"),
    [("f", FilterBuilder), ("question_mark", HelpScreen), ("enter", MemberDetailScreen)],
)
async def test_a_screen_first_shows_styled_as_a_whole_restyle_would_style_it(
    session: Session, restyled: list[DOMNode], key: str, opens: type[Screen[object]]
) -> None:
    async with running(session) as (app, pilot):
        members = await open_members(pilot, session, "demo-emma")
        restyled.clear()
        await pilot.press(key)
        await until(pilot, lambda: isinstance(app.screen, opens))
        await settle(pilot)
        shown = app.screen
        assert shown not in restyled  # its widgets were styled as they mounted, not again
        as_shown = styles(shown)
        app.update_styles(shown)  # the whole restyle Textual would have made
        assert styles(shown) == as_shown

        await pilot.press("escape")
        await until(pilot, lambda: app.screen is members)
        restyled.clear()
        await pilot.press(key)  # a new screen of the same kind: not restyled either
        await until(pilot, lambda: isinstance(app.screen, opens) and app.screen is not shown)
        await settle(pilot)
        assert app.screen not in restyled


async def test_a_screen_shown_again_is_restyled(session: Session, restyled: list[DOMNode]) -> None:
    """What changed while a screen was away reaches it: each resume after the first restyles
    (an installed screen is kept when it closes, and shown again as it was)."""
    async with running(session) as (app, pilot):
        accounts = app.screen
        app.install_screen(HelpScreen(accounts), "kept-help")
        for shown, restyles in ((1, False), (2, True), (3, True)):
            restyled.clear()
            await app.push_screen("kept-help")
            await until(pilot, lambda: isinstance(app.screen, HelpScreen))
            await settle(pilot)
            assert (app.screen in restyled) is restyles, f"shown {shown} times"
            app.pop_screen()
            await until(pilot, lambda: app.screen is accounts)
