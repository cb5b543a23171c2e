"""Each action answers within its deadline (core.deadlines): a platform that never answers is
reported as such, and what the others answered is shown."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from audience_tui.core import deadlines
from audience_tui.core.deadlines import DeadlineError
from audience_tui.core.session import Session
from audience_tui.demo import Sandbox, demo_accounts

EMAIL = "henrik.johnsen2100@mail.example.no"  # on several demo platforms, Heyloyalty among them


class Silent(httpx.AsyncBaseTransport):
    """A platform that takes every request and never answers."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


@pytest.fixture
def silent_heyloyalty(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Session:
    monkeypatch.setattr(deadlines, "LOOKUP", 3.0)  # the healthy accounts answer well within it
    monkeypatch.setattr(deadlines, "LISTS", 3.0)
    pairs = demo_accounts()
    secrets = {account.name: values for account, values in pairs}
    silent = Silent()
    return Session(
        [account for account, _ in pairs],
        lambda account: secrets[account.name],
        transport_for=lambda a: silent if a.platform == "heyloyalty" else sandbox.transport,
    )


async def test_a_lookup_shows_what_answered_and_names_the_platform_that_did_not(
    silent_heyloyalty: Session,
) -> None:
    async with asyncio.timeout(30):  # without deadlines the lookup waits forever
        results = {r.account.platform: r for r in await silent_heyloyalty.lookup(EMAIL)}
    late = results.pop("heyloyalty")
    assert isinstance(late.error, DeadlineError) and late.error.exit_code == 4
    assert "no answer within 3 s" in str(late.error) and "try again" in str(late.error)
    assert not any(r.error for r in results.values())
    assert any(r.members for r in results.values())  # the others' answers are kept
    await silent_heyloyalty.aclose()


async def test_lists_end_at_their_deadline(silent_heyloyalty: Session) -> None:
    with pytest.raises(DeadlineError, match="demo-heyloyalty's lists"):
        async with asyncio.timeout(30):  # without deadlines the lists never come
            await silent_heyloyalty.audiences("demo-heyloyalty")
    assert await silent_heyloyalty.audiences("demo-emma")
    await silent_heyloyalty.aclose()


def test_a_lookup_keeps_what_it_found_when_the_list_names_cannot_be_read(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI reads list names and field labels after the lookup: when that fails, the rows
    are printed with list ids, not lost to the error."""
    from audience_tui.cli import main
    from audience_tui.core.errors import AuthError
    from audience_tui.providers.kajabi.adapter import KajabiProvider

    async def denied(self: KajabiProvider) -> None:
        raise AuthError("token revoked", platform="Kajabi")

    monkeypatch.setattr(KajabiProvider, "audiences", denied)
    code = main(["--demo", "lookup", "lucas.muller0@example.se", "--account", "demo-kajabi"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "lucas.muller0@example.se" in out
    assert "list names and field labels not shown" in err and "token revoked" in err


async def test_a_deadline_counted_from_an_earlier_start_ends_sooner() -> None:
    """`until` (the command's start plus the deadline) cuts the wait: what the app spent getting
    ready is not added to the person's wait. Past it, the work is not waited for at all."""
    never = asyncio.Event()
    with pytest.raises(DeadlineError, match="no answer within 10 s, the deadline for a test"):
        async with asyncio.timeout(30):  # without `until`, this would wait the whole 10 s
            await deadlines.within(10, "a test", never.wait(), until=time.monotonic() - 1)
    assert await deadlines.within(10, "a test", asyncio.sleep(0, "done"), until=None) == "done"
