"""A line chart of a platform's time-series report (textual-plotext), one line per series.

Plotext draws its legend inside the plot, in a corner, over the lines that pass there; the
legend is ours instead (`legend`), in the same colours, for the screen to show outside the plot.
Series names come from the platform: the legend is plain Text of cleaned names.
"""

from __future__ import annotations

from math import ceil, floor

from rich.text import Text
from textual_plotext import PlotextPlot

from ...core.models import TimeSeries
from ...core.sanitize import clean

# Plotext's date format (its own letters): minutes matter only for sub-day intervals.
DAY_FORM = "Y-m-d"
MINUTE_FORM = "Y-m-d H:M"
SUB_DAY = ("5m", "1h")
# One colour per series, in order; names both plotext and Rich know (the same terminal colours).
COLOURS = ("cyan", "magenta", "green", "yellow", "blue", "red")


def colour_of(index: int) -> str:
    return COLOURS[index % len(COLOURS)]


def legend(series: TimeSeries) -> Text:
    """The series' names, each after a mark in its line's colour ("▬ in  ▬ out")."""
    out = Text()
    for index, name in enumerate(series.series):
        out.append("  " if index else "").append("▬ ", style=colour_of(index)).append(clean(name))
    return out


def whole_ticks(values: list[float], most: int = 6) -> list[int]:
    """Whole-number ticks from the lowest value to past the highest: counts of members are
    whole, and plotext's own ticks said "25.8"."""
    low, high = floor(min(values)), ceil(max(values))
    least = max(1, ceil((high - low) / (most - 1)))
    step = min(
        n * 10**k for k in range(len(str(least)) + 1) for n in (1, 2, 5) if n * 10**k >= least
    )
    start = low // step * step  # round steps (5, 10, 20, 50...) on round numbers
    return list(range(start, high + step, step))


def points_of(series: TimeSeries, name: str, form: str) -> tuple[list[str], list[float]]:
    """The (date, value) pairs of one series, skipping moments without a value."""
    strftime = form.replace("Y", "%Y").replace("m", "%m").replace("d", "%d")
    strftime = strftime.replace("H", "%H").replace("M", "%M")
    dates, values = [], []
    for point in series.points:
        value = point.values.get(name)
        if value is not None:
            dates.append(point.at.strftime(strftime))
            values.append(float(value))
    return dates, values


class TimeChart(PlotextPlot):
    """Shows one TimeSeries; `show(None)` clears it."""

    def show(self, series: TimeSeries | None) -> None:
        plt = self.plt
        plt.clear_figure()
        if series is not None:
            form = MINUTE_FORM if series.interval in SUB_DAY else DAY_FORM
            plt.date_form(form)
            drawn: list[float] = []
            for index, name in enumerate(series.series):
                dates, values = points_of(series, name, form)
                if dates:  # no label: plotext's legend would cover the lines
                    plt.plot(dates, values, marker="hd", color=colour_of(index))
                    drawn += values
            if drawn and all(value.is_integer() for value in drawn):
                ticks = whole_ticks(drawn)
                plt.yticks([float(tick) for tick in ticks], [f"{tick:,}" for tick in ticks])
        self.refresh()
