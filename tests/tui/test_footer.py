"""The footer is one widget that draws Textual's line of keys: it follows the keys as they
change, and its keys answer the mouse as Textual's do."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Label
from tui_helpers import SIZE, open_members, running, screen_text, settle

from audience_tui.core.session import Session
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens.accounts import AccountsScreen
from audience_tui.tui.widgets.footer import Footer


def shown(screen: Screen[object]) -> list[tuple[str, bool]]:
    """(description, enabled) of each key the screen's footer draws."""
    return [(key.binding.description, key.enabled) for key in screen.query_one(Footer).keys]


async def test_the_accounts_footer_is_one_widget_with_the_palette_key_last(
    session: Session,
) -> None:
    async with running(session) as (app, _pilot):
        accounts = app.screen
        assert isinstance(accounts, AccountsScreen)
        footer = accounts.query_one(Footer)
        assert not footer.children
        assert ("Open lists", True) in shown(accounts) and ("Quit", True) in shown(accounts)
        assert shown(accounts)[-1] == ("Commands", True)
        last = screen_text(app).splitlines()[SIZE[1] - 1]
        # Too long for 120 columns spaced as Textual spaces keys: closer together, none cut.
        assert last.startswith("⏎ Open lists a Add account ")
        assert "? Help / Look up email " in last
        assert last.endswith("▏^p Commands ")
        palette = footer.keys[-1]
        assert (palette.start, palette.end) == (SIZE[0] - 12, SIZE[0])


class Switchable(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "launch", "Launch", tooltip="Launch it"),
        Binding("y", "hidden", "Hidden"),
    ]
    armed = False
    launched = 0

    def compose(self) -> ComposeResult:
        yield Label("switchable")
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "launch":
            return True if self.armed else None  # None: shown, but disabled
        if action == "hidden":
            return self.armed  # False: not shown at all
        return True

    def action_launch(self) -> None:
        self.launched += 1


async def test_the_footer_follows_keys_that_change() -> None:
    app = App[None]()
    async with app.run_test(size=SIZE) as pilot:
        screen = Switchable()
        await app.push_screen(screen)
        await pilot.pause()
        assert ("Launch", False) in shown(screen)
        assert "Hidden" not in [description for description, _ in shown(screen)]
        screen.armed = True
        screen.refresh_bindings()
        await pilot.pause()
        assert ("Launch", True) in shown(screen) and ("Hidden", True) in shown(screen)


async def test_a_click_presses_a_key_and_a_disabled_key_rings_the_bell() -> None:
    app = App[None]()
    bells: list[None] = []
    app.bell = lambda: bells.append(None)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        screen = Switchable()
        await app.push_screen(screen)
        await pilot.pause()
        launch = screen.query_one(Footer).keys[0]
        assert launch.binding.action == "launch" and not launch.enabled
        await pilot.click(Footer, offset=(launch.start + 1, 0))
        assert (screen.launched, len(bells)) == (0, 1)
        screen.armed = True
        screen.refresh_bindings()
        await pilot.pause()
        await pilot.hover(Footer, offset=(launch.start + 1, 0))
        footer = screen.query_one(Footer)
        assert footer.tooltip == "Launch it"
        await pilot.click(Footer, offset=(launch.end - 1, 0))
        await pilot.pause()
        assert (screen.launched, len(bells)) == (1, 1)
        await pilot.click(Footer, offset=(footer.keys[-2].end + 1, 0))  # between keys: nothing
        assert (screen.launched, len(bells)) == (1, 1)


async def test_a_footer_whose_screen_closed_is_left_alone() -> None:
    """The bindings signal can come after the footer's screen has gone (seen over `serve`,
    where the lookup switches screens): the footer then keeps what it drew."""
    app = App[None]()
    async with app.run_test(size=SIZE) as pilot:
        screen = Switchable()
        await app.push_screen(screen)
        await pilot.pause()
        footer = screen.query_one(Footer)
        drawn = footer.keys
        app.pop_screen()
        await pilot.pause()
        assert not footer.is_attached and drawn
        footer.bindings_changed(screen)  # the signal, arriving late
        assert footer.keys is drawn


async def test_keys_that_do_not_fit_wrap_onto_a_second_line_whole(session: Session) -> None:
    """At 80 columns no description is cut: the footer takes two lines, and a key on the
    second line answers the mouse."""
    app = AudienceApp(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(Footer)
        assert footer.size.height == 2
        text = "\n".join(screen_text(app).splitlines()[-2:])
        for description, _ in shown(app.screen):
            assert f" {description} " in text + " ", description
        second = next(key for key in footer.keys if key.row == 1)
        assert text.splitlines()[1][second.start : second.end].startswith(second.display)
        presses: list[str] = []
        app.simulate_key = presses.append  # type: ignore[method-assign]
        await pilot.click(Footer, offset=(second.start + 1, 1))
        assert presses == [second.binding.key]
        await pilot.resize_terminal(160, 24)
        await pilot.pause()
        assert footer.size.height == 1


async def test_the_members_footer_fits_one_line_at_120_columns(session: Session) -> None:
    async with running(session) as (app, pilot):
        screen = await open_members(pilot, session, "demo-placewise")
        footer = screen.query_one(Footer)
        assert footer.size.height == 1
        last = screen_text(app).splitlines()[SIZE[1] - 1]
        assert "/ Look up email " in last and "s Sort " in last
