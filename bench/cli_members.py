"""Figure 8: `audience-tui --demo members ... --format csv` of the 1M Heyloyalty list: time to its
first line, to its last, and its peak memory, against the TUI's export of the same list (the
baseline, measured in the same run: `core.export.export_view` over the same pages, in-process).

The command runs as a person runs it, in its own process over the bench database, its output
read through a pipe as `| head` or `> file` would; its peak memory is the child's max RSS.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from audience_tui.core.columns import columns_for
from audience_tui.core.export import export_view
from audience_tui.core.models import Query
from audience_tui.core.paging_scan import source_for
from audience_tui.core.scan import prepare

from .common import Row, main_guard, ms, sandbox
from .table import HEYLOYALTY_1M, find_list

TARGET_FIRST = 1.0  # seconds
TARGET_RATIO = 1.2
TARGET_PEAK = 150.0  # MB


async def tui_export() -> tuple[float, int]:
    """Seconds the TUI's export of the 1M list takes, and the rows it wrote."""
    from audience_tui.demo import demo_session

    session = demo_session(sandbox())
    provider, audience = await find_list(session)
    view = await prepare(provider, audience, Query())
    fetch, paging = source_for(view, provider.capabilities.max_page_size)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        result = await export_view(
            fetch, paging, columns_for(view.fields), Path(folder) / "x.csv", "csv"
        )
        took = time.perf_counter() - start
    await session.aclose()
    return took, result.rows


def cli_members() -> tuple[float, float, int, float]:
    """(first line, whole list) in seconds, lines written, peak RSS in MB of the command."""
    account, name = HEYLOYALTY_1M
    command = [sys.executable, "-m", "audience_tui", "--demo", "members", account, name,
               "--format", "csv"]  # fmt: skip
    start = time.perf_counter()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    child = subprocess.Popen(command, stdout=subprocess.PIPE, env=env)  # the bench's database
    assert child.stdout is not None
    lines = 1 if child.stdout.readline() else 0
    first = time.perf_counter() - start
    while block := child.stdout.read(1 << 20):
        lines += block.count(b"\n")
    child.wait()
    whole = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if child.returncode:
        raise SystemExit(f"the members command failed ({child.returncode})")
    return first, whole, lines, peak


async def run() -> list[Row]:
    exported, rows = await tui_export()
    first, whole, lines, peak = cli_members()
    return [
        Row(
            "8. CLI members of the 1M list as CSV: first line",
            ms(first),
            "ms",
            "",
            None,
            f"<= {TARGET_FIRST:g} s",
            first <= TARGET_FIRST,
            f"{lines - 1:,} members written (the TUI's export: {rows:,})",
        ),
        Row(
            "8. CLI members of the 1M list as CSV: whole list",
            ms(whole),
            "ms",
            f"the TUI's export of the same list: {ms(exported)} ms",
            round(whole / exported, 2),
            f"<= {TARGET_RATIO}x",
            whole <= TARGET_RATIO * exported,
            "the command includes its own start and the in-process sandbox's; stdout a pipe",
        ),
        Row(
            "8. CLI members of the 1M list as CSV: peak memory",
            round(peak, 1),
            "MB",
            "",
            None,
            f"< {TARGET_PEAK:g} MB",
            peak < TARGET_PEAK,
            "the command's max RSS (ru_maxrss of the child)",
        ),
    ]


if __name__ == "__main__":
    main_guard(run)
