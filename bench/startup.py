"""Figure 7: `audience-tui --demo` to its first interactive frame, against a minimal Textual app.

Both run in a 120x40 pty; the demo's first frame is the accounts screen listing the demo
accounts (its database already built, as on every start after the first).

Both start from compiled bytecode, as installed programs do (pip compiles every module when it
installs). Where PYTHONDONTWRITEBYTECODE is set, as on this machine, the app would otherwise
compile its ~100 modules from source on every start (~0.3-0.4 s) while the baseline's Textual
comes compiled from site-packages: the children keep their bytecode under bench/out/pycache
instead, and one untimed run of each fills it.
"""

from __future__ import annotations

import os
import statistics
import sys
from dataclasses import dataclass

from .common import DB, OUT, Row, emit, isolate, ms
from .terminal import Run, run

REPEATS = 5


@dataclass(frozen=True)
class Program:
    argv: list[str]
    markers: list[bytes]  # what only its full first screen shows
    env: dict[str, str]


def with_bytecode(env: dict[str, str]) -> dict[str, str]:
    """`env` with bytecode written and read under bench/out/pycache (see the module doc)."""
    env = {name: value for name, value in env.items() if name != "PYTHONDONTWRITEBYTECODE"}
    return env | {"PYTHONPYCACHEPREFIX": str(OUT / "pycache")}


def timed(programs: list[Program]) -> list[tuple[float, float]]:
    """(median seconds to first screen, peak MB) of each program, their runs taken in turn so
    that a change of load on the machine weighs on both alike."""
    for program in programs:  # untimed: fills the bytecode cache and the page cache
        run(program.argv, program.markers, env=program.env)
    runs: list[list[Run]] = [[] for _ in programs]
    for _ in range(REPEATS):
        for program, done in zip(programs, runs, strict=True):
            done.append(run(program.argv, program.markers, env=program.env))
    for program, done in zip(programs, runs, strict=True):
        if missing := [r for r in done if r.seconds is None]:
            tail = missing[0].output[-400:].decode(errors="replace")
            raise SystemExit(f"{program.argv} never showed {program.markers}: ...{tail}")
    return [
        (statistics.median(r.seconds or 0 for r in done), max(r.peak_mb for r in done))
        for done in runs
    ]


def main() -> None:
    isolate()
    env = with_bytecode(dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor"))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.getcwd(), env.get("PYTHONPATH")]))
    (minimal, minimal_peak), (demo, demo_peak) = timed(
        [
            Program([sys.executable, "-m", "bench.minimal_app"], [b"minimal app ready"], env),
            Program(
                [sys.executable, "-m", "audience_tui", "--demo"],
                [b"demo-heyloyalty", b"demo-placewise"],
                env | {"AUDIENCE_TUI_SANDBOX_DB": str(DB)},
            ),
        ]
    )
    emit(
        [
            Row(
                "7. start-up to first interactive frame (audience-tui --demo)",
                ms(demo),
                "ms",
                f"minimal Textual app {ms(minimal)} ms",
                round(demo / minimal, 2),
                "<= 2.0x",
                demo <= 2 * minimal,
            ),
            Row(
                "7. peak memory at start-up (audience-tui --demo)",
                round(demo_peak, 1),
                "MB",
                f"minimal Textual app {minimal_peak:.0f} MB",
                round(demo_peak / minimal_peak, 2),
            ),
        ]
    )


if __name__ == "__main__":
    main()
