"""`subject-access EMAIL`: every account's records on one person, labelled, in JSON, Markdown and
HTML, member data escaped, the report audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audience_tui.cli import main
from audience_tui.core.audit import AuditLog
from audience_tui.core.compliance.subject_access import Held, Report, render
from audience_tui.core.models import Audience, Member, MemberStatus
from audience_tui.demo import Sandbox
from audience_tui.sandbox.people import person


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--demo", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_report_holds_every_account_record_with_labels(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    email = person(6).email
    code, out, err = run(capsys, "subject-access", email)
    assert code == 0, err
    report = json.loads(out)
    assert report["subject"] == email
    assert len(report["accounts_searched"]) == 5
    accounts = {r["account"] for r in report["records"]}
    assert len(accounts) >= 2 and not accounts & set(report["not_found_on"])
    placewise = next(r for r in report["records"] if r["platform"] == "placewise")
    labels = {f["label"] for f in placewise["fields"]}
    assert "First name" in labels and placewise["document"]
    assert any(e["action"] == "subject_access.report" for e in AuditLog().read())


def test_html_and_markdown_to_a_file_never_overwrite(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "report.html"
    email = person(6).email
    code, _, err = run(capsys, "subject-access", email, "--format", "html", "--output", str(target))
    assert code == 0, err
    assert target.read_text().startswith("<!doctype html>") and email in target.read_text()
    assert target.stat().st_mode & 0o777 == 0o600  # one person's data: theirs and the user's
    with pytest.raises(SystemExit) as refused:  # refused when the command line is read
        run(capsys, "subject-access", email, "--format", "md", "--output", str(target))
    assert refused.value.code == 2 and "exists" in capsys.readouterr().err
    assert target.read_text().startswith("<!doctype html>")


def test_member_data_is_escaped_in_html_and_markdown() -> None:
    hostile = "<script>alert(1)</script> | [x](javascript:y) \x1b[31m"
    member = Member("1", "a@x.no", MemberStatus.ACTIVE, "L", name=hostile, fields={"n": hostile})
    held = Held("acc", "emma", Audience("L", hostile), member, [("n", "Note", hostile)])
    report = Report(email="a@x.no", generated="now", accounts=["acc"], held=[held])
    page = render(report, "html")
    assert "<script>" not in page and "&lt;script&gt;" in page and "\x1b" not in page
    text = render(report, "md")
    assert "<script>" not in text and "\\|" in text and "\x1b" not in text


def test_a_kajabi_customer_record_is_in_the_report(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """The lookup finds the contact; the customer record (revenue, sign-ins) is personal data
    held too, found by the customers list's own email filter."""
    sql = (
        "SELECT c.email, cu.net_revenue FROM kajabi_customers cu"
        " JOIN kajabi_contacts c ON c.id = cu.contact_id ORDER BY cu.id LIMIT 1"
    )
    email, revenue = sandbox.store.connect().execute(sql).fetchone()
    code, out, err = run(capsys, "subject-access", email, "--account", "demo-kajabi")
    assert code == 0, err
    records = json.loads(out)["records"]
    kinds = {r["list"].endswith(":customers") for r in records}
    assert kinds == {True, False}, [r["list"] for r in records]
    customer = next(r for r in records if r["list"].endswith(":customers"))
    assert customer["status"] == "unknown" and customer["email"].casefold() == email.casefold()
    assert str(float(revenue)) in {str(f["value"]) for f in customer["fields"]}
