"""A line chart of a platform's time-series report (textual-plotext), one line per series.

Plotext's output is read back with `Text.from_ansi`, so every string we hand it that came from
the platform (series labels) is cleaned of control characters first.
"""

from __future__ import annotations

from textual_plotext import PlotextPlot

from ...core.models import TimeSeries
from ...core.sanitize import clean

# Plotext's date format (its own letters): minutes matter only for sub-day intervals.
DAY_FORM = "Y-m-d"
MINUTE_FORM = "Y-m-d H:M"
SUB_DAY = ("5m", "1h")


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
            for name in series.series:
                dates, values = points_of(series, name, form)
                if dates:
                    plt.plot(dates, values, label=clean(name), marker="hd")
        self.refresh()
