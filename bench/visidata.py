"""Baseline: the same audience exported to CSV (the app's own export) and opened in VisiData.

VisiData is what a user would pick instead of this app: export the list, open the file. It is a
bench-only extra (`pip install visidata`, or the `bench` extra of pyproject.toml); when it is not
importable, the bench installs it into bench/out/vd (not the project's environment). It runs in
a 120x40 pty like the app; its first screen is drawn when the 30th member's id appears (VisiData
shows rows while it is still loading the rest in a thread).
"""

from __future__ import annotations

import asyncio
import csv
import os
import subprocess
import sys
import time

from audience_tui.core.columns import columns_for
from audience_tui.core.export import export_view
from audience_tui.core.models import Query
from audience_tui.core.paging import paging_for

from .common import OUT, Row, emit, ms, sandbox
from .table import find_list
from .terminal import run

VD = OUT / "vd"
CSV = OUT / "heyloyalty-1m.csv"


def visidata_env() -> dict[str, str] | None:
    """An environment in which `python -m visidata` runs, installing it if needed; None: cannot."""
    env = dict(os.environ, TERM="xterm-256color", HOME=str(OUT / "home"))
    probe = [sys.executable, "-c", "import visidata"]
    if subprocess.run(probe, env=env, capture_output=True).returncode == 0:
        return env
    env["PYTHONPATH"] = str(VD)
    if subprocess.run(probe, env=env, capture_output=True).returncode == 0:
        return env
    install = [sys.executable, "-m", "pip", "install", "-q", "--target", str(VD), "visidata"]
    if subprocess.run(install, capture_output=True).returncode != 0:
        return None
    return env if subprocess.run(probe, env=env, capture_output=True).returncode == 0 else None


async def export() -> float | None:
    """Export the 1M list with the app's CSV export, once (kept in bench/out); seconds taken."""
    if CSV.exists():
        return None
    from audience_tui.demo import demo_session

    session = demo_session(sandbox())
    provider, audience = await find_list(session)
    columns = columns_for(await provider.fields(audience))
    size = provider.capabilities.max_page_size
    fetch = lambda request: provider.members(audience, Query(), request)  # noqa: E731
    start = time.perf_counter()
    await export_view(fetch, paging_for("offset", size), columns, CSV, "csv")
    took = time.perf_counter() - start
    await session.aclose()
    return took


def main() -> None:
    env = visidata_env()
    if env is None:
        emit([Row("VisiData baseline", float("nan"), "ms", note="visidata could not be installed")])
        return
    exported = asyncio.run(export())
    with CSV.open(newline="") as file:
        rows = [row for _, row in zip(range(31), csv.reader(file), strict=False)]
    marker = rows[30][0][:16].encode()  # the 30th member's id, as wide as VisiData shows it
    argv = [sys.executable, "-m", "visidata", str(CSV)]
    runs = [run(argv, [marker], env=env, quit_keys=b"gq") for _ in range(3)]
    times = sorted(r.seconds for r in runs if r.seconds is not None)
    note = f"export of the list to CSV took {exported:.0f} s" if exported else ""
    if not times:
        tail = runs[0].output[-300:].decode(errors="replace")
        emit([Row("VisiData baseline", float("nan"), "ms", note=f"no first screen: {tail!r}")])
        return
    emit(
        [
            Row(
                "VisiData baseline: open the 1M CSV to first screen",
                ms(times[len(times) // 2]),
                "ms",
                f"peak {max(r.peak_mb for r in runs):.0f} MB",
                note=note,
            )
        ]
    )


if __name__ == "__main__":
    main()
