"""How long an action waits for a platform before it answers with what it has.

Each request has its timeout and each retry its reason (429 after Retry-After, 5xx and timeouts
on reads), yet together they could keep a person waiting with nothing to read: under `--faults
429=0.3,5xx=0.2,latency=50ms` a lookup in the five demo accounts took 11-18 s, and `lists` with a
0.5 s request timeout 36 s. So each action has one deadline: past it, what did answer is shown
and the platform that did not is reported as not answering in time (a network error, exit 4),
with the way out (try again).

Within an action's deadline, reads keep retrying (core.http) while it leaves room for the wait:
`within` makes the deadline known to the requests made for the work it waits on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from .errors import NetworkError

T = TypeVar("T")

LOOKUP = 10.0  # seconds for one account's lookup of an email (all its lists)
LISTS = 10.0  # seconds for one account's lists


# The time.monotonic() by which the action being run must answer; None outside any deadline.
_UNTIL: ContextVar[float | None] = ContextVar("audience_tui_action_deadline", default=None)


def action_deadline() -> float | None:
    """When the action these requests are made for must answer (a time.monotonic()), if any."""
    return _UNTIL.get()


@contextmanager
def answering_by(until: float) -> Iterator[None]:
    """The requests made inside (and in the tasks started there) belong to an action that must
    answer by `until`; an enclosing action's sooner deadline stays."""
    current = _UNTIL.get()
    token = _UNTIL.set(until if current is None else min(current, until))
    try:
        yield
    finally:
        _UNTIL.reset(token)


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
        with answering_by(time.monotonic() + seconds_left):
            async with asyncio.timeout(seconds_left):
                return await work
    except TimeoutError:
        raise DeadlineError(
            f"no answer within {seconds:g} s, the deadline for {action}; try again"
        ) from None
