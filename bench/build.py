"""The bench's own sandbox database: the demo data plus the two million-member lists, built once
into bench/out/ and reused by every later run."""

from __future__ import annotations

import time

from .common import BIG, DB, OUT, isolate


def ensure() -> float | None:
    """Build the database unless it is complete; seconds the build took (None: reused)."""
    from audience_tui.demo import Sandbox
    from audience_tui.sandbox.store import Store

    OUT.mkdir(parents=True, exist_ok=True)
    isolate()
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
