"""Horizontal bars of member counts: label, bar, count and percentage on each line.

Our own widget rather than a plotting library: it is plain `Text` (bucket labels come from the
platform and stay literal), scales to the terminal width, and redraws cheaply while a scan grows.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from ...core.aggregate import EMPTY, shares
from ...core.models import Aggregate
from ...core.sanitize import clean

MAX_BARS = 60  # beyond this many values the rest are summed on one line
EIGHTHS = " ▏▎▍▌▋▊▉"
LABEL_MAX = 32
COUNT_WIDTH, PERCENT_WIDTH = 11, 7  # "  1,234,567", " 100.0%"
MIN_BAR = 4  # cells a bar keeps however narrow the pane


def denominator(aggregate: Aggregate) -> int:
    """What percentages are of: the members counted, or (partial scans, several values per
    member with no total known) the sum of the counts."""
    if aggregate.complete and aggregate.total:
        return aggregate.total
    return sum(bucket.count for bucket in aggregate.buckets)


def bar(fraction: float, width: int) -> str:
    """A bar `fraction` of `width` cells long, in eighths of a cell."""
    eighths = round(max(0.0, min(fraction, 1.0)) * width * 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + (EIGHTHS[rest] if rest else "")


def chart_text(aggregate: Aggregate, width: int, style: str = "cyan") -> Text:
    """The chart as lines of Text, `width` cells wide at most."""
    buckets = aggregate.buckets[:MAX_BARS]
    rest = aggregate.buckets[MAX_BARS:]
    if not buckets:
        return Text("No members to count.", style="dim")
    labels = [Text(clean(bucket.label) or EMPTY) for bucket in buckets]
    label_width = min(max(label.cell_len for label in labels), LABEL_MAX, max(width // 3, 4))
    # a narrow pane (80 columns, a scroll bar) gives up the counts' spare room, then the
    # labels', before a line grows past `width`: the terminal would wrap it under the bar
    needed = max(len(f"{bucket.count:,}") for bucket in buckets) + 2
    spare = width - label_width - 2 - PERCENT_WIDTH - MIN_BAR
    count_width = max(needed, min(COUNT_WIDTH, spare))
    fixed = 2 + count_width + PERCENT_WIDTH
    label_width = max(min(label_width, width - fixed - MIN_BAR), 1)
    bar_width = max(width - label_width - fixed, 1)
    # every value's share, those summed on the last line too: what is shown adds up to 100
    percents = shares([bucket.count for bucket in aggregate.buckets], denominator(aggregate))
    largest = max(bucket.count for bucket in buckets) or 1
    out = Text(no_wrap=True, overflow="ellipsis")
    for label, bucket, percent in zip(labels, buckets, percents, strict=False):
        label.truncate(label_width, overflow="ellipsis", pad=True)
        drawn = bar(bucket.count / largest, bar_width).ljust(bar_width)
        out.append_text(label)
        out.append("  ").append(drawn, style=style)
        out.append(f"{bucket.count:>{count_width},}", style="bold")
        out.append(f"{percent:>{PERCENT_WIDTH - 1}.1f}%\n")
    if rest:
        others = sum(bucket.count for bucket in rest)
        share = sum(percents[MAX_BARS:])
        out.append(f"… and {len(rest):,} more values ({others:,}, {share:.1f}%)\n", style="dim")
    out.rstrip()
    return out


class BarChart(Widget):
    """Shows one Aggregate; `show` replaces it (partial scans call it as they grow)."""

    DEFAULT_CSS = """
    BarChart {
        height: auto;
        width: 1fr;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.aggregate: Aggregate | None = None

    def show(self, aggregate: Aggregate | None) -> None:
        self.aggregate = aggregate
        self.refresh(layout=True)

    def render(self) -> Text:
        if self.aggregate is None:
            return Text("")
        style = "cyan" if self.aggregate.complete else "yellow"
        return chart_text(self.aggregate, self.content_size.width or 80, style)
