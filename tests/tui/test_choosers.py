"""A chooser (Select) with the focus takes the characters typed on it as a search, open or
closed: `/` does not leave the import screen for the lookup, `q` does not quit from the
middle of the account form, and the app keys it takes leave the footer while it has the focus."""

from __future__ import annotations

from pathlib import Path

from test_filter_builder import add, open_builder, open_list
from test_imports_tui import open_monitor, settle
from test_keys import write_settings
from textual.widgets import Input, Select
from tui_helpers import SIZE, Host, screen_text, settle_top

from audience_tui.core.session import Session
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens.account_form import AccountFormScreen
from audience_tui.tui.screens.import_start import ImportStartScreen
from audience_tui.tui.screens.lookup import LookupScreen
from audience_tui.tui.widgets.chooser import Chooser


def shown_keys(app: AudienceApp) -> set[str]:
    return {key for key, active in app.screen.active_bindings.items() if active.binding.show}


async def test_slash_on_the_import_list_chooser_searches_it(
    session: Session, tmp_path: Path
) -> None:
    app = AudienceApp(session)
    async with app.run_test() as pilot:
        await settle(pilot)
        screen = ImportStartScreen(session, "demo-emma", root=tmp_path)
        await app.push_screen(screen)
        await settle(pilot)
        chooser = screen.query_one("#list", Chooser)
        chooser.focus()
        await pilot.pause()
        assert "slash" not in shown_keys(app)  # the footer does not offer what does not work
        await pilot.press("slash")
        await pilot.pause()
        assert app.screen is screen and chooser.expanded  # no lookup over the import
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and not chooser.expanded and chooser.has_focus
        target = list(screen.audiences.values())[-1]
        for character in target.name[:4].lower():
            await pilot.press(character)
        await pilot.press("enter")
        await pilot.pause()
        assert chooser.value == target.id


async def test_q_on_the_account_forms_platform_chooser_picks_rather_than_quits(
    session: Session,
) -> None:
    app = AudienceApp(session)
    async with app.run_test() as pilot:
        await settle(pilot)
        form = AccountFormScreen()
        await app.push_screen(form)
        await pilot.pause()
        chooser = form.query_one("#platform", Select)
        chooser.focus()
        await pilot.pause()
        for character in "heyl":
            await pilot.press(character)
        await pilot.press("enter")
        await pilot.pause()
        assert chooser.value == "heyloyalty"
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running and app.screen is form and chooser.expanded


async def test_the_filter_builders_choosers_search_and_a_still_applies(session: Session) -> None:
    app = Host(session)
    async with app.run_test(size=SIZE) as pilot:
        members = await open_list(pilot, session, "demo-heyloyalty")
        builder = await open_builder(pilot)
        chooser = builder.query_one("#field", Select)
        chooser.focus()
        await pilot.pause()
        for character in "cit":
            await pilot.press(character)
        await pilot.press("enter")
        await pilot.pause()
        assert chooser.value == "city" and chooser.has_focus
        await pilot.press("a")  # the builder's key, not a search for "a"
        await settle_top(pilot)
        assert app.screen is members


async def test_a_choice_too_long_for_its_chooser_is_cut_on_one_line(session: Session) -> None:
    """At 80 columns the filter builder's Match chooser is narrower than "all conditions
    (and)": it stays one line, ending in "…", rather than wrapping and pushing the rows apart."""
    app = Host(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_list(pilot, session, "demo-emma")
        builder = await open_builder(pilot)
        logic = builder.query_one("#logic", Select)
        await pilot.pause()
        assert logic.size.width < len("all conditions (and)") + 4
        assert logic.size.height == 1
        assert "all conditions (…" in screen_text(app)


async def test_a_key_added_for_the_lookup_works_from_a_text_field(session: Session) -> None:
    """`/` is typed into a field; f3, added in [keys], still opens the lookup from there."""
    write_settings('[keys]\napp.lookup = ["slash", "f3"]\n')
    app = AudienceApp(session)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("x", "enter")  # the compliance screen, on to its file field
        await settle(pilot)
        field = app.focused
        assert isinstance(field, Input)
        await pilot.press("slash")
        await pilot.pause()
        assert field.value == "/" and app.screen is field.screen
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)


async def test_the_saved_filters_chooser_finds_a_name_as_it_is_typed(session: Session) -> None:
    app = Host(session)
    async with app.run_test(size=SIZE) as pilot:
        await open_list(pilot, session, "demo-heyloyalty")
        builder = await open_builder(pilot)
        await add(pilot, builder, "sex", "eq", "1")
        for name in ("men", "older men"):
            builder.query_one("#name", Input).value = name
            await pilot.press("w")
            await pilot.pause()
        saved = builder.query_one("#saved", Select)
        saved.value = "men"
        saved.focus()
        await pilot.pause()
        assert not saved.expanded
        await pilot.press("o", "l")  # typed on the closed chooser: it opens at "older men"
        assert saved.expanded
        await pilot.press("enter")
        await pilot.pause()
        assert saved.value == "older men" and builder.is_current


async def test_an_import_started_from_the_accounts_screen_chooses_a_list_with_enter_enter(
    session: Session,
) -> None:
    """Started from an account, not a list, the import's list chooser is blank; opened, its
    menu starts on the first list, not on the prompt, so `enter` chooses that list."""
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await open_monitor(pilot, "demo-emma")
        await pilot.press("n")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ImportStartScreen)
        chooser = screen.query_one("#list", Chooser)
        assert chooser.has_focus and chooser.is_blank()
        await pilot.press("enter")
        assert chooser.expanded
        await pilot.press("enter")
        first = next(iter(screen.audiences.values()))
        assert not chooser.expanded and chooser.value == first.id
        assert first.name in screen_text(app)  # shown as chosen
