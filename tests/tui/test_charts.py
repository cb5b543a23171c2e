"""Pilot tests of the charts screen on the demo sandbox: counts by the platform (Placewise,
Ownpage, Emma), counts by scanning (Heyloyalty, Kajabi) with progress, stopping a scan, the
cache until `r`, Placewise's reports over time, a filtered view, and `c`/`i` on the lists."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Label, OptionList
from tui_helpers import SIZE, open_lists, screen_text, settle, until

from audience_tui.core.aggregate import EMPTY, shares
from audience_tui.core.filters import parse_condition, parse_date
from audience_tui.core.models import (
    Aggregate,
    Audience,
    Bucket,
    Column,
    Filter,
    Member,
    Page,
    PageRequest,
    Query,
)
from audience_tui.core.provider import Provider
from audience_tui.core.session import Session
from audience_tui.providers.heyloyalty.adapter import API as HEYLOYALTY_API
from audience_tui.tui import app as app_module
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens import charts
from audience_tui.tui.screens.charts import ChartsScreen, chart_cache
from audience_tui.tui.screens.imports import ImportsScreen
from audience_tui.tui.screens.lists import ListsScreen
from audience_tui.tui.widgets.bar_chart import MAX_BARS, BarChart, chart_text
from audience_tui.tui.widgets.time_chart import TimeChart, legend

HOSTILE = "[@click=app.quit]x[/] \x1b]0;pwned\x07"


class ChartsApp(AudienceApp):
    """The app without its first screen (which checks every account): the charts are pushed."""

    CSS_PATH = Path(app_module.__file__).with_name("app.tcss")

    def on_mount(self) -> None:
        pass


async def audience(session: Session, account: str, name: str) -> Audience:
    found = await session.provider(account).audiences()
    return next(a for a in found if a.name == name)


async def open_charts(
    pilot: Pilot[None], account: str, name: str, query: Query | None = None
) -> ChartsScreen:
    session: Session = pilot.app.session  # type: ignore[attr-defined]
    screen = ChartsScreen(session, account, await audience(session, account, name), query)
    await pilot.app.push_screen(screen)
    await settle(pilot)
    return screen


async def choose(pilot: Pilot[None], list_id: str, option_id: str) -> None:
    """Highlight an option of one of the screen's lists and press enter on it."""
    options = pilot.app.screen.query_one(list_id, OptionList)
    options.focus()
    options.highlighted = options.get_option_index(option_id)
    await pilot.press("enter")
    await settle(pilot)


def counts(result: Aggregate | None) -> dict[Any, int]:
    assert result is not None
    return {bucket.key: bucket.count for bucket in result.buckets}


async def every_member(provider: Provider, audience: Audience) -> list[Member]:
    """The list's members page by page, straight from the adapter (the reference)."""
    size, offset, out = provider.capabilities.max_page_size, 0, []
    while True:
        page = await provider.members(audience, Query(), PageRequest(size, offset))
        out += page.members
        offset += len(page.members)
        if not page.members or (page.total is not None and offset >= page.total):
            return out


def count_calls(provider: Provider, monkeypatch: pytest.MonkeyPatch) -> list[PageRequest]:
    """The pages a scan reads, as members or as one field's column."""
    calls: list[PageRequest] = []
    members, column = provider.members, provider.column

    async def read_members(audience: Audience, query: Query, page: PageRequest) -> Page:
        calls.append(page)
        return await members(audience, query, page)

    async def read_column(audience: Audience, query: Query, page: PageRequest, name: str) -> Column:
        calls.append(page)
        return await column(audience, query, page, name)

    monkeypatch.setattr(provider, "members", read_members)
    monkeypatch.setattr(provider, "column", read_column)
    return calls


# --- counted by the platform -------------------------------------------------------------------
async def test_placewise_gender_then_optin_channel_counted_by_the_platform(
    session: Session,
) -> None:
    app = ChartsApp(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_charts(pilot, "demo-placewise", "Infinity Mall")
        provider = session.provider("demo-placewise")
        club = screen.audience
        assert screen.field is not None and screen.field.name == "gender"  # drawn at once
        assert screen.result is not None and screen.result.source == "server"
        expected = await provider.aggregate(club, "gender", Filter())
        assert counts(screen.result) == counts(expected)
        text = screen_text(app)
        size = club.member_count or 0
        assert f"Gender: {size:,} members, counted by the platform" in text
        woman = next(i for i, b in enumerate(expected.buckets) if b.key == "woman")
        share = shares([b.count for b in expected.buckets], size)[woman]  # adding up to 100
        assert f"{expected.buckets[woman].count:,}" in text and f"{share:.1f}%" in text

        await choose(pilot, "#fields", "optin_channel")
        assert screen.result.source == "server" and screen.result.field == "optin_channel"
        expected = await provider.aggregate(club, "optin_channel", Filter())
        assert counts(screen.result) == counts(expected)
        assert sum(counts(screen.result).values()) == size


async def test_ownpage_subscribed_counted_by_the_platform(session: Session) -> None:
    app = ChartsApp(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_charts(pilot, "demo-ownpage", "Sport Hebdo")
        assert screen.field is not None and screen.field.name == "subscribed"
        assert screen.result is not None and screen.result.source == "server"
        members = await every_member(session.provider("demo-ownpage"), screen.audience)
        subscribed = sum(1 for m in members if m.fields.get("subscribed"))
        assert counts(screen.result) == {"yes": subscribed, "no": len(members) - subscribed}
        assert "counted by the platform" in screen_text(app)


async def test_emma_group_status_counted_by_the_platform_and_no_time_tab(session: Session) -> None:
    app = ChartsApp(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_charts(pilot, "demo-emma", "Donors")
        assert screen.field is not None and screen.field.name == "status"
        assert screen.result is not None and screen.result.source == "server"
        assert screen.result.total == screen.audience.member_count
        text = screen_text(app)
        assert f"Status: {screen.result.total:,} members, counted by the platform" in text
        assert "Active" in text
        assert screen.check_action("switch", ()) is False  # Emma has no reports over time
        assert "Over time" not in text


# --- counted by scanning -----------------------------------------------------------------------
async def test_heyloyalty_country_scan_equals_the_pages(session: Session) -> None:
    app = ChartsApp(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_charts(pilot, "demo-heyloyalty", "Webshop customers")
        assert screen.result is None  # nothing is scanned until a field is chosen
        assert "Choose a field" in screen_text(app)
        await choose(pilot, "#fields", "country")
        assert screen.result is not None and screen.result.source == "scan"
        assert screen.result.complete
        members = await every_member(session.provider("demo-heyloyalty"), screen.audience)
        spec = next(s for s in screen.view.fields if s.name == "country")  # type: ignore[union-attr]
        options = spec.options or {}
        expected = Counter(options.get(str(v), str(v)) if v else EMPTY
                           for v in (m.fields.get("country") for m in members))  # fmt: skip
        assert {b.label: b.count for b in screen.result.buckets} == dict(expected)
        assert screen.result.total == len(members) == screen.audience.member_count
        line = f"Country: {len(members):,} members, counted by scanning every page"
        assert line in screen_text(app)


async def test_kajabi_scan_grows_page_by_page_to_the_pages_counts(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(charts, "REDRAW_EVERY", 0)
    drawn: list[Aggregate] = []
    show = BarChart.show
    monkeypatch.setattr(
        BarChart, "show", lambda self, a: (a is not None and drawn.append(a), show(self, a))
    )
    app = ChartsApp(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_charts(pilot, "demo-kajabi", "Photo Masterclass")
        await choose(pilot, "#fields", "created_at")
        size = screen.audience.member_count or 0
        partial = [a for a in drawn if not a.complete]
        assert [a.scanned for a in partial] == [*range(100, size, 100), size]
        assert len(partial) > 2 and all(a.total == size for a in partial)
        members = await every_member(session.provider("demo-kajabi"), screen.audience)
        years = Counter(str(parse_date(m.fields["created_at"]).year)  # type: ignore[union-attr]
                        for m in members)  # fmt: skip
        assert counts(drawn[-1]) == dict(years) and drawn[-1].complete
        assert f"{size:,} members, counted by scanning every page" in screen_text(app)


async def test_escape_stops_a_scan_and_keeps_the_partial_chart(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = session.provider("demo-kajabi")
    original, never = provider.members, asyncio.Event()

    async def first_page_only(audience: Audience, query: Query, page: PageRequest) -> Page:
        if page.offset:
            await never.wait()  # the rest of the list never arrives
        return await original(audience, query, page)

    monkeypatch.setattr(provider, "members", first_page_only)
    app = ChartsApp(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_charts(pilot, "demo-kajabi", "Photo Masterclass")
        fields = screen.query_one("#fields", OptionList)
        fields.highlighted = fields.get_option_index("created_at")
        await pilot.press("enter")
        size = screen.audience.member_count
        await until(pilot, lambda: f"100 of {size} members read" in screen_text(app))
        assert f"counting by scanning, 100 of {size} members read… escape stops" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen  # the first escape only stops the scan
        assert screen.result is not None and not screen.result.complete
        assert sum(counts(screen.result).values()) == 100
        assert screen.query_one(BarChart).aggregate is screen.result
        assert f"partial, stopped after 100 of {size} members" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is not screen


async def test_a_field_with_too_many_values_is_not_charted(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(charts, "MAX_VALUES", 150)
    app = ChartsApp(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_charts(pilot, "demo-kajabi", "Photo Masterclass")
        await choose(pilot, "#fields", "email")
        status = str(screen.query_one("#chart-status", Label).render())
        assert "Email: validation: Email has more than 150 different values" in status
        assert "more than 150 different values" in screen_text(app)
        assert screen.result is not None and not screen.result.complete
        assert screen.result.scanned < (screen.audience.member_count or 0)  # it stopped
        assert chart_cache(session) == {}
        await choose(pilot, "#fields", "created_at")
        await choose(pilot, "#fields", "email")
        await choose(pilot, "#fields", "created_at")  # from memory: the failure is gone
        status = str(screen.query_one("#chart-status", Label).render())
        assert "kept from before" in status and "validation" not in status


async def test_counts_are_kept_until_r(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = count_calls(session.provider("demo-heyloyalty"), monkeypatch)
    app = ChartsApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await open_charts(pilot, "demo-heyloyalty", "VIP Club")
        await choose(pilot, "#fields", "country")
        first = len(calls)
        assert first > 0
        await choose(pilot, "#fields", "points")
        await choose(pilot, "#fields", "country")
        assert len(calls) == first * 2  # country again: from memory, only points was read
        assert "kept from before" in screen_text(app)
        await pilot.press("escape")  # leaving and coming back keeps it too
        await settle(pilot)
        screen = await open_charts(pilot, "demo-heyloyalty", "VIP Club")
        await choose(pilot, "#fields", "country")
        assert len(calls) == first * 2 and screen.cached
        await pilot.press("r")
        await settle(pilot)
        assert len(calls) == first * 3 and not screen.cached
        assert "kept from before" not in screen_text(app)


async def test_a_filtered_view_counts_only_its_members(session: Session) -> None:
    query = Query(Filter((parse_condition("country eq Danmark"),)))
    app = ChartsApp(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_charts(pilot, "demo-heyloyalty", "Webshop customers", query)
        await choose(pilot, "#fields", "country")
        assert screen.result is not None and screen.result.complete
        assert [b.label for b in screen.result.buckets] == ["Danmark"]
        text = screen_text(app)
        assert "where Country equals Danmark" in text
        assert "counted by scanning every member" in text  # the field list says so


async def test_a_view_the_app_checks_is_scanned_even_where_the_platform_counts(
    session: Session,
) -> None:
    query = Query(Filter((parse_condition("first_name sw a"),)))  # not a Placewise filter
    app = ChartsApp(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_charts(pilot, "demo-placewise", "City Lade", query)
        assert screen.result is None  # no field is counted by the platform for this view
        await choose(pilot, "#fields", "gender")
        result = screen.result
        assert result is not None and result.source == "scan" and result.complete
        members = await every_member(session.provider("demo-placewise"), screen.audience)
        kept = [m for m in members if str(m.fields.get("first_name")).lower().startswith("a")]
        assert 0 < result.total == len(kept) < len(members)  # type: ignore[operator]
        assert sum(counts(result).values()) == len(kept)
        assert f"Gender: {len(kept):,} members, counted by scanning" in screen_text(app)


async def test_hostile_values_chart_literally(session: Session) -> None:
    provider = session.provider("demo-heyloyalty")
    await provider.http.request(
        "POST",
        f"{HEYLOYALTY_API}/lists/2/members",
        data={"firstname": "x", "city": HOSTILE, "email": "hostile@example.com", "skipOptIn": "1"},
    )
    app = ChartsApp(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_charts(pilot, "demo-heyloyalty", "VIP Club")
        await choose(pilot, "#fields", "city")
        assert screen.result is not None and HOSTILE in {b.label for b in screen.result.buckets}
        await pilot.click(BarChart)
        await pilot.pause()
        shown = screen_text(app)
        assert "[@click=app.quit]x[/]" in shown  # cut to the label column, but literal
        assert "\x1b" not in shown and "\x07" not in shown
        assert app.is_running


# --- over time ---------------------------------------------------------------------------------
async def test_placewise_reports_over_time(session: Session) -> None:
    app = ChartsApp(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_charts(pilot, "demo-placewise", "City Lade")
        await pilot.press("t")
        await settle(pilot)
        assert screen.series is not None and screen.series.report == "member_balance"
        assert screen.series.series == ["in", "out"]
        text = screen_text(app)
        assert "Member balance, last 5 years, by 1mo" in text and "▬ in  ▬ out" in text
        await choose(pilot, "#reports", "members_count_history")
        await choose(pilot, "#periods", "3652")
        series = screen.series
        assert series.report == "members_count_history" and series.interval == "1mo"
        values = [p.values["members"] for p in series.points]
        assert values == sorted(values) and values[-1] == screen.audience.member_count
        plot = screen.query_one(TimeChart).render()
        assert isinstance(plot, Text) and plot.plain.strip()
        assert "members" not in plot.plain  # no legend drawn over the line
        assert str(screen.query_one("#time-status", Label).render()).endswith("▬ members")
        mark = legend(series).spans[0]  # the legend above the plot, in the line's colour
        drawn = {
            s.style.color.number for s in plot.spans if isinstance(s.style, Style) and s.style.color
        }
        assert Style.parse(str(mark.style)).color.number in drawn  # the line's colour
        await pilot.press("t")
        assert screen.query_one("#fields", OptionList).has_focus


async def test_at_80x24_the_period_list_scrolls_into_view(session: Session) -> None:
    """The report, interval and period lists are taller than 24 rows: Period was cut off below
    the screen, reachable by tab but never seen. The options scroll to the focused list."""
    app = ChartsApp(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_charts(pilot, "demo-placewise", "City Lade")
        await pilot.press("t")
        await settle(pilot)
        app.screen.query_one("#periods", OptionList).focus()
        await until(pilot, lambda: "10 years" in screen_text(app))  # scrolled on a later frame
        assert "30 days" in screen_text(app)


# --- from the lists ----------------------------------------------------------------------------
async def test_c_and_i_on_the_lists(session: Session) -> None:
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_lists(pilot, "demo-ownpage")
        assert isinstance(app.screen, ListsScreen)
        await pilot.press("down", "c")
        await settle(pilot)
        assert isinstance(app.screen, ChartsScreen)
        assert app.screen.audience.name == "Sport Hebdo"
        assert app.screen.result is not None and app.screen.result.field == "subscribed"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ListsScreen)
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, ImportsScreen)
        assert app.screen.account_name == "demo-ownpage"
        assert app.screen.audience is not None and app.screen.audience.name == "Sport Hebdo"


# --- the bars ----------------------------------------------------------------------------------
def test_bars_scale_to_the_width_with_counts_and_percentages() -> None:
    result = Aggregate("f", [Bucket("a", 300), Bucket("b", 100)], total=400)
    lines = chart_text(result, 60).plain.splitlines()
    assert len(lines) == 2 and all(len(line) <= 60 for line in lines)
    assert lines[0].endswith("300  75.0%") and lines[1].endswith("100  25.0%")
    assert lines[0].count("█") == 3 * lines[1].count("█")


def test_the_percentages_of_the_bars_add_up_to_exactly_100() -> None:
    """Thirds, and 70 values with a long tail: shown as 33.4/33.3/33.3 (not 99.9 in all), and
    the bars and the long tail's line together 100.0, however the counts fall."""
    thirds = chart_text(Aggregate("f", [Bucket(c, 1) for c in "abc"], total=3), 60).plain
    assert [line.split()[-1] for line in thirds.splitlines()] == ["33.4%", "33.3%", "33.3%"]
    buckets = [Bucket(f"v{i}", 7 + i % 3) for i in range(MAX_BARS + 10)]
    lines = chart_text(Aggregate("f", buckets, total=sum(b.count for b in buckets)), 100)
    *bars, tail = lines.plain.splitlines()
    shown = [float(line.split()[-1].rstrip("%")) for line in bars]
    shown.append(float(tail.rsplit(" ", 1)[-1].rstrip("%)")))
    assert round(sum(shown), 1) == 100.0


@pytest.mark.parametrize("width", range(26, 61, 2))
def test_bars_fit_a_narrow_pane_giving_up_spare_count_room_first(width: int) -> None:
    """At 80 columns the bars' pane is ~32 cells (less its scroll bar): a line wider than
    that wrapped its percentage under the bar. Counts keep the room they need; labels give
    way before a line grows past the width."""
    buckets = [Bucket("Art & Design and more", 919), Bucket("b", 35), Bucket("c", 1_234)]
    for total in (2_698, 1_500_000):
        lines = chart_text(Aggregate("f", buckets, total=total), width).plain.splitlines()
        assert len(lines) == 3 and all(cell_len(line) <= width for line in lines), lines
        assert lines[2].endswith("1,234  " + f"{1_234 / total:.1%}".rjust(5))


async def test_a_chart_at_80_columns_keeps_each_value_on_one_line(session: Session) -> None:
    app = ChartsApp(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_charts(pilot, "demo-heyloyalty", "Newsletter DK")
        await choose(pilot, "#fields", "interests")
        shown = screen_text(app).splitlines()
        bars = [line for line in shown if "█" in line]
        assert len(bars) >= 5 and all(line.rstrip().endswith("%") for line in bars), bars


def test_bars_sum_the_long_tail_and_render_labels_literally() -> None:
    buckets = [Bucket(HOSTILE, 1000)] + [Bucket(f"v{i}", 1) for i in range(MAX_BARS + 5)]
    text = chart_text(Aggregate("f", buckets, total=1000 + MAX_BARS + 5), 100)
    assert "[@click=app.quit]x[/]" in text.plain and "\x1b" not in text.plain
    assert text.plain.endswith("… and 6 more values (6, 0.2%)")  # with the rest, 100.0%
    assert not text.spans or all(s.style in ("cyan", "bold", "dim") for s in text.spans)


async def test_counts_over_time_have_whole_number_ticks(session: Session) -> None:
    """Members are counted in whole numbers: the value axis says 30, not 25.8."""
    app = ChartsApp(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_charts(pilot, "demo-placewise", "City Lade")
        await pilot.press("t")
        await settle(pilot)
        plot = screen.query_one(TimeChart).render()
        assert isinstance(plot, Text)
        axis = [line.split("┤")[0].strip() for line in plot.plain.splitlines() if "┤" in line]
        assert len(axis) >= 3
        assert all(label.replace(",", "").isdigit() for label in axis), axis
