"""An opt-out is confirmed only when the very field the write changed reads back changed: each
platform against the sandbox, and against a variant of it that behaves another way the documents
allow (the write accepted but the field unchanged, or the field absent)."""

from __future__ import annotations

from typing import Any

from variants import Variant, variant_provider, variant_session, without_subscribed

from audience_tui.core.models import MemberStatus, PageRequest, Query
from audience_tui.core.session import Session
from audience_tui.demo import Sandbox
from audience_tui.sandbox.kajabi.data import SITES

KAJABI_SITE = str(SITES[1][0])


async def first_subscribed(session: Session, account: str, audience_id: str) -> Any:
    provider = session.provider(account)
    audience = next(a for a in await provider.audiences() if a.id == audience_id)
    page = await provider.members(audience, Query(status=MemberStatus.ACTIVE), PageRequest(1))
    return page.members[0]


async def test_kajabi_confirms_by_subscribed_false(session: Session) -> None:
    member = await first_subscribed(session, "demo-kajabi", KAJABI_SITE)
    outcome = await session.opt_out("demo-kajabi", member)
    assert outcome.confirmed and outcome.after is not None
    assert outcome.after.raw["attributes"]["subscribed"] is False


async def test_kajabi_contact_without_subscribed_is_unknown_and_not_confirmed(
    sandbox: Sandbox,
) -> None:
    variant = Variant(sandbox.transport, after=without_subscribed)
    async with variant_provider(sandbox, "kajabi", variant) as kajabi:
        audience = next(a for a in await kajabi.audiences() if a.id == KAJABI_SITE)
        page = await kajabi.members(audience, Query(), PageRequest(5))
        assert {m.status for m in page.members} == {MemberStatus.UNKNOWN}  # never "opted out"
    async with variant_session(sandbox, "kajabi", variant) as session:
        member = page.members[0]
        outcome = await session.opt_out("demo-kajabi", member)
        assert not outcome.confirmed and outcome.error is not None
        assert "without a subscribed attribute" in str(outcome.error)
        actions = [e["action"] for e in session.audit.read()]
        assert actions[-1] == "opt_out.unconfirmed"
