"""Heyloyalty opt-out and import rules: confirmed only from the removed view; an import never
re-subscribes the unsubscribed unless asked; opt-in mails and the error address only when given.
Against the sandbox (whose import re-activates the unsubscribed, the documented default) and
variants of it."""

from __future__ import annotations

import httpx
import pytest
from variants import Recorder, Variant, variant_provider, variant_session
from waiting import eventually

from audience_tui.core.errors import ValidationError
from audience_tui.core.models import (
    Audience,
    ImportRequest,
    Member,
    MemberStatus,
    PageRequest,
    Query,
)
from audience_tui.core.provider import Provider
from audience_tui.core.session import Session
from audience_tui.demo import Sandbox


async def vip_list(provider: Provider) -> Audience:
    return next(a for a in await provider.audiences() if a.name == "VIP Club")


async def active(provider: Provider, audience: Audience, n: int = 1) -> list[Member]:
    page = await provider.members(audience, Query(status=MemberStatus.ACTIVE), PageRequest(50))
    return [m for m in page.members if m.email][:n]


async def status_of(provider: Provider, audience: Audience, member: Member) -> MemberStatus:
    return (await provider.member(audience, member.id)).status


async def test_opt_out_is_confirmed_from_the_removed_view(session: Session) -> None:
    provider = session.provider("demo-heyloyalty")
    vip = await vip_list(provider)
    (member,) = await active(provider, vip)
    outcome = await session.opt_out("demo-heyloyalty", member)
    assert outcome.confirmed and outcome.after is not None
    assert outcome.after.status is MemberStatus.OPTED_OUT


async def test_a_delete_that_leaves_the_member_active_is_not_confirmed(sandbox: Sandbox) -> None:
    """The wiki calls DELETE 'delete': a server may answer 204 and keep the member listed."""

    def before(request: httpx.Request) -> httpx.Request | httpx.Response:
        return httpx.Response(204) if request.method == "DELETE" else request

    async with variant_session(
        sandbox, "heyloyalty", Variant(sandbox.transport, before=before)
    ) as session:
        provider = session.provider("demo-heyloyalty")
        (member,) = await active(provider, await vip_list(provider))
        outcome = await session.opt_out("demo-heyloyalty", member)
        assert not outcome.confirmed
        assert "reads back with status" in str(outcome.error)


async def test_import_keeps_the_unsubscribed_out_and_resubscribes_only_when_asked(
    sandbox: Sandbox,
) -> None:
    sent = Recorder(lambda r: r.url.path.endswith("/import"))
    async with variant_provider(
        sandbox, "heyloyalty", Variant(sandbox.transport, before=sent)
    ) as hl:
        vip = await vip_list(hl)
        gone, stays = await active(hl, vip, 2)
        await hl.opt_out(gone)
        rows = [
            {"email": gone.email.upper(), "firstname": "Back"},
            {"email": stays.email, "firstname": "Same"},
        ]
        assert await hl.opted_out_among(vip, [r["email"] for r in rows]) == {gone.email.casefold()}
        job = await hl.start_import(ImportRequest(vip, rows))
        assert job.submitted == 1 and job.skipped == 1
        assert "1 opted out earlier: kept out" in job.note
        assert gone.email.upper().encode() not in sent.bodies[-1]

        async def renamed() -> bool:
            return (await hl.member(vip, stays.id)).fields.get("firstname") == "Same"

        await eventually(renamed)
        assert await status_of(hl, vip, gone) is MemberStatus.OPTED_OUT

        again = await hl.start_import(ImportRequest(vip, rows[:1], resubscribe=True))
        assert again.submitted == 1 and not again.skipped

        async def back() -> bool:
            return await status_of(hl, vip, gone) is MemberStatus.ACTIVE

        await eventually(back)  # the sandbox re-activates on update, as the platform's default does
        await hl.opt_out(gone)
        with pytest.raises(ValidationError, match="opted out earlier"):
            await hl.start_import(ImportRequest(vip, rows[:1]))


async def test_opt_in_mails_are_off_unless_asked_and_errors_go_where_set(
    sandbox: Sandbox,
) -> None:
    sent = Recorder(lambda r: r.url.path.endswith("/import"))
    variant = Variant(sandbox.transport, before=sent)
    rows = [{"email": "fresh.face@example.org"}]
    async with variant_provider(sandbox, "heyloyalty", variant) as hl:
        job = await hl.start_import(ImportRequest(await vip_list(hl), rows))
        assert b'name="trigger_optin"\r\n\r\n0' in sent.bodies[-1]
        assert b'name="trigger_autoresponder"\r\n\r\n0' in sent.bodies[-1]
        assert b"sendErrorsTo" not in sent.bodies[-1]
        assert "No sendErrorsTo address is set" in job.note
    async with variant_provider(
        sandbox, "heyloyalty", variant, send_errors_to="crm@example.org"
    ) as hl:
        request = ImportRequest(
            await vip_list(hl), rows, trigger_optin=True, trigger_autoresponder=True
        )
        job = await hl.start_import(request)
        body = sent.bodies[-1]
        assert b'name="trigger_optin"\r\n\r\n1' in body
        assert b'name="trigger_autoresponder"\r\n\r\n1' in body
        assert b'name="sendErrorsTo"\r\n\r\ncrm@example.org' in body
        assert "e-mailed to crm@example.org" in job.note


async def test_rows_keyed_on_mobile_alone_are_checked_too(sandbox: Sandbox) -> None:
    sent = Recorder(lambda r: r.url.path.endswith("/import"))
    async with variant_provider(
        sandbox, "heyloyalty", Variant(sandbox.transport, before=sent)
    ) as hl:
        dk = next(a for a in await hl.audiences() if a.name == "Newsletter DK")  # has mobile
        gone, stays = [m for m in await active(hl, dk, 10) if m.fields.get("mobile")][:2]
        await hl.opt_out(gone)
        rows = [
            {"mobile": gone.fields["mobile"], "firstname": "Back"},
            {"mobile": stays.fields["mobile"], "firstname": "Same"},
        ]
        job = await hl.start_import(ImportRequest(dk, rows))
        assert job.submitted == 1 and job.skipped == 1
        assert gone.fields["mobile"].encode() not in sent.bodies[-1]
        assert stays.fields["mobile"].encode() in sent.bodies[-1]
        await hl.start_import(ImportRequest(dk, rows[:1], resubscribe=True))
        assert gone.fields["mobile"].encode() in sent.bodies[-1]
