"""One httpx.AsyncClient per account, with the network rules of design.md in one place.

- connect/read timeouts on every request;
- 429 retried after `Retry-After` (the platform did not act on it, so writes are safe to resend);
- 5xx, timeouts and dropped connections retried with backoff for reads only, never for writes;
- within an action's deadline (core.deadlines) reads go on retrying past `attempts` (to
  `attempts_by_deadline`) while the deadline leaves room for the wait, and no request waits for
  a retry past it: it fails at once with its own error instead;
- an optional cost limiter (Placewise's token bucket) consulted before each request;
- every failure mapped to a typed error from core.errors whose message names the platform and the
  request (method and path only: query strings may carry emails, headers carry secrets).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import functools
import json as jsonlib
import logging
import random
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec

from .deadlines import action_deadline
from .errors import (
    AudienceError,
    AuthError,
    ForbiddenError,
    InvalidResponseError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from .redact import redact
from .timeouts import Timeouts

log = logging.getLogger("audience_tui.http")

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
USER_AGENT = "audience-tui/0.1 (+https://pypi.org/project/audience-tui/)"
# msgspec reads a 2.8 MB page of 5,000 members in half the time json.loads takes.
_ANY_JSON: msgspec.json.Decoder[Any] = msgspec.json.Decoder()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4  # total tries, the first included
    backoff_base: float = 0.25
    backoff_max: float = 8.0
    max_retry_after: float = 60.0  # a longer Retry-After is reported to the user instead
    # Within an action's deadline a read is tried up to this many times while the deadline
    # leaves room for the wait, its backoff growing to `backoff_max_by_deadline` at most, so a
    # 10 s deadline holds several more tries rather than one long wait.
    attempts_by_deadline: int = 12
    backoff_max_by_deadline: float = 2.0


class CostLimiter:
    """Client side of a token bucket whose state the server reports in response headers.

    Placewise sends `ratelimit-remaining` and `ratelimit-cost`; before a call costing more than
    what remains, wait for the refill instead of spending a request on a certain 429.
    """

    def __init__(
        self, refill_per_second: float = 10.0, clock: Callable[[], float] = time.monotonic
    ):
        self.refill_per_second = refill_per_second
        self._clock = clock
        self._remaining: float | None = None
        self._seen_at = 0.0
        self._lock = asyncio.Lock()

    def wait_for(self, cost: float) -> float:
        """Seconds to wait before spending `cost` tokens (0 when unknown or affordable)."""
        if self._remaining is None:
            return 0.0
        available = self._remaining + (self._clock() - self._seen_at) * self.refill_per_second
        return max(0.0, (cost - available) / self.refill_per_second)

    async def acquire(self, cost: float, sleep: Callable[[float], Awaitable[None]]) -> None:
        async with self._lock:
            delay = self.wait_for(cost)
            if delay > 0:
                log.debug("rate limit: waiting %.2fs for %s tokens", delay, cost)
                await sleep(delay)
            if self._remaining is not None:
                self._remaining -= cost

    def observe(self, headers: Mapping[str, str]) -> None:
        remaining = headers.get("ratelimit-remaining")
        if remaining is None:
            return
        try:
            self._remaining = float(remaining)
        except ValueError:
            return
        self._seen_at = self._clock()


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), None if absent/garbage."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


ErrorDetail = Callable[[httpx.Response], str | None]
Classifier = Callable[[httpx.Response], AudienceError | None]


def json_of(response: httpx.Response) -> Any:
    """The body as JSON with Python's parser; ValueError for anything else, a document nested
    too deeply to parse included (RecursionError would otherwise escape as a crash)."""
    try:
        return jsonlib.loads(response.content)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def default_error_detail(response: httpx.Response) -> str | None:
    """The message of the usual error bodies: {"error"}, {"message"}, {"cause"}, JSON:API."""
    try:
        body = json_of(response)
    except ValueError:
        text = response.text.strip()
        return text[:200] or None
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            return str(first.get("detail") or first.get("title") or first)
        for key in ("error", "message", "cause", "detail"):
            if body.get(key):
                value = body[key]
                return value if isinstance(value, str) else jsonlib.dumps(value)[:300]
    if isinstance(body, str):
        return body[:200]
    return None


def redirect_note(response: httpx.Response) -> str:
    """Why a 3xx is an error: redirects are never followed (the credentials would travel to
    wherever it points); the target's host is named so the user can fix the base URL."""
    location = response.headers.get("Location", "")
    try:
        url = httpx.URL(location)
        where = f"{url.scheme}://{url.host}" if url.host else "another path"
    except (httpx.InvalidURL, TypeError, ValueError):
        where = "an address that is not a URL"
    return (
        f"the platform redirected to {where}; redirects are not followed "
        "(check the account's base URL)"
    )


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The one TLS context every account's client verifies platforms with. Each httpx client
    made its own, loading the whole CA bundle again: ~27 ms of CPU a client, five at the app's
    start (on its thread, just after the first frame) and one for every account a command opens.
    A context is made to be shared, and holds no state of one connection."""
    return httpx.create_ssl_context()


class ApiClient:
    """The account's HTTP client. Adapters call `request`/`json`; nothing else touches httpx."""

    def __init__(
        self,
        platform: str,
        base_url: str,
        *,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeouts: Timeouts = Timeouts(),
        retry: RetryPolicy = RetryPolicy(),
        limiter: CostLimiter | None = None,
        error_detail: ErrorDetail = default_error_detail,
        classify: Classifier | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        concurrency: int | None = None,
    ) -> None:
        self.platform = platform
        self.retry = retry
        self.limiter = limiter
        self._error_detail = error_detail
        self._classify = classify
        self._sleep = sleep
        self._clock = clock  # what action deadlines (time.monotonic() instants) are read by
        self._deadline = timeouts.connect + timeouts.read
        # At most `concurrency` requests of the account on the wire at once, whoever sends them
        # (a scan, the table, an export): what the platform tolerates. Only the round trip holds
        # a place; parsing the answer does not.
        self._places = asyncio.Semaphore(concurrency) if concurrency else None
        self._client = httpx.AsyncClient(
            base_url=base_url,
            auth=auth,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
            transport=transport,
            verify=tls_context() if transport is None else True,
            timeout=httpx.Timeout(timeouts.read, connect=timeouts.connect),
            follow_redirects=False,
        )

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        read: bool | None = None,
        cost: float = 1,
        ok: tuple[int, ...] = (),
    ) -> httpx.Response:
        """Send with the retry rules; return a 2xx response (or one whose code is in `ok`).

        `read` marks a request safe to repeat; it defaults to true for GET/HEAD/OPTIONS. A POST
        that only reads (Placewise's reporting query) passes read=True.
        """
        method = method.upper()
        is_read = method in READ_METHODS if read is None else read
        label = f"{method} {path}"
        attempt = 0
        while True:
            attempt += 1
            if self.limiter is not None:
                await self.limiter.acquire(cost, self._sleep)
            try:
                # The overall deadline also covers transports that ignore httpx's timeouts
                # (the in-process sandbox).
                async with self._place(), asyncio.timeout(self._deadline):
                    response = await self._client.request(
                        method,
                        path,
                        params=params,
                        json=json,
                        data=data,
                        files=files,
                        content=content,
                        headers=headers,
                    )
            except UnicodeEncodeError:
                # A value from the platform's own data (a JSON `\ud800` escape gives a lone
                # surrogate) that no URL or UTF-8 body can carry: nothing was sent.
                raise ValidationError(
                    "the request would carry a character no URL or UTF-8 body can hold (a "
                    "lone surrogate in the platform's own data); this request was not sent",
                    platform=self.platform,
                    request=label,
                ) from None
            except (httpx.TimeoutException, TimeoutError) as exc:
                error: AudienceError = NetworkError(
                    f"timed out ({type(exc).__name__})", platform=self.platform, request=label
                )
                if is_read and await self._retried(attempt, label, error):
                    continue
                raise error from None
            except httpx.TransportError as exc:
                error = NetworkError(
                    f"connection failed: {redact(str(exc)) or type(exc).__name__}",
                    platform=self.platform,
                    request=label,
                )
                if is_read and await self._retried(attempt, label, error):
                    continue
                raise error from None
            if self._places is not None:
                # The place just freed goes to the next request before this answer is parsed
                # (a 5,000-member page takes several ms): its round trip starts now, not after.
                # Twice: answers that land in the same moment each free a place, and every
                # request taking one starts before any of those answers is parsed.
                await asyncio.sleep(0)
                await asyncio.sleep(0)
            if self.limiter is not None:
                self.limiter.observe(response.headers)
            if response.is_success or response.status_code in ok:
                log.debug("%s %s -> %s", self.platform, label, response.status_code)
                return response
            error = self._error_for(response, label)
            if isinstance(error, RateLimitedError) and error.retry_after is not None:
                # Retry-After is honoured: nothing is resent sooner than asked, and a read
                # retried past the policy's attempts (by a deadline) also waits its backoff
                wait = error.retry_after
                if attempt >= self.retry.attempts:
                    wait = max(wait, self._backoff_delay(attempt))
                if wait <= self.retry.max_retry_after and self._may_retry(attempt, wait, is_read):
                    log.info("%s %s: rate limited, retrying in %.2fs", self.platform, label, wait)
                    await self._sleep(wait)
                    continue
            elif isinstance(error, RateLimitedError | ServerError):
                # a 429 was not acted on, so a write may be resent; a write's 5xx may have been
                resend = is_read or isinstance(error, RateLimitedError)
                if resend and await self._retried(attempt, label, error, is_read):
                    continue
            raise error

    def _place(self) -> contextlib.AbstractAsyncContextManager[object]:
        return self._places if self._places is not None else contextlib.nullcontext()

    async def json(
        self,
        method: str,
        path: str,
        *,
        decoder: msgspec.json.Decoder[Any] | None = None,
        **kw: Any,
    ) -> Any:
        """`request`, then the body parsed as JSON (see `decode`)."""
        response = await self.request(method, path, **kw)
        return self.decode(response, f"{method.upper()} {path}", decoder)

    def decode(
        self, response: httpx.Response, label: str, decoder: msgspec.json.Decoder[Any] | None = None
    ) -> Any:
        """The body as JSON; garbage becomes InvalidResponseError.

        `decoder` (a typed msgspec decoder, which may skip what its type does not name) is tried
        first; a body that is JSON but not of its type comes back as plain JSON, for the
        caller's general parser. What msgspec refuses but Python's json reads (a byte-order
        mark, NaN, a lone surrogate escape) is read by json, as before msgspec.
        """
        if response.status_code == 204 or not response.content:
            return None
        try:
            return (decoder or _ANY_JSON).decode(response.content)
        except msgspec.DecodeError:  # also its ValidationError: not the decoder's type
            pass
        except RecursionError:  # nested deeper than any answer: json would fail the same way
            raise self.invalid(label, "JSON nested too deeply to read") from None
        try:
            return json_of(response)
        except ValueError:
            raise InvalidResponseError(
                f"the answer was not valid JSON, or nested too deeply "
                f"({len(response.content)} bytes, HTTP {response.status_code})",
                platform=self.platform,
                request=label,
            ) from None

    def invalid(self, label: str, what: str) -> InvalidResponseError:
        """An error for a JSON document of the wrong shape."""
        return InvalidResponseError.unexpected(what, platform=self.platform, request=label)

    def _error_for(self, response: httpx.Response, label: str) -> AudienceError:
        if self._classify is not None:
            special = self._classify(response)
            if special is not None:
                return special
        status = response.status_code
        detail = redact(self._error_detail(response) or response.reason_phrase or "")
        text = f"HTTP {status}" + (f": {detail}" if detail else "")
        kw = {"platform": self.platform, "request": label}
        if status == 401:
            return AuthError(f"{text} (check the account's credentials)", **kw)
        if status == 403:
            return ForbiddenError(f"{text} (the credentials lack permission for this)", **kw)
        if status == 404:
            return NotFoundError(text, **kw)
        if status == 429:
            return RateLimitedError(
                text, retry_after=parse_retry_after(response.headers.get("Retry-After")), **kw
            )
        if status >= 500:
            return ServerError(text, **kw)
        if 300 <= status < 400:
            return InvalidResponseError(f"HTTP {status}: {redirect_note(response)}", **kw)
        return ValidationError(text, **kw)

    def _backoff_delay(self, attempt: int) -> float:
        """Exponential, with jitter; within a deadline it grows to `backoff_max_by_deadline`."""
        ceiling = self.retry.backoff_max
        if action_deadline() is not None:
            ceiling = min(ceiling, self.retry.backoff_max_by_deadline)
        delay = min(ceiling, self.retry.backoff_base * 2.0 ** (attempt - 1))
        return delay * (0.5 + random.random() / 2)

    def _may_retry(self, attempt: int, wait: float, read: bool) -> bool:
        """Whether to try again after waiting `wait` s: within the policy's attempts, or, for a
        read (safe to repeat) within an action's deadline, `attempts_by_deadline`; never when
        the wait would end past that deadline (the error is better said now than the deadline's)."""
        until = action_deadline()
        if until is None:
            return attempt < self.retry.attempts
        if self._clock() + wait >= until:
            return False
        return attempt < (self.retry.attempts_by_deadline if read else self.retry.attempts)

    async def _retried(
        self, attempt: int, label: str, error: AudienceError, read: bool = True
    ) -> bool:
        """Wait the backoff of `attempt` and say True, or say False (no retry: see _may_retry)."""
        delay = self._backoff_delay(attempt)
        if not self._may_retry(attempt, delay, read):
            return False
        log.info("%s %s: %s; retry %d in %.2fs", self.platform, label, error.detail, attempt, delay)
        await self._sleep(delay)
        return True
