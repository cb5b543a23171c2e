"""The demo accounts: the five platforms served by the sandbox, in-process or over loopback."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from ..core.models import Account
from ..core.session import Session
from .demo_credentials import DEMO
from .faults import FaultSpec
from .store import Store

if TYPE_CHECKING:
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
        # Imported here: the five platforms and Starlette are what `DeferredSandbox` defers.
        from .app import create_app

        store = store or Store.open()
        app = create_app(store, faults, in_process=True)
        return cls(store=store, app=app, transport=httpx.ASGITransport(app=app))


class DeferredSandbox(httpx.AsyncBaseTransport):
    """The app's demo sandbox, started by its first request instead of before the first frame.

    Starting it imports the five platforms and Starlette and installs their data: ~60-90 ms
    that held back the first frame of every demo start, and seconds on the first one, which seeds
    the database (behind a blank terminal). It starts once, in a worker thread, so the screen
    stays live meanwhile; every request waits for that one start, and a request given up (its
    deadline) leaves it running for the next. A start that fails fails each request as a
    connection error that says why.
    """

    def __init__(self, store: Store | None = None, faults: FaultSpec = FaultSpec()) -> None:
        self.store = store or Store.open()
        self.faults = faults
        self._started: asyncio.Future[Sandbox] | None = None

    @property
    def transport(self) -> httpx.AsyncBaseTransport:
        return self

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._started is None:
            self._started = asyncio.ensure_future(
                asyncio.to_thread(Sandbox.start, self.store, self.faults)
            )
        try:
            sandbox = await asyncio.shield(self._started)
        except Exception as exc:
            raise httpx.ConnectError(f"the demo sandbox did not start: {exc}") from exc
        return await sandbox.transport.handle_async_request(request)


def demo_session(sandbox: Sandbox | DeferredSandbox | None = None, **options: object) -> Session:
    """A Session over the five demo accounts, all served by one in-process sandbox."""
    sandbox = sandbox or Sandbox.start()
    pairs = demo_accounts()
    secrets = {account.name: values for account, values in pairs}
    transport = sandbox.transport
    return Session(
        [account for account, _ in pairs],
        lambda account: secrets[account.name],
        transport_for=lambda account: transport if account.demo else None,
        **options,  # type: ignore[arg-type]
    )
