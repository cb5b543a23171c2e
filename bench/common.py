"""What every measurement shares: the bench's own sandbox database, latency, RSS, results.

Each measurement runs in its own child process (`python -m bench.<module>`), so its memory figures
start from a fresh interpreter, and prints one JSON document on its last line: a list of rows
{"figure", "value", "unit", "baseline", "ratio", "target", "ok", "note"} for the report.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

OUT = Path(__file__).parent / "out"
DB = OUT / "sandbox.sqlite"
BIG = ("heyloyalty", "placewise")
LATENCIES = (0.0, 0.05)


@dataclass
class Row:
    """One figure of the report."""

    figure: str
    value: float
    unit: str  # "ms", "MB", "share", "x"
    baseline: str = ""  # what the figure is compared with, and its value
    ratio: float | None = None
    target: str = ""
    ok: bool | None = None
    note: str = ""


def isolate() -> None:
    """Keep the user's config, keyring-free demo and audit file out of the bench."""
    home = OUT / "home"
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_DATA_HOME", "data"),
    ):
        (home / sub).mkdir(parents=True, exist_ok=True)
        os.environ[var] = str(home / sub)
    os.environ["AUDIENCE_TUI_SANDBOX_DB"] = str(DB)
    os.environ["AUDIENCE_TUI_SANDBOX_BIG"] = ",".join(BIG)
    os.environ.pop("AUDIENCE_TUI_SANDBOX_SMALL", None)


def sandbox(latency: float = 0.0) -> Any:
    """The in-process sandbox over the bench database (built once by `python -m bench`), or
    the same database served over loopback by another process with BENCH_SERVED=1."""
    from audience_tui.demo import Sandbox
    from audience_tui.sandbox.faults import FaultSpec
    from audience_tui.sandbox.store import Store

    from .served import Served, served

    isolate()
    if served():
        return Served.start(latency)
    store = Store.open(DB, big_lists=BIG)
    box = Sandbox.start(store, FaultSpec(latency=latency))
    unfinished = [key for key, build in store.builds.items() if not build.finished]
    if unfinished:
        raise SystemExit(f"bench database not built ({unfinished}): run `python -m bench`")
    return box


def set_latency(box: Any, latency: float) -> None:
    from audience_tui.sandbox.faults import FaultSpec

    box.app.spec = FaultSpec(latency=latency)


def rss_mb() -> float:
    """Resident memory now (VmRSS), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def percentile(values: Iterable[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[round(share * 100) - 1]


def emit(rows: list[Row]) -> None:
    """The child's answer to the runner: one JSON line, last on stdout."""
    print(json.dumps([asdict(row) for row in rows]), flush=True)


def label(latency: float) -> str:
    return f"{round(latency * 1000)} ms latency"


class Clock:
    """perf_counter in seconds since creation."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self) -> float:
        return time.perf_counter() - self.start


def main_guard(run: Any) -> None:
    """Run a measurement module's async `run()` and emit its rows."""
    import asyncio

    sys.setrecursionlimit(10_000)
    emit(asyncio.run(run()))
