"""Opt-outs, reads and the screens under the sandbox's injected faults, on every platform: an
opt-out ends confirmed by read-back or recorded as failed with a retry that works once the fault
clears; it is never reported done when it was not and never sent twice; expired tokens are renewed
(Ownpage, Kajabi) or reported; the CLI and the table say what went wrong in words."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from textual.pilot import Pilot

from audience_tui.cli import main
from audience_tui.core.errors import AudienceError, AuthError
from audience_tui.core.http import RetryPolicy
from audience_tui.core.models import Member, MemberStatus, PageRequest, Query
from audience_tui.core.platforms import create
from audience_tui.core.session import Session
from audience_tui.core.timeouts import Timeouts
from audience_tui.demo import Sandbox, demo_accounts
from audience_tui.sandbox.faults import FaultSpec
from audience_tui.sandbox.kajabi import routes as kajabi_sandbox
from audience_tui.sandbox.ownpage import query as ownpage_db
from audience_tui.sandbox.people import person
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens.help import HelpScreen
from audience_tui.tui.screens.members import MembersScreen

PLATFORMS = ["heyloyalty", "emma", "ownpage", "kajabi", "placewise"]
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Recording(httpx.AsyncBaseTransport):
    """The sandbox transport, noting each write that reached it (token requests aside)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.writes: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method in WRITES and "token" not in request.url.path:
            self.writes.append(f"{request.method} {request.url.path}")
        return await self.inner.handle_async_request(request)


class Held(httpx.AsyncBaseTransport):
    """The sandbox transport; once `hold()` is called, every request waits for `release()`: a
    latency spike exactly as long as the test wants, whatever the machine's load."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.released = asyncio.Event()
        self.released.set()

    def hold(self) -> None:
        self.released.clear()

    def release(self) -> None:
        self.released.set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self.released.wait()
        return await self.inner.handle_async_request(request)


async def no_wait(seconds: float) -> None:
    """Backoff and Retry-After waits, skipped: the tests check what is retried, not how long."""


def session_over(sandbox: Sandbox, transport: httpx.AsyncBaseTransport, **options: object):
    pairs = demo_accounts()
    secrets = {account.name: values for account, values in pairs}
    return Session(
        [account for account, _ in pairs],
        lambda account: secrets[account.name],
        transport_for=lambda account: transport,
        client_options={"sleep": no_wait, **options},
    )


@pytest.fixture
async def recorded(sandbox: Sandbox) -> AsyncIterator[tuple[Session, Recording]]:
    recording = Recording(sandbox.transport)
    # Two tries, not four: a read under a fault is still retried (and a write, were it retried
    # by mistake, would show twice), and a read that hangs costs two timeouts, not four.
    session = session_over(
        sandbox,
        recording,
        timeouts=Timeouts(connect=0.2, read=0.3),
        retry=RetryPolicy(attempts=2),
    )
    yield session, recording
    await session.aclose()


async def active_member(session: Session, platform: str) -> Member:
    provider = session.provider(f"demo-{platform}")
    audience = (await provider.audiences())[0]
    page = await provider.members(audience, Query(), PageRequest(20))
    return next(m for m in page.members if m.status is MemberStatus.ACTIVE)


FAULTS = {
    "5xx": FaultSpec(server_error=1.0, seed=1),
    "drop": FaultSpec(drop=1.0),
    "timeout": FaultSpec(timeout=1.0, hang=5),
    "malformed": FaultSpec(malformed=1.0),
    "truncated": FaultSpec(truncate=1.0),
}


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("platform", PLATFORMS)
async def test_opt_out_under_a_fault_is_recorded_unknown_then_retried(
    platform: str, fault: str, sandbox: Sandbox, recorded: tuple[Session, Recording]
) -> None:
    session, recording = recorded
    account = f"demo-{platform}"
    member = await active_member(session, platform)
    recording.writes.clear()
    sandbox.app.spec = FAULTS[fault]
    outcome = await session.opt_out(account, member)
    assert not outcome.confirmed and outcome.error is not None  # never reported done
    assert isinstance(outcome.error, AudienceError) and outcome.error.detail
    assert len(recording.writes) <= 1  # a write is never repeated after a fault
    actions = [e["action"] for e in session.audit.read()]
    # the read-back meets the fault too, so whether the write landed cannot be told
    assert actions == ["opt_out.attempt", "opt_out.unknown"] and outcome.unknown

    sandbox.app.spec = FaultSpec()  # the fault clears: the retry the user is offered works
    retry = await session.opt_out(account, member)
    assert retry.confirmed and retry.after is not None
    assert retry.after.status is MemberStatus.OPTED_OUT
    actions = [e["action"] for e in session.audit.read()]
    # the retry reads back first: a write the platform applied (its answer garbled) is settled
    # confirmed without being sent again
    assert actions[-1] == "opt_out.confirmed"
    assert actions.count("opt_out.attempt") == 1 + retry.sent
    after = await session.provider(account).member(
        next(a for a in await session.provider(account).audiences() if a.id == member.audience_id),
        member.id,
    )
    assert after.status is MemberStatus.OPTED_OUT


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_opt_out_waits_out_429_and_is_confirmed(platform: str, sandbox: Sandbox) -> None:
    waits: list[float] = []

    async def wait(seconds: float) -> None:  # the Retry-After passes, and so does the limit
        waits.append(seconds)
        sandbox.app.spec = FaultSpec()

    session = session_over(sandbox, sandbox.transport, sleep=wait)
    try:
        member = await active_member(session, platform)
        sandbox.app.spec = FaultSpec(rate_limit=1.0, retry_after=3)
        outcome = await session.opt_out(f"demo-{platform}", member)
        assert waits == [3.0]
    finally:
        await session.aclose()
    assert outcome.confirmed, outcome.error
    assert [e["action"] for e in session.audit.read()] == ["opt_out.attempt", "opt_out.confirmed"]


@pytest.mark.parametrize("platform", ["ownpage", "kajabi"])
async def test_expired_tokens_are_renewed(
    platform: str, sandbox: Sandbox, recorded: tuple[Session, Recording]
) -> None:
    session, _ = recorded
    provider = session.provider(f"demo-{platform}")
    assert await provider.audiences()
    if platform == "ownpage":
        sandbox.store.write(ownpage_db.expire_all_tokens)
    else:
        kajabi_sandbox.expire_tokens()
    assert await provider.audiences()  # re-authenticated without the user noticing


@pytest.mark.parametrize("platform", ["heyloyalty", "emma", "placewise"])
async def test_rejected_credentials_are_reported(platform: str, sandbox: Sandbox) -> None:
    account, secrets = next((a, s) for a, s in demo_accounts() if a.platform == platform)
    wrong = {key: value + "-revoked" for key, value in secrets.items()}
    async with create(account, wrong, transport=sandbox.transport, sleep=no_wait) as provider:
        with pytest.raises(AuthError) as info:
            await provider.audiences()
    assert "check the" in str(info.value) and "-revoked" not in str(info.value)


@pytest.mark.parametrize(
    ("faults", "words"),
    [
        ("5xx=1,seed=2", "HTTP 50"),
        ("malformed=1", "not valid JSON"),
    ],
)
def test_cli_says_what_went_wrong(
    faults: str, words: str, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--demo", "--faults", faults, "lists", "demo-emma"], sleep=no_wait)
    err = capsys.readouterr().err
    assert code == 4 and words in err and "Traceback" not in err, err
    spec = "429=0.3,retry_after=0,seed=3"
    assert main(["--demo", "--faults", spec, "lists", "demo-emma"], sleep=no_wait) == 0


def test_cli_opt_out_under_faults_fails_honestly(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    email = person(2500).email
    code = main(["--demo", "--faults", "5xx=1,seed=4", "optout", email, "--yes"], sleep=no_wait)
    captured = capsys.readouterr()
    assert code != 0
    assert "confirmed" not in captured.out.lower() or "not confirmed" in captured.out.lower()
    assert main(["--demo", "optout", email, "--yes"]) == 0
    capsys.readouterr()
    assert main(["--demo", "lookup", email, "--format", "jsonl"]) == 0
    out = capsys.readouterr().out
    assert '"status": "active"' not in out  # every membership opted out after the retry


@asynccontextmanager
async def members_under(
    sandbox: Sandbox, platform: str, faults: FaultSpec, held: Held | None = None
) -> AsyncIterator[tuple[Pilot[None], MembersScreen]]:
    """The app showing the platform's first list, opened while `faults` hold (and `held`
    holds every request, when given)."""
    session = session_over(sandbox, held or sandbox.transport)
    account = f"demo-{platform}"
    audience = (await session.provider(account).audiences())[0]
    app = AudienceApp(session)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            sandbox.app.spec = faults
            if held is not None:
                held.hold()
            screen = MembersScreen(session, account, audience)
            await app.push_screen(screen)
            yield pilot, screen
    finally:
        await session.aclose()


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_table_shows_a_failure_in_words_and_recovers(platform: str, sandbox: Sandbox) -> None:
    async with members_under(sandbox, platform, FaultSpec(server_error=1.0, seed=5)) as (
        pilot,
        screen,
    ):
        await screen.settle()
        await pilot.pause()
        assert screen.table.failed()
        table = screen.table
        shown = [table.render_line(y).text for y in range(table.visible_rows + 1)]
        shown.append(str(screen.query_one("#status").render()))
        assert "HTTP 50" in "".join(shown), shown
        await pilot.press("down", "down")  # still answering keys
        sandbox.app.spec = FaultSpec()
        await pilot.press("r")
        await screen.settle()
        await pilot.pause()
        assert not screen.table.failed() and screen.table.current_member is not None


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_the_ui_answers_keys_during_a_latency_spike(platform: str, sandbox: Sandbox) -> None:
    held = Held(sandbox.transport)
    async with members_under(sandbox, platform, FaultSpec(), held) as (pilot, screen):
        await pilot.pause()
        assert screen.table.current_member is None  # the first page is still on its way
        await pilot.press("question_mark")  # the screen still answers meanwhile
        assert isinstance(pilot.app.screen, HelpScreen)
        await pilot.press("escape")
        held.release()
        await screen.settle()
        await pilot.pause()
        assert pilot.app.screen is screen and screen.table.current_member is not None
