"""What a new user met in their first hour (issue 17), each as a Pilot test: keys that do what
the footer says, Home/End in tables, labels in the member detail from its first paint, one
wording per status, and the hints as plain sentences."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, OptionList, RadioSet, Select, Static
from textual.widgets._select import SelectCurrent
from tui_helpers import (
    SIZE,
    lines,
    notifications,
    open_lists,
    open_members,
    running,
    screen_text,
    settle,
    settle_top,
    status,
)

from audience_tui.bootstrap import DEMO_HINT
from audience_tui.core.models import FieldSpec, Member, MemberStatus, Query
from audience_tui.core.session import Session
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens.charts import GROUPING_TYPES, ChartsScreen, personal
from audience_tui.tui.screens.confirm import ConfirmScreen
from audience_tui.tui.screens.export_dialog import ExportDialog, export_folder
from audience_tui.tui.screens.filter_builder import FilterBuilder
from audience_tui.tui.screens.import_start import CsvTree, ImportStartScreen
from audience_tui.tui.screens.import_view import stamp, zone
from audience_tui.tui.screens.imports import ImportsScreen
from audience_tui.tui.screens.member_detail import MemberDetailScreen
from audience_tui.tui.screens.members import MembersScreen
from audience_tui.tui.widgets.cells import status_label
from audience_tui.tui.widgets.fields import _scalar
from audience_tui.tui.widgets.footer import Footer


async def test_home_and_end_move_the_cursor_of_the_lists_and_of_the_members(
    session: Session,
) -> None:
    async with running(session) as (app, pilot):
        accounts = app.screen.query_one(DataTable)
        await pilot.press("end")
        assert accounts.cursor_row == accounts.row_count - 1
        await pilot.press("home")
        assert accounts.cursor_row == 0

        members = await open_members(pilot, session, "demo-placewise")
        total = members.cache.total if members.cache else None
        assert total and total > 100
        await pilot.press("end")
        await members.settle()
        assert members.table.cursor_row == total - 1
        await pilot.press("home")
        assert members.table.cursor_row == 0


async def test_the_detail_opened_from_the_table_shows_labels_from_its_first_paint(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(session) as (app, pilot):
        members = await open_members(pilot, session, "demo-heyloyalty")
        never = asyncio.Event()

        async def fields_never_answer(*_: object) -> list[FieldSpec]:
            await never.wait()
            return []

        # The detail has what it needs from the table: it must not wait on the platform.
        monkeypatch.setattr(members.provider, "fields", fields_never_answer)
        while (
            members.table.current_member is None
            or "sex" not in (members.table.current_member.fields)
            or members.table.current_member.fields["sex"] is None
        ):
            members.table.move_to(members.table.cursor_row + 1)
            await members.settle()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MemberDetailScreen)
        shown = screen_text(app)
        assert "Sex" in shown and ("Female" in shown or "Male" in shown), shown
        assert "sex " not in shown
        app.workers.cancel_node(app.screen)


def test_the_platform_status_follows_ours_without_nested_brackets() -> None:
    member = Member(
        id="1",
        email="a@example.com",
        status=MemberStatus.OPTED_OUT,
        platform_status="unsubscribed (PUBLISHER)",
    )
    assert status_label(member) == "opted out · unsubscribed (PUBLISHER)"
    same = Member(id="2", email=None, status=MemberStatus.ACTIVE, platform_status="Active")
    assert status_label(same) == "active"


async def test_the_demo_hint_is_a_sentence_without_markdown_quotes(session: Session) -> None:
    app = AudienceApp(session, first_run_hint=DEMO_HINT)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown = screen_text(app)
        assert "press a" in shown and "audience-tui accounts add PLATFORM NAME" in shown
        assert "`" not in shown


async def test_t_tests_the_connection_and_says_how_it_went(session: Session) -> None:
    async with running(session) as (app, pilot):
        await pilot.press("t")
        await settle(pilot)
        said = notifications(app)
        assert any(m.startswith(f"{session.accounts[0].name} answers (") for m in said), said


async def test_imports_of_a_platform_without_imports_offer_no_new_import(
    session: Session,
) -> None:
    async with running(session) as (app, pilot):
        await open_lists(pilot, "demo-kajabi")
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, ImportsScreen)
        keys = [key.binding.action for key in app.screen.query_one(Footer).keys]
        assert "new" not in keys and "refresh" not in keys and "back" in keys
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, ImportsScreen)  # nothing to start


async def open_builder(pilot: Pilot[None], session: Session, account: str) -> FilterBuilder:
    await settle(pilot)
    await open_members(pilot, session, account)
    await pilot.press("f")
    await settle_top(pilot)
    assert isinstance(pilot.app.screen, FilterBuilder)
    return pilot.app.screen


async def test_the_operator_box_shows_the_new_fields_operators_at_once(session: Session) -> None:
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        builder = await open_builder(pilot, session, "demo-placewise")
        op = builder.query_one("#op", Select)
        for spec in builder.fields:
            builder.query_one("#field", Select).value = spec.name
            await pilot.pause()
            prompts = {value: label.plain for label, value in builder._op_options(spec)}
            shown = str(op.query_one(SelectCurrent).query_one("#label", Static).render())
            assert shown == prompts[op.value], spec.name


async def test_the_builder_at_80x24_keeps_its_buttons_in_view(session: Session) -> None:
    app = AudienceApp(session)
    async with app.run_test(size=(80, 24)) as pilot:
        builder = await open_builder(pilot, session, "demo-emma")
        shown = screen_text(app)
        for button in ("#apply", "#cancel", "#save"):
            widget = builder.query_one(button, Button)
            assert widget.region.bottom <= 24 and widget.region.height, (button, shown)
            assert str(widget.label) in shown, shown


async def test_cancel_asks_before_losing_changed_conditions(session: Session) -> None:
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        builder = await open_builder(pilot, session, "demo-heyloyalty")
        await pilot.press("escape")  # nothing changed: closes at once
        await pilot.pause()
        assert isinstance(app.screen, MembersScreen)
        members = app.screen

        builder = await open_builder_here(pilot)
        builder.query_one("#text", Input).value = "an"
        builder.action_add()
        await pilot.pause()
        assert builder.conditions
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")  # no: back to the builder, conditions kept
        await pilot.pause()
        assert app.screen is builder and builder.conditions
        await pilot.click("#cancel")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.click("#yes")
        await settle_top(pilot)
        assert app.screen is members and not members.view.filter


async def open_builder_here(pilot: Pilot[None]) -> FilterBuilder:
    await pilot.press("f")
    await settle_top(pilot)
    assert isinstance(pilot.app.screen, FilterBuilder)
    return pilot.app.screen


async def test_export_offers_the_exports_folder_enter_on_the_format_exports_and_asks_to_replace(
    session: Session, isolated_home: Path
) -> None:
    async with running(session) as (app, pilot):
        await open_members(pilot, session, "demo-ownpage")
        await pilot.press("e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        offered = Path(dialog.query_one("#path", Input).value)
        # no downloads folder in this home: the state folder's exports/, never the cwd
        assert offered.parent == isolated_home / "state" / "audience-tui" / "exports"
        assert offered.parent.is_dir()
        offered.write_text("keep me\n", encoding="utf-8")

        dialog.query_one("#format", RadioSet).focus()
        await pilot.press("down", "enter")  # JSON Lines, and export
        await pilot.pause()
        jsonl = offered.with_suffix(".jsonl")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, MembersScreen)
        assert jsonl.read_text(encoding="utf-8").count("\n") > 1

        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#path", Input).value = str(offered)
        await pilot.click("#export")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)  # the file exists: asked, not replaced
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
        assert offered.read_text(encoding="utf-8") == "keep me\n"
        await pilot.click("#export")
        await pilot.pause()
        await pilot.click("#yes")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert offered.read_text(encoding="utf-8").startswith("id,email,")


def test_exports_go_to_the_downloads_folder_where_there_is_one(isolated_home: Path) -> None:
    downloads = isolated_home / "Downloads"
    downloads.mkdir()
    assert export_folder() == downloads


async def test_typing_a_path_in_the_folder_tree_types_it_into_the_path_field(
    session: Session,
) -> None:
    async with running(session) as (app, pilot):
        accounts = app.screen.query_one(DataTable)
        accounts.move_cursor(row=accounts.get_row_index("demo-emma"))
        await pilot.press("i")
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        start = app.screen
        assert isinstance(start, ImportStartScreen)
        start.query_one(CsvTree).focus()
        await pilot.pause()
        await pilot.press(*"/tmp/a.csv")
        await pilot.pause()
        assert app.screen is start  # no lookup box over it
        assert start.query_one("#path", Input).value == "/tmp/a.csv"
        assert start.focused is start.query_one("#path", Input)


@pytest.mark.parametrize("account", ["demo-ownpage", "demo-kajabi", "demo-heyloyalty"])
async def test_charts_offer_categories_first_and_personal_fields_last(
    session: Session, account: str
) -> None:
    audience = (await session.provider(account).audiences())[0]
    async with running(session) as (app, pilot):
        screen = ChartsScreen(session, account, audience, Query())
        await app.push_screen(screen)
        await settle_top(pilot)
        assert screen.view is not None
        specs = {spec.name: spec for spec in screen.view.fields}
        options = screen.query_one("#fields", OptionList)
        offered = [
            specs[options.get_option_at_index(i).id or ""] for i in range(options.option_count)
        ]
        flags = [personal(spec) for spec in offered]
        assert flags == sorted(flags), [s.name for s in offered]  # personal ones all at the end
        assert not personal(offered[0]) and offered[0].type in GROUPING_TYPES, offered[0]
        assert any(personal(spec) for spec in offered)
        app.workers.cancel_node(screen)


async def test_a_slow_sort_says_what_it_waits_for_and_for_how_long(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(session) as (app, pilot):
        members = await open_members(pilot, session, "demo-heyloyalty")
        never = asyncio.Event()

        async def slow_pages(*_: object, **__: object) -> object:
            await never.wait()  # the platform still sorting
            raise AssertionError("unreachable")

        monkeypatch.setattr(members.provider, "members", slow_pages)
        await pilot.press("s")  # on Email
        await pilot.pause()
        assert "sorting by Email…" in status(members)
        assert members._waiting_since is not None
        members._waiting_since -= 3  # as if three seconds had gone by
        members._tick()
        await pilot.pause()
        assert "sorting by Email… 3 s" in status(members)
        assert lines(members.table)[1].startswith("…sorting by Email… 3 s")
        app.workers.cancel_node(members)


async def test_the_header_icon_is_a_glyph_every_monospace_font_has(session: Session) -> None:
    async with running(session) as (app, _pilot):
        assert screen_text(app).splitlines()[0].startswith(" ≡ ")


def test_import_times_name_their_time_zone() -> None:
    moment = datetime(2026, 12, 5, 13, 0, tzinfo=UTC)
    zone_name = moment.astimezone().strftime("%Z")
    assert stamp(moment).endswith(f" {zone_name}") and zone_name
    assert zone() == datetime.now().astimezone().strftime("%Z")


def test_detail_times_name_their_zone_or_say_there_is_none() -> None:
    aware = datetime(2017, 1, 1, 2, 25, 57, tzinfo=UTC)
    local = aware.astimezone()
    assert _scalar(aware) == local.strftime("%Y-%m-%d %H:%M:%S ") + local.strftime("%Z")
    naive = datetime(2017, 1, 1, 2, 25, 57)
    assert _scalar(naive) == "2017-01-01 02:25:57 (the platform gives no time zone)"


async def test_the_demo_hint_wraps_at_80_columns(session: Session) -> None:
    app = AudienceApp(session, first_run_hint=DEMO_HINT)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = " ".join(line.strip() for line in screen_text(app).splitlines()[1:3])
        assert "accounts add PLATFORM NAME" in shown, shown
