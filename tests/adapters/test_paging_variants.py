"""Paging where the documents disagree or are silent (issue 21), against sandbox variants that
behave the other way the documents allow: Emma reading `end` inclusive, Kajabi serving pages of 50,
a Placewise Reporting API that does not read `page_info`. The adapter returns exactly the rows the
plain sandbox gives, never more than asked and never a row twice, or stops with an error naming
its assumption; it never re-reads a page until a ceiling."""

from __future__ import annotations

import httpx
import pytest
from test_probe import cursor_ignored, inclusive_end, kajabi_cap_50
from variants import Variant, variant_provider

from audience_tui.core import scan
from audience_tui.core.errors import PagingError
from audience_tui.core.models import Condition, Filter, PageRequest, Query
from audience_tui.core.scan import collect, prepare
from audience_tui.demo import Sandbox
from audience_tui.providers.emma.adapter import PAGE


class Counting(Variant):
    """A variant that also counts the requests reaching the sandbox."""

    def __init__(self, inner: httpx.AsyncBaseTransport, **change: object) -> None:
        super().__init__(inner, **change)  # type: ignore[arg-type]
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return await super().handle_async_request(request)


async def largest(provider):
    return max(await provider.audiences(), key=lambda a: a.member_count or 0)


async def test_emma_inclusive_end_gives_the_same_rows_never_more_than_asked(
    sandbox: Sandbox,
) -> None:
    plain = variant_provider(sandbox, "emma")
    inclusive = variant_provider(sandbox, "emma", Variant(sandbox.transport, before=inclusive_end))
    try:
        audience = await largest(plain)
        assert (audience.member_count or 0) > PAGE  # several windows
        page = await inclusive.members(audience, Query(), PageRequest(7, offset=3))
        assert len(page.members) == 7  # the eighth row an inclusive `end` adds is not returned
        want = [m.id for m in await collect(await prepare(plain, audience, Query()))]
        got = [m.id for m in await collect(await prepare(inclusive, audience, Query()))]
        assert got == want and len(set(got)) == len(got)
        # Whole lists read window by window (groups, imports, an import's rows): a window of
        # PAGE + 1 rows is full, not the last one, and no row is kept twice.
        rows, complete = await inclusive._collect("/members", "the member list")
        assert complete and [str(r["member_id"]) for r in rows] == want
    finally:
        await plain.aclose()
        await inclusive.aclose()


async def test_kajabi_pages_shorter_than_asked_adapt_the_size_and_skip_no_row(
    sandbox: Sandbox,
) -> None:
    plain = variant_provider(sandbox, "kajabi")
    capped = variant_provider(sandbox, "kajabi", Variant(sandbox.transport, before=kajabi_cap_50))
    try:
        audience = await largest(plain)
        assert (audience.member_count or 0) > 200
        for offset, limit in ((0, 100), (130, 100), (250, 75)):
            want = await plain.members(audience, Query(), PageRequest(limit, offset))
            got = await capped.members(audience, Query(), PageRequest(limit, offset))
            assert [m.id for m in got.members] == [m.id for m in want.members], (offset, limit)
        assert capped.page_cap == 50
        every = [m.id for m in await collect(await prepare(capped, audience, Query()))]
        assert len(every) == len(set(every)) == audience.member_count
    finally:
        await plain.aclose()
        await capped.aclose()


async def test_placewise_cursor_that_does_not_advance_names_the_assumption(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan, "page_size", lambda provider: 50)  # a report of several pages
    counting = Counting(sandbox.transport, before=cursor_ignored)
    provider = variant_provider(sandbox, "placewise", counting)
    try:
        audience = await largest(provider)
        query = Query(Filter((Condition("gender", "eq", "Woman"),)))
        view = await prepare(provider, audience, query)
        assert provider.paging_for(view.server_query) == "cursor"
        counting.requests = 0
        with pytest.raises(PagingError) as info:
            await collect(view)
        assert "page_info" in str(info.value) and "Placewise" in str(info.value)
        assert counting.requests <= 3  # the first page, then the one that came back the same
    finally:
        await provider.aclose()
