"""An answer kept for a short while: the list ids a lookup searches, read once for many lookups.

A suppression run looks up thousands of emails per account, and each lookup first needs the
account's lists; read every time, that was one request in four to ten. The lists change rarely
and by hand, so a lookup may use ids read moments ago (issue 20: "list ids cached")."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")

LIST_IDS_KEPT = 30.0  # seconds a lookup reuses an account's list ids


class Recent(Generic[T]):
    """`read()`'s answer, reused for `kept` seconds; calls made while it is being read wait for
    that one read. A read that fails keeps nothing, so the next call reads again."""

    def __init__(
        self,
        read: Callable[[], Awaitable[T]],
        kept: float = LIST_IDS_KEPT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._kept = kept
        self._clock = clock
        self._lock = asyncio.Lock()
        self._answer: tuple[float, T] | None = None

    async def __call__(self) -> T:
        async with self._lock:
            if self._answer is not None and self._clock() - self._answer[0] < self._kept:
                return self._answer[1]
            answer = await self._read()
            self._answer = (self._clock(), answer)
            return answer
