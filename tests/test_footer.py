"""The footer is rebuilt once when its screen opens, not on every bindings signal, and still
follows the keys when they change."""

from __future__ import annotations

from typing import ClassVar

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Label
from textual.widgets._footer import FooterKey
from tui_helpers import SIZE, settle

from audience_tui.core.session import Session
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens.accounts import AccountsScreen
from audience_tui.tui.widgets.footer import Footer


def shown(screen: Screen[object]) -> list[tuple[str, bool]]:
    """(description, enabled) of each key the screen's footer shows."""
    keys = screen.query_one(Footer).query(FooterKey)
    return [(key.description, not key.has_class("-disabled")) for key in keys]


async def test_the_accounts_footer_is_built_once(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[str] = []
    recompose = Footer.recompose

    async def counted(self: Footer) -> None:
        built.append(type(self.screen).__name__)
        await recompose(self)

    monkeypatch.setattr(Footer, "recompose", counted)
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        accounts = app.screen
        assert isinstance(accounts, AccountsScreen)
        assert ("Open lists", True) in shown(accounts) and ("Quit", True) in shown(accounts)
        await app.push_screen(Screen())  # covered, then back: its keys are the same
        await pilot.pause()
        app.pop_screen()
        await pilot.pause()
        assert built == ["AccountsScreen"]  # Textual's own Footer: 3 at start, 2 more here
        assert ("Open lists", True) in shown(accounts)


class Switchable(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "launch", "Launch"),
        Binding("y", "hidden", "Hidden"),
    ]
    armed = False

    def compose(self) -> ComposeResult:
        yield Label("switchable")
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "launch":
            return True if self.armed else None  # None: shown, but disabled
        if action == "hidden":
            return self.armed  # False: not shown at all
        return True


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


async def test_a_footer_whose_screen_closed_before_its_refresh_came() -> None:
    """The refresh a footer waits for can come after its screen has gone (seen over `serve`,
    where the lookup switches screens): it then has nothing to show."""
    app = App[None]()
    async with app.run_test(size=SIZE) as pilot:
        screen = Switchable()
        await app.push_screen(screen)
        await pilot.pause()
        footer = screen.query_one(Footer)
        shown = footer._keys_shown
        app.pop_screen()
        await pilot.pause()
        assert not footer.is_attached and shown
        await footer._recompose_if_changed()  # the callback it had asked for, arriving late
        assert footer._keys_shown is shown  # it neither raised nor looked for keys to show


async def test_keys_are_made_plain_not_bound_to_the_footer(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Textual binds each key's `compact` to its footer's, restyling every key as it mounts;
    ours are plain keys from the start, and look the same: the palette's key compact, as ever."""
    bound: list[str] = []
    data_bind = FooterKey.data_bind

    def counted(self: FooterKey, *args: object, **kwargs: object) -> FooterKey:
        bound.append(self.description)
        return data_bind(self, *args, **kwargs)

    monkeypatch.setattr(FooterKey, "data_bind", counted)
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        keys = list(app.screen.query_one(Footer).query(FooterKey))
        assert bound == []
        assert [k.description for k in keys if k.compact] == ["Commands"]
        assert keys[-1].has_class("-command-palette", "-compact")
        assert len(keys) > 5 and not any(k.has_class("-compact") for k in keys[:-1])
