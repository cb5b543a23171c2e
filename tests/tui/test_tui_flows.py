"""Pilot tests of the app shell's flows on the demo sandbox: accounts, lists, lookup (one
account and every account), member detail, opt-out (confirm, failure and retry, everywhere),
help, the command palette, and hostile member data."""

from __future__ import annotations

from people import email_on, email_on_platforms
from textual.command import CommandList
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList
from tui_helpers import (
    HOSTILE_NAME,
    SIZE,
    add_hostile_member,
    look_up,
    look_up_in,
    open_lists,
    rows,
    running,
    screen_text,
    settle,
)

from audience_tui.core.models import MemberStatus, PageRequest, Query
from audience_tui.core.session import Session
from audience_tui.demo import Sandbox
from audience_tui.sandbox.faults import FaultSpec
from audience_tui.tui.actions import screen_actions
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens.accounts import AccountsScreen
from audience_tui.tui.screens.help import HelpScreen
from audience_tui.tui.screens.lists import ListsScreen
from audience_tui.tui.screens.lookup import LookupResultsScreen, LookupScreen
from audience_tui.tui.screens.member_detail import MemberDetailScreen
from audience_tui.tui.screens.opt_out import OptOutScreen


def result_column(dialog: OptOutScreen) -> list[str]:
    """The Result column of an opt-out dialog, one entry per membership."""
    table = dialog.query_one(DataTable)
    return [table.get_cell(str(i), "Result").plain for i in range(table.row_count)]


async def test_accounts_then_lists_with_counts_then_back(session: Session) -> None:
    app = AudienceApp(session, first_run_hint="Demo data — hint")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, AccountsScreen)
        table = app.screen.query_one(DataTable)
        assert [r[0] for r in rows(table)] == [a.name for a in session.accounts]
        assert all(r[3] == "✓ ok" for r in rows(table)), rows(table)
        assert "Demo data — hint" in screen_text(app)

        await open_lists(pilot, "demo-heyloyalty")
        assert isinstance(app.screen, ListsScreen)
        audiences = await session.provider("demo-heyloyalty").audiences()
        shown = {r[0]: r[2] for r in rows(app.screen.query_one(DataTable))}
        assert shown == {
            a.name: f"{a.member_count:,}" if a.member_count is not None else "—" for a in audiences
        }
        assert any(count != "—" for count in shown.values())

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AccountsScreen)


async def test_lookup_in_one_account_invalid_then_not_found_then_found(
    session: Session,
) -> None:
    email = await email_on(session, "demo-heyloyalty", lists=1)
    async with running(session) as (app, pilot):
        await look_up_in(pilot, "demo-heyloyalty", "not-an-email")
        prompt = app.screen
        assert isinstance(prompt, LookupScreen)
        assert "Not an email address: 'not-an-email'" in str(prompt.query_one("#message").render())

        prompt.query_one(Input).value = "nobody.here@example.com"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is prompt
        message = str(prompt.query_one("#message").render())
        assert "No member with nobody.here@example.com in demo-heyloyalty" in message

        prompt.query_one(Input).value = email
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, MemberDetailScreen)
        assert detail.member.email == email
        assert email in screen_text(app)

        await pilot.press("y")
        assert app.clipboard == email

        # Changed elsewhere: `r` reads the member again and shows what the platform says now.
        await session.provider("demo-heyloyalty").opt_out(detail.member)
        await pilot.press("r")
        await settle(pilot)
        assert detail.member.status is MemberStatus.OPTED_OUT
        assert "Read again just now." in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ListsScreen)


async def test_lookup_on_several_lists_offers_a_choice(session: Session) -> None:
    email = await email_on(session, "demo-heyloyalty", lists=2)
    async with running(session) as (app, pilot):
        await look_up_in(pilot, "demo-heyloyalty", email)
        choices = app.screen.query_one(OptionList)
        assert choices.display and choices.option_count == 2
        prompt = app.screen
        assert choices.highlighted == 0  # enter at once opens the first list's member
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MemberDetailScreen)
        assert app.screen.member.email == email
        assert app.screen.audience == prompt.found[0].audience


async def test_lookup_across_accounts_lists_every_membership(session: Session) -> None:
    email = await email_on_platforms(session)
    async with running(session) as (app, pilot):
        await look_up(pilot, email)
        assert isinstance(app.screen, LookupResultsScreen)
        found = [r for r in rows(app.screen.query_one(DataTable)) if r[2]]
        assert len({r[1] for r in found}) >= 2, found
        assert all(r[3].split(" ")[0] in {"active", "opted", "pending"} for r in found), found
        assert email in screen_text(app)


async def test_lookup_results_show_the_email_as_searched(session: Session) -> None:
    """Typed with spaces around and in capitals, the email is searched trimmed and in lower
    case, and the results' title and heading show that form, not what was typed."""
    email = await email_on_platforms(session)
    async with running(session) as (app, pilot):
        await look_up(pilot, f"  {email.upper()} ")
        assert isinstance(app.screen, LookupResultsScreen)
        assert app.screen.sub_title == email
        assert screen_text(app).count(email.upper()) == 0
        assert f"{email}: on " in screen_text(app)


async def confirm_opt_out(pilot: Pilot[None]) -> OptOutScreen:
    screen = pilot.app.screen
    assert isinstance(screen, OptOutScreen)
    await pilot.click("#confirm")
    await settle(pilot)
    return screen


def audit_actions(session: Session, email: str) -> list[str]:
    return [e["action"] for e in session.audit.read() if e.get("email") == email]


async def test_opt_out_from_detail_reads_back_and_is_audited(session: Session) -> None:
    email = await email_on(session, "demo-heyloyalty", lists=1)
    async with running(session) as (app, pilot):
        await look_up_in(pilot, "demo-heyloyalty", email)
        await pilot.press("o")
        await pilot.pause()
        assert (
            "Opt out" in screen_text(app) and "Heyloyalty".casefold() in screen_text(app).casefold()
        )
        dialog = await confirm_opt_out(pilot)
        assert result_column(dialog) == ["✓ confirmed"]
        status = dialog.query_one(DataTable).get_cell("0", "Status").plain
        assert status.startswith("opted out")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MemberDetailScreen)
        assert app.screen.member.status is MemberStatus.OPTED_OUT
        assert "opted out" in screen_text(app)
    assert audit_actions(session, email) == ["opt_out.attempt", "opt_out.confirmed"]


async def test_opt_out_failure_is_shown_and_can_be_retried(
    session: Session, sandbox: Sandbox
) -> None:
    email = await email_on(session, "demo-heyloyalty", lists=1)
    async with running(session) as (app, pilot):
        await look_up_in(pilot, "demo-heyloyalty", email)
        await pilot.press("o")
        await pilot.pause()
        sandbox.app.spec = FaultSpec(server_error=1.0)
        dialog = await confirm_opt_out(pilot)
        # the DELETE and the read-back both meet the 5xx: applied or not cannot be told
        assert result_column(dialog)[0].startswith("? outcome unknown")
        assert dialog.query_one("#confirm").display
        assert "press r" in screen_text(app)

        sandbox.app.spec = FaultSpec()
        await pilot.press("r")
        await settle(pilot)
        assert result_column(dialog)[0].startswith("✓ confirmed")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.member.status is MemberStatus.OPTED_OUT
    assert audit_actions(session, email) == [
        "opt_out.attempt",
        "opt_out.unknown",
        "opt_out.attempt",
        "opt_out.confirmed",
    ]


async def test_opt_out_everywhere_from_cross_account_results(session: Session) -> None:
    email = await email_on_platforms(session)
    async with running(session) as (app, pilot):
        await look_up(pilot, email)
        results = app.screen
        assert isinstance(results, LookupResultsScreen)
        active = [t for t in results.found if t.member.status is MemberStatus.ACTIVE]
        await pilot.press("O")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, OptOutScreen)
        assert len(dialog.targets) == len(active) >= 2
        listed = rows(dialog.query_one(DataTable))
        assert {r[1] for r in listed} == {t.account_name for t in active}
        await confirm_opt_out(pilot)
        assert all(r.startswith("✓ confirmed") for r in result_column(dialog)), result_column(
            dialog
        )
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is results
        shown = [r[3] for r in rows(results.query_one(DataTable)) if r[2]]
        assert shown and all(s.startswith("opted out") for s in shown), shown
    confirmed = [a for a in audit_actions(session, email) if a == "opt_out.confirmed"]
    assert len(confirmed) == len(active)


async def test_help_lists_the_screen_bindings(session: Session) -> None:
    async with running(session) as (app, pilot):
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        shown = screen_text(app)
        for binding_id, description in [
            ("accounts.open", "Open lists"),
            ("accounts.remove", "Remove account"),
            ("app.lookup", "Look up email"),
            ("app.quit", "Quit"),
        ]:
            assert binding_id in shown and description in shown
        assert "d del" in shown
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AccountsScreen)


async def test_command_palette_lists_and_runs_actions(session: Session) -> None:
    async with running(session) as (app, pilot):
        await pilot.press("ctrl+p")
        await settle(pilot)
        shown = screen_text(app)
        for name in ("Open lists (⏎)", "Add account (a)", "Test connection (t)", "Help (?)"):
            assert name in shown, shown
        await pilot.press(*"help")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)


async def test_the_palette_lists_the_screens_actions_in_order_then_the_themes(
    session: Session,
) -> None:
    """The same list at every opening: the actions as the screen binds them, "Change theme"
    last (it had landed anywhere among them, the two lists answering at once)."""
    async with running(session) as (app, pilot):
        accounts = app.screen
        actions = [
            f"{action.description} ({action.keys})"
            for action in screen_actions(accounts)
            if action.enabled and action.id != "app.command_palette"
        ]
        for _ in range(3):
            await pilot.press("ctrl+p")
            await settle(pilot)
            listed = app.screen.query_one(CommandList)
            titles = [str(listed.get_option_at_index(i).prompt) for i in range(listed.option_count)]
            assert [title.splitlines()[0] for title in titles] == [
                *actions,
                f"Change theme (now {app.theme})",
            ]
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is accounts


async def test_hostile_member_data_renders_literally(session: Session) -> None:
    email = "hostile@example.com"
    await add_hostile_member(session, email)
    async with running(session) as (app, pilot):
        await look_up_in(pilot, "demo-heyloyalty", email)
        assert isinstance(app.screen, MemberDetailScreen)
        await pilot.click("#title")
        await pilot.pause()
        shown = screen_text(app)
        assert HOSTILE_NAME in shown
        assert "\x1b" not in shown and "\x07" not in shown
        assert "]0;pwned" in shown
        assert app.is_running


async def test_detail_shows_field_labels_and_choice_labels(session: Session) -> None:
    provider = session.provider("demo-heyloyalty")
    audience = next(a for a in await provider.audiences() if a.name == "Newsletter DK")
    page = await provider.members(audience, Query(), PageRequest(50))
    member = next(m for m in page.members if m.fields.get("sex"))
    async with running(session) as (app, pilot):
        app.push_screen(MemberDetailScreen(session, "demo-heyloyalty", audience, member))
        await settle(pilot)
        shown = screen_text(app)
    expected = {"1": "Male", "2": "Female"}[str(member.fields["sex"])]
    assert any(line.split()[:2] == ["Sex", expected] for line in shown.splitlines())
