"""Session writes through core.write_op on every platform: an answer lost after the platform
applied the opt-out is read back and confirmed (not `failed`); when the read-back fails too the
outcome is `unknown` until a later lookup finds it done; nothing is sent for a member already opted
out; Emma's account-wide opt-out is sent once per member; confirmed writes are published."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from people import emma_member_in_groups

from audience_tui.cli import main
from audience_tui.core.audit import AuditLog
from audience_tui.core.importer import observe_jobs, start_import
from audience_tui.core.models import (
    Audience,
    ImportJob,
    ImportState,
    Member,
    MemberStatus,
    PageRequest,
    Query,
)
from audience_tui.core.session import Session
from audience_tui.core.write_op import Change, Outcome
from audience_tui.demo import Sandbox, demo_accounts, demo_session

PLATFORMS = ["heyloyalty", "emma", "ownpage", "kajabi", "placewise"]
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class LosingAnswers(httpx.AsyncBaseTransport):
    """The sandbox, except that the answer to the next write is lost after the sandbox applied
    it (`lose`), and reads fail while `reads_fail` is set (`blackout`: from that lost answer
    on). Writes reaching it are noted."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.lose = False
        self.blackout = False
        self.reads_fail = False
        self.writes: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        write = request.method in WRITES and "token" not in request.url.path
        if not write and self.reads_fail and "token" not in request.url.path:
            raise httpx.ConnectError("network unreachable", request=request)
        response = await self.inner.handle_async_request(request)
        if write:
            self.writes.append(f"{request.method} {request.url.path}")
            if self.lose:
                self.lose = False
                self.reads_fail = self.blackout
                await response.aread()
                raise httpx.ReadError("connection reset by peer", request=request)
        return response


async def no_wait(seconds: float) -> None:
    """Retry backoff skipped: what is retried matters here, not how long."""


@pytest.fixture
async def lossy(sandbox: Sandbox) -> AsyncIterator[tuple[Session, LosingAnswers]]:
    transport = LosingAnswers(sandbox.transport)
    pairs = demo_accounts()
    secrets = {account.name: values for account, values in pairs}
    session = Session(
        [account for account, _ in pairs],
        lambda account: secrets[account.name],
        transport_for=lambda account: transport,
        client_options={"sleep": no_wait},
    )
    yield session, transport
    await session.aclose()


async def active_member(session: Session, platform: str) -> Member:
    provider = session.provider(f"demo-{platform}")
    audience = (await provider.audiences())[0]
    page = await provider.members(audience, Query(), PageRequest(20))
    return next(m for m in page.members if m.status is MemberStatus.ACTIVE and m.email)


async def unknown_opt_out(
    lossy: tuple[Session, LosingAnswers],
) -> tuple[Session, LosingAnswers, Member]:
    """A Placewise opt-out whose answer and read-back were both lost (its outcome unknown);
    reads answer again afterwards."""
    session, transport = lossy
    member = await active_member(session, "placewise")
    transport.lose = transport.blackout = True
    assert (await session.opt_out("demo-placewise", member)).unknown
    transport.reads_fail = False
    return session, transport, member


def actions(session: Session) -> list[str]:
    return [e["action"] for e in session.audit.read()]


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_answer_lost_after_the_write_landed_is_confirmed_by_read_back(
    platform: str, lossy: tuple[Session, LosingAnswers]
) -> None:
    session, transport = lossy
    member = await active_member(session, platform)
    published: list[Change] = []
    session.writes.subscribe(published.append)
    transport.lose = True
    outcome = await session.opt_out(f"demo-{platform}", member)
    assert outcome.confirmed and outcome.outcome is Outcome.CONFIRMED, outcome.error
    assert actions(session) == ["opt_out.attempt", "opt_out.confirmed"]
    assert list(session.audit.read())[-1]["read_back"] == "applied"
    assert len(published) == 1 and published[0].update(f"demo-{platform}", member) is not None


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_unknown_outcome_is_settled_by_a_later_lookup(
    platform: str, lossy: tuple[Session, LosingAnswers]
) -> None:
    session, transport = lossy
    member = await active_member(session, platform)
    transport.lose = transport.blackout = True  # the read-back cannot tell either
    account = f"demo-{platform}"
    outcome = await session.opt_out(account, member)
    transport.reads_fail = False
    assert outcome.unknown and not outcome.confirmed and outcome.error is not None
    assert actions(session) == ["opt_out.attempt", "opt_out.unknown"]
    assert member.email is not None
    published: list[Change] = []
    session.writes.subscribe(published.append)
    await session.lookup(member.email, [account])
    assert actions(session)[-1] == "opt_out.confirmed"
    assert list(session.audit.read())[-1]["settled_by"] == "a later read"
    assert [c.update(account, member) is not None for c in published] == [True]
    sent = len(transport.writes)
    retry = await session.opt_out(account, member)  # settled: nothing is sent again
    assert retry.confirmed and len(transport.writes) == sent


async def test_a_retry_after_an_unknown_outcome_reads_back_before_sending(
    lossy: tuple[Session, LosingAnswers],
) -> None:
    session, transport, member = await unknown_opt_out(lossy)
    retry = await session.opt_out("demo-placewise", member)
    assert retry.confirmed and not retry.sent and len(transport.writes) == 1
    assert actions(session) == ["opt_out.attempt", "opt_out.unknown", "opt_out.confirmed"]


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_nothing_is_sent_for_a_member_already_opted_out(
    platform: str, lossy: tuple[Session, LosingAnswers]
) -> None:
    session, transport = lossy
    member = await active_member(session, platform)
    account = f"demo-{platform}"
    first, second = await asyncio.gather(
        session.opt_out(account, member), session.opt_out(account, member)
    )
    assert first.confirmed and second.confirmed and not second.sent
    writes = len(transport.writes)
    assert first.after is not None
    again = await session.opt_out(account, first.after)  # as a view shows them now
    assert again.confirmed and not again.sent and len(transport.writes) == writes
    assert actions(session).count("opt_out.attempt") == 1
    assert actions(session).count("opt_out.already_opted_out") == 2


async def test_emma_opt_out_is_sent_once_per_member_not_per_group(
    lossy: tuple[Session, LosingAnswers],
) -> None:
    session, transport = lossy
    found = await session.provider("demo-emma").lookup(await emma_member_in_groups(session))
    outcomes = await asyncio.gather(*(session.opt_out("demo-emma", m) for m in found))
    assert all(o.confirmed for o in outcomes), [str(o.error) for o in outcomes]
    assert [w.split()[0] for w in transport.writes] == ["PUT"]
    assert sum(o.sent for o in outcomes) == 1


async def test_imports_are_published_when_started_and_when_finished(session: Session) -> None:
    published: list[Change] = []
    session.writes.subscribe(published.append)
    audience = (await session.provider("demo-ownpage").audiences())[-1]
    rows = [{"email": "new.person@example.com"}]
    entry = await start_import(session, "demo-ownpage", audience, rows, "new.csv")
    assert [e["action"] for e in session.audit.read()] == ["import.attempt", "import.started"]
    assert len(published) == 1 and published[0].touches("demo-ownpage", audience.id)

    running = ImportJob(id="j1", state=ImportState.RUNNING, audience_id=audience.id)
    observe_jobs(session, "demo-ownpage", [running])
    assert len(published) == 1  # nothing finished yet
    finished = ImportJob(id="j1", state=ImportState.FINISHED, audience_id=audience.id)
    observe_jobs(session, "demo-ownpage", [finished])
    assert len(published) == 2 and published[1].touches("demo-ownpage", audience.id)
    observe_jobs(session, "demo-ownpage", [finished])
    assert len(published) == 2  # once
    assert entry.job.state is ImportState.FINISHED


def test_cli_sends_emma_opt_out_once_and_says_so(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    async def find() -> str:
        session = demo_session(sandbox)
        try:
            return await emma_member_in_groups(session)
        finally:
            await session.aclose()

    email = asyncio.run(find())
    code = main(["--demo", "optout", email, "--account", "demo-emma", "--yes"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count(": opted out (read back") == 1
    assert out.count(": already opted out, nothing sent (read back") >= 1
    actions = [e["action"] for e in AuditLog().read()]
    assert actions.count("opt_out.attempt") == 1


async def test_unknown_outcome_is_settled_by_reading_the_member_again(
    lossy: tuple[Session, LosingAnswers],
) -> None:
    session, _transport, member = await unknown_opt_out(lossy)
    audience = Audience(member.audience_id or "", "")
    again = await session.member("demo-placewise", audience, member.id)  # as the detail's `r`
    assert again.status is MemberStatus.OPTED_OUT
    assert actions(session) == ["opt_out.attempt", "opt_out.unknown", "opt_out.confirmed"]
