"""The demo: the five demo accounts served by the sandbox, in-process or over loopback.

The one way the app and the commands reach the sandbox (its import contract says so): sessions
over the demo accounts, and how far the demo's big lists have been built. The sandbox itself
knows nothing of the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from ..core.models import Account
from ..core.session import Session
from ..sandbox.demo_credentials import DEMO
from ..sandbox.faults import FaultSpec
from ..sandbox.store import BuildProgress, Store

if TYPE_CHECKING:
    import httpx

    from ..sandbox.faults import FaultMiddleware

__all__ = [
    "IN_PROCESS_HOST",
    "BuildProgress",
    "DeferredSandbox",
    "FaultSpec",
    "Sandbox",
    "demo_accounts",
    "demo_session",
]

# In-process requests never leave the process; the host name only has to be well formed.
IN_PROCESS_HOST = "http://sandbox.invalid"


def demo_accounts(host: str = IN_PROCESS_HOST) -> list[tuple[Account, dict[str, str]]]:
    """(account, secrets) of the five demo accounts, demo-placewise ... demo-heyloyalty."""
    return [
        (
            Account(
                name=f"demo-{name}",
                platform=name,
                base_url=f"{host}{demo.prefix}",
                settings=dict(demo.settings),
                demo=True,
            ),
            dict(demo.secrets),
        )
        for name, demo in DEMO.items()
    ]


class Builds:
    """How far the demo's big lists have been built, by the account and list id they fill."""

    store: Store

    def builds(self, account: Account) -> list[BuildProgress]:
        """The builds of `account`'s lists (none for an account that is not a demo one)."""
        if not account.demo:
            return []
        return [b for b in self.store.builds.values() if b.platform == account.platform]

    def progress(self, account: Account, audience_id: str) -> BuildProgress | None:
        """The (first) build that fills list `audience_id` of `account`, if there is one."""
        return next((b for b in self.builds(account) if b.audience_id == audience_id), None)


@dataclass
class Sandbox(Builds):
    """A running in-process sandbox: its store, app and the transport adapters connect through."""

    store: Store
    app: FaultMiddleware
    transport: httpx.AsyncBaseTransport

    @classmethod
    def start(cls, store: Store | None = None, faults: FaultSpec = FaultSpec()) -> Sandbox:
        # Imported here: the five platforms, Starlette and httpx are what DeferredSandbox defers.
        import httpx

        from ..sandbox.app import create_app

        store = store or Store.open()
        app = create_app(store, faults, in_process=True)
        return cls(store=store, app=app, transport=httpx.ASGITransport(app=app))

    async def drain(self) -> None:
        """Let the emulated platforms finish the work they accepted (imports) before the
        process that serves them ends."""
        from ..sandbox.app import drain

        await drain(self.store)


class DeferredSandbox(Builds):
    """The app's demo sandbox, started by its first request instead of before the first frame.

    Starting it imports the five platforms and Starlette and installs their data: ~60-90 ms
    that held back the first frame of every demo start, and seconds on the first one, which seeds
    the database (behind a blank terminal). Its transport (with httpx) is made for the first
    adapter, after the first frame too; see `starting.StartingTransport` for the start itself.
    """

    def __init__(self, store: Store | None = None, faults: FaultSpec = FaultSpec()) -> None:
        self.store = store or Store.open()
        self.faults = faults

    @cached_property
    def transport(self) -> httpx.AsyncBaseTransport:
        from .starting import StartingTransport

        return StartingTransport(lambda: Sandbox.start(self.store, self.faults))


def demo_session(sandbox: Sandbox | DeferredSandbox | None = None, **options: object) -> Session:
    """A Session over the five demo accounts, all served by one in-process sandbox."""
    served = sandbox or Sandbox.start()
    pairs = demo_accounts()
    secrets = {account.name: values for account, values in pairs}
    return Session(
        [account for account, _ in pairs],
        lambda account: secrets[account.name],
        transport_for=lambda account: served.transport if account.demo else None,
        **options,  # type: ignore[arg-type]
    )
