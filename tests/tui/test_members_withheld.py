"""A view whose platform sends members without their personal data (Placewise's filtered
reports) says on screen why the Email and Name columns are empty and how to see them, as the
adapter reports it (Provider.withheld_for): the screen never asks which platform it shows."""

from __future__ import annotations

import pytest
from tui_helpers import SIZE, Host, open_members, settle_top, until

from audience_tui.core.columns import columns_for
from audience_tui.core.models import Condition, Filter, Query
from audience_tui.core.session import Session
from audience_tui.providers.heyloyalty.adapter import HeyloyaltyProvider
from audience_tui.tui.screens.members import MembersScreen
from audience_tui.tui.status_words import withheld

WHY = "Email and Name not sent by Placewise MPC for this view: enter opens the member with them"


def status(screen: MembersScreen) -> str:
    return str(screen.query_one("#status").render())


async def test_a_filtered_placewise_view_says_why_email_and_name_are_empty(
    session: Session,
) -> None:
    async with Host(session).run_test(size=SIZE) as pilot:
        screen = await open_members(pilot, session, "demo-placewise")
        assert screen.table.current_member is not None and screen.table.current_member.email
        assert "not sent by" not in status(screen)  # the club's own list: all of it is there

        screen._filter(Filter((Condition("gender", "eq", "woman"),)))
        await until(pilot, lambda: bool(screen.view.filter))
        await settle_top(pilot)
        row = screen.table.current_member
        assert row is not None and not row.email and not row.name  # the report's own record
        assert WHY in status(screen)

        screen._filter(Filter())
        await until(pilot, lambda: not screen.view.filter)
        await settle_top(pilot)
        assert "not sent by" not in status(screen)


async def test_the_note_follows_what_the_adapter_reports(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_emails(self: HeyloyaltyProvider, query: Query) -> tuple[str, ...]:
        return ("email",)

    monkeypatch.setattr(HeyloyaltyProvider, "withheld_for", no_emails)
    async with Host(session).run_test(size=SIZE) as pilot:
        screen = await open_members(pilot, session, "demo-heyloyalty")
        assert "Email not sent by Heyloyalty for this view" in status(screen)


def test_the_note_is_said_shorter_or_not_at_all_rather_than_wrapping_the_status_line() -> None:
    """A status line already long (a failed page says why) keeps one line: a wrapped one hid
    the table's last row, where the failed page says what went wrong."""
    columns = columns_for([])
    full = withheld("Placewise MPC", ("email", "name"), columns, 200).plain
    assert full == " · " + WHY
    short = withheld("Placewise MPC", ("email", "name"), columns, len(full) - 1).plain
    assert short == " · Email and Name not sent here: enter opens the member with them"
    assert withheld("Placewise MPC", ("email",), columns, len(short) - 20).plain == ""
