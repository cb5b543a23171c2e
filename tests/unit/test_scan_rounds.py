"""A scan's first round: when the audience's member count tells which pages exist, the pages
after the first are asked for beside it (as many as the scan keeps asked for), instead of waiting
for the first page's total; where the count is wrong, the scan still yields each member once,
in order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from audience_tui.core.models import Audience, MemberStatus, Page, PageRequest, Query
from audience_tui.core.provider import Provider
from audience_tui.core.scan import collect, prepare

SIZE = 100


class Logged:
    """The adapter with small pages, logging when each page is asked for and answered."""

    def __init__(self, provider: Provider, size: int) -> None:
        self._provider = provider
        self.capabilities = replace(provider.capabilities, max_page_size=size)
        self.log: list[tuple[str, int]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._provider, name)

    async def members(self, audience: Audience, query: Query, request: PageRequest) -> Page:
        self.log.append(("asked", request.offset))
        page = await self._provider.members(audience, query, request)
        self.log.append(("answered", request.offset))
        return page


async def scanned(
    provider: Provider, name: str, count: int | None, query: Query, size: int = SIZE
) -> Any:
    logged = Logged(provider, size)
    audience = next(a for a in await provider.audiences() if a.name == name)
    view = await prepare(logged, replace(audience, member_count=count), query)  # type: ignore[arg-type]
    return logged, [m.id for m in await collect(view)]


async def test_the_first_round_asks_for_as_many_pages_as_the_platform_allows(
    provider_for: Callable[..., Provider],
) -> None:
    provider = provider_for("heyloyalty")
    logged, ids = await scanned(provider, "Newsletter DK", None, Query())
    assert logged.log[:2] == [("asked", 0), ("answered", 0)]  # no count: the first page alone
    audience = next(a for a in await provider.audiences() if a.name == "Newsletter DK")
    logged, hinted = await scanned(provider, audience.name, audience.member_count, Query())
    first_answer = logged.log.index(("answered", 0))
    ahead = 2 * provider.capabilities.scan_concurrency  # on the wire, and as many waiting
    assert {("asked", n * SIZE) for n in range(ahead)} <= set(logged.log[:first_answer])
    assert hinted == ids and len(set(ids)) == len(ids) == audience.member_count


@pytest.mark.parametrize("count", [10**6, 150])
async def test_a_wrong_count_still_yields_each_member_once(
    count: int, provider_for: Callable[..., Provider]
) -> None:
    provider, size = provider_for("heyloyalty"), 150
    plain, expected = await scanned(provider, "VIP Club", None, Query(), size)
    logged, ids = await scanned(provider, "VIP Club", count, Query(), size)
    assert ids == expected and 2 * size < len(ids) < 3 * size  # three pages
    if count > 3 * size:  # a fourth page, past the end, was asked for and dropped
        assert ("asked", 3 * size) in logged.log and ("asked", 3 * size) not in plain.log


async def test_status_views_wait_for_the_total(provider_for: Callable[..., Provider]) -> None:
    provider = provider_for("heyloyalty")
    audience = next(a for a in await provider.audiences() if a.name == "Newsletter DK")
    query = Query(status=MemberStatus.OPTED_OUT)  # the member count is of active members
    logged, _ = await scanned(provider, audience.name, audience.member_count, query)
    assert logged.log[:2] == [("asked", 0), ("answered", 0)]


async def test_a_stream_asks_for_no_more_pages_at_once_than_it_is_allowed(
    provider_for: Callable[..., Provider],
) -> None:
    """`pages(view, ahead=n)` (the CLI's members, which writes rows as they come) holds at most
    n pages asked for and not yet taken, where a scan keeps twice the concurrency."""
    from audience_tui.core.scan import pages

    provider = provider_for("heyloyalty")
    audience = next(a for a in await provider.audiences() if a.name == "Newsletter DK")
    for ahead, most in ((2, 2), (None, 2 * provider.capabilities.scan_concurrency)):
        logged = Logged(provider, SIZE)
        view = await prepare(logged, audience, Query())  # type: ignore[arg-type]
        outstanding, peak, ids = 0, 0, []
        async for members in pages(view, ahead=ahead):
            ids += [m.id for m in members]
        for event, _ in logged.log:
            outstanding += 1 if event == "asked" else -1
            peak = max(peak, outstanding)
        assert peak == most, (ahead, logged.log)
        assert len(ids) == len(set(ids)) == audience.member_count
