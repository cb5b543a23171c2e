"""Pilot tests of the member table on the demo sandbox: first paint, scrolling by keys, mouse and
jumps, sort, a failing page and its retry, detail, opt-out with read-back, copy, lookup, back, and
hostile member data."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.style import Style
from textual import events
from textual.message import Message
from textual.strip import Strip
from textual.widgets import Label
from tui_helpers import (
    HOSTILE_NAME,
    HOSTILE_TAIL,
    SIZE,
    Host,
    add_hostile_member,
    lines,
    members_app,
    members_copying,
    notifications,
    open_members,
    settle_top,
    status,
    until,
)

from audience_tui.core.models import (
    Audience,
    Condition,
    Filter,
    Member,
    MemberStatus,
    PageRequest,
    Query,
    Sort,
)
from audience_tui.core.paging import page_size_for
from audience_tui.core.session import Session
from audience_tui.demo import Sandbox
from audience_tui.providers.heyloyalty.adapter import API as HEYLOYALTY_API
from audience_tui.sandbox.faults import FaultSpec
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens.lookup import LookupScreen
from audience_tui.tui.screens.member_detail import MemberDetailScreen
from audience_tui.tui.screens.members import MembersScreen
from audience_tui.tui.screens.opt_out import OptOutScreen
from audience_tui.tui.widgets.member_table import PREFETCH, MemberTable, cell, shown, width_of


@pytest.mark.parametrize("account", ["demo-heyloyalty", "demo-emma", "demo-ownpage"])
async def test_first_screen_then_keys_and_jumps(session: Session, account: str) -> None:
    provider = session.provider(account)
    audience = (await provider.audiences())[0]
    first = await provider.members(audience, Query(), PageRequest(limit=5))
    total = first.total
    last = await provider.members(audience, Query(), PageRequest(1, offset=total - 1))
    async with Host(session).run_test(size=SIZE) as pilot:
        screen = await open_members(pilot, session, account)
        table = screen.table
        shown = lines(table)
        assert shown[0].startswith("Email") and "Name" in shown[0] and "Status" in shown[0]
        for y, member in enumerate(first.members, start=1):
            assert shown[y].startswith(member.email[:16])
        assert status(screen) == f"row 1 of {total:,}"
        # only the page on screen and the PREFETCH pages after it were fetched
        assert screen.cache.fetches <= 1 + PREFETCH and len(screen.cache.pages_held) <= 1 + PREFETCH
        assert table.virtual_size.height == total + 1

        await pilot.press("down", "down", "pagedown")
        await settle_top(pilot)
        assert table.cursor_row == 2 + table.visible_rows - 1  # a page: the rows shown, less one

        await pilot.press("G")
        await settle_top(pilot)
        assert status(screen) == f"row {total:,} of {total:,}"
        assert table.current_member.id == last.members[0].id
        assert lines(table)[-1].startswith(last.members[0].email[:16])
        size = page_size_for(provider.capabilities)
        end = (total - 1) // size
        near = {*range(PREFETCH + 1), *range(end - PREFETCH, end + 1)}  # the two ends, and ahead
        assert set(screen.cache.pages_held) <= near

        await pilot.press("g")
        await settle_top(pilot)
        assert table.cursor_row == 0 and table.scroll_y == 0


async def test_unfiltered_list_fetches_its_first_page_alongside_its_fields(
    session: Session,
) -> None:
    """Opening a list costs one round trip: the rows do not wait for the field list."""
    provider = session.provider("demo-heyloyalty")
    audience = (await provider.audiences())[0]
    gate = asyncio.Event()
    fields = provider.fields

    async def slow_fields(target: Audience) -> list:
        await gate.wait()
        return await fields(target)

    provider.fields = slow_fields  # type: ignore[method-assign]
    async with Host(session).run_test(size=SIZE) as pilot:
        screen = MembersScreen(session, "demo-heyloyalty", audience)
        await pilot.app.push_screen(screen)
        # the first page lands while the fields are held back
        await until(pilot, lambda: screen.cache is not None and screen.cache.row(0) is not None)
        assert screen.current is None  # the fields have not arrived
        gate.set()
        await settle_top(pilot)
        assert lines(screen.table)[1].startswith(screen.cache.row(0).email[:16])
        assert screen.cache.fetches <= 1 + PREFETCH


async def test_cursor_paged_view_loads_in_order_and_G_says_why(session: Session) -> None:
    provider = session.provider("demo-placewise")
    audience = (await provider.audiences())[0]
    query = Query(status=MemberStatus.ACTIVE)  # Placewise's reporting view: cursor paging
    assert provider.paging_for(query) == "cursor"
    size = page_size_for(provider.capabilities)
    first = await provider.members(audience, query, PageRequest(limit=3))
    app = Host(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle_top(pilot)
        screen = MembersScreen(session, "demo-placewise", audience, query)
        await app.push_screen(screen)
        await settle_top(pilot)
        table = screen.table
        assert [table.cache.row(i).id for i in range(3)] == [m.id for m in first.members]
        # page 0, then the PREFETCH pages after it, each with the cursor the one before gave
        loaded = (1 + PREFETCH) * size
        assert status(screen).startswith(f"row 1 · {loaded:,} loaded, more… · ")
        assert table.virtual_size.height == loaded + 2  # the rows, the "more" row, the header

        await pilot.press("G")
        await pilot.pause()
        assert table.cursor_row == 0
        assert any("no jumping to the end" in n for n in notifications(app))

        table.move_to(2 * size - 1)  # the last loaded row: the next page is fetched, in order
        await settle_top(pilot)
        assert screen.cache.paging.discovered > 2 * size
        assert status(screen).startswith(f"row {2 * size:,}")


async def test_mouse_click_selects_wheel_scrolls_and_y_copies(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with members_copying(session, monkeypatch) as (pilot, screen, copied):
        table = screen.table
        await pilot.click(MemberTable, offset=(3, 5))
        await settle_top(pilot)
        assert table.cursor_row == 4 and status(screen).startswith("row 5 of")
        email = table.current_member.email
        await pilot.press("y")
        assert copied == [email]
        assert f"Copied {email}" in notifications(pilot.app)  # shown too: the terminal may not copy
        for _ in range(30):
            table.post_message(events.MouseScrollDown(table, 3, 5, 0, 0, 0, False, False, False))
        await settle_top(pilot)
        assert table.scroll_y > 0
        first = round(table.scroll_y)
        assert table.cache.row(first) is not None
        assert lines(table)[1].startswith(table.cache.row(first).email[:16])


async def test_sort_by_column_under_the_cursor(session: Session) -> None:
    provider = session.provider("demo-heyloyalty")
    app = Host(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_members(pilot, session, "demo-heyloyalty")
        for descending in (False, True):
            await pilot.press("s")
            await settle_top(pilot)
            query = Query(sort=Sort("email", descending))
            expected = await provider.members(screen.audience, query, PageRequest(limit=1))
            assert screen.table.current_member.email == expected.members[0].email
            arrow = "▼" if descending else "▲"
            assert status(screen).endswith(f"sorted by Email {arrow}")
            assert lines(screen.table)[0].startswith(f"Email {arrow}")
            assert lines(screen.table)[1].startswith(expected.members[0].email[:16])  # not stale

        await pilot.press("right", "right")  # Status: our own column, no platform field behind it
        await pilot.press("s")
        await pilot.pause()
        assert screen.view.sort == Sort("email", True)
        said = "Heyloyalty cannot sort by Status; it sorts by Email"
        assert any(n.startswith(said) for n in notifications(app))  # and where it can


async def test_a_sort_the_platform_cannot_combine_with_the_filter_can_be_cleared_with_s(
    session: Session,
) -> None:
    """Placewise sorts a club's list but not a filtered report: sorted, then filtered, the
    table said "press r to retry" (retrying cannot help) and `s` only flipped the arrow, so
    nothing on screen undid the sort. `s` a third time goes back to the list's own order."""
    async with Host(session).run_test(size=SIZE) as pilot:
        screen = await open_members(pilot, session, "demo-placewise")
        keys = [column.key for column in screen.columns]
        screen.table.cursor_column = keys.index("created_at")
        await pilot.press("s")
        await settle_top(pilot)
        assert screen.view.sort == Sort("created_at")
        screen._filter(Filter((Condition("gender", "eq", "woman"),)))
        await until(pilot, lambda: bool(screen.view.filter))
        await settle_top(pilot)
        assert screen.table.current_member is None
        shown = lines(screen.table)[1]
        assert shown.startswith("⚠ not loaded: Placewise") and "clear the sort" in shown
        assert "retry" not in shown and "r retries" not in status(screen)
        assert "s on Joined until its arrow goes clears the sort" in status(screen)

        await pilot.press("s")
        await settle_top(pilot)
        assert screen.view.sort == Sort("created_at", descending=True)
        await pilot.press("s")
        await settle_top(pilot)
        assert screen.view.sort is None and screen.view.filter
        member = screen.table.current_member
        assert member is not None and member.fields.get("gender") == "woman"
        assert "sorted by" not in status(screen) and "▲" not in lines(screen.table)[0]


async def test_rows_without_personal_data_are_read_whole_before_enter_o_and_y(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Placewise's reports carry no email or name, so a filtered Placewise table holds rows
    without them: the confirmation asked "Opt out member 2?", the detail showed no email and
    `y` said the member had none. Each now reads the member by id first."""
    copied: list[str] = []
    app = Host(session)
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_members(pilot, session, "demo-placewise")
        screen._filter(Filter((Condition("gender", "eq", "woman"),)))
        await until(pilot, lambda: bool(screen.view.filter))
        await settle_top(pilot)
        row = screen.table.current_member
        assert row is not None and not row.email  # the report's own record
        whole = await session.member("demo-placewise", screen.audience, row.id)
        assert whole.email and whole.name

        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, OptOutScreen))
        heading = str(app.screen.query_one("#heading", Label).render())
        assert whole.email in heading and whole.name in heading, heading
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)

        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MemberDetailScreen))
        assert app.screen.member.email == whole.email
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)

        await pilot.press("y")
        await until(pilot, lambda: bool(copied))
        assert copied == [whole.email]


@pytest.mark.parametrize(("account", "sorts"), [("demo-heyloyalty", True), ("demo-emma", False)])
async def test_s_is_offered_where_the_platform_sorts_by_some_column(
    session: Session, account: str, sorts: bool
) -> None:
    """Emma sorts by no column: `s` leaves its footer and does nothing, rather than being
    offered on every column to say each time that it cannot."""
    app = Host(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_members(pilot, session, account)
        assert ("s" in screen.active_bindings) is sorts
        await pilot.press("s")
        await settle_top(pilot)
        assert (screen.view.sort is not None) is sorts
        assert not any("cannot sort" in n for n in notifications(app))


async def test_scrolling_one_row_draws_only_the_row_that_came_into_view(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every line is repainted on a scroll, but the rows already drawn are not drawn again."""
    drawn: list[int] = []
    draw = MemberTable._row

    def counting(table: MemberTable, index: int, member: Member, base: Style) -> Strip:
        drawn.append(index)
        return draw(table, index, member, base)

    monkeypatch.setattr(MemberTable, "_row", counting)
    async with Host(session).run_test(size=SIZE) as pilot:
        screen = await open_members(pilot, session, "demo-heyloyalty")
        table = screen.table
        bottom = table.visible_rows - 1
        table.move_to(bottom)  # the cursor to the last row on screen: no scroll yet
        await settle_top(pilot)
        drawn.clear()
        await pilot.press("down")  # scrolls by one row
        await settle_top(pilot)
        assert table.scroll_y == 1
        # the cursor's new row (in the cursor's style) and the row that came in at the bottom
        assert bottom + 1 in drawn and len(drawn) <= 3 and max(drawn) <= bottom + 2
        assert lines(table)[-1].startswith(table.current_member.email[:16])


async def test_failed_page_shows_error_line_and_r_retries(
    session: Session, sandbox: Sandbox
) -> None:
    app = Host(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_members(pilot, session, "demo-heyloyalty")
        sandbox.app.spec = FaultSpec(malformed=1.0)
        await pilot.press("G")
        await settle_top(pilot)
        shown = lines(screen.table)
        assert shown[1].startswith("⚠ not loaded, press r to retry: Heyloyalty: GET")
        assert "not valid JSON" in shown[1]  # the reason, once
        assert shown[-1].rstrip() == "⚠ not loaded, press r to retry"
        assert "this page failed: r retries" in status(screen)
        assert screen.table.current_member is None

        sandbox.app.spec = FaultSpec()
        await pilot.press("r")
        await settle_top(pilot)
        assert screen.table.current_member is not None
        assert "not loaded" not in "".join(lines(screen.table))


async def test_enter_opens_detail_and_o_opts_out_with_read_back(session: Session) -> None:
    app = Host(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_members(pilot, session, "demo-heyloyalty")
        await pilot.press("down")
        member = screen.table.current_member
        await pilot.press("enter")
        await settle_top(pilot)
        assert isinstance(app.screen, MemberDetailScreen) and app.screen.member.id == member.id
        await pilot.press("escape")
        await settle_top(pilot)
        assert app.screen is screen

        await pilot.press("o")
        await settle_top(pilot)
        assert isinstance(app.screen, OptOutScreen)
        await pilot.click("#confirm")
        await settle_top(pilot)
        await pilot.press("escape")
        await settle_top(pilot)
        assert app.screen is screen
        assert screen.table.current_member.status is MemberStatus.OPTED_OUT
        assert "opted out" in lines(screen.table)[2]
    actions = [e["action"] for e in session.audit.read() if e.get("email") == member.email]
    assert actions == ["opt_out.attempt", "opt_out.confirmed"]


async def test_slash_looks_up_in_this_account_and_escape_goes_back(session: Session) -> None:
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_members(pilot, session, "demo-heyloyalty")
        await pilot.press("slash")
        await settle_top(pilot)
        assert isinstance(app.screen, LookupScreen)
        assert "demo-heyloyalty" in str(app.screen.query_one("#heading").render())
        await pilot.press("escape")
        await settle_top(pilot)
        assert app.screen is screen
        await pilot.press("escape")
        await settle_top(pilot)
        assert app.screen is not screen and not screen.is_attached


async def test_hostile_member_renders_literally_and_click_is_not_live(session: Session) -> None:
    await add_hostile_member(session, "0h@example.com")
    app = Host(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle_top(pilot)
        audience = Audience(id="1", name=f"{HOSTILE_NAME}{HOSTILE_TAIL}")
        screen = MembersScreen(session, "demo-heyloyalty", audience)
        await app.push_screen(screen)
        await settle_top(pilot)
        await pilot.press("s")  # by email: "0h@…" comes first
        await settle_top(pilot)
        table = screen.table
        assert table.current_member.email == "0h@example.com"
        strips = [table.render_line(y) for y in range(table.visible_rows + 1)]
        assert HOSTILE_NAME[:18] in strips[1].text  # the name column holds it, literally (cut)
        rendered = "".join(s.text for s in strips)
        assert "\x1b" not in rendered and "\x07" not in rendered
        assert not any(seg.style and seg.style.meta for s in strips for seg in s)
        await pilot.click(MemberTable, offset=(33, 1))
        await settle_top(pilot)
        assert app.is_running and app.screen is screen
        title = str(screen.query_one("#title").render())
        assert HOSTILE_NAME in title and "]0;pwned" in title and "\x1b" not in title


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
@pytest.mark.parametrize("account", ["demo-heyloyalty", "demo-kajabi", "demo-emma"])
async def test_values_are_whole_where_the_view_has_room(
    session: Session, account: str, size: tuple[int, int]
) -> None:
    """Each column as wide as its values: every email and name on screen is whole (the email
    column was cut at 30 cells while the name column had room to spare), and a column cut to
    fit ends its values in "…"."""
    async with Host(session).run_test(size=size) as pilot:
        screen = await open_members(pilot, session, account)
        table = screen.table
        drawn = lines(table)
        for y, line in enumerate(drawn[1:]):
            member = table.cache.row(y) if table.cache else None
            if member is None:
                continue
            assert member.email in line
            assert (member.name or "").strip() in line
        view = table.scrollable_content_region.width
        for column, width, need in zip(table.columns, table.widths, table.needs, strict=True):
            assert width <= need  # never wider than its values
            start = sum(table.widths[: table.columns.index(column)]) + table.columns.index(column)
            if width < need and start + width <= view:  # cut, and in view: its cells say so
                assert any(line[start : start + width].endswith("…") for line in drawn[1:])


async def test_changed_carries_the_cursor_and_a_newer_one_replaces_a_queued_one(
    session: Session,
) -> None:
    """Ten moves made before the table handles any: fewer than ten reach the status line, the
    last one saying where the cursor is."""
    dispatched: list[Message] = []
    async with Host(session).run_test(size=SIZE, message_hook=dispatched.append) as pilot:
        screen = await open_members(pilot, session, "demo-heyloyalty")
        table = screen.table
        dispatched.clear()
        for row in range(1, 11):
            table.move_to(row)
        await settle_top(pilot)
        seen = list({id(m): m for m in dispatched if isinstance(m, MemberTable.Changed)}.values())
        assert seen and seen[-1].cursor_row == 10 and seen[-1].control is table
        assert seen[-1].rows == table.rows and seen[-1].failed is False
        assert len(seen) < 10


@pytest.mark.parametrize(
    "value",
    [
        "plain@example.com",
        "tab\there",
        "bell\x07\x1b[31m",
        "Chloé Ødegård",
        "名前",
        42,
        None,
        True,
        False,
        -7,
        ["a", "bé"],
        ["a", "b", "c"],
        [],
        ["x\x07y"],
        [1, "a"],
    ],
)
def test_a_value_is_measured_as_it_is_drawn(value: object) -> None:
    assert width_of(value) == cell_len(cell(value, 80).rstrip())


ASCII = st.text(st.characters(max_codepoint=127))
VALUES = st.none() | st.booleans() | st.integers() | ASCII | st.text() | st.floats(allow_nan=False)


@given(VALUES | st.lists(ASCII, max_size=4) | st.lists(VALUES, max_size=4))
def test_any_value_is_measured_as_the_table_shows_it(value: object) -> None:
    """The measuring shortcuts (ASCII text, flags, whole numbers, lists of ASCII texts) give
    the width of the text the table draws, whatever the value."""
    assert width_of(value) == cell_len(shown(value))


@pytest.mark.parametrize(("size", "whole"), [((80, 24), False), ((220, 40), True)])
async def test_one_long_value_is_cut_where_the_columns_do_not_all_fit(
    session: Session, size: tuple[int, int], whole: bool
) -> None:
    """One member's very long name does not push the other columns away at 80 columns (it is
    cut, with "…"); where every column fits whole, it is shown whole."""
    long_name = "Anna-Katharina Ødegård-Kristiansen von Schwarzenberg-Lund"
    first, _, last = long_name.partition(" ")
    await session.provider("demo-heyloyalty").http.request(
        "POST",
        f"{HEYLOYALTY_API}/lists/1/members",
        data={"firstname": first, "lastname": last, "email": "0long@example.com", "skipOptIn": "1"},
    )
    async with Host(session).run_test(size=size) as pilot:
        screen = await open_members(pilot, session, "demo-heyloyalty")
        await pilot.press("s")  # by email: "0long@…" comes first
        await settle_top(pilot)
        table = screen.table
        assert table.current_member is not None
        assert table.current_member.email == "0long@example.com"
        line = lines(table)[1]
        name = [c.key for c in table.columns].index("name")
        assert table.needs[name] == len(long_name)
        assert (long_name in line) is whole
        if not whole:
            assert long_name[:12] in line and "…" in line
            assert table.widths[name] < len(long_name)
            assert "Status" in lines(table)[0]  # the columns after it stay in view


async def test_r_far_down_the_list_keeps_the_cursor_on_its_row(session: Session) -> None:
    """A refresh forgets the pages, not the place: the row the cursor was on is read again
    (a growing demo list is refreshed that way every few seconds while it builds)."""
    app = Host(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_members(pilot, session, "demo-heyloyalty")
        await pilot.press("G")
        await settle_top(pilot)
        last = screen.table.cursor_row
        before = screen.table.current_member
        assert last > screen.cache.paging.size and before is not None
        await pilot.press("r")
        await settle_top(pilot)
        assert screen.table.cursor_row == last
        after = screen.table.current_member
        assert after is not None and after.id == before.id


# Lists whose headings fit at 80 columns once cut to five cells; where even that does not fit
# (Ownpage's and Kajabi's many fields), the view scrolls, as every table of the app does.
@pytest.mark.parametrize("account", ["demo-heyloyalty", "demo-emma"])
async def test_an_empty_view_cuts_its_headings_instead_of_scrolling(
    sandbox: Sandbox, account: str
) -> None:
    """A filter that matches no one leaves only the headings to read: at 80 columns they are cut
    with "…" to fit, as the app's other empty tables are, instead of scrolling sideways."""
    nobody = Query(Filter((Condition("email", "eq", "nobody.at.all@example.invalid"),)))
    app, run_before = members_app(sandbox, account, query=nobody)
    async with app.run_test(size=(80, 24)) as pilot:
        await run_before(pilot)
        table = app.screen.query_one(MemberTable)
        assert table.cache is not None and table.cache.total == 0
        assert table.virtual_size.width <= table.scrollable_content_region.width
        header = lines(table)[0]
        assert "…" in header  # the long headings are cut, the short ones whole
        assert any(word in header for word in ("Email", "Status"))
