"""Sandbox variants: the sandbox behaving another way the documents allow, for tests that check an
adapter does not rely on the sandbox's reading where the documents are silent.

A variant wraps the sandbox's transport: it may answer a request itself (`before`) or change the
JSON the sandbox answered (`after`). Everything else passes through unchanged.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
import pytest

from audience_tui.core.models import Account
from audience_tui.core.platforms import create
from audience_tui.core.provider import Provider
from audience_tui.core.session import Session
from audience_tui.demo import FaultSpec, Sandbox, demo_accounts
from audience_tui.sandbox.demo_credentials import DEMO
from audience_tui.sandbox.faults import FaultMiddleware

Before = Callable[[httpx.Request], "httpx.Request | httpx.Response"]
After = Callable[[httpx.Request, Any], Any]


class Variant(httpx.AsyncBaseTransport):
    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        before: Before | None = None,
        after: After | None = None,
    ) -> None:
        self.inner = inner
        self.before = before
        self.after = after

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.before is not None:
            changed = self.before(request)
            if isinstance(changed, httpx.Response):
                return changed
            request = changed
        response = await self.inner.handle_async_request(request)
        if self.after is None:
            return response
        body = await response.aread()
        try:
            doc = json.loads(body) if body else None
        except ValueError:
            return httpx.Response(response.status_code, headers=response.headers, content=body)
        new = self.after(request, doc)
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        content = json.dumps(new).encode() if body else body
        return httpx.Response(response.status_code, headers=headers, content=content)


def demo_account(platform: str, **settings: str) -> tuple[Account, dict[str, str]]:
    account, secrets = next((a, s) for a, s in demo_accounts() if a.platform == platform)
    if settings:
        account = Account(
            account.name, account.platform, account.base_url, {**account.settings, **settings}, True
        )
    return account, secrets


def variant_provider(
    sandbox: Sandbox,
    platform: str,
    transport: httpx.AsyncBaseTransport | None = None,
    **settings: str,
) -> Provider:
    """The demo account's adapter over `transport` (a Variant of the sandbox, or the sandbox)."""
    account, secrets = demo_account(platform, **settings)
    return create(account, secrets, transport=transport or sandbox.transport)


@asynccontextmanager
async def variant_session(
    sandbox: Sandbox, platform: str, transport: httpx.AsyncBaseTransport
) -> AsyncIterator[Session]:
    """A Session holding the demo account of `platform`, served through `transport`."""
    account, secrets = demo_account(platform)
    session = Session([account], lambda _: secrets, transport_for=lambda _: transport)
    try:
        yield session
    finally:
        await session.aclose()


class Recorder:
    """A `before` that keeps the bodies of the requests `wanted` picks (and lets them through)."""

    def __init__(self, wanted: Callable[[httpx.Request], bool]) -> None:
        self.wanted = wanted
        self.bodies: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Request:
        if self.wanted(request):
            self.bodies.append(request.read())
        return request

    def json(self, index: int = -1) -> Any:
        return json.loads(self.bodies[index])


def with_url(request: httpx.Request, url: httpx.URL) -> httpx.Request:
    """The same request sent to another URL (query parameters changed)."""
    return httpx.Request(request.method, url, headers=request.headers, content=request.read())


def without_subscribed(request: httpx.Request, doc: Any) -> Any:
    """Kajabi contacts with no `subscribed` attribute (the docs list it, but never promise it)."""
    if not request.url.path.startswith("/kajabi/v1/contacts") or not isinstance(doc, dict):
        return doc
    data = doc.get("data")
    for item in data if isinstance(data, list) else [data]:
        if isinstance(item, dict):
            (item.get("attributes") or {}).pop("subscribed", None)
    return doc


def write_to(platform: str, request: httpx.Request) -> bool:
    """Whether `request` writes to the demo's `platform` (anything but a read)."""
    return request.method != "GET" and request.url.path.startswith(DEMO[platform].prefix)


class WritesApart(httpx.AsyncBaseTransport):
    """The sandbox's transport, the writes to the demo's `platform` sent through `writes`."""

    def __init__(
        self, reads: httpx.AsyncBaseTransport, writes: httpx.AsyncBaseTransport, platform: str
    ) -> None:
        self.reads = reads
        self.writes = writes
        self.platform = platform

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        chosen = self.writes if write_to(self.platform, request) else self.reads
        return await chosen.handle_async_request(request)


def writes_faulted(served: Sandbox, faults: FaultSpec, platform: str = "emma") -> Sandbox:
    """`served` whose writes to the demo's `platform` meet the sandbox's own fault injection
    (`faults`: a drop, a 5xx, before the platform acts) while its reads answer as ever, so a
    write's read-back tells what the platform did. Its `app` is that fault layer: as with the
    sandbox's own, `app.spec = FaultSpec()` heals it."""
    layer = FaultMiddleware(served.app, faults)
    faulty = httpx.ASGITransport(app=layer)
    return replace(served, app=layer, transport=WritesApart(served.transport, faulty, platform))


def writes_answered(served: Sandbox, status: int, platform: str = "emma") -> Sandbox:
    """`served` answering every write to the demo's `platform` with HTTP `status` itself (the
    platform never sees it) and its reads as ever."""

    def answer(request: httpx.Request) -> httpx.Request | httpx.Response:
        if not write_to(platform, request):
            return request
        return httpx.Response(status, json={"error": "refused (test)"}, request=request)

    return replace(served, transport=Variant(served.transport, before=answer))


def started_as(monkeypatch: pytest.MonkeyPatch, change: Callable[[Sandbox], Sandbox]) -> None:
    """Every sandbox started from now on (the CLI's `--demo` starts its own) changed by
    `change`."""
    start = Sandbox.start

    def started(cls: type[Sandbox], *args: Any, **kw: Any) -> Sandbox:
        return change(start(*args, **kw))

    monkeypatch.setattr(Sandbox, "start", classmethod(started))


def emma_writes_answered(monkeypatch: pytest.MonkeyPatch, status: int) -> None:
    """The demo's Emma answers its reads as the sandbox does and every write with HTTP
    `status` (a 403 is its answer to keys it refuses, here keys allowed to read only): lookups
    find the person, and each opt-out or erase fails."""
    started_as(monkeypatch, lambda served: writes_answered(served, status))


def emma_writes_faulted(monkeypatch: pytest.MonkeyPatch, faults: FaultSpec) -> None:
    """The demo's Emma answers its reads as the sandbox does, and its writes meet `faults`
    before it acts on them (`writes_faulted`)."""
    started_as(monkeypatch, lambda served: writes_faulted(served, faults))


# the ways a write to the demo's Emma loses its answer before Emma acts on it, by test id: a
# 503, and a connection the sandbox's fault injection drops
EMMA_WRITES_LOST: dict[str, Callable[[pytest.MonkeyPatch], None]] = {
    "answered 503": lambda patch: emma_writes_answered(patch, 503),
    "connection dropped": lambda patch: emma_writes_faulted(patch, FaultSpec(drop=1.0)),
}
