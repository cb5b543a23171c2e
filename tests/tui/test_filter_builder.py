"""Pilot tests of the filter builder (`f` on the member table) on the demo sandbox: conditions
evaluated by the platform (Heyloyalty), by the app over pages (Emma, stoppable), a mix (Kajabi),
Placewise's cursor-paged reporting view, values checked at the field before any request, `or`,
and saved filters reopened and deleted."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Label, OptionList, Select, SelectionList
from tui_helpers import SIZE, Host, settle_top, status, until

from audience_tui.core.models import Audience, Condition, Filter, PageRequest, Query
from audience_tui.core.paging_scan import ScanPaging
from audience_tui.core.saved_filters import SavedFilters
from audience_tui.core.scan import collect, prepare
from audience_tui.core.session import Session
from audience_tui.demo import Sandbox
from audience_tui.sandbox.faults import FaultSpec
from audience_tui.tui.screens.charts import ChartsScreen
from audience_tui.tui.screens.filter_builder import FilterBuilder
from audience_tui.tui.screens.members import MembersScreen

FEMALE_IN_A = "Filter: Sex equals Female and City contains a"
HOSTILE = "[@click=app.quit]x[/]"


async def open_list(
    pilot: Pilot[None], session: Session, account: str, name: str = ""
) -> MembersScreen:
    """The members screen of the account's list called `name` (its first list by default)."""
    await settle_top(pilot)
    audiences = await session.provider(account).audiences()
    audience = next((a for a in audiences if a.name == name), audiences[0])
    screen = MembersScreen(session, account, audience)
    await pilot.app.push_screen(screen)
    await settle_top(pilot)
    return screen


async def open_builder(pilot: Pilot[None]) -> FilterBuilder:
    await pilot.press("f")
    await settle_top(pilot)
    builder = pilot.app.screen
    assert isinstance(builder, FilterBuilder)
    return builder


async def edit(pilot: Pilot[None], builder: FilterBuilder, field: str, op: str) -> None:
    builder.query_one("#field", Select).value = field
    await pilot.pause()
    builder.query_one("#op", Select).value = op
    await pilot.pause()


async def add(pilot: Pilot[None], builder: FilterBuilder, field: str, op: str, value: Any) -> None:
    """One condition through the editor: the value typed, chosen or ticked, then Add."""
    await edit(pilot, builder, field, op)
    if isinstance(value, list):
        for item in value:
            builder.query_one("#multi", SelectionList).select(item)
    elif builder.query_one("#choice").display:
        builder.query_one("#choice", Select).value = value
    elif value is not None:
        builder.query_one("#text", Input).value = value
    await pilot.pause()
    await pilot.click("#add")
    await pilot.pause()


async def apply(pilot: Pilot[None], builder: FilterBuilder) -> MembersScreen:
    await pilot.click("#apply")
    await settle_top(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, MembersScreen)
    await settle_top(pilot)
    return screen


def text(widget: Label | OptionList, index: int | None = None) -> str:
    if index is not None:
        return str(widget.get_option_at_index(index).prompt)
    return str(widget.render())


async def server_total(session: Session, account: str, audience: Audience, found: Filter) -> int:
    provider = session.provider(account)
    view = await prepare(provider, audience, Query(found))
    assert not view.plan.scans
    page = await provider.members(audience, view.server_query, PageRequest(1))
    assert page.total is not None
    return page.total


async def test_heyloyalty_two_conditions_evaluated_by_the_platform(session: Session) -> None:
    account = "demo-heyloyalty"
    async with Host(session).run_test(size=SIZE) as pilot:
        screen = await open_list(pilot, session, account)
        everyone = screen.cache.total
        assert not screen.query_one("#filter").display
        builder = await open_builder(pilot)
        assert "no condition" in text(builder.query_one("#conditions", OptionList), 0)
        await pilot.press("enter")  # on "no condition": on to the editor
        assert builder.focused is builder.query_one("#field", Select)
        await add(pilot, builder, "sex", "eq", "2")  # offered by label: Female
        await edit(pilot, builder, "city", "ct")
        await pilot.click("#text")
        await pilot.press("a", "enter")  # enter in the value adds it
        await pilot.pause()
        conditions = builder.query_one("#conditions", OptionList)
        assert text(conditions, 0) == "Sex equals Female  · platform"
        assert text(conditions, 1) == "City contains a  · platform"
        assert text(builder.query_one("#plan")) == "Heyloyalty evaluates this filter itself."
        screen = await apply(pilot, builder)
        found = Filter((Condition("sex", "eq", "2"), Condition("city", "ct", "a")))
        matches = await server_total(session, account, screen.audience, found)
        assert 0 < matches < everyone
        assert status(screen) == f"row 1 of {matches:,}"
        assert screen.view.filter == found
        assert not isinstance(screen.cache.paging, ScanPaging)
        banner = text(screen.query_one("#filter", Label))
        assert banner.startswith(FEMALE_IN_A) and "Heyloyalty evaluates" in banner
        for row in range(min(matches, screen.table.visible_rows)):
            member = screen.cache.row(row)
            assert member.fields["sex"] == "2" and "a" in member.fields["city"].casefold()

        # `f` again shows the filter as applied; cleared, then two conditions joined by `or`
        builder = await open_builder(pilot)
        assert builder.query_one("#conditions", OptionList).option_count == 2
        await pilot.click("#clear")
        await add(pilot, builder, "interests", "in", ["1"])
        await add(pilot, builder, "country", "eq", "160")
        builder.query_one("#logic", Select).value = "or"
        await pilot.pause()
        assert text(builder.query_one("#plan")) == "Heyloyalty evaluates this filter itself."
        screen = await apply(pilot, builder)
        music = Filter((Condition("interests", "in", ["1"]),))
        norway = Filter((Condition("country", "eq", "160"),))
        either = Filter(music.conditions + norway.conditions, "or")
        counts = [
            await server_total(session, account, screen.audience, f)
            for f in (music, norway, either)
        ]
        assert max(counts[:2]) < counts[2] <= counts[0] + counts[1]
        assert status(screen) == f"row 1 of {counts[2]:,}"
        assert text(screen.query_one("#filter")).startswith(
            "Filter: Interests is one of Music or Country equals Norge"
        )

        # a value is shown as typed: no markup in it comes alive; then no filter: everyone
        builder = await open_builder(pilot)
        await pilot.click("#clear")
        await add(pilot, builder, "firstname", "eq", HOSTILE)
        assert HOSTILE in text(builder.query_one("#conditions", OptionList), 0)
        screen = await apply(pilot, builder)
        assert HOSTILE in text(screen.query_one("#filter"))
        assert pilot.app.is_running
        builder = await open_builder(pilot)
        await pilot.click("#clear")
        screen = await apply(pilot, builder)
        assert status(screen) == f"row 1 of {everyone:,}"
        assert not screen.query_one("#filter").display


async def test_bad_values_are_messages_at_the_field(session: Session) -> None:
    """A number that is not a number, a date that is not a date: said at the field, not sent."""
    async with Host(session).run_test(size=SIZE) as pilot:
        screen = await open_list(pilot, session, "demo-placewise")
        fetches = screen.cache.fetches
        builder = await open_builder(pilot)
        await add(pilot, builder, "birth_year_group", "gt", "lots")
        message = builder.query_one("#message", Label)
        assert text(message) == "Birth years (5-year group): 'lots' is not a number"
        await add(pilot, builder, "created_at", "gte", "2024-13-45")
        assert text(message) == "Joined: '2024-13-45' is not a date (use YYYY-MM-DD)"
        builder.query_one("#text", Input).value = "2024-01-31"
        await pilot.pause()
        assert text(message) == ""  # typing again clears it
        assert builder.conditions == []
        builder.query_one("#text", Input).value = ""  # (a value left there would be applied)
        await pilot.click("#apply")  # the filter did not change: nothing is asked
        await settle_top(pilot)
        assert screen.cache.fetches == fetches
        assert screen.view.filter == Filter()


def scan_found(screen: MembersScreen) -> ScanPaging | None:
    """The screen's scan, once it has found a member."""
    paging = getattr(screen.cache, "paging", None)
    return paging if isinstance(paging, ScanPaging) and paging.discovered > 0 else None


async def city_contains_o(
    pilot: Pilot[None], session: Session
) -> tuple[MembersScreen, FilterBuilder]:
    """Emma's first list with "city contains o" in the builder (a filter Emma cannot run: the
    app scans), not applied yet."""
    screen = await open_list(pilot, session, "demo-emma")
    builder = await open_builder(pilot)
    await add(pilot, builder, "city", "ct", "o")
    return screen, builder


async def test_emma_scan_shows_matches_and_can_be_stopped(
    sandbox: Sandbox, session: Session
) -> None:
    async with Host(session).run_test(size=SIZE) as pilot:
        screen, builder = await city_contains_o(pilot, session)
        assert (
            text(builder.query_one("#conditions", OptionList), 0) == "City contains o  · app checks"
        )
        assert "Emma cannot evaluate this filter" in text(builder.query_one("#plan"))
        sandbox.app.spec = FaultSpec(latency=0.2)  # slow pages: the scan is under way for a while
        await pilot.click("#apply")
        await until(pilot, lambda: scan_found(screen) is not None)
        scan = scan_found(screen)
        assert scan is not None and scan.scanning
        line = status(screen)
        assert "matches in" in line and "scanning… x stops" in line
        assert "app checks every member page by page" in text(screen.query_one("#filter"))
        await pilot.press("x")
        await pilot.pause()
        assert scan.stopped and not screen.cache.in_flight
        found = scan.discovered
        assert status(screen).startswith(f"row 1 of {found:,} · {found:,} matches in")
        assert "stopped: r scans again" in status(screen)
        assert pilot.app.screen is screen  # x stopped the scan; it did not leave
        expected = await collect(screen.current, limit=found)
        assert [screen.cache.row(i).id for i in range(found)] == [m.id for m in expected]

        sandbox.app.spec = FaultSpec()
        await pilot.press("r")  # scans again, to the end this time
        await settle_top(pilot)
        everything = await collect(screen.current)
        assert status(screen) == (
            f"row 1 of {len(everything):,} matches in {screen.audience.member_count:,} of "
            f"{screen.audience.member_count:,} scanned"
        )
        await pilot.press("escape")  # no scan to stop now: back
        await pilot.pause()
        assert pilot.app.screen is not screen


async def test_kajabi_mixed_filter(session: Session) -> None:
    async with Host(session).run_test(size=SIZE) as pilot:
        screen = await open_list(pilot, session, "demo-kajabi", "Yoga Academy")
        builder = await open_builder(pilot)
        await add(pilot, builder, "name", "ct", "an")
        await add(pilot, builder, "subscribed", "eq", False)
        conditions = builder.query_one("#conditions", OptionList)
        assert text(conditions, 0) == "Name contains an  · platform"
        assert text(conditions, 1) == "Subscribed equals no  · app checks"
        assert text(builder.query_one("#plan")) == (
            "Kajabi evaluates Name contains an; the app checks Subscribed equals no page by "
            "page (x stops the scan)."
        )
        screen = await apply(pilot, builder)
        expected = await collect(screen.current)
        assert screen.current.plan.server.conditions == (Condition("name", "ct", "an"),)
        assert expected and status(screen).startswith(f"row 1 of {len(expected):,} matches in")
        assert [screen.cache.row(i).id for i in range(len(expected))] == [m.id for m in expected]
        assert all(not m.fields["subscribed"] for m in expected)

        await pilot.press("c")  # charts of the view: the same filter
        await pilot.pause()
        charts = pilot.app.screen
        assert isinstance(charts, ChartsScreen) and charts.view_query == screen.view


async def test_placewise_filtered_view_pages_by_cursor(session: Session) -> None:
    async with Host(session).run_test(size=SIZE) as pilot:
        screen = await open_list(pilot, session, "demo-placewise")
        builder = await open_builder(pilot)
        await add(pilot, builder, "gender", "eq", "woman")
        screen = await apply(pilot, builder)
        assert screen.provider.paging_for(screen.current.server_query) == "cursor"
        assert "loaded, more…" in status(screen)
        first = screen.cache.row(0)
        assert first.fields["gender"] == "woman"
        await pilot.press("G")  # the reporting view pages in order: it says so
        await pilot.pause()
        assert any("cursor paging" in n.message for n in pilot.app._notifications)


async def test_save_reopen_edit_and_delete(session: Session) -> None:
    account = "demo-heyloyalty"
    async with Host(session).run_test(size=SIZE) as pilot:
        screen = await open_list(pilot, session, account)
        builder = await open_builder(pilot)
        await add(pilot, builder, "sex", "eq", "2")
        await add(pilot, builder, "email", "ie", None)
        builder.query_one("#conditions", OptionList).focus()
        await pilot.press("w")  # no name yet: the name field asks for one
        await pilot.pause()
        assert builder.focused is builder.query_one("#name", Input)
        await pilot.press(*"women", "enter")
        await pilot.pause()
        saved = SavedFilters()
        assert saved.names(account, screen.audience.id) == ["women"]
        assert text(builder.query_one("#saved-message")) == "Saved as women."
        await pilot.click("#cancel")
        await settle_top(pilot)
        assert screen.view.filter == Filter()

        builder = await open_builder(pilot)  # reopen: the saved filter is offered by name
        assert builder.conditions == []
        builder.query_one("#saved", Select).value = "women"
        await pilot.click("#open")
        await pilot.pause()
        assert builder.filter == Filter((Condition("sex", "eq", "2"), Condition("email", "ie")))
        # edit the first condition (enter on it), remove the second (delete)
        conditions = builder.query_one("#conditions", OptionList)
        conditions.focus()
        conditions.highlighted = 0
        await pilot.press("enter")
        await pilot.pause()
        assert builder.query_one("#choice", Select).value == "2"
        builder.query_one("#choice", Select).value = "1"
        await pilot.click("#add")
        await pilot.pause()
        conditions.focus()
        conditions.highlighted = 1
        await pilot.press("delete")
        await pilot.pause()
        assert builder.filter == Filter((Condition("sex", "eq", "1"),))
        screen = await apply(pilot, builder)
        assert text(screen.query_one("#filter")).startswith("Filter: Sex equals Male")

        builder = await open_builder(pilot)
        builder.query_one("#saved", Select).value = "women"
        await pilot.click("#delete")
        await pilot.pause()
        assert saved.names(account, screen.audience.id) == []
        assert text(builder.query_one("#saved-message")) == "Deleted women."

        # a saved-filters file that is not TOML: one message, and it is never overwritten
        saved.path.write_text("not = [toml")
        await pilot.press("escape")
        builder = await open_builder(pilot)
        assert "not valid TOML" in text(builder.query_one("#saved-message"))
        builder.query_one("#name", Input).value = "men"
        await pilot.click("#save")
        await pilot.pause()
        assert "not valid TOML" in text(builder.query_one("#saved-message"))
        assert saved.path.read_text() == "not = [toml"


async def test_scan_halted_by_a_failed_page_resumes_with_r(
    sandbox: Sandbox, session: Session
) -> None:
    async with Host(session).run_test(size=SIZE) as pilot:
        screen, _builder = await city_contains_o(pilot, session)
        sandbox.app.spec = FaultSpec(latency=0.2)
        await pilot.click("#apply")
        await until(pilot, lambda: scan_found(screen) is not None)
        sandbox.app.spec = FaultSpec(malformed=1.0)  # the next page of the scan fails
        await settle_top(pilot)
        assert "a page failed: r retries" in status(screen)
        found = screen.cache.paging.discovered
        sandbox.app.spec = FaultSpec()
        await pilot.press("r")  # the failed page again, and the scan goes on from there
        await settle_top(pilot)
        everything = await collect(screen.current)
        assert screen.cache.total == len(everything) > found
        assert status(screen).startswith(f"row 1 of {len(everything):,} matches in")


async def test_apply_takes_the_condition_still_in_the_editor(session: Session) -> None:
    """A value chosen and applied without Add: the condition is applied with the others; an
    incomplete one (no value) stops the apply with its message."""
    async with Host(session).run_test(size=SIZE) as pilot:
        screen = await open_list(pilot, session, "demo-heyloyalty")
        builder = await open_builder(pilot)
        await edit(pilot, builder, "city", "ct")
        await pilot.click("#text")
        await pilot.press("space")  # a blank value is no value: nothing to add
        await pilot.click("#apply")
        await settle_top(pilot)
        assert pilot.app.screen is screen and screen.view.filter == Filter()
        builder = await open_builder(pilot)
        await edit(pilot, builder, "sex", "eq")
        builder.query_one("#choice", Select).value = "2"
        await pilot.pause()
        await pilot.press("a")
        await settle_top(pilot)
        assert pilot.app.screen is screen
        assert screen.view.filter == Filter((Condition("sex", "eq", "2"),))
