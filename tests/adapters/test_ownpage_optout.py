"""Ownpage opt-out and import rules: cause READER by default, PUBLISHER as a setting; confirmed by
`subscribed` reading back false; imports leave out the unsubscribed unless asked. Against the
sandbox and variants of it."""

from __future__ import annotations

import json
from dataclasses import replace

import httpx
import pytest
from variants import Recorder, Variant, variant_provider, variant_session

from audience_tui.core.errors import ConfigError, ValidationError
from audience_tui.core.models import (
    Audience,
    ImportRequest,
    Member,
    MemberStatus,
    PageRequest,
    Query,
)
from audience_tui.core.provider import Provider
from audience_tui.demo import Sandbox

SPORT = Audience("1202", "Sport")


async def subscribed(provider: Provider, n: int = 1) -> list[Member]:
    page = await provider.members(SPORT, Query(status=MemberStatus.ACTIVE), PageRequest(n))
    return page.members


def upserts() -> Recorder:
    return Recorder(lambda r: r.method == "POST" and r.url.path.endswith("/subscribers"))


async def test_publisher_cause_is_a_setting(sandbox: Sandbox) -> None:
    posted = upserts()
    variant = Variant(sandbox.transport, before=posted)
    async with variant_provider(sandbox, "ownpage", variant, unsubscribe_cause="publisher") as op:
        (member,) = await subscribed(op)
        out = await op.opt_out(member)
        assert out.raw["unsubscribed_cause"] == "PUBLISHER" and op.opt_out_unconfirmed(out) is None
        assert posted.json() == [
            {"email": member.email, "subscribed": False, "unsubscribed_cause": "PUBLISHER"}
        ]
    async with variant_provider(sandbox, "ownpage", unsubscribe_cause="whoever") as op:
        (member,) = await subscribed(op)
        with pytest.raises(ConfigError, match="READER or PUBLISHER"):
            await op.opt_out(member)


async def test_an_upsert_that_changes_nothing_is_not_confirmed(sandbox: Sandbox) -> None:
    """Ownpage documents that an absent or invalid `subscribed` keeps the status: a server that
    dropped it answers 200 and the subscriber stays subscribed."""

    def before(request: httpx.Request) -> httpx.Request:
        if request.method != "POST" or not request.url.path.endswith("/subscribers"):
            return request
        rows = [
            {k: v for k, v in row.items() if k == "email"} for row in json.loads(request.read())
        ]
        return httpx.Request("POST", request.url, headers=request.headers, json=rows)

    async with variant_session(
        sandbox, "ownpage", Variant(sandbox.transport, before=before)
    ) as session:
        (member,) = await subscribed(session.provider("demo-ownpage"))
        outcome = await session.opt_out("demo-ownpage", member)
        assert not outcome.confirmed and "subscribed reads back True" in str(outcome.error)


async def test_import_keeps_the_unsubscribed_out_unless_asked(sandbox: Sandbox) -> None:
    posted = upserts()
    variant = Variant(sandbox.transport, before=posted)
    async with variant_provider(sandbox, "ownpage", variant) as op:
        gone, stays = await subscribed(op, 2)
        await op.opt_out(gone)
        rows = [
            {"email": gone.email, "subscribed": "true"},
            {"email": stays.email, "subscribed": "true"},
        ]
        assert await op.opted_out_among(SPORT, [r["email"] for r in rows]) == {
            gone.email.casefold()
        }
        job = await op.start_import(ImportRequest(SPORT, rows))
        assert job.submitted == 1 and "1 opted out earlier: kept out" in job.note
        assert [r["email"] for r in posted.json()] == [stays.email]
        [still] = [m for m in await op.lookup(gone.email) if m.audience_id == SPORT.id]
        assert still.status is MemberStatus.OPTED_OUT
        await op.start_import(ImportRequest(SPORT, rows[:1], resubscribe=True))
        [back] = [m for m in await op.lookup(gone.email) if m.audience_id == SPORT.id]
        assert back.status is MemberStatus.ACTIVE
        await op.opt_out(back)
        with pytest.raises(ValidationError, match="opted out earlier"):
            await op.start_import(ImportRequest(SPORT, rows[:1]))


async def test_an_email_no_request_can_carry_is_refused_before_anything_is_sent(
    sandbox: Sandbox,
) -> None:
    """Ownpage names a subscriber by email alone (the seed's subscriber has a guid, but no
    route takes it): a lone surrogate in the email leaves no way to reach them, and the
    adapter says so, with the way out, instead of failing in the HTTP layer."""
    sent = Recorder(lambda request: request.method == "POST" and "/subscribers" in request.url.path)
    async with variant_provider(sandbox, "ownpage", Variant(sandbox.transport, before=sent)) as op:
        (member,) = await subscribed(op)
        hostile = replace(member, email=(member.email or "").replace("@", "\ud800@"))
        for write, done in ((op.opt_out, "opted out"), (op.erase, "erased")):
            with pytest.raises(ValidationError) as caught:
                await write(hostile)
            message = str(caught.value)
            assert f"cannot be {done} through Ownpage's API" in message
            assert "email alone" in message and "nothing was sent" in message
            assert "dashboard" in message
        assert sent.bodies == []
        assert (await op.member(SPORT, member.id)).status is MemberStatus.ACTIVE
