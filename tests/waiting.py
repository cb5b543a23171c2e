"""Waiting on a condition, never on time: for work the test cannot await directly (a sandbox's
background import or build). The limit only ends a broken test; it is generous because the
suite runs on a loaded machine."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

LIMIT = 60.0  # seconds


async def eventually(check: Callable[[], bool | Awaitable[bool]], what: str = "") -> None:
    """Return once `check()` (sync or async) holds; fail after LIMIT seconds."""
    deadline = time.monotonic() + LIMIT
    while True:
        held = check()
        if inspect.isawaitable(held):
            held = await held
        if held:
            return
        assert time.monotonic() < deadline, f"gave up waiting{': ' + what if what else ''}"
        await asyncio.sleep(0.02)
