"""The composition root: which accounts (the demo's or the user's), the demo sandbox's faults,
the settings, and the session over them. The app, the commands, `serve` and the screenshot
scripts all start here, so they decide these things the same way.

The demo (and with it the sandbox) is imported only when it is used: a user's own accounts never
load the emulator.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .core.errors import ConfigError
from .core.models import Account
from .core.session import SecretsLoader, Session
from .core.settings import Loaded, load

if TYPE_CHECKING:
    from .demo import DeferredSandbox, FaultSpec, Sandbox
    from .sandbox.store import Store

DEMO_HINT = (
    "Demo data. Add your own account: press a, or run  audience-tui accounts add PLATFORM NAME"
)
NO_ACCOUNTS = (
    "no accounts yet: add one with `audience-tui accounts add PLATFORM NAME`,"
    " or try everything on the built-in sandbox with --demo"
)
Sleep = Callable[[float], Awaitable[None]]


@dataclass
class Root:
    """What a run of the app or of a command works with."""

    session: Session
    loaded: Loaded  # the settings, with what was wrong in the file
    demo: Sandbox | DeferredSandbox | None  # the demo sandbox, None on the user's accounts

    @property
    def hint(self) -> str | None:
        """What the app says first: on the demo, how to add an account of one's own."""
        return DEMO_HINT if self.demo is not None else None


def faults(spec: str | None) -> FaultSpec:
    """`--faults` as the demo sandbox's fault spec, or ConfigError saying what is wrong."""
    from .demo import FaultSpec

    try:
        return FaultSpec.parse(spec)
    except ValueError as exc:
        raise ConfigError(f"--faults: {exc}") from None


def open_root(
    *,
    demo: bool | None,
    fault_spec: str | None = None,
    loaded: Loaded | None = None,
    store: Store | None = None,
    deferred: bool = False,
    sleep: Sleep | None = None,
) -> Root:
    """The session over the demo accounts (`demo` true), the user's accounts (false: ConfigError
    when there are none), or whichever there is (None: the demo until an account is added).

    `deferred` starts the demo sandbox on its first request rather than now (the app's first
    frame does not wait for it); `store` is the sandbox's database (default: the user cache's);
    `sleep` is the retry backoff's wait (tests pass one that does not wait).
    """
    loaded = loaded or load()
    options = loaded.settings.session_options()
    if sleep is not None:
        options["client_options"] = {**options["client_options"], "sleep": sleep}
    found = None if demo else _configured()
    if found is None and demo is False:
        raise ConfigError(NO_ACCOUNTS)
    if found is not None:
        accounts, secrets = found
        return Root(Session(accounts, secrets, **options), loaded, None)
    from .demo import DeferredSandbox, Sandbox, demo_session

    spec = faults(fault_spec)
    sandbox = DeferredSandbox(store, spec) if deferred else Sandbox.start(store, spec)
    return Root(demo_session(sandbox, **options), loaded, sandbox)


def _configured() -> tuple[list[Account], SecretsLoader] | None:
    """The user's accounts and their secrets loader, or None when there are none (yet)."""
    from .core.accounts import AccountStore

    store = AccountStore()
    accounts = store.accounts()
    return (accounts, store.secrets) if accounts else None
