"""How long an action waits for a platform before it answers with what it has.

Each request has its timeout and each retry its reason (429 after Retry-After, 5xx and timeouts
on reads), yet together they could keep a person waiting with nothing to read: under `--faults
429=0.3,5xx=0.2,latency=50ms` a lookup in the five demo accounts took 11-18 s, and `lists` with a
0.5 s request timeout 36 s. So each action has one deadline: past it, what did answer is shown
and the platform that did not is reported as not answering in time (a network error, exit 4),
with the way out (try again).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import TypeVar

from .errors import NetworkError

T = TypeVar("T")

LOOKUP = 10.0  # seconds for one account's lookup of an email (all its lists)
LISTS = 10.0  # seconds for one account's lists


class DeadlineError(NetworkError):
    """The platform did not answer within the action's deadline."""

    kind = "deadline"


async def within(
    seconds: float, action: str, work: Awaitable[T], *, until: float | None = None
) -> T:
    """`work`'s result, or DeadlineError once `seconds` have passed (the work is cancelled).

    `until` (a `time.monotonic()`) ends it sooner: the deadline counted from when the person
    asked (a command's start), so the time the app took to get ready is not added to it."""
    if until is not None:
        seconds_left = max(0.0, min(seconds, until - time.monotonic()))
    else:
        seconds_left = seconds
    try:
        async with asyncio.timeout(seconds_left):
            return await work
    except TimeoutError:
        raise DeadlineError(
            f"no answer within {seconds:g} s, the deadline for {action}; try again"
        ) from None
