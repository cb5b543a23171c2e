"""Projected scans (PageRequest.fields): a scan that counts one field asks the adapter for that
field only, Heyloyalty then decodes and parses nothing else, and the counts are those of whole
members; pages the projection cannot read, and garbage, behave as before."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from typing import Any

import httpx
import pytest

from audience_tui.core.aggregate import aggregate, bucket_keys, field_spec
from audience_tui.core.errors import InvalidResponseError
from audience_tui.core.http import ApiClient
from audience_tui.core.models import (
    Audience,
    Column,
    Condition,
    FieldSpec,
    Filter,
    MemberStatus,
    PageRequest,
    Query,
)
from audience_tui.core.provider import Provider
from audience_tui.core.scan import collect, prepare
from audience_tui.demo import Sandbox
from audience_tui.providers.heyloyalty.wire import (
    column_decoder,
    parse_column,
    parse_page,
    parse_projected_page,
    projection,
)
from audience_tui.sandbox import hostile
from audience_tui.sandbox.faults import FaultSpec


async def named(provider: Provider, name: str = "Newsletter DK") -> Audience:
    return next(a for a in await provider.audiences() if a.name == name)


async def test_a_projected_page_holds_only_the_fields_asked(
    provider_for: Callable[..., Provider],
) -> None:
    provider = provider_for("heyloyalty")
    audience = await named(provider)
    whole = await provider.members(audience, Query(), PageRequest(500, 250))
    asked = frozenset({"interests", "country"})
    part = await provider.members(audience, Query(), PageRequest(500, 250, fields=asked))
    assert (part.total, part.has_more) == (whole.total, whole.has_more)
    assert [m.id for m in part.members] == [m.id for m in whole.members]
    for full, partial in zip(whole.members, part.members, strict=True):
        assert set(partial.fields) <= asked | {"email"}  # no name, city, birthdate, ...
        assert partial.fields == {k: v for k, v in full.fields.items() if k in partial.fields}
        assert set(partial.fields) == set(full.fields) & (asked | {"email"})
        assert (partial.email, partial.status, partial.platform_status) == (
            full.email, full.status, full.platform_status,
        )  # fmt: skip
        assert partial.raw == {} and partial.name is None


class CityChecked:
    """The adapter, declining conditions on city, so the scan checks them itself."""

    def __init__(self, provider: Provider) -> None:
        self._provider = provider
        self.asked: list[frozenset[str] | None] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._provider, name)

    def accepts(self, condition: Condition, spec: FieldSpec) -> bool:
        return condition.field != "city"

    async def members(self, audience: Audience, query: Query, request: PageRequest) -> Any:
        self.asked.append(request.fields)
        return await self._provider.members(audience, query, request)


@pytest.mark.parametrize("field", ["interests", "country", "firstname", "birthdate"])
async def test_a_projected_scan_counts_what_whole_members_count(
    field: str, provider_for: Callable[..., Provider], sandbox: Sandbox
) -> None:
    hostile.seed(sandbox.store)
    provider = CityChecked(provider_for("heyloyalty"))
    condition = Condition("city", "ct", "e")
    audience = await named(provider, "VIP Club")  # type: ignore[arg-type]  # hostile members
    view = await prepare(provider, audience, Query(Filter((condition,))))  # type: ignore[arg-type]
    assert view.plan.local.conditions == (condition,)
    counted = await aggregate(view, field)
    assert set(provider.asked) == {frozenset({field, "city"})}
    spec = field_spec(view, field)
    expected: Counter[Hashable] = Counter()
    members = await collect(view)  # whole members, the city condition checked here too
    for member in members:
        expected.update(bucket_keys(spec, member.fields.get(field)))
    assert {b.key: b.count for b in counted.buckets} == dict(expected)
    assert counted.total == len(members) and counted.complete


PAGE = b"""{"page":1,"per_page":2,"total":2,"members":[
 {"id":"a","status":{"status":"active","email":"ok"},"email":"a@x.dk","city":"Aarhus",
  "interests":[{"value":"Music","id":1},{"value":"Books","id":2}],
  "birthdate":"1990-01-02 00:00:00"},
 {"id":7,"status":"temporary","email":"b@x.dk","interests":[[1]],"country":{"value":null,"id":""}}
]}"""


def client(body: bytes) -> ApiClient:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    return ApiClient("Heyloyalty", "https://api.example.test", transport=transport)


async def test_a_page_the_projection_cannot_read_is_parsed_whole() -> None:
    asked = projection(frozenset({"interests", "country"}))
    doc = await client(PAGE).json("GET", "/members", decoder=asked.decoder)
    assert not isinstance(doc, asked.page)  # a list in a list: not the projected type
    members, total = parse_page(doc, "GET /members", "4", MemberStatus.ACTIVE)
    assert total == 2 and members[1].fields["interests"] == ["[1]"]
    readable = PAGE.replace(b"[[1]]", b"[1]")
    typed = await client(readable).json("GET", "/members", decoder=asked.decoder)
    assert isinstance(typed, asked.page)
    part, _ = parse_projected_page(typed, asked, "GET /members", "4", MemberStatus.ACTIVE)
    whole, _ = parse_page(await client(readable).json("GET", "/m"), "", "4", MemberStatus.ACTIVE)
    for full, partial in zip(whole, part, strict=True):
        assert partial.fields == {k: full.fields[k] for k in partial.fields}
        assert (partial.id, partial.status) == (full.id, full.status)
    assert part[0].fields == {"email": "a@x.dk", "interests": ["1", "2"]}
    assert part[1].fields == {"email": "b@x.dk", "interests": ["1"], "country": None}


@pytest.mark.parametrize(
    "body",
    [b"\xef\xbb\xbf" + PAGE, PAGE.replace(b'"total":2', b'"total":NaN')],
)
async def test_what_python_json_reads_is_still_read(body: bytes) -> None:
    asked = projection(frozenset({"interests"}))
    doc = await client(body).json("GET", "/members", decoder=asked.decoder)
    assert len(parse_page(doc, "GET /members", "4", MemberStatus.ACTIVE)[0]) == 2
    assert (await client(body).json("GET", "/members"))["members"][0]["id"] == "a"


async def test_garbage_is_still_an_invalid_response(
    provider_for: Callable[..., Provider], sandbox: Sandbox
) -> None:
    provider = provider_for("heyloyalty")
    audience = await named(provider)
    request = PageRequest(100, fields=frozenset({"interests"}))
    for fault in (FaultSpec(malformed=1.0), FaultSpec(truncate=1.0)):
        sandbox.app.spec = fault
        with pytest.raises(InvalidResponseError, match="not valid JSON"):
            await provider.members(audience, Query(), request)
    sandbox.app.spec = FaultSpec()
    with pytest.raises(InvalidResponseError, match="'members' array"):
        doc = await client(b'{"total": 3}').json(
            "GET", "/members", decoder=projection(request.fields).decoder
        )
        parse_page(doc, "GET /members", "4", MemberStatus.ACTIVE)


def tallies(column: Column) -> list[tuple[str, int]]:
    """A column's values and counts, whatever order it holds them in."""
    return sorted(zip(map(repr, column.values), column.counts, strict=True))


async def test_a_column_is_what_the_parsed_members_hold() -> None:
    readable = PAGE.replace(b"[[1]]", b"[1]")
    # both shapes in one page, and a member whose `fields` is not an object (the listing shape)
    mixed = PAGE.replace(b'"id":7,', b'"id":7,"fields":null,').replace(
        b'{"id":"a",',
        b'{"id":"z","fields":{"interests":{"format":"multi","value":[5]}}},{"id":"a",',
    )
    decoder, typed = column_decoder("interests")
    for body in (readable, PAGE, mixed):  # raw values: a list in a list is read as parse_page does
        doc = await client(body).json("GET", "/members", decoder=decoder)
        assert isinstance(doc, typed)
        whole, total = parse_page(
            await client(body).json("GET", "/m"), "", "4", MemberStatus.ACTIVE
        )
        column = parse_column(doc, "interests")
        expected = Column.of([m.fields.get("interests") for m in whole], total=total)
        assert tallies(column) == tallies(expected)
        assert (column.size, column.total) == (expected.size, expected.total)
        assert column.size == len(whole) >= 2
    same = b'{"members":[%s]}' % b",".join([b'{"interests":[{"id":1,"value":"Music"}]}'] * 3)
    column = parse_column(await client(same).json("GET", "/m", decoder=decoder), "interests")
    assert (column.values, column.counts, column.size) == ([["1"]], [3], 3)
    # the detail shape (`fields`), as a listing may answer it
    detail = b'{"members":[{"id":"a","fields":{"interests":{"format":"multi","value":[2,3]}}}]}'
    column = parse_column(await client(detail).json("GET", "/m", decoder=decoder), "interests")
    assert (column.values, column.counts) == ([["2", "3"]], [1])
