"""Each platform's erase against the sandbox: the documented request, then a read-back that proves
the person absent (or anonymised); a second erase is harmless; refusals are explained."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from audience_tui.core.errors import ValidationError
from audience_tui.core.models import Member, PageRequest, Query
from audience_tui.core.provider import Provider
from audience_tui.demo import Sandbox

PLATFORMS = ("emma", "heyloyalty", "kajabi", "ownpage", "placewise")


async def someone_on(provider: Provider) -> Member:
    """A member of the platform's first list, as a lookup by email finds them."""
    audience = (await provider.audiences())[0]
    page = await provider.members(audience, Query(), PageRequest(limit=20))
    for listed in page.members:
        found = [m for m in await provider.lookup(listed.email or "x@y.z") if m.id == listed.id]
        if listed.email and found:
            return found[0]
    pytest.fail(f"no member found by email on {provider.platform}")


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_erase_then_read_back_proves_it(
    platform: str, provider_for: Callable[[str], Provider], sandbox: Sandbox
) -> None:
    provider = provider_for(platform)
    assert provider.erase_method is not None
    if platform == "kajabi":  # a contact without active payments
        email = (
            sandbox.store.connect()
            .execute("SELECT email FROM kajabi_contacts WHERE active_payments = 0 LIMIT 1")
            .fetchone()[0]
        )
        member = (await provider.lookup(email))[0]
    else:
        member = await someone_on(provider)
    erased = await provider.erase(member)
    assert erased.state == ("anonymised" if platform == "heyloyalty" else "absent")
    assert member.id in erased.evidence or member.audience_id in erased.evidence
    after = await provider.lookup(member.email or "")
    assert all((m.audience_id, m.id) != (member.audience_id, member.id) for m in after), (
        "the erased member is still found by email"
    )
    again = await provider.erase(member)  # a repeated erase leaves the same state, proven again
    assert again.state == erased.state


async def test_kajabi_refusal_for_active_payments_is_explained(
    provider_for: Callable[[str], Provider], sandbox: Sandbox
) -> None:
    provider = provider_for("kajabi")
    email = (
        sandbox.store.connect()
        .execute("SELECT email FROM kajabi_contacts WHERE active_payments = 1 LIMIT 1")
        .fetchone()[0]
    )
    member = (await provider.lookup(email))[0]
    with pytest.raises(ValidationError, match="active Kajabi Payments"):
        await provider.erase(member)
    assert await provider.lookup(email), "a refused erase must leave the contact in place"


async def test_heyloyalty_obscure_route_refuses_subscribed_members(
    heyloyalty_api, provider_for: Callable[[str], Provider]
) -> None:
    provider = provider_for("heyloyalty")
    member = await someone_on(provider)
    path = f"/loyalty/v1/lists/{member.audience_id}/members/{member.id}"
    if member.status.value == "active":
        answer = await heyloyalty_api.delete(f"{path}/obscure")
        assert answer.status_code == 400 and "unsubscribed" in answer.text
        assert (await heyloyalty_api.delete(path)).status_code == 204
    assert (await heyloyalty_api.delete(f"{path}/obscure")).status_code == 204
    doc = (await heyloyalty_api.get(path)).json()
    assert not doc.get("email") and doc["status"]["status"] == "unsubscribed"


async def test_placewise_pages_stay_whole_after_a_member_is_deleted(
    provider_for: Callable[[str], Provider],
) -> None:
    provider = provider_for("placewise")
    member = await someone_on(provider)
    club = next(a for a in await provider.audiences() if a.id == member.audience_id)
    before = await provider.members(club, Query(), PageRequest(limit=50, offset=0))
    await provider.erase(member)
    after = await provider.members(club, Query(), PageRequest(limit=50, offset=0))
    assert after.total == before.total - 1
    expected = [m.id for m in before.members if m.id != member.id]
    assert [m.id for m in after.members][: len(expected)] == expected[: len(after.members)]
