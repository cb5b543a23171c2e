"""The bench's own sandbox database: the demo data plus the two million-member lists, built once
into bench/out/ and reused by every later run of the same schema version (the store's
SCHEMA_VERSION, recorded in the database): a database of another version is built again. The
database is the store's files (`database_files`: the main one and each separate platform's).

`python -m bench.build --fresh` builds it anew and measures the build (wall time, the CPU of its
threads, the bytes written, the load average the other work on the machine made) and what the
result holds on disk, table by table and index by index (SQLite's dbstat)."""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import time
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

from .common import BIG, DB, OUT, Row, emit, isolate

if TYPE_CHECKING:
    from audience_tui.sandbox.store import BuildProgress


def files(db: Path) -> list[Path]:
    """Every file of the store at `db` that exists: each database file with its WAL files."""
    from audience_tui.sandbox.store import SUFFIXES, database_files

    found = (p.with_name(p.name + s) for p in database_files(db).values() for s in SUFFIXES)
    return [path for path in found if path.exists()]


def discard_stale(db: Path) -> bool:
    """Delete `db` (with its WAL files) unless it was made by this schema version; whether it
    was deleted."""
    from audience_tui.sandbox.store import SCHEMA_VERSION, recorded_version

    if not db.exists() or recorded_version(db) == SCHEMA_VERSION:
        return False
    _delete(db)
    return True


def _delete(db: Path) -> None:
    for path in files(db):
        path.unlink(missing_ok=True)


def ensure(finished: dict[str, float] | None = None) -> float | None:
    """Build the database unless it is complete; seconds the build took (None: reused), and in
    `finished` the seconds at which each platform's big builds had all finished (the builds in
    separate files run side by side: the last one is what the whole waits for)."""
    from audience_tui.demo import Sandbox
    from audience_tui.sandbox.store import Store

    OUT.mkdir(parents=True, exist_ok=True)
    isolate()
    discard_stale(DB)
    start = time.perf_counter()
    store = Store.open(DB, big_lists=BIG)
    Sandbox.start(store)
    if all(build.finished for build in store.builds.values()):
        store.close()
        return None
    while not all(build.finished or build.error for build in store.builds.values()):
        time.sleep(0.1)
        if finished is not None:
            _note_finished(list(store.builds.values()), finished, time.perf_counter() - start)
    errors = [build.error for build in store.builds.values() if build.error]
    if errors:
        raise SystemExit(f"the bench database could not be built: {errors}")
    store.close()
    return time.perf_counter() - start


def _note_finished(
    builds: Collection[BuildProgress], finished: dict[str, float], now: float
) -> None:
    platforms = {build.platform for build in builds}
    for platform in platforms - finished.keys():
        if all(build.finished for build in builds if build.platform == platform):
            finished[platform] = now


def split(db: Path, top: int = 8) -> list[tuple[str, float]]:
    """The `top` tables and indexes of the store at `db` (every file of it) by their bytes on
    disk (MB), largest first, the rest as one entry, and the part of the Heyloyalty members' that
    is their stored listing JSON; empty where SQLite was built without the dbstat table."""
    from audience_tui.sandbox.store import database_files

    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = []
        for name, path in database_files(db).items():
            if name != "main":
                attached = f"{path.resolve().as_uri()}?mode=ro"
                conn.execute(f"ATTACH DATABASE ? AS {name}", (attached,))
            rows += conn.execute(
                "SELECT name, sum(pgsize) FROM dbstat(?) GROUP BY name", (name,)
            ).fetchall()
        rows.sort(key=lambda row: row[1], reverse=True)
        docs = conn.execute(
            "SELECT total(length(CAST(doc AS BLOB))) FROM heyloyalty_members"
        ).fetchone()[0]
    except sqlite3.OperationalError:  # no dbstat in this build of SQLite, or no such table
        return []
    finally:
        conn.close()
    largest = [(name, size / 1e6) for name, size in rows[:top]]
    rest = sum(size for _, size in rows[top:]) / 1e6
    return [
        *largest,
        *([("the rest", rest)] if rows[top:] else []),
        ("of heyloyalty_members: its stored listing JSON", docs / 1e6),
    ]


def footprint() -> Row:
    """The demo cache's size on disk (the bench database holds what the demo builds), with what
    takes the room."""
    from audience_tui.sandbox.store import size_on_disk

    size = size_on_disk(DB) / 1e6
    parts = ", ".join(f"{name} {mb:.0f}" for name, mb in split(DB))
    return Row(
        "demo cache on disk (both 1M lists and the demo data)",
        round(size),
        "MB",
        target="< 400 MB",
        ok=size < 400,
        note=f"bench/out/sandbox*.sqlite with their WAL; MB by table and index: {parts}",
    )


def _written() -> int:
    """Bytes this process has had written to storage so far (0 where the kernel does not say)."""
    try:
        lines = Path("/proc/self/io").read_text().splitlines()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in lines if line.startswith("write_bytes")), 0)


def measured_build() -> Row:
    """Build the database anew (`ensure` after deleting it) and say what the build cost."""
    _delete(DB)
    load = os.getloadavg()[0]
    before, written = resource.getrusage(resource.RUSAGE_SELF), _written()
    finished: dict[str, float] = {}
    took = ensure(finished)
    after = resource.getrusage(resource.RUSAGE_SELF)
    each = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in finished.items())
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    return Row(
        "sandbox build of the two 1M lists (and the demo data)",
        round(took or 0.0, 1),
        "s",
        target="<= 25 s on 2 cores",
        ok=took is not None and took <= 25,
        note=(
            f"bench/build.py --fresh: {user + system:.0f} s of CPU (user {user:.0f}, system "
            f"{system:.0f}), {(_written() - written) / 1e9:.1f} GB written, load average "
            f"{load:.1f} before and {os.getloadavg()[0]:.1f} after; each platform's big list "
            f"built side by side, finished at: {each}"
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.build", description=__doc__)
    parser.add_argument("--fresh", action="store_true", help="delete the database and build it")
    args = parser.parse_args()
    rows = [measured_build()] if args.fresh else []
    if not args.fresh:
        ensure()
    emit([*rows, footprint()])


if __name__ == "__main__":
    main()
