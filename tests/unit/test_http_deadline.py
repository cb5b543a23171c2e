"""Reads within an action's deadline (core.deadlines): retried past the policy's attempts while
the deadline leaves room for the wait (Retry-After honoured), never waiting past it; writes
retried no more than before. Time is a fake clock the fake sleep moves: nothing really waits."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from audience_tui.core import deadlines
from audience_tui.core.deadlines import action_deadline, answering_by
from audience_tui.core.errors import RateLimitedError, ServerError
from audience_tui.core.http import ApiClient, RetryPolicy

BUSY = {"Retry-After": "1"}


class FakeTime:
    """A clock that moves only when the client sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


class Answers:
    """A transport answering `bad` (a status, with headers) `times` times, then 200."""

    def __init__(self, status: int, times: int, headers: dict[str, str] | None = None) -> None:
        self.status, self.times, self.headers = status, times, headers or {}
        self.requests = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.requests <= self.times:
            return httpx.Response(self.status, headers=self.headers)
        return httpx.Response(200, json={"ok": True})


def client(answers: Answers, time: FakeTime) -> ApiClient:
    return ApiClient(
        "Testplatform",
        "https://api.example.test",
        transport=httpx.MockTransport(answers),
        sleep=time.sleep,
        clock=time.clock,
        retry=RetryPolicy(attempts=4),
    )


@pytest.mark.parametrize(("status", "headers"), [(429, BUSY), (503, {}), (429, {})])
async def test_a_read_within_a_deadline_is_retried_past_the_policys_attempts(
    status: int, headers: dict[str, str]
) -> None:
    """Seven refusals, then the answer. The deadline leaves room for the longest the backoff's
    jitter can make the waits (1 + 1 + 1 + 2 + 2 + 2 + 2 = 11 s with Retry-After: 1): with 10 s,
    one run in a few drew waits that left no room for the last try."""
    time = FakeTime()
    answers = Answers(status, 7, headers)
    with answering_by(time.now + 12):
        assert await client(answers, time).json("GET", "/x") == {"ok": True}
    assert answers.requests == 8  # four tries was all it had before
    assert time.now - 1000 < 12
    if headers:
        assert all(w >= 1 for w in time.waits)  # Retry-After honoured, every time
    else:
        assert max(time.waits) <= RetryPolicy().backoff_max_by_deadline


async def test_without_a_deadline_a_read_has_the_policys_attempts() -> None:
    time = FakeTime()
    answers = Answers(503, 7)
    with pytest.raises(ServerError):
        await client(answers, time).json("GET", "/x")
    assert answers.requests == 4


async def test_no_wait_ends_past_the_deadline() -> None:
    """Busy for good, 1 s asked each time, 3.5 s to answer: tries at 0, 1, 2 and 3 s, and the
    next wait would end past the deadline, so the 429 is said then, not at the deadline."""
    time = FakeTime()
    answers = Answers(429, 100, BUSY)
    with answering_by(time.now + 3.5), pytest.raises(RateLimitedError):
        await client(answers, time).json("GET", "/x")
    assert answers.requests == 4 and time.now - 1000 == 3


async def test_a_retry_after_longer_than_the_deadline_is_said_at_once() -> None:
    time = FakeTime()
    answers = Answers(429, 100, {"Retry-After": "30"})
    with answering_by(time.now + 10), pytest.raises(RateLimitedError):
        await client(answers, time).json("GET", "/x")
    assert answers.requests == 1 and time.waits == []


async def test_a_busy_read_stops_at_attempts_by_deadline() -> None:
    """Retry-After: 0 for good: the retries are bounded, and each past the policy's attempts
    waits its backoff as well (never a tight loop of requests)."""
    time = FakeTime()
    answers = Answers(429, 100, {"Retry-After": "0"})
    with answering_by(time.now + 1000), pytest.raises(RateLimitedError):
        await client(answers, time).json("GET", "/x")
    assert answers.requests == RetryPolicy().attempts_by_deadline
    assert all(w > 0 for w in time.waits[3:])


async def test_writes_within_a_deadline_are_retried_no_more_than_before() -> None:
    """A 5xx may have been acted on: a write is never resent after one; a 429 was not, so a
    write is resent after it, within the policy's attempts only, deadline or not."""
    time = FakeTime()
    failing = Answers(503, 1)
    with answering_by(time.now + 10), pytest.raises(ServerError):
        await client(failing, time).request("POST", "/members", json={})
    assert failing.requests == 1
    busy = Answers(429, 100, BUSY)
    with answering_by(time.now + 10), pytest.raises(RateLimitedError):
        await client(busy, time).request("DELETE", "/members/1")
    assert busy.requests == 4


async def test_within_tells_the_requests_its_deadline_and_keeps_a_sooner_one() -> None:
    seen: list[float | None] = []

    async def work() -> None:
        seen.append(action_deadline())
        await asyncio.gather(asyncio.sleep(0), note())  # tasks started inside see it too

    async def note() -> None:
        seen.append(action_deadline())

    loop = asyncio.get_running_loop()
    before = loop.time()
    await deadlines.within(5, "a test", work())
    assert all(s is not None and before + 4 < s <= loop.time() + 5 for s in seen), seen
    with answering_by(123.0):
        await deadlines.within(5, "a test", work())
    assert seen[-1] == 123.0
    assert action_deadline() is None  # nothing left behind
