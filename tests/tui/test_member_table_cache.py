"""The member table and its page cache: the screen makes the cache and closes it, the table binds
to it once and leaves it open, and a platform whose cursor comes back never puts a member on two
rows (core.page_guard, as the CLI's walks)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from textual.app import App, ComposeResult
from textual.screen import Screen
from tui_helpers import SIZE, Host, lines, settle_top, status
from variants import Variant, demo_account, variant_session

from audience_tui.core.columns import columns_for
from audience_tui.core.models import Member, MemberStatus, Page, PageRequest, Query
from audience_tui.core.page_cache import PageCache
from audience_tui.core.paging import OffsetPaging
from audience_tui.core.session import Session
from audience_tui.demo import Sandbox
from audience_tui.tui.screens.members import MembersScreen
from audience_tui.tui.widgets.member_table import MemberTable


class TableScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        yield MemberTable()


async def test_the_table_leaves_open_a_cache_it_did_not_make() -> None:
    """The table goes (with its screen); the cache it showed is its maker's to close."""
    gate = asyncio.Event()
    member = Member(id="1", email="one@x.test", status=MemberStatus.ACTIVE)

    async def fetch(request: PageRequest) -> Page:
        await gate.wait()
        return Page([member], total=1)

    cache = PageCache(fetch, OffsetPaging(100))
    app = App[None]()
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(TableScreen())
        table = app.screen.query_one(MemberTable)
        table.bind(cache, columns_for([]))
        assert 0 in cache.in_flight
        await app.pop_screen()
        await pilot.pause()
        assert not table.is_attached
        gate.set()
        await cache.settle()
        assert cache.row(0) == member  # the fetch was not cancelled with the table


async def test_the_screen_closes_its_cache_when_it_goes(session: Session) -> None:
    provider = session.provider("demo-heyloyalty")
    audience = (await provider.audiences())[0]
    app = Host(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle_top(pilot)
        screen = MembersScreen(session, "demo-heyloyalty", audience)
        await app.push_screen(screen)
        await settle_top(pilot)
        cache = screen.cache
        assert cache is not None
        gate = asyncio.Event()
        members = provider.members

        async def held(*args: Any) -> Page:
            await gate.wait()
            return await members(*args)

        provider.members = held  # type: ignore[method-assign]
        await pilot.press("r")  # the rows on screen asked for afresh, and held
        assert cache.in_flight
        app.pop_screen()
        await settle_top(pilot)
        assert not cache.in_flight  # given up, not left to land on a screen that is gone


def cycling(request: httpx.Request, doc: Any) -> Any:
    """Placewise's member reports, their third cursor replaced by the first: page 3 leads
    back to page 1 (each cursor differs from the one sent, which the adapter checks itself)."""
    if not request.url.path.endswith("/reporting/query") or not isinstance(doc, dict):
        return doc
    pagination = doc.get("pagination")
    if isinstance(pagination, dict) and pagination.get("next_page_info"):
        given = cycling.given  # type: ignore[attr-defined]
        given.append(pagination["next_page_info"])
        if len(given) == 3:
            pagination["next_page_info"] = given[0]
    return doc


async def test_a_cursor_that_comes_back_never_shows_a_member_twice(sandbox: Sandbox) -> None:
    cycling.given = []  # type: ignore[attr-defined]
    transport = Variant(sandbox.transport, after=cycling)
    account = demo_account("placewise")[0].name
    async with variant_session(sandbox, "placewise", transport) as session:
        provider = session.provider(account)
        audience = (await provider.audiences())[0]
        query = Query(status=MemberStatus.ACTIVE)  # Placewise's reporting view: cursor paging
        assert provider.paging_for(query) == "cursor"
        app = Host(session)
        async with app.run_test(size=SIZE) as pilot:
            await settle_top(pilot)
            screen = MembersScreen(session, account, audience, query)
            await app.push_screen(screen)
            await settle_top(pilot)
            table = screen.table
            for _ in range(4):  # to the last row, again and again, as a user holding page down
                table.move_to(table.rows - 1)
                await settle_top(pilot)
            cache = screen.cache
            assert cache is not None
            ids = [m.id for i in range(cache.rows) if (m := cache.row(i)) is not None]
            assert len(ids) == len(set(ids)) > 0  # never a member twice
            assert table.current_member is None  # the last row is the page that failed
            shown = lines(table)[-1]
            assert "Placewise MPC: the platform's paging cursor did not advance" in shown
            assert "the platform's pages stop here (the row says why)" in status(screen)
