"""The platform's own round trip, measured as the table fetches: one UI page via the adapter."""

from __future__ import annotations

import statistics
import time

from audience_tui.core.models import Audience, PageRequest, Query
from audience_tui.core.paging import UI_PAGE_SIZE, page_size_for


async def page_fetch(provider: object, audience: Audience, offsets: list[int]) -> float:
    """Median seconds of one UI-sized page fetch at each offset (the sandbox warmed first)."""
    size = page_size_for(provider.capabilities, UI_PAGE_SIZE)  # type: ignore[attr-defined]
    times = []
    for offset in offsets:
        start = time.perf_counter()
        await provider.members(audience, Query(), PageRequest(size, offset))  # type: ignore[attr-defined]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def warm(provider: object, audience: Audience, total: int) -> None:
    """Touch the list once at its start, middle and end, so the sandbox's one-off work (its
    deep-paging checkpoints, SQLite's page cache) is not charged to the first measurement."""
    for offset in (0, total // 2, max(total - UI_PAGE_SIZE, 0)):
        await provider.members(audience, Query(), PageRequest(UI_PAGE_SIZE, offset))  # type: ignore[attr-defined]
