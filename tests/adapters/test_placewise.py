"""Placewise MPC adapter against the sandbox: clubs, both paging modes, filters checked against the
reference evaluation, lookup, opt-out, grouped counts, time series."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from audience_tui.core.errors import UnsupportedError, ValidationError
from audience_tui.core.filters import matches, resolve
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
from audience_tui.core.provider import Provider
from audience_tui.core.scan import collect, prepare
from audience_tui.providers.placewise.fields import FIELDS, SPECS
from audience_tui.sandbox import people
from audience_tui.sandbox.placewise import routes as pw_sandbox

Make = Callable[..., Provider]
TYPES = {spec.name: spec.type for spec in FIELDS}
EVERYONE = Filter((Condition("created_at", "nie"),))  # true of every member, so reported rows


@pytest.fixture
def roomy_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests that run dozens of reports at once get a bucket no person would exhaust."""
    monkeypatch.setattr(pw_sandbox, "BUCKET_CAPACITY", 1e9)


async def club(provider: Provider, name: str) -> Audience:
    return next(a for a in await provider.audiences() if a.name == name)


async def report_rows(provider: Provider, audience: Audience, filter: Filter, limit=1000):
    """Every member a filtered (cursor-paged) query returns, page by page to the end."""
    query = Query(filter=resolve(filter, FIELDS))
    assert provider.paging_for(query) == "cursor"
    found: list[Member] = []
    cursor = None
    while True:
        page = await provider.members(audience, query, PageRequest(limit=limit, cursor=cursor))
        assert page.total is None
        found += page.members
        if not page.has_more:
            assert page.next_cursor is None
            return found
        cursor = page.next_cursor


async def test_clubs_are_the_audiences_with_member_counts(provider_for: Make) -> None:
    clubs = {a.name: a for a in await provider_for("placewise").audiences()}
    assert set(clubs) == {"Infinity Mall", "Storsenteret Nord", "City Lade"}
    assert clubs["City Lade"].member_count == 1000
    assert clubs["Infinity Mall"].kind == "loyalty club"
    assert clubs["Infinity Mall"].extra["community_id"] == 3433


async def test_management_paging_reaches_the_end_with_every_member_once(provider_for: Make):
    provider = provider_for("placewise")
    lade = await club(provider, "City Lade")
    ids: list[str] = []
    offset = 0
    while True:
        page = await provider.members(lade, Query(), PageRequest(limit=300, offset=offset))
        assert page.total == 1000 and page.offset == offset
        assert all(m.email and m.name for m in page.members)
        ids += [m.id for m in page.members]
        offset += len(page.members)
        if not page.has_more:
            break
    assert len(ids) == len(set(ids)) == 1000
    # A window across two platform pages is stitched from both.
    window = await provider.members(lade, Query(), PageRequest(limit=300, offset=250))
    assert [m.id for m in window.members] == ids[250:550]
    newest = await provider.members(
        lade, Query(sort=Sort("created_at", descending=True)), PageRequest(limit=5)
    )
    assert [m.id for m in newest.members] == ids[::-1][:5]


async def test_email_filter_stays_on_the_management_api(provider_for: Make) -> None:
    provider = provider_for("placewise")
    mall = await club(provider, "Infinity Mall")
    email = people.person(7).email
    query = Query(filter=Filter((Condition("email", "eq", email.upper()),)))
    assert provider.paging_for(query) == "offset"
    page = await provider.members(mall, query, PageRequest(limit=50))
    assert [m.email for m in page.members] == [email] and page.total == 1
    mixed = Filter((Condition("email", "eq", email), Condition("gender", "eq", "woman")))
    with pytest.raises(UnsupportedError, match="personal data"):
        await provider.members(mall, Query(filter=mixed), PageRequest(limit=50))


async def test_reporting_cursor_pages_to_the_end_without_personal_data(provider_for: Make):
    provider = provider_for("placewise")
    lade = await club(provider, "City Lade")
    rows = await report_rows(provider, lade, Filter((Condition("gender", "eq", "woman"),)), 150)
    assert len(rows) > 300  # several pages
    assert len({m.id for m in rows}) == len(rows)
    assert all(m.email is None and m.name is None for m in rows)
    assert all(m.fields["gender"] == "woman" and m.audience_id == lade.id for m in rows)


CONDITIONS = [
    Condition("gender", "eq", "woman"),
    Condition("gender", "neq", "woman"),
    Condition("gender", "in", ["woman", "man"]),
    Condition("gender", "nin", ["man"]),
    Condition("gender", "ie"),
    Condition("gender", "nie"),
    Condition("age", "in", ["25-29", "30-34", "80-"]),
    Condition("birth_year_group", "eq", 1980),
    Condition("birth_year_group", "neq", 1980),
    Condition("birth_year_group", "gt", 1980),
    Condition("birth_year_group", "gte", 1980),
    Condition("birth_year_group", "lt", 1960),
    Condition("birth_year_group", "lte", 1960),
    Condition("birth_year_group", "ie"),
    Condition("optin_channel", "ie"),
    Condition("optin_channel", "nie"),
    Condition("optin_subchannel", "ie"),
    Condition("optin_subchannel", "nie"),
    Condition("optin_platform", "nin", ["ios", "android"]),
    Condition("marketing_via_email", "eq", "yes"),
    Condition("marketing_via_email", "neq", "yes"),
    Condition("marketing_via_anything", "eq", "no"),
    Condition("email_status", "in", ["hard_bounced", "disabled"]),
    Condition("location_country", "nie"),
    Condition("city_place_id", "lte", 4),
    Condition("place_id", "ie"),
    Condition("created_at", "gt", "2021-06-30"),
    Condition("created_at", "lte", "2018-01-31"),
    Condition("updated_at", "gte", "2020-01-01"),
]


async def test_every_operator_and_both_logics_match_the_reference(
    provider_for: Make, roomy_bucket: None
) -> None:
    provider = provider_for("placewise")
    lade = await club(provider, "City Lade")
    everyone = await report_rows(provider, lade, EVERYONE)
    assert len(everyone) == 1000
    assert {op for c in CONDITIONS for op in [c.op]} >= {
        "eq",
        "neq",
        "gt",
        "gte",
        "lt",
        "lte",
        "in",
        "nin",
        "ie",
        "nie",
    }
    day = everyone[17].fields["created_at"][:10]  # a day on which somebody joined
    on_day = Condition("created_at", "eq", day)
    filters = [Filter((c,)) for c in [*CONDITIONS, on_day, Condition("created_at", "neq", day)]]
    filters += [
        Filter((CONDITIONS[0], CONDITIONS[10], CONDITIONS[19]), "and"),
        Filter((CONDITIONS[4], CONDITIONS[12], CONDITIONS[14]), "or"),
        Filter((CONDITIONS[1], on_day), "or"),
    ]
    answers = await asyncio.gather(*(report_rows(provider, lade, f) for f in filters))
    for filter, rows in zip(filters, answers, strict=True):
        resolved = resolve(filter, FIELDS)
        expected = {m.id for m in everyone if matches(resolved, m, TYPES)}
        got = [m.id for m in rows]
        assert len(got) == len(set(got))
        assert set(got) == expected, filter
        assert 0 < len(expected) < 1000 or filter.conditions[0].op in ("ie", "nie")


async def test_text_equality_is_checked_by_the_app(provider_for: Make) -> None:
    """The reporting filter compares text with case; the vocabulary does not: the app checks it."""
    provider = provider_for("placewise")
    lade = await club(provider, "City Lade")
    view = await prepare(
        provider, lade, Query(filter=Filter((Condition("optin_channel", "eq", "WEBFORMS"),)))
    )
    assert not view.plan.server and view.plan.local
    found = await collect(view, limit=5)
    assert found and all(m.fields["optin_channel"] == "webforms" for m in found)


async def test_status_views_and_unsupported_queries(provider_for: Make) -> None:
    provider = provider_for("placewise")
    lade = await club(provider, "City Lade")
    active = await provider.members(
        lade, Query(status=MemberStatus.ACTIVE), PageRequest(limit=1000)
    )
    assert active.members and all(m.status is MemberStatus.ACTIVE for m in active.members)
    bounced = await provider.members(lade, Query(status=MemberStatus.ERROR), PageRequest(limit=50))
    assert bounced.members and all(m.status is MemberStatus.ERROR for m in bounced.members)
    with pytest.raises(UnsupportedError):
        await provider.members(lade, Query(status=MemberStatus.OPTED_OUT), PageRequest(limit=5))
    with pytest.raises(UnsupportedError):
        interests = Filter((Condition("interests", "in", ["cars"]),))
        await provider.members(lade, Query(filter=interests), PageRequest(limit=5))
    with pytest.raises(ValidationError, match="page_info"):
        query = Query(filter=Filter((Condition("gender", "eq", "man"),)))
        await provider.members(lade, query, PageRequest(limit=5, cursor="bm90LWEtY3Vyc29y"))


async def test_lookup_finds_every_club_of_a_person(provider_for: Make) -> None:
    provider = provider_for("placewise")
    shared = people.person(1500)  # in Infinity Mall (0..1999) and Storsenteret Nord (1200..2699)
    found = await provider.lookup(f"  {shared.email.upper()} ")
    assert {m.audience_id for m in found} == {"infinity-mall", "storsenteret-nord"}
    assert all(m.email == shared.email and m.name == shared.name for m in found)
    assert await provider.lookup("nobody.at.all@example.com") == []
    with pytest.raises(ValidationError):
        await provider.lookup("not-an-email")


async def test_opt_out_is_read_back_and_idempotent(provider_for: Make) -> None:
    provider = provider_for("placewise")
    lade = await club(provider, "City Lade")
    page = await provider.members(lade, Query(), PageRequest(limit=100))
    member = next(m for m in page.members if m.status is MemberStatus.ACTIVE)
    after = await provider.opt_out(member)
    assert after.id == member.id and after.status is MemberStatus.OPTED_OUT
    assert after.raw["consents"]["email_marketing"]["status"] is False
    assert provider.opt_out_unconfirmed(after) is None
    # The email channel is left alone: transactional mail still reaches the member.
    assert after.fields["email_status"] == member.fields["email_status"] != "disabled"
    again = await provider.opt_out(after)
    assert again.status is MemberStatus.OPTED_OUT
    assert again.raw["consents"]["email_marketing"] == after.raw["consents"]["email_marketing"]
    reported = await report_rows(
        provider, lade, Filter((Condition("marketing_via_email", "eq", "no"),))
    )
    assert member.id in {m.id for m in reported}


def _counts(rows: list[Member], field: str) -> Counter[Any]:
    counts: Counter[Any] = Counter()
    for row in rows:
        value = row.fields.get(field)
        counts.update(value if isinstance(value, list) else [value])
    return counts


GROUPED = (
    "gender",
    "age",
    "optin_channel",
    "optin_platform",
    "marketing_via_anything",
    "consents",
    "interests",
    "city_place_id",
    "place_id",
)


async def test_grouped_counts_equal_counts_over_the_rows(provider_for: Make) -> None:
    provider = provider_for("placewise")
    lade = await club(provider, "City Lade")
    everyone = await report_rows(provider, lade, EVERYONE)
    women = resolve(Filter((Condition("gender", "eq", "woman"),)), FIELDS)
    subset = [m for m in everyone if matches(women, m, TYPES)]
    for field in GROUPED:
        plain = await provider.aggregate(lade, field, Filter())
        assert plain.source == "server"
        assert {b.key: b.count for b in plain.buckets} == dict(_counts(everyone, field)), field
        narrowed = await provider.aggregate(lade, field, women)
        assert {b.key: b.count for b in narrowed.buckets} == dict(_counts(subset, field)), field
        if SPECS[field].type.value != "multi":
            assert narrowed.total == len(subset)


async def test_aggregate_refuses_fields_without_a_grouping(provider_for: Make) -> None:
    provider = provider_for("placewise")
    lade = await club(provider, "City Lade")
    with pytest.raises(UnsupportedError):
        await provider.aggregate(lade, "email", Filter())


async def test_timeseries_shapes(provider_for: Make) -> None:
    provider = provider_for("placewise")
    lade = await club(provider, "City Lade")
    balance = await provider.timeseries(lade, "member_balance", "1d", 30)
    assert balance.series == ["in", "out"] and balance.interval == "1d"
    assert 30 <= len(balance.points) <= 31
    assert all(set(p.values) == {"in", "out"} for p in balance.points)
    history = await provider.timeseries(lade, "members_count_history", "1mo", 3650)
    values = [p.values["members"] for p in history.points]
    assert values == sorted(values) and values[-1] == 1000
    assert history.points[0].at < history.points[-1].at
    with pytest.raises(UnsupportedError):
        await provider.timeseries(lade, "sales", "1d", 7)
