"""The accounts screen with configured accounts (status, removal) and how `launch` picks the
session: the demo when asked or when nothing is configured, else the user's accounts."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static
from tui_helpers import SIZE, notifications, rows, settle

from audience_tui.bootstrap import DEMO_HINT
from audience_tui.core.accounts import AccountStore
from audience_tui.core.models import Account
from audience_tui.core.session import Session
from audience_tui.demo import Sandbox, demo_session
from audience_tui.sandbox.heyloyalty.routes import DEMO_SECRETS, PREFIX
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.launch import launch
from audience_tui.tui.screens.account_form import AccountFormScreen
from audience_tui.tui.screens.confirm import ConfirmScreen

SHOP = Account("shop", "heyloyalty", base_url=f"http://localhost{PREFIX}")
WRONG = Account("wrong", "heyloyalty", base_url=f"http://localhost{PREFIX}")


@pytest.fixture
async def configured(sandbox: Sandbox) -> AsyncIterator[Session]:
    """Two saved accounts served by the sandbox: one with the right secrets, one without."""
    store = AccountStore()
    store.add(SHOP, DEMO_SECRETS)
    store.add(WRONG, {**DEMO_SECRETS, "api_secret": "not-the-secret"})
    session = Session(store.accounts(), store.secrets, transport_for=lambda a: sandbox.transport)
    yield session
    await session.aclose()


async def test_status_then_remove_with_confirmation(configured: Session) -> None:
    app = AudienceApp(configured)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert {r[0]: r[3] for r in rows(table)} == {"shop": "✓ ok", "wrong": "✗ auth failed"}

        table.move_cursor(row=table.get_row_index("wrong"))
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")  # the safe answer first: nothing removed
        await pilot.pause()
        assert AccountStore().names() == ["shop", "wrong"]

        await pilot.press("delete")
        await pilot.pause()
        await pilot.click("#yes")
        await settle(pilot)
        assert AccountStore().names() == ["shop"]
        assert [r[0] for r in rows(app.screen.query_one(DataTable))] == ["shop"]
        assert [a.name for a in configured.accounts] == ["shop"]


async def add_heyloyalty_account(pilot: Pilot[None], name: str, secrets: dict[str, str]) -> None:
    """`a`, then the form filled for a Heyloyalty account on the test's sandbox, then Add."""
    await settle(pilot)
    await pilot.press("a")
    await settle(pilot)
    form = pilot.app.screen
    form.query_one("#platform", Select).value = "heyloyalty"
    await settle(pilot)
    for field, value in {"name": name, "base_url": f"http://localhost{PREFIX}", **secrets}.items():
        form.query_one(f"#field-{field}", Input).value = value
    await pilot.click("#save")
    await settle(pilot)


async def test_add_account_saves_it_and_checks_it(configured: Session) -> None:
    app = AudienceApp(configured)
    async with app.run_test(size=SIZE) as pilot:
        await add_heyloyalty_account(pilot, "shop2", DEMO_SECRETS)
        assert AccountStore().names() == ["shop", "wrong", "shop2"]
        assert AccountStore().secrets(AccountStore().get("shop2")) == DEMO_SECRETS
        shown = {r[0]: r[3] for r in rows(app.screen.query_one(DataTable))}
        assert shown["shop2"] == "✓ ok"


async def test_a_failed_check_brings_the_form_back_as_filled_in(configured: Session) -> None:
    """Wrong secrets: nothing saved, and the form is back with every value and what the check
    met, so one corrected field and Add save it."""
    app = AudienceApp(configured)
    wrong = {**DEMO_SECRETS, "api_secret": "typo"}
    async with app.run_test(size=SIZE) as pilot:
        await add_heyloyalty_account(pilot, "shop2", wrong)
        form = app.screen
        assert isinstance(form, AccountFormScreen) and form.problem
        assert AccountStore().names() == ["shop", "wrong"]
        assert form.query_one("#platform", Select).value == "heyloyalty"
        for field, value in {
            "name": "shop2",
            "base_url": f"http://localhost{PREFIX}",
            **wrong,
        }.items():
            assert form.query_one(f"#field-{field}", Input).value == value
        said = str(form.query_one("#error-check", Static).render())  # at the top, in view
        assert "nothing was saved" in said and "typo" not in said
        form.query_one("#field-api_secret", Input).value = DEMO_SECRETS["api_secret"]
        await pilot.click("#save")
        await settle(pilot)
        assert AccountStore().names() == ["shop", "wrong", "shop2"]
        assert not isinstance(app.screen, AccountFormScreen)


async def test_demo_accounts_cannot_be_removed(sandbox: Sandbox) -> None:
    session = demo_session(sandbox)
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert "Demo accounts are built in and cannot be removed." in notifications(app)
        assert len(rows(app.screen.query_one(DataTable))) == len(session.accounts)
        await pilot.press("a", "escape")  # a dialog opened and closed: the refusal is not left
        await settle(pilot)
        detail = str(app.screen.query_one("#detail").render())
        assert "cannot be removed" not in detail and detail.startswith("⏎: lists of")
    await session.aclose()


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> dict[str, AudienceApp]:
    """Stand in for running the app: record the app `launch` built instead."""
    seen: dict[str, AudienceApp] = {}

    async def run_async(self: AudienceApp) -> None:
        seen["app"] = self

    monkeypatch.setattr(AudienceApp, "run_async", run_async)
    return seen


@pytest.mark.parametrize("demo", [True, False])
def test_launch_runs_the_demo_when_asked_or_nothing_is_configured(
    sandbox: Sandbox, ran: dict[str, AudienceApp], demo: bool
) -> None:
    assert launch(argparse.Namespace(demo=demo, faults=None)) == 0
    app = ran["app"]
    assert app.first_run_hint == DEMO_HINT and app.sandbox is not None
    assert app.session.accounts and all(a.demo for a in app.session.accounts)


def test_launch_uses_the_configured_accounts(sandbox: Sandbox, ran: dict[str, AudienceApp]) -> None:
    AccountStore().add(SHOP, DEMO_SECRETS)
    assert launch(argparse.Namespace(demo=False, faults=None)) == 0
    app = ran["app"]
    assert app.first_run_hint is None and app.sandbox is None
    assert [a.name for a in app.session.accounts] == ["shop"]


def test_launch_refuses_a_bad_fault_spec(ran: dict[str, AudienceApp]) -> None:
    assert launch(argparse.Namespace(demo=True, faults="nonsense=1")) == 2
    assert "app" not in ran


async def test_add_account_with_wrong_credentials_saves_nothing(configured: Session) -> None:
    app = AudienceApp(configured)
    async with app.run_test(size=SIZE) as pilot:
        await add_heyloyalty_account(pilot, "typo", {**DEMO_SECRETS, "api_secret": "not-it"})
        assert AccountStore().names() == ["shop", "wrong"]
        assert isinstance(app.screen, AccountFormScreen)  # back to be corrected, or left:
        await pilot.press("escape")
        await settle(pilot)
        assert "typo" not in {r[0] for r in rows(app.screen.query_one(DataTable))}
