"""Every open view agrees after a confirmed write, whichever screen made it: the table of a list
holding the member, the member's detail (also opened again), lookup results (one account and
everywhere, Emma's groups all at once), and list member counts after an import. The opt-out
dialog starts on Cancel and says when the person is opted out already (then nothing is sent)."""

from __future__ import annotations

import pytest
from people import emma_member_in_groups
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList
from tui_helpers import (
    SIZE,
    lines,
    look_up,
    open_lists,
    open_members,
    rows,
    running,
    settle,
    settle_top,
)

from audience_tui.core.importer import start_import
from audience_tui.core.models import Member, MemberStatus
from audience_tui.core.session import Session
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens.lists import ListsScreen
from audience_tui.tui.screens.lookup import LookupResultsScreen, LookupScreen
from audience_tui.tui.screens.member_detail import MemberDetailScreen
from audience_tui.tui.screens.members import MembersScreen
from audience_tui.tui.screens.opt_out import OptOutScreen


def first_active(screen: MembersScreen) -> tuple[int, Member]:
    """The first row on screen holding an active member with an email."""
    assert screen.cache is not None
    for index in range(20):
        member = screen.cache.row(index)
        if member is not None and member.status is MemberStatus.ACTIVE and member.email:
            return index, member
    raise AssertionError("no active member on the first screen")


def shows_opted_out(screen: MembersScreen, index: int) -> bool:
    """The row's member is opted out, and the painted line says so."""
    assert screen.cache is not None
    member = screen.cache.row(index)
    painted = lines(screen.table)[index + 1]  # line 0 is the header
    return member is not None and member.status is MemberStatus.OPTED_OUT and "opted out" in painted


async def confirm(pilot: Pilot[None]) -> OptOutScreen:
    dialog = pilot.app.screen
    assert isinstance(dialog, OptOutScreen)
    await pilot.click("#confirm")
    await settle(pilot)
    assert all(o.confirmed for o in dialog.outcomes.values()), dialog.outcomes
    await pilot.press("escape")
    await settle(pilot)
    return dialog


async def look_up_everywhere(pilot: Pilot[None], session: Session, email: str) -> None:
    await pilot.app.push_screen(LookupScreen(session))  # as `/` on the accounts screen
    await settle(pilot)
    pilot.app.screen.query_one(Input).value = email
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, LookupResultsScreen)


@pytest.mark.parametrize("platform", ["placewise", "ownpage", "emma"])
async def test_opt_out_through_lookup_in_this_account_updates_the_table(
    platform: str, session: Session
) -> None:
    async with running(session) as (app, pilot):
        account = f"demo-{platform}"
        await open_lists(pilot, account)
        table = await open_members(pilot, session, account)
        index, member = first_active(table)
        assert member.email is not None
        await look_up(pilot, member.email)  # `/` on the table: this account
        prompt = app.screen
        if isinstance(prompt, LookupScreen):  # on several lists: choose the table's, or any
            found = [t.audience.id for t in prompt.found]
            choice = found.index(table.audience.id) if table.audience.id in found else 0
            prompt.query_one(OptionList).highlighted = choice
            await pilot.press("enter")
            await settle(pilot)
        assert isinstance(app.screen, MemberDetailScreen)
        await pilot.press("o")
        await settle(pilot)
        await confirm(pilot)
        assert app.screen.member.status is MemberStatus.OPTED_OUT
        await pilot.press("escape")
        await settle_top(pilot)
        assert app.screen is table
        assert shows_opted_out(table, index)

        table.table.move_to(index)  # the detail opened again shows the status as now
        await pilot.press("enter")
        await settle_top(pilot)
        assert isinstance(app.screen, MemberDetailScreen)
        assert app.screen.member.status is MemberStatus.OPTED_OUT


async def test_opt_out_everywhere_updates_an_open_table_and_detail(session: Session) -> None:
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        table = await open_members(pilot, session, "demo-heyloyalty")
        index, member = first_active(table)
        table.table.move_to(index)
        await pilot.press("enter")
        await settle_top(pilot)
        detail = app.screen
        assert isinstance(detail, MemberDetailScreen)
        assert member.email is not None
        await look_up_everywhere(pilot, session, member.email)
        await pilot.press("O")
        await settle(pilot)
        await confirm(pilot)
        results = app.screen
        assert isinstance(results, LookupResultsScreen)
        shown = [r[3] for r in rows(results.query_one(DataTable)) if r[2]]
        assert shown and all(s.startswith("opted out") for s in shown), shown
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is detail and detail.member.status is MemberStatus.OPTED_OUT
        await pilot.press("escape")
        await settle_top(pilot)
        assert app.screen is table and shows_opted_out(table, index)


async def test_opt_out_from_a_detail_opened_in_lookup_results_updates_every_view(
    session: Session,
) -> None:
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        table = await open_members(pilot, session, "demo-ownpage")
        index, member = first_active(table)
        assert member.email is not None
        await look_up_everywhere(pilot, session, member.email)
        results = app.screen
        assert isinstance(results, LookupResultsScreen)
        grid = results.query_one(DataTable)
        mine = next(
            i
            for i, t in enumerate(results.found)
            if (t.member.id, t.audience.id) == (member.id, table.audience.id)
        )
        grid.move_cursor(row=grid.get_row_index(str(mine)))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MemberDetailScreen)
        await pilot.press("o")
        await settle(pilot)
        await confirm(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is results
        assert grid.get_cell(str(mine), "Status").plain.startswith("opted out")
        await pilot.press("escape")
        await settle_top(pilot)
        assert app.screen is table and shows_opted_out(table, index)


async def test_an_import_reads_the_open_table_of_its_list_again(session: Session) -> None:
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        table = await open_members(pilot, session, "demo-ownpage")
        assert table.cache is not None and table.cache.total is not None
        before = table.cache.total
        new = [{"email": f"shown.{n}@example.com"} for n in range(2)]
        await start_import(session, "demo-ownpage", table.audience, new, "new.csv")
        await settle_top(pilot)
        assert table.cache.total == before + 2


async def test_emma_opt_out_from_one_group_shows_in_every_group(session: Session) -> None:
    email = await emma_member_in_groups(session)
    async with running(session) as (app, pilot):
        await look_up_everywhere(pilot, session, email)
        results = app.screen
        assert isinstance(results, LookupResultsScreen)
        grid = results.query_one(DataTable)
        emma = [i for i, t in enumerate(results.found) if t.account_name == "demo-emma"]
        assert len(emma) >= 2
        grid.move_cursor(row=grid.get_row_index(str(emma[0])))
        await pilot.press("o")
        await settle(pilot)
        await confirm(pilot)
        assert app.screen is results
        statuses = [grid.get_cell(str(i), "Status").plain for i in emma]
        assert all(s.startswith("opted out") for s in statuses), statuses
        actions = [e["action"] for e in session.audit.read()]
        assert actions == ["opt_out.attempt", "opt_out.confirmed"]  # one write for the member


async def test_an_import_updates_the_list_counts(session: Session) -> None:
    async with running(session) as (app, pilot):
        await open_lists(pilot, "demo-ownpage")
        lists = app.screen
        assert isinstance(lists, ListsScreen)
        audience = list(lists.audiences.values())[-1]
        before = audience.member_count
        assert before is not None
        new = [{"email": f"counted.{n}@example.com"} for n in range(3)]
        await start_import(session, "demo-ownpage", audience, new, "new.csv")
        await settle(pilot)
        shown = lists.query_one(DataTable).get_cell(audience.id, "members").plain
        assert shown.split()[0] == f"{before + 3:,}"


async def test_the_dialog_starts_on_cancel_and_names_an_opt_out_done_already(
    session: Session,
) -> None:
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        table = await open_members(pilot, session, "demo-placewise")
        index, _ = first_active(table)
        table.table.move_to(index)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, OptOutScreen)
        await pilot.press("enter")  # `o` then `enter`: Cancel
        await settle(pilot)
        assert app.screen is table
        assert not list(session.audit.read())  # nothing sent, nothing recorded

        await pilot.press("o")
        await settle(pilot)
        await confirm(pilot)
        await pilot.press("o")  # the row shows the opt-out: the dialog says so
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, OptOutScreen)
        state = str(dialog.query_one("#state").render())
        assert "Already opted out there: nothing will be sent" in state
        assert "unless you tick the box below" in state  # Placewise's separate channel choice
        await pilot.click("#confirm")
        await settle(pilot)
        table_cells = dialog.query_one(DataTable)
        assert table_cells.get_cell("0", "Result").plain == "✓ already opted out"
    actions = [e["action"] for e in session.audit.read()]
    assert actions == ["opt_out.attempt", "opt_out.confirmed", "opt_out.already_opted_out"]
