"""`drift`: people opted out on one platform and still subscribed on another are found, and
`--apply --yes` opts them out there through the suppression run (journal, receipt)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from audience_tui.cli import main
from audience_tui.core.compliance import drift
from audience_tui.core.errors import NetworkError
from audience_tui.core.models import Member, MemberStatus, PageRequest, Query
from audience_tui.demo import Sandbox, demo_session
from audience_tui.providers.emma.adapter import EmmaProvider
from audience_tui.sandbox.people import person

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
                continue  # on several sites: one opt-out would leave another subscribed
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
    assert {p.account for p in entry.opted_out_on} == {"demo-kajabi"}
    assert {p.account for p, _ in entry.subscribed_on} == {"demo-ownpage"}

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


async def opt_out_a_customer(sandbox: Sandbox) -> tuple[str, str]:
    """A Kajabi customer (on one site) whose contact is subscribed, and active on Ownpage,
    opted out on Kajabi: (email, the name of their customers list)."""
    session = demo_session(sandbox)
    try:
        kajabi = session.provider("demo-kajabi")
        for customers in [a for a in await kajabi.audiences() if a.kind == "customers"]:
            page = await kajabi.members(customers, Query(), PageRequest(100))
            for customer in page.members:
                own, found = await session.lookup(customer.email or "", ACCOUNTS)
                if len(found.members) != 1 or found.members[0].status is not MemberStatus.ACTIVE:
                    continue
                if any(m.status is MemberStatus.ACTIVE for m in own.members):
                    assert (await session.opt_out("demo-kajabi", found.members[0])).confirmed
                    return customer.email or "", customers.name
    finally:
        await session.aclose()
    pytest.fail("no Kajabi customer subscribed on Kajabi and Ownpage")


def test_a_kajabi_customer_record_is_no_reading_of_consent(sandbox: Sandbox) -> None:
    """Kajabi's customer record has no subscription flag (the documents only filter customers
    by it): opted out on the contact, the customer record is neither drift nor subscribed; it
    is said to be unknown beside the real drift on Ownpage."""
    email, customers = asyncio.run(opt_out_a_customer(sandbox))

    async def found(accounts: tuple[str, ...]) -> dict[str, drift.Drifted]:
        session = demo_session(sandbox)
        try:
            return {d.email.casefold(): d for d in await drift.find(session, accounts)}
        finally:
            await session.aclose()

    assert email.casefold() not in asyncio.run(found(("demo-kajabi",)))
    entry = asyncio.run(found(ACCOUNTS))[email.casefold()]
    assert {p.account for p, _ in entry.subscribed_on} == {"demo-ownpage"}
    assert [str(p) for p in entry.unknown_on] == [f"demo-kajabi: {customers}"]


def test_apply_receipts_the_accounts_it_could_not_search(
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`--apply` is the suppression run, receipt included: an account whose lookup failed is
    in it, `not searched` with why, and the exit code says the run is incomplete."""
    email = person(0).email
    place = drift.Place("demo-ownpage", "1201", "Newsletter")

    async def one_drifted(*args: object, **kw: object) -> list[drift.Drifted]:
        return [drift.Drifted(email, opted_out_on=[place])]

    async def no_answer(self: EmmaProvider, email: str) -> list[Member]:
        raise NetworkError("no answer", platform="Emma")

    monkeypatch.setattr(drift, "find", one_drifted)
    monkeypatch.setattr(EmmaProvider, "lookup", no_answer)
    receipt = tmp_path / "r.jsonl"
    accounts = ("--account", "demo-emma", "--account", "demo-ownpage")
    code, _, err = run(capsys, "drift", *accounts, "--apply", "--yes", "--receipt", str(receipt))
    assert code == 4, err
    lines = [json.loads(line) for line in receipt.read_text().splitlines()[:-1]]
    assert {ln["account"] for ln in lines} == {"demo-emma", "demo-ownpage"}
    (emma,) = [ln for ln in lines if ln["account"] == "demo-emma"]
    assert emma["email"] == email and emma["action"] == "not searched"
    assert "no answer" in emma["error"]
