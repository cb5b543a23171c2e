"""A lookup's requests waiting out a 429 (Retry-After) hold no place on the wire: the account's
other lists are searched meanwhile, rather than in rounds behind the waiting ones."""

from __future__ import annotations

import asyncio

import httpx

from audience_tui.core.platforms import create
from audience_tui.demo import Sandbox, demo_accounts
from audience_tui.sandbox.people import person


class Busy(httpx.AsyncBaseTransport):
    """The sandbox, answering the first `busy` member searches 429 (Retry-After: 1); `others`
    is set once every other search has been answered."""

    def __init__(self, inner: httpx.AsyncBaseTransport, busy: int, searches: int) -> None:
        self.inner, self.busy, self.searches = inner, busy, searches
        self.asked = self.answered = 0
        self.others = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/members"):
            return await self.inner.handle_async_request(request)
        self.asked += 1
        if self.asked <= self.busy:
            return httpx.Response(429, headers={"Retry-After": "1"}, json={"error": "busy"})
        response = await self.inner.handle_async_request(request)
        self.answered += 1
        if self.answered == self.searches - self.busy:
            self.others.set()
        return response


async def test_heyloyalty_searches_its_other_lists_while_some_wait(sandbox: Sandbox) -> None:
    account, secrets = next((a, s) for a, s in demo_accounts() if a.platform == "heyloyalty")
    async with create(account, secrets, transport=sandbox.transport) as plain:
        searches = 3 * len(await plain.audiences())  # each list in its three views
        concurrency = plain.capabilities.scan_concurrency
    busy = Busy(sandbox.transport, concurrency, searches)

    async def wait_for_the_others(seconds: float) -> None:
        """A Retry-After waited out: it ends once every other search was answered, which
        never happens while the waiting searches keep every place."""
        await busy.others.wait()

    email = person(1300).email
    async with create(account, secrets, transport=busy, sleep=wait_for_the_others) as provider:
        async with asyncio.timeout(60):  # a bound for the failure only: it deadlocks then
            found = await provider.lookup(email)
    assert found and busy.others.is_set()
    assert busy.asked == searches + concurrency  # the busy ones asked again, once each
