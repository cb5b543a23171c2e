"""The demo accounts: the five platforms served by the sandbox, in-process or over loopback."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from ..core.models import Account
from ..core.session import Session
from .app import PLATFORMS, create_app, platform_module
from .faults import FaultMiddleware, FaultSpec
from .store import Store

# In-process requests never leave the process; the host name only has to be well formed.
IN_PROCESS_HOST = "http://sandbox.invalid"


def demo_accounts(host: str = IN_PROCESS_HOST) -> list[tuple[Account, dict[str, str]]]:
    """(account, secrets) of the five demo accounts, demo-placewise ... demo-heyloyalty."""
    out = []
    for name in PLATFORMS:
        module = platform_module(name)
        account = Account(
            name=f"demo-{name}",
            platform=name,
            base_url=f"{host}{module.PREFIX}",
            settings=dict(module.DEMO_SETTINGS),
            demo=True,
        )
        out.append((account, dict(module.DEMO_SECRETS)))
    return out


@dataclass
class Sandbox:
    """A running in-process sandbox: its store, app and the transport adapters connect through."""

    store: Store
    app: FaultMiddleware
    transport: httpx.AsyncBaseTransport

    @classmethod
    def start(cls, store: Store | None = None, faults: FaultSpec = FaultSpec()) -> Sandbox:
        store = store or Store.open()
        app = create_app(store, faults, in_process=True)
        return cls(store=store, app=app, transport=httpx.ASGITransport(app=app))


def demo_session(sandbox: Sandbox | None = None, **options: object) -> Session:
    """A Session over the five demo accounts, all served by one in-process sandbox."""
    sandbox = sandbox or Sandbox.start()
    pairs = demo_accounts()
    secrets = {account.name: values for account, values in pairs}
    return Session(
        [account for account, _ in pairs],
        lambda account: secrets[account.name],
        transport_for=lambda account: sandbox.transport if account.demo else None,
        **options,  # type: ignore[arg-type]
    )
