"""What every subcommand handler gets: the session, the account store, streams and prompts."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any, TextIO

from ..core.errors import ConfigError
from ..core.session import Session
from ..core.settings import Settings, load

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
    ) -> None:
        self.args = args
        self.demo: bool = bool(getattr(args, "demo", False))
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.stdin = stdin or sys.stdin
        self._session: Session | None = None

    @classmethod
    @contextmanager
    def open(cls, args: argparse.Namespace, **streams: Any) -> Iterator[Context]:
        yield cls(args, **streams)

    def prompt_secret(self, label: str) -> str:
        """Ask for a secret without echo (never from argv, never logged)."""
        return getpass.getpass(f"{label}: ")

    @cached_property
    def store(self) -> AccountStore:
        from ..core.accounts import AccountStore

        return AccountStore()

    @cached_property
    def sandbox(self) -> Sandbox:
        """The in-process sandbox (with --demo), started on first use."""
        from ..demo import Sandbox
        from ..sandbox.faults import FaultSpec

        try:
            faults = FaultSpec.parse(getattr(self.args, "faults", None))
        except ValueError as exc:
            raise ConfigError(f"--faults: {exc}") from None
        return Sandbox.start(faults=faults)

    @cached_property
    def settings(self) -> Settings:
        """The settings file's values (its request timeout and audit file apply here too)."""
        loaded = load()
        for problem in loaded.problems:
            print(f"warning: {problem}", file=self.err)
        return loaded.settings

    @property
    def session(self) -> Session:
        """The demo accounts with --demo, else the configured accounts."""
        if self._session is None:
            if self.demo:
                from ..demo import demo_session

                self._session = demo_session(self.sandbox, **self.settings.session_options())
            else:
                accounts = self.store.accounts()
                if not accounts:
                    raise ConfigError(
                        "no accounts yet: add one with `audience-tui accounts add PLATFORM NAME`,"
                        " or try everything on the built-in sandbox with --demo"
                    )
                options = self.settings.session_options()
                self._session = Session(accounts, self.store.secrets, **options)
        return self._session

    def building(self, account: str, audience: Audience) -> BuildProgress | None:
        """The demo build still filling `audience` (with --demo, once the sandbox runs), if any."""
        if not self.demo or "sandbox" not in self.__dict__:
            return None
        build = self.sandbox.progress(self.session.account(account), audience.id)
        return build if build is not None and not build.finished else None

    async def run(self, handler: Handler) -> int:
        try:
            return await handler(self.args, self)
        finally:
            if "sandbox" in self.__dict__:  # the in-process platforms end with this command
                await self.sandbox.drain()
            if self._session is not None:
                await self._session.aclose()
