"""The network rules of core.http: what is retried, what is not, and how failures read."""

from __future__ import annotations

import asyncio
import ssl

import httpx
import pytest

from audience_tui.core.errors import (
    AuthError,
    InvalidResponseError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from audience_tui.core.http import (
    ApiClient,
    CostLimiter,
    RetryPolicy,
    parse_retry_after,
    tls_context,
)
from audience_tui.core.redact import register_secret
from audience_tui.core.timeouts import Timeouts


class Script:
    """A transport answering from a list of canned responses, recording what was asked."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def client(script: Script, sleeps: list[float], **kw: object) -> ApiClient:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return ApiClient(
        "Testplatform",
        "https://api.example.test",
        transport=httpx.MockTransport(script),
        sleep=sleep,
        **kw,
    )  # type: ignore[arg-type]


async def test_429_is_retried_after_retry_after_even_for_writes() -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200, json=1))
    sleeps: list[float] = []
    assert await client(script, sleeps).json("POST", "/x", json={}) == 1
    assert sleeps == [3.0]
    assert len(script.requests) == 2


async def test_5xx_is_retried_for_reads() -> None:
    script = Script(httpx.Response(503), httpx.Response(502), httpx.Response(200, json=[1]))
    sleeps: list[float] = []
    assert await client(script, sleeps).json("GET", "/x") == [1]
    assert len(sleeps) == 2 and sleeps[0] < sleeps[1] * 2  # backoff grows


async def test_5xx_is_not_retried_for_writes() -> None:
    script = Script(httpx.Response(500, json={"error": "boom"}), httpx.Response(200))
    with pytest.raises(ServerError, match="boom"):
        await client(script, []).request("PUT", "/members/1")
    assert len(script.requests) == 1


async def test_read_flag_makes_a_post_retryable() -> None:
    script = Script(httpx.Response(500), httpx.Response(200, json={}))
    assert await client(script, []).json("POST", "/query", json={}, read=True) == {}


async def test_network_errors_retried_for_reads_and_reported() -> None:
    script = Script(*(httpx.ConnectError("refused") for _ in range(4)))
    with pytest.raises(NetworkError, match="Testplatform: GET /x: connection failed"):
        await client(script, []).request("GET", "/x")
    assert len(script.requests) == 4


async def test_write_not_resent_after_dropped_connection() -> None:
    script = Script(httpx.RemoteProtocolError("peer closed"), httpx.Response(200))
    with pytest.raises(NetworkError):
        await client(script, []).request("DELETE", "/members/1")
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, AuthError),
        (404, NotFoundError),
        (400, ValidationError),
        (422, ValidationError),
        (470, ValidationError),
    ],
)
async def test_status_codes_map_to_typed_errors(status: int, error: type[Exception]) -> None:
    script = Script(httpx.Response(status, json={"error": "what went wrong"}))
    with pytest.raises(error, match="what went wrong"):
        await client(script, []).request("GET", "/lists/7")


async def test_long_retry_after_is_reported_not_waited() -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "3600"}))
    sleeps: list[float] = []
    with pytest.raises(RateLimitedError) as info:
        await client(script, sleeps).request("GET", "/x")
    assert info.value.retry_after == 3600 and sleeps == []


async def test_garbage_body_is_invalid_response() -> None:
    script = Script(httpx.Response(200, content=b"<html>oops"))
    with pytest.raises(InvalidResponseError, match="not valid JSON"):
        await client(script, []).json("GET", "/x")


async def test_timeout_covers_transports_without_their_own() -> None:
    import asyncio

    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200)

    api = ApiClient(
        "Slow",
        "https://api.example.test",
        transport=httpx.MockTransport(hang),
        timeouts=Timeouts(connect=0.05, read=0.05),
        retry=RetryPolicy(attempts=1),
    )
    with pytest.raises(NetworkError, match="timed out"):
        await api.request("GET", "/x")


async def test_error_messages_never_carry_a_secret() -> None:
    register_secret("s3cr3t-token-value")
    script = Script(httpx.Response(401, json={"error": "token s3cr3t-token-value is invalid"}))
    with pytest.raises(AuthError) as info:
        await client(script, []).request(
            "GET", "/x", headers={"Authorization": "s3cr3t-token-value"}
        )
    assert "s3cr3t-token-value" not in str(info.value)
    assert "***" in str(info.value)


def test_retry_after_forms() -> None:
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after("garbage") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


async def test_cost_limiter_waits_for_refill() -> None:
    now = [100.0]
    limiter = CostLimiter(refill_per_second=10, clock=lambda: now[0])
    limiter.observe({"ratelimit-remaining": "4"})
    assert limiter.wait_for(10) == pytest.approx(0.6)
    now[0] += 1.0
    assert limiter.wait_for(10) == 0.0
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    now[0] -= 1.0
    await limiter.acquire(10, sleep)
    assert slept == [pytest.approx(0.6)]


async def test_at_most_concurrency_requests_are_on_the_wire() -> None:
    on_wire, most = 0, 0
    release = asyncio.Event()

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal on_wire, most
        on_wire += 1
        most = max(most, on_wire)
        await release.wait()
        on_wire -= 1
        return httpx.Response(200, json={"n": request.url.params["n"]})

    api = ApiClient(
        "Fake", "https://api.example.test", transport=httpx.MockTransport(answer), concurrency=2
    )
    calls = [asyncio.ensure_future(api.json("GET", "/x", params={"n": n})) for n in range(5)]
    for _ in range(100):  # event-loop turns, not time: every call gets as far as it can
        await asyncio.sleep(0)
    assert (on_wire, most) == (2, 2)  # three wait for a place
    release.set()
    assert [doc["n"] for doc in await asyncio.gather(*calls)] == ["0", "1", "2", "3", "4"]
    assert most == 2


async def test_a_freed_place_is_taken_before_the_answer_is_parsed() -> None:
    events: list[str] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        events.append(f"sent {request.url.params['n']}")
        await asyncio.sleep(0)
        return httpx.Response(200, json={})

    api = ApiClient(
        "Fake", "https://api.example.test", transport=httpx.MockTransport(answer), concurrency=1
    )

    async def call(n: int) -> None:
        await api.json("GET", "/x", params={"n": n})
        events.append(f"parsing {n}")  # where a scan decodes its page, ~10 ms for 5,000

    await asyncio.gather(call(0), call(1))
    # the second request is on its way while the first answer is parsed, not after
    assert events == ["sent 0", "sent 1", "parsing 0", "parsing 1"]


async def test_answers_landing_together_free_their_places_before_either_is_parsed() -> None:
    events: list[str] = []
    gate = asyncio.Event()

    async def answer(request: httpx.Request) -> httpx.Response:
        n = request.url.params["n"]
        events.append(f"sent {n}")
        if n in ("0", "1"):  # the first two are answered in the same moment
            await gate.wait()
        return httpx.Response(200, json={})

    api = ApiClient(
        "Fake", "https://api.example.test", transport=httpx.MockTransport(answer), concurrency=2
    )

    async def call(n: int) -> None:
        await api.json("GET", "/x", params={"n": n})
        events.append(f"parsing {n}")

    async def answer_both() -> None:
        while events.count("sent 0") + events.count("sent 1") < 2:
            await asyncio.sleep(0)
        gate.set()

    await asyncio.gather(answer_both(), *(call(n) for n in range(4)))
    # both freed places are taken before either answer is parsed
    first_parse = min(events.index("parsing 0"), events.index("parsing 1"))
    assert events.index("sent 3") < first_parse, events


async def test_every_account_verifies_with_one_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CA bundle is loaded once, not once a client (~27 ms of CPU each, five at the app's
    start); an in-process transport needs none."""
    loaded: list[object] = []
    real = ssl.create_default_context

    def counted(*args: object, **kwargs: object) -> ssl.SSLContext:
        loaded.append(kwargs)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ssl, "create_default_context", counted)
    tls_context.cache_clear()
    clients = [ApiClient("Emma", f"https://api{i}.platform.example") for i in range(3)]
    in_process = httpx.MockTransport(Script())
    clients.append(ApiClient("Emma", "http://sandbox.invalid", transport=in_process))
    assert len(loaded) == 1
    for made in clients:
        await made.aclose()
    tls_context.cache_clear()
