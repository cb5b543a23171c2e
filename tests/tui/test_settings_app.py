"""The settings as the app and the session use them: default account opened at launch, request
timeout on every adapter, the audit file's location, and opt-outs of several people sent without
a question only when the settings say so."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from textual.widgets import DataTable
from tui_helpers import SIZE, settle

from audience_tui.cli import main
from audience_tui.core.audit import AuditLog
from audience_tui.core.errors import NetworkError
from audience_tui.core.http import RetryPolicy
from audience_tui.core.models import MemberStatus
from audience_tui.core.session import Session
from audience_tui.core.settings import Settings, load, settings_path
from audience_tui.demo import Sandbox, demo_session
from audience_tui.sandbox.faults import FaultSpec
from audience_tui.sandbox.people import person
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens.lists import ListsScreen
from audience_tui.tui.screens.members import MembersScreen
from audience_tui.tui.screens.opt_out import OptOutScreen


def write_settings(text: str) -> Path:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
async def session(sandbox: Sandbox) -> AsyncIterator[Session]:
    session = demo_session(sandbox, **load().settings.session_options())
    yield session
    await session.aclose()


async def test_default_account_opens_its_lists(session: Session) -> None:
    write_settings('default_account = "demo-emma"\n')
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ListsScreen) and app.screen.account_name == "demo-emma"
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "AccountsScreen"


async def test_unknown_default_account_is_reported(session: Session) -> None:
    path = write_settings('\ndefault_account = "shop"\n')
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert type(app.screen).__name__ == "AccountsScreen"
        [message] = [n.message for n in app._notifications]
        assert message == f"{path}:2: default_account: no account named 'shop'"


async def test_request_timeout_and_audit_file_reach_the_session(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    write_settings(f'request_timeout = 1\naudit_file = "{tmp_path}/audit/records.jsonl"\n')
    options = load().settings.session_options()
    # one try only, so the test waits for one timeout (reads are otherwise retried)
    client_options = {**options["client_options"], "retry": RetryPolicy(attempts=1)}
    session = demo_session(sandbox, client_options=client_options, audit=options["audit"])
    try:
        assert session.audit.path == tmp_path / "audit" / "records.jsonl"
        # answers after 3 s: past the 1 s set here (with the default 30 s it would succeed)
        sandbox.app.spec = FaultSpec(latency=3.0)
        with pytest.raises(NetworkError):
            await session.provider("demo-emma").audiences()
    finally:
        await session.aclose()
    assert Settings().timeouts().read == 30.0


async def two_people(session: Session) -> list[tuple[str, object, object]]:
    """Two different people's memberships on the demo Heyloyalty account."""
    provider = session.provider("demo-heyloyalty")
    audiences = {a.id: a for a in await provider.audiences()}
    targets = []
    for index in range(1000, 3600, 7):
        for member in await provider.lookup(person(index).email):
            if member.status is MemberStatus.ACTIVE and len(targets) < 2:
                targets.append(("demo-heyloyalty", audiences[member.audience_id], member))
                break
        if len(targets) == 2:
            return targets
    raise AssertionError("no two active demo people")


@pytest.mark.parametrize("confirm", [True, False])
async def test_bulk_opt_out_confirmation_follows_the_setting(
    session: Session, confirm: bool
) -> None:
    write_settings(f"confirm_bulk_opt_out = {str(confirm).lower()}\n")
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        targets = await two_people(session)
        dialog = OptOutScreen.everywhere(session, targets)  # type: ignore[arg-type]
        await app.push_screen(dialog)
        await settle(pilot)
        results = dialog.query_one("#targets", DataTable)
        sent = [results.get_cell(str(i), "Result").plain for i in range(2)]
        if confirm:
            assert sent == ["not sent", "not sent"]
            assert [e["action"] for e in session.audit.read()] == []
        else:
            assert sent == ["✓ confirmed", "✓ confirmed"]
            assert [e["action"] for e in session.audit.read()].count("opt_out.confirmed") == 2


@pytest.mark.parametrize("prefetch", [0, 3])
async def test_prefetch_depth_reaches_the_member_table(session: Session, prefetch: int) -> None:
    write_settings(f"prefetch = {prefetch}\n")
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        audience = max(
            await session.provider("demo-heyloyalty").audiences(), key=lambda a: a.member_count or 0
        )
        screen = MembersScreen(session, "demo-heyloyalty", audience)
        await app.push_screen(screen)
        await screen.settle()
        assert screen.cache is not None
        assert sorted(screen.cache.pages_held) == list(range(prefetch + 1))  # on screen + ahead


async def test_command_line_opt_out_records_in_the_configured_audit_file(
    session: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_settings(f'audit_file = "{tmp_path}/elsewhere.jsonl"\n')
    [(_, _, member)] = (await two_people(session))[:1]
    code = await asyncio.to_thread(main, ["--demo", "optout", member.email, "--yes"])
    assert code == 0, capsys.readouterr()
    actions = [event["action"] for event in AuditLog(tmp_path / "elsewhere.jsonl").read()]
    assert "opt_out.confirmed" in actions
