"""Placewise opt-out: withdraw the club's email marketing consent (slug from the club's member
schema), leave the email channel alone unless asked, confirm by the consent; imports leave out the
opted out and their status is polled at most every 5 s. Against the sandbox and variants of it."""

from __future__ import annotations

import itertools
import json
from typing import Any

import httpx
import pytest
from variants import Recorder, Variant, variant_provider, variant_session

from audience_tui.core.errors import ValidationError
from audience_tui.core.models import (
    Audience,
    ImportRequest,
    Member,
    MemberStatus,
    PageRequest,
    Query,
)
from audience_tui.core.session import Session
from audience_tui.demo import Sandbox
from audience_tui.providers.placewise.consent import email_consent_slug

LADE = Audience("city-lade", "City Lade", extra={"community_id": 3435})
SCHEMA = "/placewise/v3/loyalty_clubs/city-lade/member_schema"


def schema_with(*slugs: str):
    def after(request: httpx.Request, doc: Any) -> Any:
        if request.url.path == SCHEMA:
            doc["consents"] = {slug: {"version": ""} for slug in slugs}
        return doc

    return after


async def active_member(session: Session, account: str = "demo-placewise") -> Member:
    page = await session.provider(account).members(LADE, Query(), PageRequest(limit=100))
    return next(m for m in page.members if m.status is MemberStatus.ACTIVE)


def test_the_slug_comes_from_the_definitions() -> None:
    assert email_consent_slug("c", ["sms_marketing", "email_marketing"]) == "email_marketing"
    assert email_consent_slug("c", ["sms_marketing", "marketing_e-mail"]) == "marketing_e-mail"
    with pytest.raises(ValidationError, match="none is for email marketing"):
        email_consent_slug("c", ["sms_marketing", "cookie_tracking"])
    with pytest.raises(ValidationError, match="several"):
        email_consent_slug("c", ["email_marketing_a", "email_newsletter"])


async def test_opt_out_withdraws_the_consent_and_leaves_the_channel(session: Session) -> None:
    member = await active_member(session)
    outcome = await session.opt_out("demo-placewise", member)
    assert outcome.confirmed and outcome.after is not None
    assert outcome.after.raw["consents"]["email_marketing"]["status"] is False
    assert outcome.after.raw["email_status"] == member.raw["email_status"] != "disabled"


async def test_disabling_the_channel_is_a_separate_choice(session: Session) -> None:
    member = await active_member(session)
    outcome = await session.opt_out("demo-placewise", member, disable_channel=True)
    assert outcome.confirmed and outcome.after is not None
    assert outcome.after.raw["email_status"] == "disabled"
    assert list(session.audit.read())[-1]["channel_disabled"] is True


async def test_a_club_without_an_email_consent_gets_a_clear_error(sandbox: Sandbox) -> None:
    variant = Variant(sandbox.transport, after=schema_with("sms_marketing", "cookie_tracking"))
    async with variant_session(sandbox, "placewise", variant) as session:
        member = await active_member(session)
        outcome = await session.opt_out("demo-placewise", member)
        assert not outcome.confirmed and outcome.error is not None
        assert "defines no single email marketing consent" in str(outcome.error)
        assert "sms_marketing, cookie_tracking" in str(outcome.error)


async def test_the_club_s_own_slug_is_the_one_withdrawn(sandbox: Sandbox) -> None:
    sent = Recorder(lambda r: r.method == "PUT")
    variant = Variant(sandbox.transport, before=sent, after=schema_with("newsletter_email"))
    async with variant_session(sandbox, "placewise", variant) as session:
        outcome = await session.opt_out("demo-placewise", await active_member(session))
        assert [json.loads(b) for b in sent.bodies] == [
            {"consents": {"newsletter_email": {"status": False}}, "validate_partially": True}
        ]
        assert outcome.confirmed


async def test_a_disabled_channel_does_not_confirm_a_consent_left_given(sandbox: Sandbox) -> None:
    """A server that took the PUT but kept the consent (and disabled email instead): the member
    reads as opted out by status, yet the consent the write changed did not change."""

    def before(request: httpx.Request) -> httpx.Request:
        if request.method != "PUT":
            return request
        body = {"email_enabled": False, "validate_partially": True}
        return httpx.Request("PUT", request.url, headers=request.headers, json=body)

    variant = Variant(sandbox.transport, before=before)
    async with variant_session(sandbox, "placewise", variant) as session:
        outcome = await session.opt_out("demo-placewise", await active_member(session))
        assert outcome.after is not None and outcome.after.status is MemberStatus.OPTED_OUT
        assert not outcome.confirmed
        assert "consent email_marketing reads back True" in str(outcome.error)


async def test_import_keeps_out_the_opted_out_unless_asked(session: Session) -> None:
    member = await active_member(session)
    assert (await session.opt_out("demo-placewise", member)).confirmed
    provider = session.provider("demo-placewise")
    rows = [{"email": member.email.upper()}, {"email": "brand.new@example.com"}]
    assert await provider.opted_out_among(LADE, [r["email"] for r in rows]) == {
        member.email.casefold()
    }
    job = await provider.start_import(ImportRequest(LADE, rows))
    assert job.submitted == 1 and job.skipped == 1
    assert "1 opted out earlier: kept out" in job.note
    again = await provider.start_import(ImportRequest(LADE, rows[:1], resubscribe=True))
    assert again.submitted == 1 and not again.skipped
    with pytest.raises(ValidationError, match="opted out earlier"):
        await provider.start_import(ImportRequest(LADE, rows[:1]))


async def test_import_status_is_polled_at_most_every_five_seconds(sandbox: Sandbox) -> None:
    recorder = Recorder(lambda r: r.method == "GET" and "/members/imports/" in r.url.path)
    reads = recorder.bodies
    async with variant_provider(
        sandbox, "placewise", Variant(sandbox.transport, before=recorder)
    ) as p:
        job = await p.start_import(ImportRequest(LADE, [{"email": "poll.me@example.com"}]))
        clock = itertools.chain([100.0, 101.0, 104.9, 105.0], itertools.repeat(105.0))
        p.poll_clock = lambda: next(clock)
        first = await p.import_status(job.id)  # t=100: read
        assert len(reads) >= 1
        count = len(reads)
        assert await p.import_status(job.id) == first  # t=101: the last answer, no request
        assert await p.import_status(job.id) == first  # t=104.9: still none
        assert len(reads) == count
        await p.import_status(job.id)  # t=105: read again
        assert len(reads) > count
