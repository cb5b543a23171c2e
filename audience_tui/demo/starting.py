"""The transport of a sandbox that starts on its first request (`demo.DeferredSandbox`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from . import Sandbox


class StartingTransport(httpx.AsyncBaseTransport):
    """Starts the sandbox once, in a worker thread so that the screen stays live meanwhile, and
    serves every request through it. Requests that arrive during the start wait for that one
    start, a request given up (its deadline) leaves it running for the next, and a start that
    fails fails each request as a connection error that says why."""

    def __init__(self, start: Callable[[], Sandbox]) -> None:
        self._start = start
        self._started: asyncio.Future[Sandbox] | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._started is None:
            self._started = asyncio.ensure_future(asyncio.to_thread(self._start))
        try:
            sandbox = await asyncio.shield(self._started)
        except Exception as exc:
            raise httpx.ConnectError(f"the demo sandbox did not start: {exc}") from exc
        return await sandbox.transport.handle_async_request(request)
