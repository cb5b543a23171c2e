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

from ..bootstrap import open_root
from ..core.errors import AudienceError


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
    from .app import AudienceApp

    try:
        root = open_root(
            demo=True if args.demo else None,
            fault_spec=getattr(args, "faults", None),
            deferred=True,  # the first frame does not wait for the sandbox
        )
    except AudienceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    session = root.session
    app = AudienceApp.of(root)

    async def run() -> None:
        try:
            await app.run_async()
        finally:
            await session.aclose()

    asyncio.run(run())
    return app.return_code or 0
