"""`audience-tui` without a subcommand: build the session, run the app, close the session.

With `--demo`, or when no account is configured yet, the app runs on the in-process sandbox's
demo accounts and says how to add a real one. The settings file gives the session its request
timeout and audit file, and the app everything else (see core/settings.py).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from collections.abc import Callable, Mapping

from ..core.errors import AudienceError
from ..core.models import Account
from ..core.session import Session
from ..core.settings import load

DEMO_HINT = (
    "Demo data. Add your own account: press a, or run  audience-tui accounts add PLATFORM NAME"
)


def configured() -> tuple[list[Account], Callable[[Account], Mapping[str, str]]] | None:
    """The user's accounts and their secrets loader, or None when there are none (yet)."""
    try:
        from ..core.accounts import AccountStore
    except ImportError:
        return None
    store = AccountStore()
    accounts = store.accounts()
    return (accounts, store.secrets) if accounts else None


def launch(args: argparse.Namespace) -> int:
    """Run the app. The cyclic garbage collector is paused until its first frame: start-up
    creates ~70,000 objects that live on (modules, classes, styles), and the hundred or so
    collections they would trigger find almost nothing (~50 ms); `AudienceApp.on_ready` resumes
    it."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _launch(args)
    finally:
        if collecting:
            gc.enable()


def _launch(args: argparse.Namespace) -> int:
    from ..demo import DeferredSandbox, FaultSpec, demo_session
    from .app import AudienceApp

    try:
        found = None if args.demo else configured()
        faults = FaultSpec.parse(getattr(args, "faults", None))
    except (AudienceError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return getattr(exc, "exit_code", 2)
    loaded = load()
    options = loaded.settings.session_options()
    if found is None:
        sandbox: DeferredSandbox | None = DeferredSandbox(faults=faults)
        session = demo_session(sandbox, **options)
        hint: str | None = DEMO_HINT
    else:
        sandbox, hint = None, None
        session = Session(*found, **options)
    app = AudienceApp(session, sandbox=sandbox, first_run_hint=hint, settings=loaded)

    async def run() -> None:
        try:
            await app.run_async()
        finally:
            await session.aclose()

    asyncio.run(run())
    return app.return_code or 0
