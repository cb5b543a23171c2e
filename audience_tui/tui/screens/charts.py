"""`c`: a list's (or a filtered view's) member counts by a field, and the platform's reports
over time.

Counts come from the platform where it offers them (core.aggregate asks it first) and otherwise
from a scan of every page, in parallel within the platform's limits; the chart grows as pages
arrive, `escape` stops a scan and keeps what it counted (marked partial), and finished counts
are kept in memory per account, list, view and field until `r`.
"""

from __future__ import annotations

from time import monotonic
from typing import ClassVar
from weakref import WeakKeyDictionary

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Label, OptionList, TabbedContent, TabPane
from textual.widgets.option_list import Option
from textual.worker import Worker

from ...core.aggregate import aggregate, counted_by_platform
from ...core.filters import describe
from ...core.models import Aggregate, Audience, FieldSpec, FieldType, Query, TimeSeries
from ...core.sanitize import clean
from ...core.scan import View, prepare
from ...core.session import Session
from ..background import BackgroundWork
from ..styled_once import StyledOnce
from ..widgets.bar_chart import BarChart
from ..widgets.cells import error_text
from ..widgets.footer import Footer
from ..widgets.header import Header
from ..widgets.time_chart import TimeChart, legend

REDRAW_EVERY = 0.2  # seconds between redraws while a scan grows
MAX_VALUES = 5_000  # a scan stops beyond this many different values (emails, ids)
# The time-series vocabulary of Provider.timeseries (Placewise's reporting API).
INTERVALS = ("auto", "1h", "1d", "1w", "1mo")
PERIODS = (("30 days", 30), ("90 days", 90), ("1 year", 365), ("5 years", 1826), ("10 years", 3652))
DEFAULT_PERIOD = 3
GROUPING_TYPES = (FieldType.CHOICE, FieldType.MULTI, FieldType.BOOLEAN)
# Words of fields that hold one value per person: a chart of them is one bar per member.
PERSONAL_WORDS = ("email", "name", "phone", "mobile", "msisdn", "guid", "address")


def personal(spec: FieldSpec) -> bool:
    """A field that identifies a person (email, names, phone, ids): offered last."""
    words = f"{spec.name} {spec.label}".casefold()
    return spec.name.casefold() in ("id", "uid") or any(word in words for word in PERSONAL_WORDS)


def chart_order(view: View, spec: FieldSpec) -> tuple[bool, bool, bool]:
    """Categories first (choices, yes/no), those the platform counts before those scanned;
    fields that identify a person last."""
    return personal(spec), spec.type not in GROUPING_TYPES, not counted_by_platform(view, spec)


CacheKey = tuple[str, str, str, str]  # account, audience id, query, field
_caches: WeakKeyDictionary[Session, dict[CacheKey, Aggregate]] = WeakKeyDictionary()


def chart_cache(session: Session) -> dict[CacheKey, Aggregate]:
    """Finished counts of this session, kept while it lives (until `r` replaces one)."""
    return _caches.setdefault(session, {})


def failed(error: BaseException) -> Text:
    return error_text(error).append("   r: try again", style="dim")


def report_title(report: str) -> str:
    return clean(report).replace("_", " ").capitalize()


class ChartsScreen(StyledOnce, BackgroundWork, Screen[None]):
    TITLE = "Charts"
    HELP = (
        "Member counts by a field, as bars with counts and percentages. Choose a field on the "
        "left and press `enter`. Fields marked *counted by the platform* are answered at once; "
        "the others are counted by reading every member page by page: the chart grows as it "
        "goes, `escape` stops it and keeps the partial count. Counts are kept until `r` counts "
        "again. Where the platform has reports over time, `t` switches to them: choose a "
        "report, interval and period (`enter` in any of the three lists draws it)."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Stop counting / back", id="charts.back"),
        Binding("r", "refresh", "Count again", id="charts.refresh"),
        Binding("t", "switch", "Counts / over time", id="charts.switch"),
    ]
    DEFAULT_CSS = """
    ChartsScreen #tabs, ChartsScreen TabPane, ChartsScreen .pane { height: 1fr; }
    ChartsScreen TabPane { padding: 0; }
    ChartsScreen #fields, ChartsScreen #time-options { width: 44; height: 1fr; }
    ChartsScreen #time-options OptionList { height: auto; margin: 0 0 1 0; }
    ChartsScreen #chart-status, ChartsScreen #time-status, ChartsScreen #title {
        padding: 0 1;
        width: 100%;
    }
    ChartsScreen #bars-scroll { height: 1fr; }
    """

    def __init__(
        self, session: Session, account_name: str, audience: Audience, query: Query | None = None
    ) -> None:
        super().__init__()
        self.session = session
        self.account_name = account_name  # the app's `/` looks up in this account
        self.audience = audience
        self.view_query = query or Query()
        self.provider = session.provider(account_name)
        self.view: View | None = None
        self.field: FieldSpec | None = None
        self.result: Aggregate | None = None
        self.cached = False  # the result shown came from the cache
        self.stopped = False  # the user stopped the scan: the result shown is partial
        self.failure: Text | None = None  # why the last count failed
        self.series_asked = False
        self.counting: Worker[None] | None = None
        self._drawn_at = 0.0
        self._redraw: Timer | None = None
        self.series: TimeSeries | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(id="title")
        with TabbedContent(id="tabs"):
            with TabPane("Counts by field", id="counts"), Horizontal(classes="pane"):
                yield OptionList(id="fields")
                with Vertical(classes="pane"):
                    yield Label(Text("Reading the list's fields…", style="dim"), id="chart-status")
                    with VerticalScroll(id="bars-scroll"):
                        yield BarChart(id="bars")
            if self.provider.capabilities.timeseries:
                with TabPane("Over time", id="time"), Horizontal(classes="pane"):
                    with VerticalScroll(id="time-options"):  # at 80x24 Period is below
                        yield from self._time_options()
                    with Vertical(classes="pane"):
                        yield Label(id="time-status")
                        yield TimeChart(id="timechart")
        yield Footer()

    def _time_options(self) -> ComposeResult:
        reports = self.provider.capabilities.timeseries
        yield Label(Text("Report", style="bold"))
        yield OptionList(*(Option(report_title(r), r) for r in reports), id="reports")
        yield Label(Text("Interval", style="bold"))
        yield OptionList(*(Option(i, i) for i in INTERVALS), id="intervals")
        yield Label(Text("Period", style="bold"))
        yield OptionList(*(Option(label, str(days)) for label, days in PERIODS), id="periods")

    def on_mount(self) -> None:
        self.sub_title = f"{self.account_name} · {clean(self.audience.name)}"
        self._title()
        self.query_one("#fields", OptionList).focus()
        if self.provider.capabilities.timeseries:
            self.query_one("#periods", OptionList).highlighted = DEFAULT_PERIOD
        self._prepare()

    def _title(self) -> None:
        title = Text.assemble(
            (self.provider.title, "bold"), " · ", self.account_name, " · ",
            (clean(self.audience.name), "bold"),
        )  # fmt: skip
        if self.view_query.filter and self.view is not None:
            where = describe(self.view_query.filter, self.view.fields)
            title.append(" · where ").append(clean(where))
        if self.view_query.status is not None:
            title.append(f" · {self.view_query.status.value.replace('_', ' ')} members")
        self.query_one("#title", Label).update(title)

    # --- the fields -----------------------------------------------------------------------------
    @work(exclusive=True, group="charts-prepare")
    async def _prepare(self) -> None:
        status = self.query_one("#chart-status", Label)
        try:
            self.view = await prepare(self.provider, self.audience, self.view_query)
        except Exception as exc:  # shown with the way out; the screen stays usable
            status.update(failed(exc))
            return
        self._title()
        view = self.view
        specs = sorted(view.fields, key=lambda spec: chart_order(view, spec))
        fields = self.query_one("#fields", OptionList)
        fields.clear_options()
        fields.add_options(Option(self._field_prompt(s), s.name) for s in specs)
        if specs and counted_by_platform(view, specs[0]):
            fields.highlighted = 0
            self.count(specs[0])
        else:
            fields.highlighted = 0 if specs else None
            status.update(Text("Choose a field and press enter to count its values.", "dim"))

    def _field_prompt(self, spec: FieldSpec) -> Text:
        assert self.view is not None
        prompt = Text(clean(spec.label), style="bold")
        if counted_by_platform(self.view, spec):
            return prompt.append("\n  counted by the platform", style="green")
        known = self.audience.member_count
        if known is not None and not self.view_query.filter and self.view_query.status is None:
            return prompt.append(f"\n  counted by scanning {known:,} members", style="dim")
        return prompt.append("\n  counted by scanning every member", style="dim")

    @on(OptionList.OptionSelected, "#fields")
    def _field_chosen(self, event: OptionList.OptionSelected) -> None:
        if self.view is None:
            return
        spec = next((s for s in self.view.fields if s.name == event.option.id), None)
        if spec is not None:
            self.count(spec)

    # --- counting -------------------------------------------------------------------------------
    def _key(self, spec: FieldSpec) -> CacheKey:
        return (self.account_name, self.audience.id, repr(self.view_query), spec.name)

    def count(self, spec: FieldSpec, again: bool = False) -> None:
        """Show the counts of `spec`: from the cache unless `again`, else counted afresh."""
        self.field, self.stopped, self.failure = spec, False, None
        cache = chart_cache(self.session)
        if again:
            cache.pop(self._key(spec), None)
        elif (found := cache.get(self._key(spec))) is not None:
            if self.counting is not None:
                self.counting.cancel()
            self.result, self.cached = found, True
            self._draw()
            return
        self.result, self.cached = None, False
        self._draw()
        self.counting = self._count(spec)

    @work(exclusive=True, group="charts-count")
    async def _count(self, spec: FieldSpec) -> None:
        assert self.view is not None

        def update(result: Aggregate) -> None:
            self.result = result
            wait = self._drawn_at + REDRAW_EVERY - monotonic()
            if wait <= 0:
                self._draw()
            elif self._redraw is None:
                self._redraw = self.set_timer(wait, self._draw)

        try:
            result = await aggregate(self.view, spec.name, update, MAX_VALUES)
        except Exception as exc:  # shown with the way out; the screen stays usable
            self.failure = failed(exc)
            self._draw()
            return
        chart_cache(self.session)[self._key(spec)] = result
        self.result = result
        self._draw()

    def _draw(self) -> None:
        """Show `self.result`; while a scan grows, at most every REDRAW_EVERY seconds."""
        if self._redraw is not None:
            self._redraw.stop()
            self._redraw = None
        self._drawn_at = monotonic()
        self.query_one("#bars", BarChart).show(self.result)
        self.query_one("#chart-status", Label).update(self._status())

    def _status(self) -> Text:
        spec, result = self.field, self.result
        if spec is None:
            return Text("")
        line = Text(clean(spec.label), style="bold")
        if self.failure is not None:
            return line.append(": ").append_text(self.failure)
        if result is None:
            return line.append(": counting…", style="dim")
        # Cursor-paged views do not say how many members they hold.
        read = f"{result.scanned:,}" + ("" if result.total is None else f" of {result.total:,}")
        if not result.complete and not self.stopped:
            line.append(f": counting by scanning, {read} members read… ", "yellow")
            return line.append("escape stops", style="dim")
        if not result.complete:
            line.append(f": partial, stopped after {read} members", "yellow")
            return line.append("   r: count again", style="dim")
        if result.total is not None:
            line.append(f": {result.total:,} members")
        if result.source == "server":
            line.append(", counted by the platform", style="green")
        elif result.scanned == result.total:
            line.append(", counted by scanning every page")
        else:
            line.append(f", counted by scanning {result.scanned:,} members")
        if spec.type is FieldType.MULTI:
            line.append(" · a member can have several values", style="dim")
        if self.cached:
            line.append("   (kept from before; r: count again)", style="dim")
        return line

    # --- over time ------------------------------------------------------------------------------
    @on(OptionList.OptionSelected, "#reports, #intervals, #periods")
    def _time_chosen(self) -> None:
        self._series()

    @on(TabbedContent.TabActivated, "#tabs")
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "time":
            self.query_one("#reports", OptionList).focus()
            if not self.series_asked:
                self._series()
        else:
            self.query_one("#fields", OptionList).focus()

    def _chosen(self, list_id: str) -> str:
        options = self.query_one(list_id, OptionList)
        return str(options.get_option_at_index(options.highlighted or 0).id)

    @work(exclusive=True, group="charts-time")
    async def _series(self) -> None:
        self.series_asked = True
        report, interval = self._chosen("#reports"), self._chosen("#intervals")
        days = int(self._chosen("#periods"))
        period = next(label for label, n in PERIODS if n == days)
        status = self.query_one("#time-status", Label)
        status.update(Text(f"{report_title(report)}: loading…", style="dim"))
        try:
            series = await self.provider.timeseries(self.audience, report, interval, days)
        except Exception as exc:  # shown with the way out; the screen stays usable
            status.update(failed(exc))
            return
        title = f"{report_title(report)}, last {period}, by {clean(series.interval) or interval}"
        self.series = series
        self.query_one("#timechart", TimeChart).show(series)
        line = Text(title, style="bold").append(f" · {len(series.points):,} points")
        if series.series:
            line.append(" · ").append_text(legend(series))
        if self.view_query.filter or self.view_query.status is not None:
            line.append(" · the whole list: reports take no filter", style="dim")
        status.update(line)

    # --- actions --------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No `t` where the platform has no reports over time."""
        return action != "switch" or bool(self.provider.capabilities.timeseries)

    def _on_time_tab(self) -> bool:
        return self.query_one("#tabs", TabbedContent).active == "time"

    def action_refresh(self) -> None:
        if self._on_time_tab():
            self._series()
        elif self.view is None:
            self._prepare()
        elif self.field is not None:
            self.count(self.field, again=True)

    def action_switch(self) -> None:
        tabs = self.query_one("#tabs", TabbedContent)
        tabs.active = "counts" if self._on_time_tab() else "time"

    def action_back(self) -> None:
        """Stop a running scan (its partial count stays on screen); otherwise go back."""
        counting = self.counting
        if counting is not None and counting.is_running and not self._on_time_tab():
            counting.cancel()
            self.stopped = True
            self._draw()
            return
        self.app.pop_screen()
