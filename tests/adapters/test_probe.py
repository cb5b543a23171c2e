"""`accounts probe`: every assumption confirmed against the demo accounts; each one contradicted
against a sandbox variant that behaves the other way the documents allow; a redacted report."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from variants import Variant, variant_session, with_url, without_subscribed

from audience_tui.cli import main
from audience_tui.core.models import MemberStatus, PageRequest, Query
from audience_tui.core.probe import probe, write_report
from audience_tui.core.session import Session
from audience_tui.demo import Sandbox, demo_accounts

PLATFORMS = ("placewise", "ownpage", "kajabi", "emma", "heyloyalty")


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_every_assumption_holds_on_the_demo(session: Session, platform: str) -> None:
    report = await probe(session, f"demo-{platform}")
    assert report.checks
    assert {c.verdict for c in report.checks} == {"confirmed"}, report.checks


async def test_the_report_is_redacted_and_holds_counts_only(
    session: Session, tmp_path: Path
) -> None:
    secrets = [v for _, s in demo_accounts() for v in s.values()]
    for platform in PLATFORMS:
        report = await probe(session, f"demo-{platform}")
        path = write_report(report, tmp_path / f"{platform}.json")
        text = path.read_text()
        assert json.loads(text)["account"] == f"demo-{platform}"
        assert "@" not in text  # no email address, nor any other member data
        assert not [secret for secret in secrets if secret in text]
        assert path.stat().st_mode & 0o077 == 0


def inclusive_end(request: httpx.Request) -> httpx.Request:
    """Emma reading `end` inclusive (as EmmaSharper does)."""
    end = request.url.params.get("end")
    if request.url.path.startswith("/emma/") and end is not None:
        return with_url(request, request.url.copy_set_param("end", str(int(end) + 1)))
    return request


def kajabi_cap_50(request: httpx.Request) -> httpx.Request:
    size = request.url.params.get("page[size]")
    if size is not None and int(size) > 50:
        return with_url(request, request.url.copy_set_param("page[size]", "50"))
    return request


def removed_ignored(request: httpx.Request) -> httpx.Request:
    if request.url.params.get("show") == "removed":
        return with_url(request, request.url.copy_set_param("show", "active"))
    return request


def exact_ignored(request: httpx.Request) -> httpx.Request:
    if "exact" in request.url.params:
        return with_url(request, request.url.copy_remove_param("exact"))
    return request


def cursor_ignored(request: httpx.Request) -> httpx.Request:
    """A Reporting API whose cursor key is not `page_info`: every page is the first."""
    if not request.url.path.endswith("/reporting/query"):
        return request
    body = {**json.loads(request.read()), "page_info": None}
    return httpx.Request("POST", request.url, headers=request.headers, json=body)


def reporting_refused(request: httpx.Request) -> httpx.Request | httpx.Response:
    if request.url.path.endswith("/reporting/query"):
        return httpx.Response(460, json={"error": "a user token (OAuth) is required"})
    return request


def no_email_consent(request: httpx.Request, doc: Any) -> Any:
    if request.url.path.endswith("/member_schema") and "city-lade" in request.url.path:
        doc["consents"] = {"sms_marketing": {"version": ""}}
    return doc


def no_purge_route(request: httpx.Request) -> httpx.Request | httpx.Response:
    """An Emma whose purge is elsewhere: OPTIONS of /members lists methods, of the purge 404."""
    if request.method == "OPTIONS" and request.url.path.endswith("/members/purge"):
        return httpx.Response(404, json={"error": "Not found"})
    return request


def no_member_delete(request: httpx.Request) -> httpx.Request | httpx.Response:
    """A Placewise whose member path takes GET and PUT only."""
    if request.method == "OPTIONS" and "/v3/" in request.url.path:
        return httpx.Response(405, headers={"Allow": "GET, PUT"})
    return request


def options_unanswered(request: httpx.Request) -> httpx.Request | httpx.Response:
    """A platform that routes no OPTIONS at all (as a Rails app without CORS does)."""
    if request.method == "OPTIONS":
        return httpx.Response(404, json={"error": "Not found"})
    return request


Change = dict[str, Callable[..., Any]]
CONTRADICTIONS: list[tuple[str, Change, str, str]] = [
    ("emma", {"before": inclusive_end}, "`end` is exclusive", "`end` is inclusive here"),
    ("kajabi", {"before": kajabi_cap_50}, "capped at 100", "page[size]=100 gave 50"),
    ("kajabi", {"after": without_subscribed}, "boolean `subscribed`", "25 missing"),
    ("heyloyalty", {"before": removed_ignored}, "show=removed", "active ("),
    ("ownpage", {"before": exact_ignored}, "exact=true", "still found the address"),
    ("placewise", {"before": cursor_ignored}, "page_info", "repeated 2 records"),
    ("placewise", {"before": reporting_refused}, "accepts the client token", "refused"),
    ("placewise", {"after": no_email_consent}, "email marketing consent", "city-lade"),
    ("emma", {"before": no_purge_route}, "/members/purge", "is not found (HTTP 404)"),
    ("placewise", {"before": no_member_delete}, "DELETE /v3/", "lists GET, PUT: no DELETE"),
]


@pytest.mark.parametrize(
    ("platform", "change", "assumption", "evidence"),
    CONTRADICTIONS,
    ids=[f"{p}-{a}" for p, _, a, _ in CONTRADICTIONS],
)
async def test_a_variant_contradicting_an_assumption_is_reported(
    sandbox: Sandbox, platform: str, change: Change, assumption: str, evidence: str
) -> None:
    async with variant_session(sandbox, platform, Variant(sandbox.transport, **change)) as session:
        report = await probe(session, f"demo-{platform}")
    [check] = [c for c in report.checks if assumption in c.assumption]
    assert check.verdict == "contradicted", check
    assert evidence in check.evidence


async def test_lookup_stays_exact_where_exact_is_ignored(sandbox: Sandbox) -> None:
    async with variant_session(
        sandbox, "ownpage", Variant(sandbox.transport, before=exact_ignored)
    ) as session:
        provider = session.provider("demo-ownpage")
        lists = await provider.audiences()
        page = await provider._documents(lists[0].id, {"status": "all", "count": 1})
        email = page[0]["email"]
        found = await provider.lookup(email)
        assert found and {m.email.casefold() for m in found} == {email.casefold()}


def test_the_command_prints_each_verdict_and_writes_the_report(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "probe.json"
    code = main(["--demo", "accounts", "probe", "demo-heyloyalty", "--output", str(out_file)])
    out = capsys.readouterr().out
    assert code == 0
    assert "CONFIRMED       show=removed" in out and f"report: {out_file}" in out
    assert json.loads(out_file.read_text())["checks"][0]["verdict"] == "confirmed"


async def test_opt_out_stays_right_where_show_removed_is_ignored(sandbox: Sandbox) -> None:
    """The removed view answering active members: the unsubscribed member is not in it, so the
    read-back falls back to the member by id, whose status word decides."""
    variant = Variant(sandbox.transport, before=removed_ignored)
    async with variant_session(sandbox, "heyloyalty", variant) as session:
        provider = session.provider("demo-heyloyalty")
        vip = await session.audience("demo-heyloyalty", "VIP Club")
        page = await provider.members(vip, Query(), PageRequest(5))
        member = next(m for m in page.members if m.status is MemberStatus.ACTIVE)
        outcome = await session.opt_out("demo-heyloyalty", member)
        assert outcome.confirmed and outcome.after is not None
        assert outcome.after.raw["status"]["status"] == "unsubscribed"


@pytest.mark.parametrize(
    ("platform", "assumption"), [("emma", "/members/purge"), ("placewise", "DELETE /v3/")]
)
async def test_an_erase_route_the_platform_does_not_describe_could_not_be_checked(
    sandbox: Sandbox, platform: str, assumption: str
) -> None:
    """No OPTIONS answer anywhere: the only other proof is the erase itself, never sent."""
    variant = Variant(sandbox.transport, before=options_unanswered)
    async with variant_session(sandbox, platform, variant) as session:
        report = await probe(session, f"demo-{platform}")
    [check] = [c for c in report.checks if assumption in c.assumption]
    assert check.verdict == "could not check", check
    assert "HTTP 404 without listing methods" in check.evidence
    assert "which a probe never does" in check.evidence


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_a_probe_changes_nothing(sandbox: Sandbox, platform: str) -> None:
    """Reads only: no PUT, PATCH or DELETE, and no POST but a token or a report query."""
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Request:
        sent.append(request)
        return request

    async with variant_session(sandbox, platform, Variant(sandbox.transport, before=record)) as s:
        await probe(s, f"demo-{platform}")
    writes = [
        f"{r.method} {r.url.path}"
        for r in sent
        if r.method not in ("GET", "HEAD", "OPTIONS")
        and not r.url.path.endswith(("/token", "/oauth/token", "/reporting/query"))
    ]
    assert sent and writes == []
