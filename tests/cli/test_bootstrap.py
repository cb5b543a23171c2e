"""The composition root decides demo-or-configured, faults, settings and session in one place."""

from __future__ import annotations

import pytest

from audience_tui.bootstrap import DEMO_HINT, open_root
from audience_tui.core.accounts import AccountStore
from audience_tui.core.errors import ConfigError
from audience_tui.core.models import Account
from audience_tui.demo import DeferredSandbox, Sandbox
from audience_tui.sandbox.heyloyalty.routes import DEMO_SECRETS, PREFIX
from audience_tui.sandbox.store import Store

SHOP = Account("shop", "heyloyalty", base_url=f"http://localhost{PREFIX}")


def small_store(sandbox: Sandbox) -> Store:
    return Store.open(sandbox.store.path, big_lists=False)


def test_the_users_accounts_are_required_when_the_demo_is_not_asked_for() -> None:
    with pytest.raises(ConfigError, match="no accounts yet"):
        open_root(demo=False)


def test_the_demo_until_an_account_is_added(sandbox: Sandbox) -> None:
    root = open_root(demo=None, store=small_store(sandbox), deferred=True)
    assert isinstance(root.demo, DeferredSandbox) and root.hint == DEMO_HINT
    assert all(a.demo for a in root.session.accounts)

    AccountStore().add(SHOP, DEMO_SECRETS)
    root = open_root(demo=None)
    assert root.demo is None and root.hint is None
    assert [a.name for a in root.session.accounts] == ["shop"]
    assert open_root(demo=True, store=small_store(sandbox)).demo is not None


def test_faults_are_checked_and_reach_the_sandbox(sandbox: Sandbox) -> None:
    with pytest.raises(ConfigError, match="--faults: unknown fault"):
        open_root(demo=True, fault_spec="nonsense=1")
    root = open_root(demo=True, fault_spec="latency=5ms", store=small_store(sandbox))
    assert isinstance(root.demo, Sandbox) and root.demo.app.spec.latency == 0.005


async def test_the_backoff_wait_reaches_every_adapter(sandbox: Sandbox) -> None:
    async def no_wait(seconds: float) -> None:
        """Never waits."""

    root = open_root(demo=True, store=small_store(sandbox), sleep=no_wait)
    provider = root.session.provider("demo-emma")
    assert provider.http._sleep is no_wait
    await root.session.aclose()
