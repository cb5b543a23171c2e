"""The bench's own sandbox database: the demo data plus the two million-member lists, built once
into bench/out/ and reused by every later run of the same schema version (the store's
SCHEMA_VERSION, recorded in the database): a database of another version is built again."""

from __future__ import annotations

import time
from pathlib import Path

from .common import BIG, DB, OUT, isolate


def discard_stale(db: Path) -> bool:
    """Delete `db` (with its WAL files) unless it was made by this schema version; whether it
    was deleted."""
    from audience_tui.sandbox.store import SCHEMA_VERSION, recorded_version

    if not db.exists() or recorded_version(db) == SCHEMA_VERSION:
        return False
    for suffix in ("", "-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    return True


def ensure() -> float | None:
    """Build the database unless it is complete; seconds the build took (None: reused)."""
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
    errors = [build.error for build in store.builds.values() if build.error]
    if errors:
        raise SystemExit(f"the bench database could not be built: {errors}")
    store.close()
    return time.perf_counter() - start
