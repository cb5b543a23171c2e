"""Keys typed ahead are handled in the order they were typed: ↓ ↓ ⏎ sent at once (a paste, a
terminal that delivers them together while the app is busy) opens the row two below, not the
row the cursor was leaving; an email typed with `/` lands in the prompt `/` opens, and the keys
typed before `/` have their turn before it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, Label
from tui_helpers import flush, open_lists, open_members, running, settle, until

from audience_tui.core.models import Audience
from audience_tui.core.session import Session
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens.account_form import AccountFormScreen
from audience_tui.tui.screens.charts import ChartsScreen
from audience_tui.tui.screens.lists import ListsScreen
from audience_tui.tui.screens.lookup import LookupScreen
from audience_tui.tui.screens.member_detail import MemberDetailScreen
from audience_tui.tui.screens.members import MembersScreen
from audience_tui.tui.screens.opt_out import OptOutScreen
from audience_tui.tui.widgets.data_table import DataTable


def type_ahead(app: App[None], *keys: str) -> None:
    """The keys delivered together, as a terminal's read hands them over: no waiting between
    them for the app to handle each (Pilot's `press` waits)."""
    assert app._driver is not None
    for key in keys:
        app._driver.send_message(events.Key(key, None))


async def test_down_down_enter_typed_ahead_opens_the_account_two_below(session: Session) -> None:
    async with running(session) as (app, pilot):
        names = [account.name for account in session.accounts]
        type_ahead(app, "down", "down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ListsScreen)
        assert app.screen.account_name == names[2]
        lists = app.screen.query_one("#lists", DataTable)
        await until(pilot, lambda: lists.row_count > 1)
        type_ahead(app, "down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, MembersScreen)
        assert app.screen.audience.id == lists.coordinate_to_cell_key((1, 0)).row_key.value


async def test_an_email_typed_with_slash_lands_in_the_prompt(session: Session) -> None:
    """The characters typed after `/` go into the prompt's field, whole and in order, and the
    enter after them looks that email up (they had been lost to the screen below)."""
    async with running(session) as (app, pilot):
        await open_members(pilot, session, "demo-emma")
        type_ahead(app, "slash", *"nobody@example.org", "enter")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)
        assert app.screen.query_one("#email", Input).value == "nobody@example.org"
        message = app.screen.query_one("#message", Label)
        await until(pilot, lambda: not str(message.render()).startswith("Looking up"))
        assert str(message.render()) == "No member with nobody@example.org in demo-emma."


async def test_keys_typed_before_slash_have_their_turn_first(session: Session) -> None:
    """↓ ⏎ / and an email typed at once: the list opens, then the lookup over it holds the
    email. (The lookup's key had acted as it arrived, ahead of the ⏎ typed before it, which the
    prompt then took: the list never opened.)"""
    async with running(session) as (app, pilot):
        type_ahead(app, "down", "down", "down", "enter")  # demo-emma's lists
        await settle(pilot)
        lists = app.screen.query_one("#lists", DataTable)
        await until(pilot, lambda: lists.row_count > 1)
        type_ahead(app, "down", "enter", "slash", *"nobody@example.org")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)
        assert app.screen.query_one("#email", Input).value == "nobody@example.org"
        below = app.screen_stack[-2]
        assert isinstance(below, MembersScreen)
        assert below.audience.id == lists.coordinate_to_cell_key((1, 0)).row_key.value


@pytest.mark.parametrize("in_one_read", [False, True], ids=["typed-after", "in-one-read"])
async def test_c_typed_while_a_list_opens_charts_that_list(
    session: Session, monkeypatch: pytest.MonkeyPatch, in_one_read: bool
) -> None:
    """A list's screen shows once its first rows are in: `c` typed meanwhile charts that list's
    view, over its screen (it charted the lists screen's list, and the members came up over the
    chart). So does `c` delivered in one read with the ⏎ (a paste, keys piled up while the app
    was busy), which reaches the lists screen's keys only after ⏎ started opening the list."""
    gate = asyncio.Event()
    ready = MembersScreen.ready

    async def first_rows_held(screen: MembersScreen) -> None:
        await gate.wait()
        await ready(screen)

    monkeypatch.setattr(MembersScreen, "ready", first_rows_held)
    async with running(session) as (app, pilot):
        await open_lists(pilot, "demo-emma")
        lists = app.screen
        assert isinstance(lists, ListsScreen)
        await until(pilot, lambda: lists.query_one("#lists", DataTable).row_count > 1)
        type_ahead(app, *(["enter", "c"] if in_one_read else ["enter"]))
        await until(pilot, lambda: app.opening() is not None)
        if not in_one_read:
            type_ahead(app, "c")
        await flush(pilot)
        assert app.screen is lists  # the list is on its way, and `c` waits for it
        gate.set()
        await settle(pilot)
        assert isinstance(app.screen, ChartsScreen)
        assert isinstance(app.screen_stack[-2], MembersScreen)
        assert app.screen_stack[-3] is lists


async def test_enter_down_enter_in_one_read_opens_the_second_members_detail(
    session: Session,
) -> None:
    """⏎ ↓ ⏎ in one read on the lists: the list opens, and ↓ ⏎ act on its members (the table's
    arrows are bindings, so ↓ too waits for the list's screen, and leaves the lists' cursor)."""
    async with running(session) as (app, pilot):
        await open_lists(pilot, "demo-emma")
        lists = app.screen
        table = lists.query_one("#lists", DataTable)
        await until(pilot, lambda: table.row_count > 1)
        type_ahead(app, "enter", "down", "enter")
        await until(pilot, lambda: isinstance(app.screen, MemberDetailScreen))
        members = app.screen_stack[-2]
        assert isinstance(members, MembersScreen) and app.screen_stack[-3] is lists
        assert app.screen.member.email == members.cache.row(1).email
        assert table.cursor_row == 0


@pytest.mark.parametrize("before", [[], ["question_mark", "escape"]], ids=["a", "help-first"])
async def test_a_name_typed_with_the_key_that_opens_its_form_lands_in_the_form(
    session: Session, before: list[str]
) -> None:
    """`a` and a name in one read: the name goes into the form `a` opens (it had reached the
    accounts table before `a` ran its binding, and came back to find no binding on the form).
    So it does after help opened and closed in the same read, each key going on to the screen
    up when its turn comes."""
    async with running(session) as (app, pilot):
        type_ahead(app, *before, "a", *"shop")
        await until(pilot, lambda: bool(app.screen.query("#field-name")))
        await settle(pilot)
        assert isinstance(app.screen, AccountFormScreen)
        assert app.screen.query_one("#field-name", Input).value == "shop"


@pytest.mark.parametrize(
    "answer", [["shift+tab", "enter"], ["tab", "enter"], ["tab", "tab", "enter"]]
)
async def test_keys_typed_with_o_do_not_answer_the_opt_out_question(
    session: Session, answer: list[str]
) -> None:
    """`o` and the keys that would press Opt out, typed at once: the question shows and nothing
    is sent (they opted the member out unseen); keys typed once it shows answer it."""
    async with running(session) as (app, pilot):
        await open_members(pilot, session, "demo-emma")
        type_ahead(app, "o", *answer)
        await until(pilot, lambda: isinstance(app.screen, OptOutScreen))
        await settle(pilot)
        question = app.screen
        assert isinstance(question, OptOutScreen)
        assert not question.outcomes and not question.sending
        assert question.focused is question.query_one("#cancel")
        await pilot.press("shift+tab", "enter")
        await until(pilot, lambda: bool(question.outcomes))


async def test_keys_typed_while_an_accounts_lists_load_wait_for_them(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """↓ ⏎ typed as the lists screen comes up, before the platform has listed them, opens the
    second list once they are in (they moved the cursor of an empty table, and ⏎ opened
    nothing)."""
    gate = asyncio.Event()
    audiences = Session.audiences

    async def listed_late(self: Session, account: str, **kw: float | None) -> list[Audience]:
        await gate.wait()
        return await audiences(self, account, **kw)

    monkeypatch.setattr(Session, "audiences", listed_late)
    async with running(session) as (app, pilot):
        type_ahead(app, "down", "down", "down", "enter")  # demo-emma
        await until(pilot, lambda: isinstance(app.screen, ListsScreen))
        lists = app.screen
        assert isinstance(lists, ListsScreen)
        type_ahead(app, "down", "enter")
        await flush(pilot)
        assert app.screen is lists and not lists.query_one("#lists", DataTable).row_count
        gate.set()  # the keys are let go as the lists come in, then open the second of them
        await until(pilot, lambda: isinstance(app.screen, MembersScreen))
        table = lists.query_one("#lists", DataTable)
        assert app.screen.audience.id == table.coordinate_to_cell_key((1, 0)).row_key.value


@asynccontextmanager
async def lists_that_never_come(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[AudienceApp, Pilot[None], ListsScreen]]:
    """demo-emma's lists screen, opened by keys typed at once, over a platform that never lists."""
    silent = asyncio.Event()  # never set: the lists never come

    async def never_listed(self: Session, account: str, **kw: float | None) -> list[Audience]:
        await silent.wait()
        return []

    monkeypatch.setattr(Session, "audiences", never_listed)
    async with running(session) as (app, pilot):
        type_ahead(app, "down", "down", "down", "enter")
        await until(pilot, lambda: isinstance(app.screen, ListsScreen))
        assert isinstance(app.screen, ListsScreen)
        yield app, pilot, app.screen


async def test_keys_stop_waiting_for_lists_that_do_not_come(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A platform that does not list: a key typed meanwhile waits HOLD_LIMIT, then goes to the
    empty lists screen, and keys typed after that act at once: `escape` leaves (each key had
    waited half a second while the platform was silent)."""
    async with lists_that_never_come(session, monkeypatch) as (app, pilot, lists):
        type_ahead(app, "down")
        await until(pilot, lambda: bool(app._held))
        await until(pilot, lambda: not app._held)  # HOLD_LIMIT: on to the empty table
        type_ahead(app, "escape")
        await flush(pilot)
        assert app.screen is not lists


async def test_slash_opens_its_prompt_over_lists_that_do_not_come(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`/` and an email typed while a silent platform lists: the prompt opens over the lists
    screen once the keys stop waiting (HOLD_LIMIT), with the email in it, not when the lists
    request gives up (10 s later)."""
    async with lists_that_never_come(session, monkeypatch) as (app, pilot, lists):
        type_ahead(app, "slash", *"a@b.no")
        await until(pilot, lambda: isinstance(app.screen, LookupScreen), seconds=3)
        await until(pilot, lambda: app.screen.query_one("#email", Input).value == "a@b.no")
        assert app.screen_stack[-2] is lists


async def test_a_key_remapped_to_the_lookup_holds_what_follows_too(session: Session) -> None:
    """A key added to the lookup in [keys] opens it in turn as `/` does: the email typed after
    it lands in the prompt."""
    async with running(session) as (app, pilot):
        app.update_keymap({"app.lookup": "slash,f3"})
        await open_members(pilot, session, "demo-emma")
        type_ahead(app, "f3", *"a@b.no")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)
        assert app.screen.query_one("#email", Input).value == "a@b.no"


async def test_slash_typed_in_the_palettes_field_is_typed_there(session: Session) -> None:
    """The lookup's key holds what follows, but not on a field that takes it as typing."""
    async with running(session) as (app, pilot):
        await pilot.press("ctrl+p")
        await settle(pilot)
        palette = app.screen
        await pilot.press("slash")
        await settle(pilot)
        assert app.screen is palette and palette.query_one(Input).value == "/"
