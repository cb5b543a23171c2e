"""`drift`: people opted out on one platform and still subscribed on another are found, and
`--apply --yes` opts them out there through the suppression run (journal, receipt)."""

from __future__ import annotations

import asyncio

import pytest

from audience_tui.cli import main
from audience_tui.core.compliance import drift
from audience_tui.core.models import MemberStatus, PageRequest, Query
from audience_tui.demo import Sandbox, demo_session

ACCOUNTS = ("demo-ownpage", "demo-kajabi")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--demo", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def make_drift(sandbox: Sandbox) -> str:
    """Someone active on both accounts, opted out on Kajabi only: drifted on Ownpage."""
    session = demo_session(sandbox)
    try:
        first = (await session.provider("demo-kajabi").audiences())[0]
        page = await session.provider("demo-kajabi").members(first, Query(), PageRequest(100))
        for member in page.members:
            if member.status is not MemberStatus.ACTIVE or not member.email:
                continue
            own, kajabi = await session.lookup(member.email, ["demo-ownpage", "demo-kajabi"])
            if len(kajabi.members) > 1:
                continue  # also a customer: Kajabi customers read as active, having no flag
            if any(m.status is MemberStatus.ACTIVE for m in own.members):
                outcome = await session.opt_out("demo-kajabi", member)
                assert outcome.confirmed
                return member.email
    finally:
        await session.aclose()
    pytest.fail("no person active on both Kajabi and Ownpage")


def test_drift_is_found_and_applied_through_the_suppression_run(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    email = asyncio.run(make_drift(sandbox))

    async def found() -> list[drift.Drifted]:
        session = demo_session(sandbox)
        try:
            return await drift.find(session, ACCOUNTS)
        finally:
            await session.aclose()

    drifted = {d.email.casefold(): d for d in asyncio.run(found())}
    assert email.casefold() in drifted
    entry = drifted[email.casefold()]
    assert ("demo-kajabi", entry.opted_out_on[0][1]) in entry.opted_out_on
    assert {a for a, _ in entry.subscribed_on} == {"demo-ownpage"}

    accounts = [arg for name in ACCOUNTS for arg in ("--account", name)]
    code, out, err = run(capsys, "drift", *accounts, "--format", "csv")
    assert code == 0, err
    assert out.startswith("email,opted_out_on,subscribed_on") and email in out

    # --apply over just this person (the demo data holds hundreds of drifted people)
    async def only_ours(session: object, *args: object, **kw: object) -> list[drift.Drifted]:
        return [entry]

    monkeypatch.setattr(drift, "find", only_ours)
    code, out, err = run(capsys, "drift", *accounts, "--apply", "--yes")
    assert code == 0, err
    assert "1 opt-out(s) to send for 1 email(s)" in out and "receipt: " in out
    monkeypatch.undo()
    assert email.casefold() not in {d.email.casefold() for d in asyncio.run(found())}
