"""Suppression runs end to end: the dry run sends nothing, the run opts out and leaves a receipt
and audit lines, a second run sends nothing and says so, and a run killed midway (in a subprocess,
against a served sandbox) resumes without sending any write twice."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from test_compliance_exit_codes import receipt_of, subscribed_on_emma
from variants import EMMA_WRITES_LOST, Recorder, Variant, emma_writes_answered, started_as

from audience_tui.cli import main
from audience_tui.core.accounts import AccountStore
from audience_tui.core.audit import AuditLog
from audience_tui.core.compliance import suppress as suppression
from audience_tui.core.compliance.journal import Journal, run_key
from audience_tui.core.compliance.receipt import NOT_SEARCHED, receipt_line
from audience_tui.demo import Sandbox, demo_accounts, demo_session
from audience_tui.sandbox.people import person
from audience_tui.sandbox.store import copy_store
from tests.conftest import free_port

TOKEN_PATHS = ("/oauth/token", "/oauth/revoke", "/v1/token")  # credentials, not member writes


def write_list(path: Path, count: int, *extra: str) -> Path:
    lines = ["name;email"] + [f"p{n};{person(n).email}" for n in range(count)] + list(extra)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--demo", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def receipt_lines(out: str) -> list[dict]:
    path = Path(out.split("receipt: ", 1)[1].split(" (and ", 1)[0])
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_dry_run_run_and_second_run(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_list(tmp_path / "list.csv", 4, "x;nobody@nowhere.example", "y;oops")
    code, out, err = run(capsys, "suppress", str(source), "--dry-run")
    assert code == 0, err
    assert "will opt out" in out and "nobody@nowhere.example" in out
    assert "line 7: not an email address: 'oops'" in err
    assert "dry run: nothing sent" in out
    assert not any(e["action"].startswith("opt_out.attempt") for e in AuditLog().read())

    code, out, err = run(capsys, "suppress", str(source), "--yes")
    assert code == 0, err
    lines = receipt_lines(out)
    summary = lines[-1]
    assert summary["summary"] is True and summary["actions"]["sent"] > 0
    sent = [ln for ln in lines[:-1] if ln["action"] == "sent"]
    assert sent and all(ln["confirmed"] for ln in sent)
    assert {ln["action"] for ln in lines[:-1]} <= {"sent", "already opted out", "not found"}
    assert Path(out.split("receipt: ", 1)[1].split(" (and ", 1)[0]).with_suffix(".csv").exists()
    audited = Counter(e["action"] for e in AuditLog().read())
    assert audited["opt_out.confirmed"] == len(sent)
    assert audited["suppress.finished"] == 1

    code, out, err = run(capsys, "suppress", str(source), "--yes")
    assert code == 0, err
    assert "nothing to send: every email of this file was handled by an earlier run" in out
    assert "0 of 0" not in err
    assert Counter(e["action"] for e in AuditLog().read())["opt_out.attempt"] == len(sent)


@pytest.fixture
def served_with_log(sandbox_template: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`sandbox serve` in a subprocess, slowed a little, logging every write it receives."""
    db, log = tmp_path / "served.sqlite", tmp_path / "writes.jsonl"
    copy_store(sandbox_template, db)
    port = free_port()
    env = {
        **os.environ,
        "AUDIENCE_TUI_SANDBOX_DB": str(db),
        "AUDIENCE_TUI_SANDBOX_SMALL": "1",
        "AUDIENCE_TUI_SANDBOX_WRITE_LOG": str(log),
    }
    argv = ["sandbox", "serve", "--port", str(port), "--faults", "latency=20ms"]
    process = subprocess.Popen(
        [sys.executable, "-m", "audience_tui", *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(base + "/", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            pytest.fail("the sandbox did not start")
        yield base, log
    finally:
        process.terminate()
        process.wait(timeout=10)


def sent_outcomes(journal_dir: Path) -> int:
    total = 0
    for path in journal_dir.glob("*.jsonl"):
        for line in path.read_text().splitlines():
            if '"event": "outcome"' in line and '"action": "sent"' in line:
                total += 1
    return total


def test_a_run_killed_midway_resumes_without_sending_a_write_twice(
    served_with_log: tuple[str, Path], tmp_path: Path
) -> None:
    base, log = served_with_log
    store = AccountStore()
    for account, secrets in demo_accounts(host=base):
        served = replace(account, name=account.name.removeprefix("demo-"), demo=False)
        store.add(served, secrets, secrets_file=True)
    source = write_list(tmp_path / "list.csv", 20)
    command = [sys.executable, "-m", "audience_tui", "suppress", str(source), "--yes"]
    journals = Path(os.environ["XDG_STATE_HOME"]) / "audience-tui" / "compliance" / "journals"

    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while sent_outcomes(journals) < 10 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert first.poll() is None, "the run ended before it could be killed midway"
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    killed_at = sent_outcomes(journals)

    second = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    assert "resuming the run started" in second.stderr

    writes = [json.loads(line) for line in log.read_text().splitlines()]
    member_writes = Counter(
        (w["method"], w["path"], w["body"]) for w in writes if not w["path"].endswith(TOKEN_PATHS)
    )
    assert member_writes, "no write reached the sandbox"
    assert max(member_writes.values()) == 1, [k for k, n in member_writes.items() if n > 1]
    assert killed_at < sum(member_writes.values())  # the kill did interrupt the writes
    receipt = [
        json.loads(line)
        for line in Path(second.stdout.split("receipt: ", 1)[1].split(" (and ", 1)[0])
        .read_text()
        .splitlines()
    ]
    by_account = Counter(ln["account"] for ln in receipt[:-1] if ln["action"] == "sent")
    by_prefix = Counter(w[1].split("/")[1] for w in member_writes)
    assert by_account == by_prefix


def test_a_pair_is_skipped_on_resume_only_once_all_its_lists_are_settled(tmp_path: Path) -> None:
    journal = Journal.for_run("suppress-test", tmp_path)
    outcome = {"email": "A@x.no", "account": "acc", "list": "1", "action": "sent"}
    journal.outcome(outcome)  # list 1 landed; list 2 of the same pair had not started
    assert not Journal.for_run("suppress-test", tmp_path).account_done("a@x.no", "acc")
    asyncio.run(journal.intent("a@x.no", "acc", "2"))
    reloaded = Journal.for_run("suppress-test", tmp_path)
    assert reloaded.in_flight("a@x.no", "acc", "2") and reloaded.final("a@x.no", "acc", "1")
    journal.outcome({**outcome, "list": "2"})
    journal.pair_done("a@x.no", "acc")
    assert Journal.for_run("suppress-test", tmp_path).account_done("A@X.NO", "acc")


def test_a_pair_done_with_a_write_in_flight_is_looked_up_again(tmp_path: Path) -> None:
    """Only intents are synced: a crash may keep the pair's "done" line and lose the outcome
    before it. The intent without an outcome wins: the pair is looked up and read back."""
    journal = Journal.for_run("suppress-test", tmp_path)
    asyncio.run(journal.intent("a@x.no", "acc", "1"))
    journal.pair_done("a@x.no", "acc")
    reloaded = Journal.for_run("suppress-test", tmp_path)
    assert not reloaded.account_done("a@x.no", "acc")
    assert reloaded.in_flight("a@x.no", "acc", "1")


async def list_names(sandbox: Sandbox) -> dict[str, str]:
    """Every demo list's id and name (ids such as Heyloyalty's "1" mean nothing to a reader)."""
    session = demo_session(sandbox)
    try:
        return {
            a.id: a.name
            for account in session.accounts
            for a in await session.audiences(account.name)
        }
    finally:
        await session.aclose()


def table_column(out: str, header: str) -> list[str]:
    """The values of `header`'s column in the table `out` starts with (cells are left-aligned,
    columns two spaces apart; the table ends at the first line that is not a row)."""
    lines = out.splitlines()
    start = lines[0].index(header)
    after = lines[0][start + len(header) :]
    end = start + len(header) + len(after) - len(after.lstrip()) if after.strip() else None
    cells = []
    for line in lines[1:]:
        if "  " not in line.strip():
            break
        cells.append(line[start:end].strip())
    return cells


def test_dry_runs_name_the_lists(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = asyncio.run(list_names(sandbox))
    source = write_list(tmp_path / "list.csv", 3, f"h;{person(2100).email}")  # opted out on Emma
    code, out, err = run(capsys, "suppress", str(source), "--dry-run")
    assert code == 0, err
    shown = table_column(out, "LIST")
    assert shown and set(shown) <= set(names.values()), shown
    statuses = set(table_column(out, "STATUS"))  # as every table writes them
    assert "opted out" in statuses and not any("_" in s for s in statuses), statuses

    code, out, err = run(capsys, "erase", person(0).email, "--dry-run")
    assert code == 0, err
    shown = table_column(out, "LISTS")
    assert shown and set(shown) <= set(names.values()), shown
    assert not any("_" in s for s in table_column(out, "STATUS")), out


def test_the_intents_sync_leaves_the_event_loop_free(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk flush takes milliseconds: the other workers' requests go on meanwhile, and the
    intent is on disk before `intent` returns."""
    import threading

    from audience_tui.core.compliance import journal as journal_module

    loop_ran = threading.Event()
    synced = []

    def slow_fsync(fd: int) -> None:
        loop_ran.wait(timeout=30)  # a guard against a hang, not a timing: the loop sets it
        synced.append(loop_ran.is_set())

    monkeypatch.setattr(journal_module.os, "fsync", slow_fsync)

    async def main() -> None:
        journal = Journal.for_run("suppress-test", tmp_path)

        async def other_worker() -> None:
            await asyncio.sleep(0)
            loop_ran.set()

        await asyncio.gather(journal.intent("a@x.no", "acc", "1"), other_worker())

    asyncio.run(main())
    assert synced == [True]
    assert Journal.for_run("suppress-test", tmp_path).in_flight("a@x.no", "acc", "1")


def test_a_pair_not_searched_replaces_its_failed_writes_and_keeps_what_landed(
    tmp_path: Path,
) -> None:
    """Run 1 sent to list 1 and failed on list 2; run 2 could not look the pair up: its receipt
    says `not searched` for the pair beside list 1's landed write, not list 2's stale failure.
    Another pair's failed write, not looked up in this run, is kept."""
    journal = Journal.for_run("suppress-test", tmp_path)
    ours = {"email": "A@x.no", "account": "acc"}
    journal.outcome({**ours, "list": "1", "action": "sent"})
    journal.outcome({**ours, "list": "2", "action": "failed", "error": "502"})
    journal.outcome({"email": "b@x.no", "account": "acc", "list": "1", "action": "failed"})
    todo = suppression.Plan("suppress-test", ["a@x.no", "b@x.no"], ["acc"])
    refused = receipt_line("suppress-test", "a@x.no", "acc", "emma", None, NOT_SEARCHED)
    todo.lines.append({**refused, "error": "Emma refused the keys"})
    lines = suppression.receipt_lines(todo, Journal.for_run("suppress-test", tmp_path))
    assert [(ln["email"].casefold(), ln["list"], ln["action"]) for ln in lines] == [
        ("a@x.no", "1", "sent"),
        ("b@x.no", "1", "failed"),
        ("a@x.no", None, "not searched"),
    ]


def on_emma_in_two_groups(sandbox: Sandbox) -> tuple[str, int, int]:
    """A member the demo's Emma holds subscribed in two groups or more: (email, member id, the
    id of one of their groups)."""
    sql = (
        "SELECT m.email, m.member_id, min(g.member_group_id) FROM emma_members m "
        "JOIN emma_group_members g USING (member_id) WHERE m.status = 'a' "
        "AND m.deleted_at IS NULL GROUP BY m.member_id HAVING count(*) >= 2 LIMIT 1"
    )
    email, member, group = sandbox.store.connect().execute(sql).fetchone()
    return email, member, group


def test_a_resumed_run_says_what_it_found_where_an_earlier_write_failed(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Run 1's opt-outs on Emma failed; the person then left one of their groups. Run 2 resumes
    and looks them up again: it opts them out where they still are, and its receipt says `not
    found` on the group they left, not run 1's failed write there (which no run could retry:
    nothing is left to send), so nothing failed. Run 3 (the pair done) still says so."""
    email, member, left = on_emma_in_two_groups(sandbox)
    source = tmp_path / "emails.csv"
    source.write_text(f"email\n{email}\n")
    argv = ("suppress", str(source), "--account", "demo-emma", "--yes", "--receipt")
    with monkeypatch.context() as refusing:
        emma_writes_answered(refusing, 403)
        code, _, err = run(capsys, *argv, str(tmp_path / "first.jsonl"))
    assert code == 3, err
    lines, _ = receipt_of(tmp_path / "first.jsonl")
    assert {ln["action"] for ln in lines} == {"failed"}, lines
    assert str(left) in {ln["list"] for ln in lines}, lines
    sql = "DELETE FROM emma_group_members WHERE member_group_id = ? AND member_id = ?"
    sandbox.store.connect().execute(sql, (left, member))

    for receipt in ("second.jsonl", "third.jsonl"):
        code, _, err = run(capsys, *argv, str(tmp_path / receipt))
        assert code == 0, err
        lines, summary = receipt_of(tmp_path / receipt)
        actions = {ln["list"]: ln["action"] for ln in lines}
        assert actions.pop(str(left)) == "not found", lines
        assert "sent" in actions.values(), lines  # Emma's opt-out is account-wide: one is sent
        assert set(actions.values()) <= {"sent", "already opted out"}, lines
        assert "failed" not in summary["actions"], summary


def emma_status(sandbox: Sandbox, email: str) -> str:
    """The status the demo's Emma holds `email` in: `a` active, `o` opted out."""
    sql = "SELECT status FROM emma_members WHERE email = ? AND deleted_at IS NULL"
    return str(sandbox.store.connect().execute(sql, (email,)).fetchone()[0])


@pytest.mark.parametrize("lose", EMMA_WRITES_LOST.values(), ids=EMMA_WRITES_LOST.keys())
def test_a_write_read_back_not_applied_is_failed_and_sent_again_by_the_next_run(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    lose: Callable[[pytest.MonkeyPatch], None],
) -> None:
    """Run 1's opt-outs on Emma lose their answer (a 503, a dropped connection) before Emma
    acts, and the read-back shows them not applied: the receipt says `failed` with why, never
    `sent`, and the run says to run again. Run 2 does send them, and its receipt says `sent`,
    confirmed."""
    email = subscribed_on_emma(sandbox)
    source = tmp_path / "emails.csv"
    source.write_text(f"email\n{email}\n")
    argv = ("suppress", str(source), "--account", "demo-emma", "--yes", "--receipt")
    with monkeypatch.context() as losing:
        lose(losing)
        code, _, err = run(capsys, *argv, str(tmp_path / "first.jsonl"))
    assert code == 4, err
    lines, summary = receipt_of(tmp_path / "first.jsonl")
    assert lines and {ln["action"] for ln in lines} == {"failed"}, lines  # one a group of Emma
    for line in lines:
        assert line["confirmed"] is False and "read back: not applied" in line["error"], line
    assert summary["actions"] == {"failed": len(lines)}, summary
    assert f"{len(lines)} failed, 0 not confirmed by read-back; run the same command" in err
    assert emma_status(sandbox, email) == "a"

    code, out, err = run(capsys, *argv, str(tmp_path / "second.jsonl"))
    assert code == 0, err
    assert f"{len(lines)} opt-out(s) to send for 1 email(s)" in out, out
    lines, _ = receipt_of(tmp_path / "second.jsonl")
    actions = [ln["action"] for ln in lines]
    assert "sent" in actions and set(actions) <= {"sent", "already opted out"}, lines
    assert all(ln["confirmed"] for ln in lines if ln["action"] == "sent"), lines
    assert emma_status(sandbox, email) == "o"


def leave_the_group(sandbox: Sandbox, email: str, member: int, group: int) -> None:
    sql = "DELETE FROM emma_group_members WHERE member_group_id = ? AND member_id = ?"
    sandbox.store.connect().execute(sql, (group, member))


def leave_emma(sandbox: Sandbox, email: str, member: int, group: int) -> None:
    """Emma purges the member (every group of theirs), as an erase asks it to."""

    async def purge() -> None:
        session = demo_session(sandbox)
        try:
            (found,) = await session.lookup(email, ["demo-emma"])
            await session.provider("demo-emma").erase(found.members[0])
        finally:
            await session.aclose()

    asyncio.run(purge())


@pytest.mark.parametrize("leave", [leave_the_group, leave_emma])
def test_a_write_in_flight_to_a_list_since_left_is_settled_by_the_next_lookup(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    leave: Callable[[Sandbox, str, int, int], None],
) -> None:
    """A run stopped while its opt-out to one of Emma's groups was in flight (the journal holds
    its intent and no outcome, as a killed run leaves it); the person has since left that group
    (or Emma). The next run looks them up and says `not found` on that group, which finishes the
    pair: the run after it looks nothing up (it once looked the pair up on every run)."""
    email, member, left = on_emma_in_two_groups(sandbox)
    source = tmp_path / "emails.csv"
    source.write_text(f"email\n{email}\n")
    request = run_key("suppress", [email], ["demo-emma"])
    journal = Journal.for_run(request)
    journal.start(request=request, emails=1, accounts=["demo-emma"])
    asyncio.run(journal.intent(email, "demo-emma", str(left), member=str(member)))
    leave(sandbox, email, member, left)
    lookups = Recorder(lambda r: r.method == "GET" and "/members/email/" in r.url.path)
    started_as(monkeypatch, lambda s: replace(s, transport=Variant(s.transport, before=lookups)))
    argv = ("suppress", str(source), "--account", "demo-emma", "--yes", "--receipt")

    code, out, err = run(capsys, *argv, str(tmp_path / "second.jsonl"))
    assert code == 0, err
    assert lookups.bodies, "the pair was not looked up again"

    lookups.bodies.clear()
    code, out, err = run(capsys, *argv, str(tmp_path / "third.jsonl"))
    assert code == 0, err
    assert not lookups.bodies, "the pair was looked up again"
    assert "every email of this file was handled by an earlier run" in out, out
    lines, _ = receipt_of(tmp_path / "second.jsonl")
    assert {ln["list"]: ln["action"] for ln in lines}[str(left)] == "not found", lines
    assert "failed" not in {ln["action"] for ln in lines}, lines
    assert receipt_of(tmp_path / "third.jsonl")[0] == lines
