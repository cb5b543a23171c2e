"""Fault injection for the sandbox: the misbehaviour real networks and platforms show.

A spec such as `latency=50ms,429=0.1,5xx=0.05,timeout=0.02,malformed=0.05,truncate=0.05,drop=0.02`
adds latency to every request and, with the given probabilities, answers 429 with Retry-After, a
5xx, hangs past the client's timeout, returns a malformed or truncated body, or drops the
connection. Off by default. Deterministic for a given `seed`.
"""

from __future__ import annotations

import asyncio
import random
import re
from dataclasses import dataclass, fields, replace

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_DURATION = re.compile(r"^(?P<n>\d+(?:\.\d+)?)(?P<unit>ms|s)?$")
_ALIASES = {"429": "rate_limit", "5xx": "server_error", "500": "server_error"}
_DURATIONS = frozenset({"latency", "jitter", "hang", "retry_after"})  # seconds; the rest: shares
_EXAMPLE = {key: "50ms" for key in _DURATIONS} | {"seed": "7"}


@dataclass(frozen=True, slots=True)
class FaultSpec:
    latency: float = 0.0  # seconds added to every request
    jitter: float = 0.0  # up to this many seconds more, at random
    rate_limit: float = 0.0  # share of requests answered 429
    retry_after: float = 1.0  # the Retry-After the 429s carry
    server_error: float = 0.0  # share answered 500/502/503
    timeout: float = 0.0  # share that hang for `hang` seconds
    hang: float = 120.0
    malformed: float = 0.0  # share answered 200 with a body that is not JSON
    truncate: float = 0.0  # share whose JSON body is cut in half
    drop: float = 0.0  # share whose connection is dropped
    seed: int | None = None

    @property
    def active(self) -> bool:
        return any(
            getattr(self, f.name)
            for f in fields(self)
            if f.name not in ("seed", "hang", "retry_after")
        )

    @classmethod
    def parse(cls, text: str | None) -> FaultSpec:
        """Read 'key=value,...'; raises ValueError naming the bad part."""
        spec = cls()
        if not text:
            return spec
        known = {f.name for f in fields(cls)}
        for part in filter(None, (p.strip() for p in text.split(","))):
            typed, sep, value = (side.strip() for side in part.partition("="))
            key = _ALIASES.get(typed, typed.replace("-", "_"))
            if key not in known:
                raise ValueError(
                    f"unknown fault {part!r}; use latency, jitter, 429, retry_after, 5xx, "
                    "timeout, hang, malformed, truncate, drop, seed"
                )
            if not sep or not value:  # the errors name the fault as typed (429, not rate_limit)
                example = f"{typed}={_EXAMPLE.get(key, '0.1')}"
                raise ValueError(f"fault {typed!r} needs a value, e.g. {example}")
            if key == "seed":
                if not value.isdigit():
                    raise ValueError(f"fault 'seed': {value!r} is not a whole number")
                spec = replace(spec, seed=int(value))
                continue
            found = _DURATION.match(value)
            if not found:
                raise ValueError(f"fault {typed!r}: {value!r} is not a number of 0 or more")
            number = float(found["n"]) / (1000 if found["unit"] == "ms" else 1)
            if key not in _DURATIONS and not 0 <= number <= 1:
                raise ValueError(f"fault {typed!r}: a share is between 0 and 1, not {value}")
            spec = replace(spec, **{key: number})  # type: ignore[arg-type]  # key checked above
        return spec


class FaultMiddleware:
    """ASGI middleware applying a FaultSpec; the spec can be swapped at run time (`self.spec`)."""

    def __init__(self, app: ASGIApp, spec: FaultSpec, in_process: bool = True) -> None:
        self.app = app
        self.spec = spec
        self.in_process = in_process
        self._random = random.Random(spec.seed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        spec = self.spec
        if scope["type"] != "http" or not spec.active:
            await self.app(scope, receive, send)
            return
        roll = self._random.random
        delay = spec.latency + (roll() * spec.jitter if spec.jitter else 0.0)
        if delay:
            await asyncio.sleep(delay)
        if roll() < spec.rate_limit:
            await _plain(
                send,
                429,
                b'{"error":"Too many requests"}',
                [(b"retry-after", str(int(spec.retry_after)).encode())],
            )
            return
        if roll() < spec.server_error:
            status = self._random.choice((500, 502, 503))
            await _plain(send, status, b'{"error":"Internal server error (injected)"}')
            return
        if roll() < spec.timeout:
            await asyncio.sleep(spec.hang)
        if roll() < spec.drop:
            if self.in_process:
                import httpx  # here: the app parses a FaultSpec before its first frame, httpx after

                raise httpx.RemoteProtocolError("peer closed connection (injected fault)")
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-length", b"1000")],
                }
            )
            await send({"type": "http.response.body", "body": b'{"trunc', "more_body": True})
            raise ConnectionResetError("connection dropped (injected fault)")
        mangle = None
        if roll() < spec.malformed:
            mangle = "malformed"
        elif roll() < spec.truncate:
            mangle = "truncate"
        if mangle is None:
            await self.app(scope, receive, send)
            return
        await self._mangled(scope, receive, send, mangle)

    async def _mangled(self, scope: Scope, receive: Receive, send: Send, how: str) -> None:
        start: Message | None = None
        body = bytearray()

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))

        await self.app(scope, receive, capture)
        data = (
            b"<html><body>502 Bad Gateway</body></html>"
            if how == "malformed"
            else bytes(body[: len(body) // 2])
        )
        status = start["status"] if start else 200
        headers = [
            (k, v) for k, v in (start or {}).get("headers", []) if k.lower() != b"content-length"
        ]
        headers.append((b"content-length", str(len(data)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})


async def _plain(
    send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
