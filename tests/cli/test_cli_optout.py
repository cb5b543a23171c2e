"""The command line's opt-out choices: the email channel is disabled only when asked; an import
preview counts who opted out earlier and keeps them out unless --resubscribe (asked separately)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from variants import EMMA_WRITES_LOST

from audience_tui.cli import main
from audience_tui.core.audit import AuditLog
from audience_tui.demo import Sandbox
from audience_tui.sandbox.people import person


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--demo", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def active_email(capsys: pytest.CaptureFixture[str], account: str, audience: str) -> str:
    code, out, err = run(capsys, "members", account, audience, "--limit", "30", "--format", "jsonl")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    return next(row["email"] for row in rows if row["status"] == "active")


def test_optout_disables_the_channel_only_when_asked(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    email = active_email(capsys, "demo-placewise", "City Lade")
    code, out, err = run(
        capsys, "optout", email, "--account", "demo-placewise", "--disable-email-channel", "--yes"
    )
    assert code == 0, err
    assert "and also disable the email channel (stops transactional mail too)" in out
    confirmed = [e for e in AuditLog().read() if e["action"] == "opt_out.confirmed"]
    assert confirmed and all(e["channel_disabled"] for e in confirmed)
    code, out, _ = run(capsys, "lookup", email, "--account", "demo-placewise", "--format", "jsonl")
    assert {json.loads(line)["email_status"] for line in out.splitlines()} == {"Disabled"}


def test_import_keeps_out_the_opted_out_unless_resubscribe(
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gone = active_email(capsys, "demo-heyloyalty", "VIP Club")
    assert run(capsys, "optout", gone, "--account", "demo-heyloyalty", "--yes")[0] == 0
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(f"email,firstname\n{gone},Back\nnew.person@example.com,New\n")
    args = ("import", "demo-heyloyalty", "VIP Club", str(csv_file))
    code, out, err = run(capsys, *args, "--dry-run")
    assert code == 0 and "1 opted out earlier: kept out" in out
    assert "checking which of the 2 row(s) opted out earlier on VIP Club..." in err  # said first
    code, out, err = run(capsys, *args, "--yes", "--no-wait")
    assert code == 0, err
    assert "1 opted out earlier: kept out" in out
    attempt = [e for e in AuditLog().read() if e["action"] == "import.attempt"][-1]
    assert "asked" not in attempt
    # --resubscribe asks its own question; answering no sends nothing.
    with monkeypatch.context() as patched:
        patched.setattr("audience_tui.commands.writes.confirm", _yes_then_no())
        code, out, _ = run(capsys, *args, "--resubscribe", "--no-wait")
    assert code == 1 and "SENT (--resubscribe)" in out and "cancelled" in out
    code, out, err = run(capsys, *args, "--resubscribe", "--yes", "--no-wait")
    assert code == 0, err
    attempt = [e for e in AuditLog().read() if e["action"] == "import.attempt"][-1]
    assert attempt["asked"] == ["resubscribe"] and attempt["rows"] == 2


def _yes_then_no():
    answers = iter([True, False])

    def confirm(ctx, question: str, assume_yes: bool) -> bool:
        answer = next(answers)
        ctx.out.write(f"{question} {'y' if answer else 'n'}\n")
        return answer

    return confirm


def test_optout_without_a_terminal_still_needs_yes(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    email = active_email(capsys, "demo-placewise", "City Lade")
    code, _, err = run(capsys, "optout", email, "--disable-email-channel")
    assert code == 2 and "--yes" in err


def test_optout_names_each_list_by_its_name(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """A person reads `demo-heyloyalty list 'Newsletter DK'`, not the list's id, in the dry run
    and in the outcome; statuses as a table writes them."""
    email = person(2100).email  # active on Heyloyalty's Newsletter DK, opted out on Emma
    code, out, err = run(capsys, "optout", email, "--dry-run")
    assert code == 0, err
    assert "demo-emma list 'Monthly Newsletter': already opted out" in out
    assert "on demo-heyloyalty list 'Newsletter DK', status now active" in out
    code, out, err = run(capsys, "optout", email, "--account", "demo-heyloyalty", "--yes")
    assert code == 0, err
    assert "demo-heyloyalty list 'Newsletter DK': opted out (read back" in out


@pytest.mark.parametrize("lose", EMMA_WRITES_LOST.values(), ids=EMMA_WRITES_LOST.keys())
def test_an_optout_read_back_not_applied_is_failed_not_opted_out(
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    lose: Callable[[pytest.MonkeyPatch], None],
) -> None:
    """The opt-out's answer is lost (a 503, a dropped connection) before Emma acts, and the
    read-back shows it not applied: FAILED with why, exit 4, and how to retry; never "opted
    out". The same command then opts the person out."""
    email = person(2000).email  # subscribed on the demo's Emma
    argv = ("optout", email, "--account", "demo-emma", "--yes")
    with monkeypatch.context() as losing:
        lose(losing)
        code, out, err = run(capsys, *argv)
    assert code == 4, err
    assert "opted out" not in out, out
    assert "demo-emma list 'Monthly Newsletter': FAILED: " in err and "not applied" in err, err
    assert "run the same command again to retry" in err
    assert [e["action"] for e in AuditLog().read()][-1] == "opt_out.failed"

    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert "demo-emma list 'Monthly Newsletter': opted out (read back" in out, out
