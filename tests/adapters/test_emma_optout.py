"""Emma opt-out and import rules: confirmed by member_status_id 'o' read back; imports leave out
opted-out members unless asked. Against the sandbox and variants of it."""

from __future__ import annotations

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
from audience_tui.core.provider import Provider
from audience_tui.core.session import Session
from audience_tui.demo import Sandbox


async def active_members(provider: Provider, n: int) -> tuple[Audience, list[Member]]:
    audience = next(a for a in await provider.audiences() if a.kind != "account")
    page = await provider.members(audience, Query(), PageRequest(100))
    return audience, [m for m in page.members if m.status is MemberStatus.ACTIVE][:n]


async def test_opt_out_is_confirmed_by_the_status_code(session: Session) -> None:
    _, (member,) = await active_members(session.provider("demo-emma"), 1)
    outcome = await session.opt_out("demo-emma", member)
    assert outcome.confirmed and outcome.after is not None
    assert outcome.after.raw["member_status_id"] == "o"


async def test_true_without_the_status_changed_is_not_confirmed(sandbox: Sandbox) -> None:
    """Emma answers `true` also when the member "was already opted out": `true` alone is no
    confirmation."""

    def before(request: httpx.Request) -> httpx.Request | httpx.Response:
        if request.method == "PUT" and "/members/email/optout/" in request.url.path:
            return httpx.Response(200, json=True)
        return request

    async with variant_session(
        sandbox, "emma", Variant(sandbox.transport, before=before)
    ) as session:
        _, (member,) = await active_members(session.provider("demo-emma"), 1)
        outcome = await session.opt_out("demo-emma", member)
        assert not outcome.confirmed
        assert "member_status_id reads back 'a'" in str(outcome.error)


async def test_import_keeps_the_opted_out_out_unless_asked(sandbox: Sandbox) -> None:
    sent = Recorder(lambda r: r.method == "POST" and r.url.path.endswith("/members"))
    async with variant_provider(sandbox, "emma", Variant(sandbox.transport, before=sent)) as em:
        audience, (gone, stays) = await active_members(em, 2)
        await em.opt_out(gone)
        rows = [{"email": gone.email.upper()}, {"email": stays.email}]
        job = await em.start_import(ImportRequest(audience, rows))
        assert job.submitted == 1 and job.skipped == 1 and "kept out" in job.note
        assert [m["email"] for m in sent.json()["members"]] == [stays.email]
        await em.start_import(ImportRequest(audience, rows[:1], resubscribe=True))
        assert [m["email"] for m in sent.json()["members"]] == [gone.email.upper()]
        with pytest.raises(ValidationError, match="opted out earlier"):
            await em.start_import(ImportRequest(audience, rows[:1]))
