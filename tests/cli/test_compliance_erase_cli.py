"""`erase EMAIL` on the demo accounts: the dry run changes nothing and says what is
assumed, the erase is proven by read-back, audited and filed in a receipt; refusals explained."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from audience_tui.cli import main
from audience_tui.core.audit import AuditLog
from audience_tui.core.compliance import erase as erasure
from audience_tui.demo import Sandbox, demo_session
from audience_tui.sandbox.people import person


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--demo", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def found_on(sandbox: Sandbox, email: str) -> set[str]:
    async def look() -> set[str]:
        session = demo_session(sandbox)
        try:
            return {r.account.name for r in await session.lookup(email) if r.members}
        finally:
            await session.aclose()

    return asyncio.run(look())


def kajabi_email(sandbox: Sandbox, active_payments: int) -> str:
    sql = "SELECT email FROM kajabi_contacts WHERE active_payments = ? ORDER BY id LIMIT 1"
    return sandbox.store.connect().execute(sql, (active_payments,)).fetchone()[0]


def test_dry_run_then_erase_with_receipt(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    email = kajabi_email(sandbox, 0)
    before = found_on(sandbox, email)
    code, out, _ = run(capsys, "erase", email, "--dry-run")
    assert code == 0 and "dry run: nothing erased" in out
    assert "DELETE /v1/contacts/{id}" in out
    assert found_on(sandbox, email) == before

    receipt = tmp_path / "erase.jsonl"
    code, out, err = run(capsys, "erase", email, "--yes", "--receipt", str(receipt))
    assert code == 0, err
    assert "demo-kajabi (Yoga Academy): erased (absent: " in out  # the list by its name
    lines = [json.loads(line) for line in receipt.read_text().splitlines()]
    erased = [ln for ln in lines[:-1] if ln["action"] == "erased"]
    assert {ln["account"] for ln in erased} == before
    assert all(ln["confirmed"] and ln["read_back"] for ln in erased)
    assert lines[-1]["summary"] and lines[-1]["email"] == email
    assert receipt.with_suffix(".csv").exists()
    assert found_on(sandbox, email) == set()
    audited = [e["action"] for e in AuditLog().read()]
    assert audited.count("erase.confirmed") == len(erased)


def test_kajabi_active_payments_refusal_is_explained_and_exits_4(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    email = kajabi_email(sandbox, 1)
    code, _, err = run(capsys, "erase", email, "--account", "demo-kajabi", "--yes")
    assert code == 4
    assert "NOT erased" in err and "active Kajabi Payments" in err
    assert "demo-kajabi" in found_on(sandbox, email)


def test_without_a_terminal_or_yes_nothing_is_erased(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    email = kajabi_email(sandbox, 0)
    code, _, err = run(capsys, "erase", email)
    assert code == 2 and "--yes" in err
    assert "demo-kajabi" in found_on(sandbox, email)


def test_an_erase_stopped_midway_still_files_its_receipt(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ctrl+c while one erase is in flight: the erases already done keep their proof in the
    receipt, the one stopped is `interrupted` there and `unknown` in the audit file."""
    email = person(2100).email
    real = erasure.erase_one

    async def erase_one(session, request: str, held: erasure.Held) -> tuple[dict, object]:
        if held.account != "demo-heyloyalty":
            return await real(session, request, held)
        main_task = next(t for t in asyncio.all_tasks() if "Context.run" in repr(t.get_coro()))
        erases = {t for t in asyncio.all_tasks() if "execute.<locals>.one" in repr(t.get_coro())}
        siblings = erases - {asyncio.current_task()}
        await asyncio.wait(siblings)  # every other erase has its outcome

        async def in_flight(member: object) -> None:
            main_task.cancel()  # what ctrl+c does to asyncio.run's task
            await asyncio.Event().wait()

        monkeypatch.setattr(session.provider(held.account), "erase", in_flight)
        return await real(session, request, held)

    monkeypatch.setattr(erasure, "erase_one", erase_one)
    receipt = tmp_path / "erase.jsonl"
    with pytest.raises(asyncio.CancelledError):
        main(["--demo", "erase", email, "--yes", "--receipt", str(receipt)])
    err = capsys.readouterr().err
    assert f"stopped: what was done is in {receipt}" in err
    lines = [json.loads(line) for line in receipt.read_text().splitlines()]
    actions = {ln["account"]: ln["action"] for ln in lines[:-1]}
    assert actions.pop("demo-heyloyalty") == "interrupted"
    assert set(actions.values()) == {"erased", "not found"}, actions
    assert lines[-1]["summary"] and lines[-1]["email"] == email
    audited = [e["action"] for e in AuditLog().read()]
    assert audited[-2:] == ["erase.unknown", "erase.receipt"]
