"""Shared by the adapters' `probe` modules: one check, run so that a platform error makes it
`could not check` (with the error) instead of ending the probe."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ..core.errors import AudienceError
from ..core.models import Check, Verdict

Finding = tuple[Verdict, str]


async def checked(assumption: str, run: Callable[[], Awaitable[Finding]]) -> Check:
    try:
        verdict, evidence = await run()
    except AudienceError as exc:
        return Check(assumption, "could not check", f"the platform answered: {exc}")
    return Check(assumption, verdict, evidence)


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")
