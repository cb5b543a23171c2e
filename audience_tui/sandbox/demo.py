"""The demo accounts: the five platforms served by the sandbox, in-process or over loopback."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from ..core.models import Account
from ..core.session import Session
from .demo_credentials import DEMO
from .faults import FaultSpec
from .store import Store

if TYPE_CHECKING:
    import httpx

    from .faults import FaultMiddleware

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


@dataclass
class Sandbox:
    """A running in-process sandbox: its store, app and the transport adapters connect through."""

    store: Store
    app: FaultMiddleware
    transport: httpx.AsyncBaseTransport

    @classmethod
    def start(cls, store: Store | None = None, faults: FaultSpec = FaultSpec()) -> Sandbox:
        # Imported here: the five platforms, Starlette and httpx are what DeferredSandbox defers.
        import httpx

        from .app import create_app

        store = store or Store.open()
        app = create_app(store, faults, in_process=True)
        return cls(store=store, app=app, transport=httpx.ASGITransport(app=app))


class DeferredSandbox:
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
