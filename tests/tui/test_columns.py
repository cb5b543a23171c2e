"""Scans that count one field read columns (`Provider.column`): each adapter's column is what its
members hold for that field, page for page; Heyloyalty reads it without making members; a
view the app checks itself still scans members; and counting equal values together
(`aggregate.tally`) counts exactly what counting each member would."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audience_tui.core.aggregate import aggregate, bucket_keys, field_spec, tally
from audience_tui.core.models import (
    Audience,
    Column,
    Condition,
    FieldSpec,
    FieldType,
    Filter,
    Page,
    PageRequest,
    Query,
)
from audience_tui.core.provider import Provider
from audience_tui.core.scan import collect, prepare
from audience_tui.demo import Sandbox
from audience_tui.providers.heyloyalty import adapter as heyloyalty
from audience_tui.sandbox import hostile

PLATFORMS = ("heyloyalty", "placewise", "ownpage", "kajabi", "emma")


async def fields_and_audience(provider: Provider) -> tuple[Audience, list[FieldSpec]]:
    """The platform's largest demo list, and its fields."""
    audiences = await provider.audiences()
    audience = max(audiences, key=lambda a: a.member_count or 0)
    return audience, await provider.fields(audience)


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_a_column_is_what_the_members_hold_page_for_page(
    platform: str, provider_for: Callable[..., Provider], sandbox: Sandbox
) -> None:
    hostile.seed(sandbox.store)
    provider = provider_for(platform)
    audience, specs = await fields_and_audience(provider)
    size = min(provider.capabilities.max_page_size, 40)
    requests = [PageRequest(size)]
    if provider.capabilities.paging == "offset":
        requests.append(PageRequest(size, size + 7))  # not on a page boundary
    for request in requests:
        whole = await provider.members(audience, Query(), request)
        assert whole.members
        for spec in specs:
            column = await provider.column(audience, Query(), request, spec.name)
            values = [m.fields.get(spec.name) for m in whole.members]
            page = {"total": whole.total, "has_more": whole.has_more, "first": whole.members[0].id}
            assert column == Column.of(values, next_cursor=whole.next_cursor, **page), spec.name
            assert column.size == len(whole.members)


async def test_heyloyalty_reads_a_column_without_making_members(
    provider_for: Callable[..., Provider], monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = provider_for("heyloyalty")
    audience = next(a for a in await provider.audiences() if a.name == "Newsletter DK")
    whole = await provider.members(audience, Query(), PageRequest(300, 300))

    def no_members(*args: Any) -> Any:
        raise AssertionError("a column made members")

    monkeypatch.setattr(heyloyalty, "parse_projected_page", no_members)
    monkeypatch.setattr(heyloyalty, "parse_page", no_members)
    column = await provider.column(audience, Query(), PageRequest(300, 300), "interests")
    assert column == Column.of(
        [m.fields.get("interests") for m in whole.members],
        total=whole.total,
        has_more=True,
        first=whole.members[0].id,
    )
    assert len(column.values) < column.size == 300


class Recorded:
    """The adapter, recording whether a scan read members or columns."""

    def __init__(self, provider: Provider, checks_city: bool = False) -> None:
        self._provider, self._checks_city = provider, checks_city
        self.read: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._provider, name)

    def accepts(self, condition: Condition, spec: FieldSpec) -> bool:
        return not self._checks_city or condition.field != "city"

    async def members(self, audience: Audience, query: Query, request: PageRequest) -> Page:
        self.read.append("members")
        return await self._provider.members(audience, query, request)

    async def column(
        self, audience: Audience, query: Query, request: PageRequest, name: str
    ) -> Column:
        self.read.append("column")
        return await self._provider.column(audience, query, request, name)


@pytest.mark.parametrize("checks_city", [False, True])
async def test_a_scan_reads_columns_unless_the_app_checks_members(
    checks_city: bool, provider_for: Callable[..., Provider]
) -> None:
    provider = Recorded(provider_for("heyloyalty"), checks_city)
    audience = next(a for a in await provider.audiences() if a.name == "Newsletter DK")
    query = Query(Filter((Condition("city", "ct", "a"),)))
    view = await prepare(provider, audience, query)  # type: ignore[arg-type]
    assert bool(view.plan.local) is checks_city
    counted = await aggregate(view, "interests")
    members = await collect(view)
    spec = field_spec(view, "interests")
    expected: Counter[Hashable] = Counter()
    for member in members:
        expected.update(bucket_keys(spec, member.fields.get("interests")))
    assert {b.key: b.count for b in counted.buckets} == dict(expected)
    assert counted.total == len(members)
    provider.read.clear()
    again = await aggregate(view, "interests")
    assert set(provider.read) == {"members" if checks_city else "column"}
    assert again.buckets == counted.buckets


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.0, 1.0, 2.5, float("nan")]),
    st.sampled_from(["", "1", "2", "true", "2001-02-03", "1999-12-31 00:00:00", "x"]),
)
_values = st.one_of(
    _scalars,
    st.lists(_scalars, max_size=3),
    st.lists(st.lists(_scalars, max_size=2), max_size=2),  # hostile: lists in lists
    st.dictionaries(st.sampled_from(["id", "value"]), _scalars, max_size=2),
)


@given(st.sampled_from(list(FieldType)), st.lists(_values, max_size=30))
def test_a_columns_counts_are_what_each_member_counts(kind: FieldType, values: list[Any]) -> None:
    spec = FieldSpec("f", "F", kind, options={"1": "One"})
    counted: Counter[Hashable] = Counter()
    tally(counted, spec, Column.of(values))
    expected: Counter[Hashable] = Counter()
    for value in values:
        expected.update(bucket_keys(spec, value))
    assert counted == expected
