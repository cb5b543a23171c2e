"""Kajabi contract tests: the adapter against the sandbox, end to end through JSON:API."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import pytest

from audience_tui.core.errors import AuthError, UnsupportedError, ValidationError
from audience_tui.core.filters import matches, plan
from audience_tui.core.models import (
    Audience,
    Condition,
    Filter,
    Member,
    MemberStatus,
    PageRequest,
    Query,
    Sort,
)
from audience_tui.core.platforms import create
from audience_tui.core.scan import collect, prepare
from audience_tui.demo import demo_accounts
from audience_tui.providers.kajabi.adapter import KajabiProvider
from audience_tui.sandbox.kajabi import routes as sandbox_kajabi
from audience_tui.sandbox.kajabi.data import SITES

PHOTO = str(SITES[1][0])  # the smaller demo site (420 contacts)


@pytest.fixture
def kajabi(provider_for) -> KajabiProvider:
    return provider_for("kajabi")


async def audience(provider: KajabiProvider, audience_id: str) -> Audience:
    return next(a for a in await provider.audiences() if a.id == audience_id)


async def walk(
    provider: KajabiProvider,
    target: Audience,
    query: Query | None = None,
    limits: Iterable[int] = (100,),
) -> list[Member]:
    """Every member of the query, page after page, with the given (cycled) page sizes."""
    members: list[Member] = []
    for limit in itertools.cycle(limits):
        page = await provider.members(target, query or Query(), PageRequest(limit, len(members)))
        assert page.offset == len(members)
        members += page.members
        if not page.has_more:
            assert len(members) == page.total
            return members


# --- authentication -----------------------------------------------------------------------------
async def test_token_is_fetched_once_and_reused(kajabi: KajabiProvider) -> None:
    before = sandbox_kajabi.TOKENS.grants["client_credentials"]
    await kajabi.verify()
    await kajabi.audiences()
    await kajabi.lookup("nobody@example.com")
    assert sandbox_kajabi.TOKENS.grants["client_credentials"] == before + 1


async def test_expired_token_is_refreshed_transparently(kajabi: KajabiProvider) -> None:
    first = await kajabi.audiences()
    refreshes = sandbox_kajabi.TOKENS.grants["refresh_token"]
    sandbox_kajabi.expire_tokens()  # the server now answers 401 to the token the adapter holds
    assert await kajabi.audiences() == first
    assert sandbox_kajabi.TOKENS.grants["refresh_token"] == refreshes + 1


async def test_token_is_renewed_before_it_expires(kajabi: KajabiProvider) -> None:
    await kajabi.audiences()
    token = kajabi.auth.token
    assert token is not None
    kajabi.auth.clock = lambda: token.expires_at + 1  # past the renewal margin, still valid there
    refreshes = sandbox_kajabi.TOKENS.grants["refresh_token"]
    await kajabi.audiences()
    assert sandbox_kajabi.TOKENS.grants["refresh_token"] == refreshes + 1
    assert kajabi.auth.token is not None and kajabi.auth.token.access != token.access


async def test_refused_refresh_token_falls_back_to_client_credentials(
    kajabi: KajabiProvider,
) -> None:
    await kajabi.audiences()
    assert kajabi.auth.token is not None
    sandbox_kajabi.TOKENS.revoke(kajabi.auth.token.access)  # kills the refresh token as well
    before = sandbox_kajabi.TOKENS.grants["client_credentials"]
    assert len(await kajabi.audiences()) == 4
    assert sandbox_kajabi.TOKENS.grants["client_credentials"] == before + 1


async def test_wrong_secret_is_an_auth_error_without_the_secret(sandbox) -> None:
    account = next(a for a, _ in demo_accounts() if a.platform == "kajabi")
    async with create(
        account, {"client_secret": "not-the-secret-123"}, transport=sandbox.transport
    ) as provider:
        with pytest.raises(AuthError) as caught:
            await provider.verify()
    assert "Invalid client credentials" in str(caught.value)
    assert "not-the-secret-123" not in str(caught.value)


# --- audiences and paging -----------------------------------------------------------------------
async def test_each_site_is_a_contacts_and_a_customers_audience(kajabi, sandbox) -> None:
    def counts(conn):
        contacts = dict(conn.execute("SELECT site_id, count(*) FROM kajabi_contacts GROUP BY 1"))
        customers = dict(
            conn.execute(
                "SELECT c.site_id, count(*) FROM kajabi_customers cu"
                " JOIN kajabi_contacts c ON c.id = cu.contact_id GROUP BY 1"
            )
        )
        return contacts, customers

    contacts, customers = await sandbox.store.run(counts)
    found = {a.id: a for a in await kajabi.audiences()}
    for site_id, title, *_ in SITES:
        assert found[str(site_id)].name == title
        assert found[str(site_id)].member_count == contacts[site_id]
        assert found[f"{site_id}:customers"].name == f"{title} — customers"
        assert found[f"{site_id}:customers"].kind == "customers"
        assert found[f"{site_id}:customers"].member_count == customers[site_id]


@pytest.mark.parametrize("limits", [(100,), (7,), (13, 100, 37, 1, 64, 99)])
async def test_paging_reaches_the_end_with_each_contact_once(kajabi, sandbox, limits) -> None:
    site = await audience(kajabi, PHOTO)
    members = await walk(kajabi, site, limits=limits)
    expected = await sandbox.store.run(
        lambda conn: [
            str(r[0])
            for r in conn.execute(
                "SELECT id FROM kajabi_contacts WHERE site_id = ?"
                " ORDER BY created_at DESC, id DESC",
                (int(PHOTO),),
            )
        ]
    )
    assert [m.id for m in members] == expected  # newest first, every contact exactly once
    assert all(m.audience_id == PHOTO for m in members)


async def test_a_page_past_the_end_is_empty(kajabi) -> None:
    site = await audience(kajabi, PHOTO)
    page = await kajabi.members(site, Query(), PageRequest(50, 10_000))
    assert page.members == [] and not page.has_more and page.total == site.member_count


@pytest.mark.parametrize(
    ("audience_id", "field"),
    [
        (PHOTO, "email"),
        (PHOTO, "name"),
        (PHOTO, "created_at"),
        (f"{PHOTO}:customers", "net_revenue"),
    ],
)
@pytest.mark.parametrize("descending", [False, True])
async def test_sort_ascending_and_descending(kajabi, audience_id, field, descending) -> None:
    target = await audience(kajabi, audience_id)
    members = await walk(kajabi, target, Query(sort=Sort(field, descending)))
    key = float if field == "net_revenue" else str
    values = [key(m.fields[field] or "") for m in members]
    assert values == sorted(values, reverse=descending)
    assert len(set(values)) > 3


# --- server-side filters against the reference evaluation ----------------------------------------
SERVER_CASES = [
    (PHOTO, [Condition("name", "ct", "SEN")]),
    (PHOTO, [Condition("email", "ct", "Example.NO")]),
    (PHOTO, [Condition("phone_number", "ct", "+474")]),
    (PHOTO, [Condition("address_line_1", "ct", "gata")]),
    (PHOTO, [Condition("address_line_2", "ct", "floor")]),
    (PHOTO, [Condition("address_city", "ct", "ØBENHAVN")]),
    (PHOTO, [Condition("address_country", "ct", "no")]),
    (PHOTO, [Condition("address_zip", "ct", "3")]),
    (PHOTO, [Condition("subscribed", "eq", True)]),
    (PHOTO, [Condition("name", "ct", "a"), Condition("subscribed", "eq", True)]),
    (f"{PHOTO}:customers", [Condition("name", "ct", "an")]),
    (f"{PHOTO}:customers", [Condition("email", "ct", "example.org")]),
    (f"{PHOTO}:customers", [Condition("net_revenue", "eq", 97)]),
    (f"{PHOTO}:customers", [Condition("net_revenue", "gt", 150)]),
    (f"{PHOTO}:customers", [Condition("net_revenue", "lt", 49)]),
]


@pytest.mark.parametrize(("audience_id", "conditions"), SERVER_CASES)
async def test_server_filters_agree_with_the_reference(kajabi, audience_id, conditions) -> None:
    target = await audience(kajabi, audience_id)
    fields = await kajabi.fields(target)
    wanted = Filter(tuple(conditions))
    assert plan(wanted, fields, kajabi.capabilities.filter_logic).server == wanted
    types = {spec.name: spec.type for spec in fields}
    everyone = await walk(kajabi, target)
    expected = [m.id for m in everyone if matches(wanted, m, types)]
    found = [m.id for m in await walk(kajabi, target, Query(filter=wanted))]
    assert found == expected
    assert 0 < len(found) < len(everyone)


async def test_conditions_without_a_kajabi_filter_stay_app_side(kajabi) -> None:
    site = await audience(kajabi, PHOTO)
    fields = await kajabi.fields(site)
    app_side = Filter(
        (
            Condition("created_at", "gte", "2025-01-01"),
            Condition("email", "sw", "anna"),
            Condition("custom_1", "eq", "sony"),
            Condition("subscribed", "neq", True),
        )
    )
    split = plan(app_side, fields, kajabi.capabilities.filter_logic)
    assert not split.server and split.local == app_side
    with pytest.raises(UnsupportedError):
        await kajabi.members(site, Query(filter=app_side), PageRequest(10))
    either = Filter((Condition("name", "ct", "a"), Condition("email", "ct", "b")), "or")
    assert not plan(either, fields, kajabi.capabilities.filter_logic).server


async def test_subscribed_false_is_refused_rather_than_guessed(kajabi) -> None:
    site = await audience(kajabi, PHOTO)
    query = Query(filter=Filter((Condition("subscribed", "eq", False),)))
    with pytest.raises(UnsupportedError, match="subscribed neq true"):
        await kajabi.members(site, query, PageRequest(10))


async def test_active_status_lists_subscribed_contacts_only(kajabi) -> None:
    site = await audience(kajabi, PHOTO)
    active = await walk(kajabi, site, Query(status=MemberStatus.ACTIVE))
    everyone = await walk(kajabi, site)
    assert [m.id for m in active] == [m.id for m in everyone if m.status is MemberStatus.ACTIVE]
    assert len(active) < len(everyone)


# --- lookup and opt-out -------------------------------------------------------------------------
async def shared_person(sandbox) -> str:
    """An email on both demo sites."""
    row = await sandbox.store.run(
        lambda conn: conn.execute(
            "SELECT email FROM kajabi_contacts GROUP BY email HAVING count(*) = 2 LIMIT 1"
        ).fetchone()
    )
    return row[0]


async def test_lookup_finds_the_person_on_every_site(kajabi, sandbox) -> None:
    email = await shared_person(sandbox)
    found = await kajabi.lookup(f"  {email.upper()} ")
    assert sorted(m.audience_id for m in found) == sorted(str(s[0]) for s in SITES)
    assert all(m.email == email for m in found)


async def test_lookup_of_an_unknown_email_is_empty(kajabi, sandbox) -> None:
    email = await shared_person(sandbox)
    assert await kajabi.lookup("nobody.at.all@example.com") == []
    assert (
        await kajabi.lookup(email.split("@")[0] + "@example.invalid") == []
    )  # contained, not equal


async def test_lookup_of_an_invalid_email_is_refused(kajabi) -> None:
    with pytest.raises(ValidationError):
        await kajabi.lookup("not an email")


async def test_opt_out_reads_back_opted_out_and_is_idempotent(kajabi, sandbox) -> None:
    site = await audience(kajabi, PHOTO)
    page = await kajabi.members(site, Query(status=MemberStatus.ACTIVE), PageRequest(1))
    person = page.members[0]
    out = await kajabi.opt_out(person)
    assert (out.id, out.status, out.fields["subscribed"]) == (
        person.id,
        MemberStatus.OPTED_OUT,
        False,
    )
    assert out.audience_id == PHOTO
    assert (await kajabi.member(site, person.id)).status is MemberStatus.OPTED_OUT
    again = await kajabi.opt_out(out)
    assert again.status is MemberStatus.OPTED_OUT
    stamps = await sandbox.store.run(
        lambda conn: conn.execute(
            "SELECT unsubscribed_at, subscribed FROM kajabi_contacts WHERE id = ?",
            (int(person.id),),
        ).fetchone()
    )
    assert stamps[0] and stamps[1] == 0  # the unsubscribe time is recorded, once
    # Kajabi's own window filter now finds them among the recently unsubscribed.
    recent = await kajabi.http.json(
        "GET",
        "/v1/contacts",
        params={"filter[site_id]": PHOTO, "filter[unsubscribed_in_last]": "1", "page[size]": "100"},
    )
    assert person.id in {item["id"] for item in recent["data"]}


async def test_opt_out_of_a_customer_unsubscribes_its_contact(kajabi) -> None:
    customers = await audience(kajabi, f"{PHOTO}:customers")
    buyers = await walk(kajabi, customers)
    subscribed = {
        m.id
        for m in await walk(
            kajabi, await audience(kajabi, PHOTO), Query(status=MemberStatus.ACTIVE)
        )
    }
    buyer = next(b for b in buyers if b.raw["relationships"]["contact"]["data"]["id"] in subscribed)
    out = await kajabi.opt_out(buyer)
    assert out.id == buyer.raw["relationships"]["contact"]["data"]["id"]
    assert out.status is MemberStatus.OPTED_OUT and out.audience_id == PHOTO


async def test_subscribed_false_is_planned_app_side(kajabi: KajabiProvider) -> None:
    audience = (await kajabi.audiences())[0]
    wanted = Filter((Condition("subscribed", "eq", "false"),))
    view = await prepare(kajabi, audience, Query(filter=wanted))
    assert not view.plan.server and view.plan.local
    members = await collect(view, limit=30)
    assert members and all(m.fields.get("subscribed") is not True for m in members)
