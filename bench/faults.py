"""Figure 10: time to a clear answer when the platforms misbehave, each `--faults` kind alone.

Each command runs as a person runs it (`audience-tui --demo --faults SPEC ...`, its own process
over the bench database): `lookup` of one email in the five demo accounts, and `lists` of each
account. The target is the action's deadline (core.deadlines: past it, what did answer is shown
and the account that did not is named, exit 4). The figure is the slowest command of the kind,
start-up included; the note says what answered and what was reported, account by account. The
deadline counts from the action's start, so the command's own start (a command that stops at
once, in the same run) is its baseline: target met when the figure less that start is within
the deadline, and the command ended with a clear answer (no crash). Every fault is seeded, so
each run meets the same failures; 50 ms of latency on every request.
"""

from __future__ import annotations

import csv
import io
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from audience_tui.core import deadlines
from audience_tui.sandbox.people import person

from .common import Row, isolate, main_guard, ms

ACCOUNTS = ("demo-heyloyalty", "demo-emma", "demo-ownpage", "demo-kajabi", "demo-placewise")
LATENCY = "latency=50ms,seed=7"
SHARE = 0.3
KINDS = {  # the figure's name: the --faults spec beside the latency
    "429": f"429={SHARE}",
    "5xx": f"5xx={SHARE}",
    "timeout (hangs)": f"timeout={SHARE}",
    "malformed body": f"malformed={SHARE}",
    "truncated body": f"truncate={SHARE}",
    "dropped connection": f"drop={SHARE}",
    "429 and 5xx (the issue's case)": "429=0.3,5xx=0.2",
}
CRASH = 1  # the CLI's exit code for a defect: never a clear answer


@dataclass
class Answer:
    """One command's run: how long until it ended, its exit code, what it printed."""

    took: float
    code: int
    out: str
    err: str

    def said(self) -> str:
        """The first thing it said on stderr (a failure's reason), shortened."""
        lines = [line for line in self.err.splitlines() if line.strip()]
        return (lines[0][:90] + ("…" if len(lines[0]) > 90 else "")) if lines else ""


def command(faults: str, *argv: str) -> Answer:
    """`audience-tui --demo --faults faults argv...` in its own process."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "audience_tui", "--demo", "--faults", faults, *argv],
        env=env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    return Answer(time.perf_counter() - start, done.returncode, done.stdout, done.stderr)


def lookup_note(answer: Answer) -> str:
    """Rows found per account, and the accounts reported as not searched."""
    rows = list(csv.DictReader(io.StringIO(answer.out)))
    found = {name: sum(r["account"] == name for r in rows) for name in ACCOUNTS}
    answered = ", ".join(f"{n.removeprefix('demo-')} {c}" for n, c in found.items() if c)
    missing = [
        line.split(":")[0].removeprefix("demo-")
        for line in answer.err.splitlines()
        if ": could not be searched" in line
    ]
    return (
        f"exit {answer.code}; rows: {answered or 'none'}; "
        f"not searched: {', '.join(missing) or 'none'}"
    )


def lists_note(name: str, answer: Answer) -> str:
    listed = max(0, len(answer.out.splitlines()) - 1)  # CSV: the header, then a list a line
    what = f"{listed} lists" if answer.code == 0 else f"exit {answer.code}: {answer.said()}"
    return f"{name.removeprefix('demo-')} {answer.took:.1f} s, {what}"


def clear(answer: Answer) -> bool:
    """Ended, classified: not a crash, and a failure says why."""
    return answer.code != CRASH and (answer.code == 0 or bool(answer.said()))


async def run() -> list[Row]:
    isolate()
    email = person(1300).email  # on several platforms: each adapter does its whole lookup
    command(LATENCY, "lists", ACCOUNTS[0])  # the bench database's pages warm
    start = statistics.median(command(LATENCY, "lists", "no-such-account").took for _ in range(3))
    rows = []
    for kind, spec in KINDS.items():
        faults = f"{spec},{LATENCY}"
        found = command(faults, "lookup", email, "--format", "csv")
        rows.append(
            Row(
                f"10. clear answer under {kind}: lookup in 5 accounts (--faults {spec}, 50 ms)",
                ms(found.took),
                "ms",
                f"deadline {deadlines.LOOKUP:g} s after the command's start, {ms(start)} ms",
                round((found.took - start) / deadlines.LOOKUP, 2),
                f"<= {deadlines.LOOKUP:g} s",
                found.took - start <= deadlines.LOOKUP and clear(found),
                lookup_note(found),
            )
        )
        listed = {name: command(faults, "lists", name, "--format", "csv") for name in ACCOUNTS}
        slowest = max(answer.took for answer in listed.values())
        rows.append(
            Row(
                f"10. clear answer under {kind}: lists of each account (--faults {spec}, 50 ms)",
                ms(slowest),
                "ms",
                f"deadline {deadlines.LISTS:g} s after the command's start, {ms(start)} ms",
                round((slowest - start) / deadlines.LISTS, 2),
                f"<= {deadlines.LISTS:g} s",
                slowest - start <= deadlines.LISTS and all(map(clear, listed.values())),
                "; ".join(lists_note(name, answer) for name, answer in listed.items()),
            )
        )
    return rows


if __name__ == "__main__":
    main_guard(run)
