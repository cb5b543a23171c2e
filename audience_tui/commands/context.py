"""What every subcommand handler gets: the session, the account store, streams and prompts."""

from __future__ import annotations

import getpass
import sys
import time
from collections.abc import Awaitable, Callable
from functools import cached_property
from typing import TYPE_CHECKING, TextIO

from ..bootstrap import Root, Sleep, open_root
from ..core.errors import ConfigError, ValidationError
from ..core.session import Session

if TYPE_CHECKING:
    import argparse

    from ..core.accounts import AccountStore
    from ..core.models import Audience
    from ..demo import BuildProgress, Sandbox

Handler = Callable[["argparse.Namespace", "Context"], Awaitable[int]]


class Context:
    def __init__(
        self,
        args: argparse.Namespace,
        *,
        out: TextIO | None = None,
        err: TextIO | None = None,
        stdin: TextIO | None = None,
        sleep: Sleep | None = None,
        started: float | None = None,
    ) -> None:
        self.args = args
        # When the person asked (a time.monotonic()): actions' deadlines count from here, not
        # from when the app was ready (its start-up and the demo's sandbox take their share).
        self.started = time.monotonic() if started is None else started
        self.demo: bool = bool(getattr(args, "demo", False))
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.stdin = stdin or sys.stdin
        self._sleep = sleep

    def prompt_secret(self, label: str) -> str:
        """Ask for a secret without echo at a terminal; when stdin is a pipe
        (`printf ... | audience-tui accounts add`), take its next line, as getpass would after
        warning that it cannot hide what is typed (never from argv, never logged)."""
        if self.stdin.isatty():
            return getpass.getpass(f"{label}: ")
        line = self.stdin.readline()
        if not line:
            raise ValidationError(
                f"no {label} on stdin (not a terminal): give each secret on a line of its own"
            )
        return line.rstrip("\r\n")

    @cached_property
    def store(self) -> AccountStore:
        from ..core.accounts import AccountStore

        return AccountStore()

    @cached_property
    def root(self) -> Root:
        """The session (the demo's with --demo, else the user's accounts) and the settings; the
        settings file's problems are warned about once."""
        faults = getattr(self.args, "faults", None)
        root = open_root(demo=self.demo, fault_spec=faults, sleep=self._sleep)
        for problem in root.loaded.problems:
            print(f"warning: {problem}", file=self.err)
        return root

    @property
    def sandbox(self) -> Sandbox:
        """The demo's in-process sandbox (with --demo), started on first use."""
        from ..demo import Sandbox

        demo = self.root.demo if self.demo else None
        if not isinstance(demo, Sandbox):
            raise ConfigError("the demo sandbox is there with --demo only")
        return demo

    @property
    def session(self) -> Session:
        """The demo accounts with --demo, else the configured accounts."""
        return self.root.session

    def building(self, account: str, audience: Audience) -> BuildProgress | None:
        """The demo build still filling `audience` (with --demo, once the sandbox runs), if any."""
        if not self.demo or "root" not in self.__dict__:
            return None
        build = self.sandbox.progress(self.session.account(account), audience.id)
        return build if build is not None and not build.finished else None

    async def run(self, handler: Handler) -> int:
        try:
            return await handler(self.args, self)
        finally:
            if "root" in self.__dict__:  # a session was opened
                if self.demo:  # the in-process platforms end with this command
                    await self.sandbox.drain()
                await self.root.session.aclose()
