"""The demo's big-list builds, as the lists screen asks for them: by account and list id."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import DataTable
from tui_helpers import SIZE, open_lists, open_members, rows, settle, status

from audience_tui.core.session import Session
from audience_tui.demo import BuildProgress, Sandbox
from audience_tui.tui.app import AudienceApp


def building(sandbox: Sandbox, platform: str, audience_id: str, done: int) -> BuildProgress:
    """A build the store reports as running; its label names no list on purpose."""
    progress = BuildProgress("a build", 1000, done=done, platform=platform, audience_id=audience_id)
    sandbox.store.builds[f"test-{platform}-{audience_id}"] = progress
    return progress


def test_progress_is_found_by_account_and_list_id(sandbox: Sandbox, session: Session) -> None:
    vip = building(sandbox, "heyloyalty", "2", 400)
    building(sandbox, "emma", "2", 100)
    account = session.account("demo-heyloyalty")
    assert sandbox.progress(account, "2") is vip
    assert sandbox.progress(account, "3") is None
    assert sandbox.builds(account) == [vip]
    assert sandbox.progress(replace(account, demo=False), "2") is None


async def test_lists_screen_shows_the_build_of_the_list_it_fills(
    sandbox: Sandbox, session: Session
) -> None:
    building(sandbox, "heyloyalty", "2", 400)
    app = AudienceApp(session, sandbox=sandbox)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_lists(pilot, "demo-heyloyalty")
        counts = {r[3]: r[2] for r in rows(app.screen.query_one("#lists", DataTable))}
        assert counts["2"].endswith("being built: 400 of 1,000")
        assert "built" not in counts["1"] + counts["3"]


async def test_a_built_list_whose_count_leaves_statuses_out_says_so(
    sandbox: Sandbox, session: Session
) -> None:
    audience = (await session.provider("demo-heyloyalty").audiences())[1]
    assert audience.member_count is not None
    size = audience.member_count + 500
    sandbox.store.builds["test"] = BuildProgress(
        "a build", size, done=size, finished=True, platform="heyloyalty", audience_id=audience.id
    )
    app = AudienceApp(session, sandbox=sandbox)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_lists(pilot, "demo-heyloyalty")
        counts = {r[3]: r[2] for r in rows(app.screen.query_one("#lists", DataTable))}
        assert counts[audience.id] == f"{audience.member_count:,} active of {size:,}"


async def test_a_list_being_built_says_so_and_fills_as_it_grows(
    sandbox: Sandbox, session: Session
) -> None:
    audience = (await session.provider("demo-heyloyalty").audiences())[0]
    progress = building(sandbox, "heyloyalty", audience.id, 280)
    app = AudienceApp(session, sandbox=sandbox)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_members(pilot, session, "demo-heyloyalty")
        assert "being built: 280 of 1,000" in status(screen)
        assert screen.table.empty_note == "being built: 280 of 1,000"
        paging = screen.cache.paging if screen.cache else None
        progress.done = 600
        screen._build_grew()  # what its timer does every few seconds
        await screen.settle()
        assert "being built: 600 of 1,000" in status(screen)
        assert screen.cache is not None and screen.cache.paging is not paging  # read again
        progress.finished = True
        screen._build_grew()
        await screen.settle()
        assert "being built" not in status(screen)
        assert screen._build_timer is None
