"""The opt-out dialog offers disabling the email channel as a separate, unticked choice, only for
platforms that have one (Placewise), and sends it only when ticked; an opt-out that reads back
not applied is never said done."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Label
from tui_helpers import running, screen_text, settle
from variants import writes_faulted

from audience_tui.core.models import Audience, MemberStatus, PageRequest, Query
from audience_tui.core.session import Session
from audience_tui.demo import FaultSpec, Sandbox, demo_session
from audience_tui.tui.screens.opt_out import OptOutScreen
from audience_tui.tui.widgets.data_table import DataTable

LADE = Audience("city-lade", "City Lade", extra={"community_id": 3435})


async def first_active(session: Session, account: str, audience: Audience):
    page = await session.provider(account).members(audience, Query(), PageRequest(100))
    return next(m for m in page.members if m.status is MemberStatus.ACTIVE)


async def opened(pilot: Pilot[None], dialog: OptOutScreen) -> OptOutScreen:
    """`dialog` on screen, its members read."""
    await pilot.app.push_screen(dialog)
    await settle(pilot)
    return dialog


@pytest.mark.parametrize("tick", [False, True])
async def test_the_channel_is_disabled_only_when_ticked(session: Session, tick: bool) -> None:
    member = await first_active(session, "demo-placewise", LADE)
    async with running(session) as (_app, pilot):
        dialog = await opened(pilot, OptOutScreen(session, "demo-placewise", LADE, [member]))
        box = dialog.query_one("#disable-channel", Checkbox)
        assert box.value is False and "stops transactional mail too" in str(box.label)
        if tick:
            await pilot.click("#disable-channel")
            assert box.value is True
        dialog.query_one("#confirm", Button).press()
        await settle(pilot)
        (outcome,) = dialog.outcomes.values()
        assert outcome.confirmed and outcome.after is not None
        assert (outcome.after.raw["email_status"] == "disabled") is tick


async def test_no_channel_choice_where_the_platform_has_none(session: Session) -> None:
    provider = session.provider("demo-heyloyalty")
    vip = next(a for a in await provider.audiences() if a.name == "VIP Club")
    member = await first_active(session, "demo-heyloyalty", vip)
    async with running(session) as (_app, pilot):
        dialog = await opened(pilot, OptOutScreen(session, "demo-heyloyalty", vip, [member]))
        assert not dialog.query("#disable-channel")


async def test_at_80_columns_the_channel_choice_says_what_it_costs_in_full(
    session: Session,
) -> None:
    """The box's label is the warning ("stops transactional mail too"): Textual's checkbox cut
    it at "(stops transaction" at 80 columns. It wraps instead."""
    member = await first_active(session, "demo-placewise", LADE)
    async with running(session, size=(80, 24)) as (app, pilot):
        await opened(pilot, OptOutScreen(session, "demo-placewise", LADE, [member]))
        shown = " ".join(line.strip(" │▊▎") for line in screen_text(app).splitlines())
        assert "(stops transactional mail too)" in " ".join(shown.split())


async def test_an_opt_out_read_back_not_applied_is_not_said_done(sandbox: Sandbox) -> None:
    """The opt-out's connection drops before Emma acts and the read-back shows it not applied:
    its row says why, marked failed (not confirmed, not opted out), and `r` is offered; once
    Emma answers, `r` sends it again and it is confirmed."""
    faulted = writes_faulted(sandbox, FaultSpec(drop=1.0))
    session = demo_session(faulted)
    try:
        group = (await session.audiences("demo-emma"))[0]
        member = await first_active(session, "demo-emma", group)
        async with running(session) as (_app, pilot):
            dialog = await opened(pilot, OptOutScreen(session, "demo-emma", group, [member]))
            dialog.query_one("#confirm", Button).press()
            await settle(pilot)
            (outcome,) = dialog.outcomes.values()
            assert not outcome.confirmed and outcome.error is not None
            result = str(dialog.query_one("#targets", DataTable).get_cell("0", "Result"))
            assert result.startswith("✗ ") and "read back: not applied" in result, result
            state = str(dialog.query_one("#state", Label).render())
            assert state.startswith("0 of 1 opted out and confirmed by read-back."), state
            assert "1 not confirmed: press r" in state, state

            faulted.app.spec = FaultSpec()
            await pilot.press("r")
            await settle(pilot)
            (outcome,) = dialog.outcomes.values()
            assert outcome.confirmed
            state = str(dialog.query_one("#state", Label).render())
            assert state == "1 of 1 opted out and confirmed by read-back.", state
    finally:
        await session.aclose()
