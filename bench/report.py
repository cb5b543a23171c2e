"""The table printed at the end of `python -m bench`, and bench/results.md."""

from __future__ import annotations

import math
from pathlib import Path

from .common import Row

RESULTS = Path(__file__).parent / "results.md"
LIMITS = Path(__file__).parent / "limits.md"  # what limits each figure: prose, kept by hand


def cell(row: Row) -> list[str]:
    value = "n/a" if isinstance(row.value, float) and math.isnan(row.value) else f"{row.value:g}"
    ratio = "" if row.ratio is None else f"{row.ratio:g}x"
    ok = {True: "yes", False: "NO", None: ""}[row.ok]
    return [row.figure, f"{value} {row.unit}".strip(), row.baseline, ratio, row.target, ok,
            row.note]  # fmt: skip


HEAD = ["figure", "value", "baseline (same run)", "ratio", "target", "met", "note"]


def text_table(rows: list[Row]) -> str:
    cells = [HEAD, *(cell(row) for row in rows)]
    widths = [min(max(len(c[i]) for c in cells), 70) for i in range(len(HEAD) - 1)]
    lines = []
    for c in cells:
        lines.append("  ".join(v[:w].ljust(w) for v, w in zip(c, widths, strict=False)))
    return "\n".join(lines)


def markdown_table(rows: list[Row]) -> str:
    def escape(value: str) -> str:
        return value.replace("|", "\\|")

    lines = ["| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    lines += ["| " + " | ".join(escape(v) for v in cell(row)) + " |" for row in rows]
    return "\n".join(lines)


def write(rows: list[Row], machine: str, quick: bool) -> str:
    """Write bench/results.md; return the plain table for the terminal."""
    missed = [row.figure for row in rows if row.ok is False]
    summary = (f"{sum(r.ok is True for r in rows)} targets met, {len(missed)} missed"
               + (" (--quick run)" if quick else ""))  # fmt: skip
    limits = LIMITS.read_text() if LIMITS.exists() else ""
    RESULTS.write_text(
        "# Benchmark results\n\n"
        "Written by `python -m bench` (do not edit by hand: the prose comes from "
        "bench/limits.md).\n\n"
        f"Machine: {machine}. {summary}.\n\n"
        f"{markdown_table(rows)}\n\n{limits}"
    )
    return f"{text_table(rows)}\n\n{summary}; written to {RESULTS}"
