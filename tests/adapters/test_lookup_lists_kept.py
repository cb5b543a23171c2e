"""Lookups reuse the account's list ids for a few seconds (core.recent): a suppression run's
thousands of lookups read an account's lists once, not once per email."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from audience_tui.core.platforms import create
from audience_tui.demo import Sandbox, demo_accounts
from audience_tui.sandbox.people import person

LISTS_PATH = {
    "heyloyalty": "/heyloyalty/loyalty/v1/lists",
    "ownpage": "/ownpage/v1/newsletters/lists",
    "kajabi": "/kajabi/v1/sites",
    "placewise": "/placewise/v3/loyalty_clubs",
}


class Counting(httpx.AsyncBaseTransport):
    """The sandbox's transport, counting the GETs of each path."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.gets: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            self.gets[request.url.path] += 1
        return await self.inner.handle_async_request(request)


@pytest.mark.parametrize("platform", sorted(LISTS_PATH))
async def test_many_lookups_read_the_lists_once(sandbox: Sandbox, platform: str) -> None:
    account, secrets = next((a, s) for a, s in demo_accounts() if a.platform == platform)
    transport = Counting(sandbox.transport)
    provider = create(account, secrets, transport=transport)
    try:
        emails = [person(i).email for i in range(2000, 2006)]
        await asyncio.gather(*(provider.lookup(email) for email in emails))
        await provider.lookup(emails[0])
    finally:
        await provider.aclose()
    assert transport.gets[LISTS_PATH[platform]] == 1
    assert sum(transport.gets.values()) > 7  # the lookups themselves were made
