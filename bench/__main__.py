"""`python -m bench`: every measurement, each in a child process, then a table and results.md.

Run from the repository root. Each run builds bench/out/sandbox.sqlite (the two million-member
lists) anew, timing the build against its target (`--reuse` keeps a complete one, for a quicker
run without that row); the first run also exports the 1M list to CSV for the VisiData baseline,
which later runs reuse. `--quick` holds the down key for 300 rows instead of 3,000 (the targets
are read the same).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from .build import ensure, footprint, measured_build
from .common import Row
from .report import write

ROOT = Path(__file__).resolve().parent.parent


def child(module: str, *args: str, served: bool = False) -> list[Row]:
    """Run `python -m bench.<module> args` and read its rows (its last stdout line); `served`:
    with the sandbox served over loopback by another process (bench/served.py)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
               os.environ.get("PYTHONPATH")])))  # fmt: skip
    if served:
        env["BENCH_SERVED"] = "1"
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    took = time.perf_counter() - started
    name = " ".join((module, *args, *(["(served)"] if served else [])))
    print(f"  {name}: {took:.0f} s", file=sys.stderr, flush=True)
    lines = done.stdout.strip().splitlines()
    try:
        rows = [Row(**row) for row in json.loads(lines[-1])]
        for row in rows:
            row.figure += " [served over loopback]" if served else ""
        return rows
    except (IndexError, ValueError, TypeError):
        error = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return [Row(f"{name}: failed", math.nan, "", note=error[:200])]


def find(rows: list[Row], start: str) -> Row | None:
    return next((row for row in rows if row.figure.startswith(start)), None)


def cross(rows: list[Row]) -> list[Row]:
    """Ratios between children: our table against the DataTable and VisiData baselines."""
    out = []
    ours = find(rows, "1. first rows, 1M (heyloyalty, 0 ms")
    table = find(rows, "DataTable baseline: 100k rows")
    vd = find(rows, "VisiData baseline: open")
    for other, name in ((table, "DataTable holding 100k rows"), (vd, "VisiData opening the CSV")):
        if ours and other and other.value == other.value and other.value:
            out.append(Row(f"1. first rows vs {name}", ours.value, "ms",
                           f"{name}: {other.value:.0f} ms", round(ours.value / other.value, 3),
                           "< 1.0x", ours.value < other.value))  # fmt: skip
    grown = find(rows, "4. RSS growth after scrolling and jumping over 1M (heyloyalty, 50")
    held = find(rows, "DataTable baseline: RSS growth")
    if grown and held and held.value:
        out.append(Row("4. RSS growth over 1M vs DataTable holding 100k", grown.value, "MB",
                       f"DataTable: {held.value:.0f} MB", round(grown.value / held.value, 3),
                       "< 1.0x", grown.value < held.value))  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="hold down for 300 rows, not 3,000")
    parser.add_argument(
        "--reuse", action="store_true", help="keep a built bench/out/sandbox.sqlite"
    )
    args = parser.parse_args()
    holds = "300" if args.quick else "3000"
    started = time.perf_counter()
    rows = []
    if args.reuse:
        print("reusing bench/out/sandbox.sqlite (or building it)…", file=sys.stderr, flush=True)
        ensure()
    else:
        print("building bench/out/sandbox.sqlite anew…", file=sys.stderr, flush=True)
        rows.append(measured_build())
    rows.append(footprint())
    runs = [
        ("table_figures", "heyloyalty", "0", "--holds", "300"),
        ("table_figures", "heyloyalty", "0.05", "--holds", holds),
        ("table_figures", "placewise", "0.05", "--holds", "300"),
        ("datatable",),
        ("visidata",),
        ("lookup",),
        ("lookup_lists",),
        ("aggregate",),
        ("scan_million",),
        ("cli_members",),
        ("faults",),
        ("startup",),
        ("compliance", "--emails", "1000" if args.quick else "10000"),
    ]
    for run in runs:
        rows.extend(child(*run))
    served = [
        ("table_figures", "heyloyalty", "0.05", "--holds", "300"),
        ("lookup",),
        ("aggregate",),
    ]
    for run in served:  # figures 1, 3, 5 and 6 with the platform's serving in another process
        rows.extend(child(*run, served=True))
    rows.extend(cross(rows))
    took = time.perf_counter() - started
    load = " / ".join(f"{n:.1f}" for n in os.getloadavg())
    machine = (f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
               f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {load} at the end, "
               f"suite took {took:.0f} s")  # fmt: skip
    print(write(rows, machine, args.quick))


if __name__ == "__main__":
    main()
