"""Contract tests: the Heyloyalty adapter against the sandbox, over its real paths and auth."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest
from waiting import eventually

from audience_tui.core.errors import (
    AuthError,
    InvalidResponseError,
    NotFoundError,
    UnsupportedError,
    ValidationError,
)
from audience_tui.core.filters import matches
from audience_tui.core.models import (
    OPERATORS,
    OPERATORS_BY_TYPE,
    Audience,
    Condition,
    FieldType,
    Filter,
    ImportRequest,
    ImportState,
    Member,
    MemberStatus,
    PageRequest,
    Query,
    Sort,
)
from audience_tui.core.platforms import create
from audience_tui.core.provider import Provider
from audience_tui.demo import Sandbox, demo_accounts
from audience_tui.providers.heyloyalty.adapter import NO_IMPORT_STATUS
from audience_tui.sandbox.faults import FaultSpec

ALL = PageRequest(limit=5000)


@pytest.fixture
def hl(provider_for: Callable[[str], Provider]) -> Provider:
    return provider_for("heyloyalty")


async def _list(hl: Provider, name: str) -> Audience:
    return next(a for a in await hl.audiences() if a.name == name)


async def _all(hl: Provider, audience: Audience, query: Query | None = None) -> list[Member]:
    page = await hl.members(audience, query or Query(), ALL)
    assert page.total == len(page.members)
    return page.members


async def test_verify_accepts_the_demo_credentials(hl: Provider) -> None:
    assert await hl.verify() is None  # a wrong signature raises AuthError (next test)


async def test_wrong_secret_is_an_auth_error(sandbox: Sandbox) -> None:
    account, secrets = next(a for a in demo_accounts() if a[0].platform == "heyloyalty")
    wrong = create(
        account, {**secrets, "api_secret": "not-the-secret"}, transport=sandbox.transport
    )
    async with wrong:
        with pytest.raises(AuthError) as caught:
            await wrong.verify()
    assert "not-the-secret" not in str(caught.value)


async def test_lists_carry_live_counts_and_fields_their_formats(hl: Provider) -> None:
    lists = {a.name: a for a in await hl.audiences()}
    assert {"Newsletter DK", "VIP Club", "Webshop customers"} <= set(lists)
    vip = lists["VIP Club"]
    assert vip.member_count == (await hl.members(vip, Query(), PageRequest(1))).total
    specs = {s.name: s for s in await hl.fields(vip)}
    assert specs["tier"].type is FieldType.CHOICE
    assert specs["tier"].options == {"1": "Silver", "2": "Gold", "3": "Platinum"}
    assert specs["interests"].type is FieldType.MULTI and not specs["interests"].builtin
    assert specs["points"].type is FieldType.NUMBER
    for spec in specs.values():
        assert spec.server_operators == OPERATORS_BY_TYPE[spec.type]
        assert spec.sortable


async def test_paging_reaches_the_end_seeing_everyone_once(hl: Provider) -> None:
    vip = await _list(hl, "VIP Club")
    everyone = {m.id for m in await _all(hl, vip)}
    seen: list[str] = []
    offset, sizes = 0, (37, 50, 61, 100)
    while True:
        page = await hl.members(vip, Query(), PageRequest(sizes[len(seen) % 4], offset))
        assert page.offset == offset and page.total == len(everyone)
        seen += [m.id for m in page.members]
        offset += len(page.members)
        if not page.has_more:
            break
    assert len(seen) == len(set(seen)) == len(everyone)
    assert set(seen) == everyone


async def test_a_page_asked_for_without_documents_holds_the_same_members_without_them(
    hl: Provider,
) -> None:
    """`PageRequest(raw=False)` (a command writing rows out): the same members, names, dates
    and fields, only no platform document kept per member, most of a page's memory."""
    vip = await _list(hl, "VIP Club")
    whole = await hl.members(vip, Query(), PageRequest(60, 20))
    lean = await hl.members(vip, Query(), PageRequest(60, 20, raw=False))
    assert len(lean.members) == 60 and all(m.raw for m in whole.members)
    assert all(not m.raw for m in lean.members)
    kept = [replace(m, raw={}) for m in whole.members]
    assert lean.members == kept and (lean.total, lean.has_more) == (whole.total, whole.has_more)
    assert any(m.created_at and m.name for m in lean.members)


async def test_pages_past_the_paging_checkpoints_match_the_full_list(hl: Provider) -> None:
    """Newsletter DK is longer than the sandbox's checkpoint step (2000), both directions."""
    newsletter = await _list(hl, "Newsletter DK")
    full = [m.id for m in await _all(hl, newsletter)]
    assert len(full) > 2100
    newest_first = Query(sort=Sort("created_at", descending=True))
    for query, expected in ((Query(), full), (newest_first, full[::-1])):
        for offset, limit in ((1990, 50), (2100, 100), (len(full) - 7, 50)):
            page = await hl.members(newsletter, query, PageRequest(limit, offset))
            assert [m.id for m in page.members] == expected[offset : offset + limit]
    gone = (await hl.members(newsletter, Query(), PageRequest(1, 5))).members[0]
    await hl.opt_out(gone)
    page = await hl.members(newsletter, Query(), PageRequest(100, 2100))
    assert [m.id for m in page.members] == [i for i in full if i != gone.id][2100:2200]


def _conditions(birthdate: str, points: int) -> list[Condition]:
    """Every operator on every format it applies to; `birthdate`, `points`: values held."""
    numbers = [Condition("points", op, points) for op in ("eq", "neq", "gt", "gte", "lt", "lte")]
    return [
        *numbers,
        Condition("points", "ie"),
        Condition("tier", "eq", "3"),
        Condition("firstname", "eq", "ANNA"),
        Condition("firstname", "neq", "anna"),
        Condition("lastname", "sw", "SØ"),
        Condition("lastname", "ew", "SEN"),
        Condition("lastname", "ct", "Ch"),
        Condition("email", "nct", "example.com"),
        Condition("city", "eq", "københavn"),
        Condition("birthdate", "gt", "1980-01-01"),
        Condition("birthdate", "gte", "1980-01-01"),
        Condition("birthdate", "lt", "1960-06-30"),
        Condition("birthdate", "lte", "1960-06-30"),
        Condition("birthdate", "eq", birthdate),
        Condition("birthdate", "ie"),
        Condition("sex", "eq", "2"),
        Condition("sex", "neq", "2"),
        Condition("sex", "in", ["1", "2"]),
        Condition("sex", "nin", ["1"]),
        Condition("sex", "ie"),
        Condition("country", "nie"),
        Condition("interests", "in", ["1", "5"]),
        Condition("interests", "nin", ["1", "5"]),
        Condition("interests", "ina", ["1", "5"]),
        Condition("interests", "ie"),
        Condition("interests", "nie"),
        Condition("sms_consent", "eq", True),
        Condition("sms_consent", "neq", True),
        Condition("sms_consent", "ie"),
    ]


async def _check_against_reference(
    hl: Provider, audience: Audience, filters: list[Filter]
) -> list[int]:
    """Each filter's server answer equals `matches` over every row; returns the match counts."""
    types = {s.name: s.type for s in await hl.fields(audience)}
    rows = await _all(hl, audience)
    answers = await asyncio.gather(*(_all(hl, audience, Query(filter=f)) for f in filters))
    sizes = []
    for filter, answer in zip(filters, answers, strict=True):
        expected = {m.id for m in rows if matches(filter, m, types)}
        assert {m.id for m in answer} == expected, filter
        sizes.append(len(expected) if len(expected) < len(rows) else -1)
    return sizes


async def test_every_operator_matches_the_reference_evaluation(hl: Provider) -> None:
    vip = await _list(hl, "VIP Club")
    sample = next(m for m in await _all(hl, vip) if m.fields["points"] and m.fields["birthdate"])
    conditions = _conditions(sample.fields["birthdate"], sample.fields["points"])
    assert {c.op for c in conditions} == set(OPERATORS)
    types = {s.name: s.type for s in await hl.fields(vip)}
    assert {types[c.field] for c in conditions} == set(FieldType)
    sizes = await _check_against_reference(hl, vip, [Filter((c,)) for c in conditions])
    # not vacuous: every condition selects some but not all members
    vacuous = [c for c, n in zip(conditions, sizes, strict=True) if n <= 0]
    assert not vacuous, [f"{c.field} {c.op} {c.value}" for c in vacuous]


@pytest.mark.parametrize("logic", ["and", "or"])
async def test_both_logics_match_the_reference_evaluation(hl: Provider, logic: str) -> None:
    vip = await _list(hl, "VIP Club")
    filter = Filter(
        (
            Condition("sex", "eq", "2"),
            Condition("interests", "in", ["5"]),
            Condition("firstname", "sw", "a"),
        ),
        logic,  # type: ignore[arg-type]
    )
    assert (await _check_against_reference(hl, vip, [filter]))[0] > 0


async def test_conditions_on_unknown_fields_are_refused(hl: Provider) -> None:
    vip = await _list(hl, "VIP Club")
    query = Query(filter=Filter((Condition("shoe_size", "eq", "42"),)))
    with pytest.raises(UnsupportedError):
        await hl.members(vip, query, PageRequest(10))


async def test_sort_descending_by_points(hl: Provider) -> None:
    vip = await _list(hl, "VIP Club")
    page = await hl.members(vip, Query(sort=Sort("points", descending=True)), PageRequest(120))
    points = [m.fields["points"] for m in page.members if m.fields["points"] is not None]
    assert len(points) > 100 and points == sorted(points, reverse=True)


async def test_lookup_finds_every_membership_with_its_status(hl: Provider) -> None:
    webshop = await _list(hl, "Webshop customers")
    removed = (await hl.members(webshop, Query(status=MemberStatus.OPTED_OUT), ALL)).members
    newsletter_ids = {m.email for m in await _all(hl, await _list(hl, "Newsletter DK"))}
    person = next(m for m in removed if m.email in newsletter_ids)
    found = await hl.lookup(person.email.upper())
    by_list = {m.audience_id: m.status for m in found}
    assert by_list[webshop.id] is MemberStatus.OPTED_OUT
    assert len(by_list) >= 2 and all(m.email == person.email for m in found)


async def test_lookup_of_an_unknown_email_is_empty(hl: Provider) -> None:
    assert await hl.lookup("nobody-at-all@example.invalid") == []


async def test_lookup_refuses_an_invalid_email(hl: Provider) -> None:
    with pytest.raises(ValidationError):
        await hl.lookup("not an email")


async def test_opt_out_reads_back_and_is_idempotent(hl: Provider) -> None:
    vip = await _list(hl, "VIP Club")
    target = (await hl.members(vip, Query(), PageRequest(1, 17))).members[0]
    out = await hl.opt_out(target)
    assert out.id == target.id and out.status is MemberStatus.OPTED_OUT
    assert out.raw["unsubscribed_at"]
    email_is = Filter((Condition("email", "eq", target.email),))
    assert (await hl.members(vip, Query(filter=email_is), PageRequest(10))).members == []
    removed = await hl.members(vip, Query(filter=email_is, status=MemberStatus.OPTED_OUT), ALL)
    assert [m.id for m in removed.members] == [target.id]
    again = await hl.opt_out(out)
    assert again.status is MemberStatus.OPTED_OUT
    assert again.raw["unsubscribed_at"] == out.raw["unsubscribed_at"]


class _ByIdHidesRemoved(httpx.AsyncBaseTransport):
    """A server whose GET-by-id does not show unsubscribed members (undocumented either way)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and "/members/" in request.url.path:
            return httpx.Response(404, json={"message": "member not found", "code": 404})
        return await self.inner.handle_async_request(request)


async def test_opt_out_reads_back_from_the_removed_view_when_needed(sandbox: Sandbox) -> None:
    account, secrets = next(a for a in demo_accounts() if a[0].platform == "heyloyalty")
    async with create(account, secrets, transport=_ByIdHidesRemoved(sandbox.transport)) as hl:
        vip = await _list(hl, "VIP Club")
        target = (await hl.members(vip, Query(), PageRequest(1, 5))).members[0]
        out = await hl.opt_out(target)
    assert out.id == target.id and out.status is MemberStatus.OPTED_OUT


async def test_import_is_untracked_and_members_appear(hl: Provider) -> None:
    vip = await _list(hl, "VIP Club")
    rows = [
        {"email": "new.member@example.org", "firstname": "Nina", "points": 42,
         "interests": ["1", "9"], "birthdate": "1990-04-05"},
        {"email": "second.member@example.org", "firstname": "Otto", "tier": "3"},
    ]  # fmt: skip
    job = await hl.start_import(ImportRequest(vip, rows, "vip.csv"))
    assert job.state is ImportState.UNTRACKED and job.note.startswith(NO_IMPORT_STATUS)
    assert job.submitted == 2
    with pytest.raises(UnsupportedError, match="no import status endpoint"):
        await hl.imports()

    async def imported() -> bool:
        return bool(await hl.lookup("new.member@example.org"))

    await eventually(imported, "the sandbox's background import")
    (nina,) = await hl.lookup("new.member@example.org")
    assert nina.fields["points"] == 42 and nina.fields["interests"] == ["1", "9"]
    assert nina.fields["birthdate"] == "1990-04-05" and nina.raw["imported"] is True
    assert [m.fields["tier"] for m in await hl.lookup("second.member@example.org")] == ["3"]


async def test_import_of_a_field_the_list_lacks_is_refused(hl: Provider) -> None:
    vip = await _list(hl, "VIP Club")
    with pytest.raises(ValidationError, match="does not exist on the list VIP Club"):
        await hl.start_import(ImportRequest(vip, [{"email": "a@b.dk", "shoe": "42"}]))


async def test_malformed_body_is_an_invalid_response(hl: Provider, sandbox: Sandbox) -> None:
    sandbox.app.spec = FaultSpec(malformed=1.0)
    with pytest.raises(InvalidResponseError):
        await hl.audiences()


async def test_unknown_list_is_not_found(hl: Provider) -> None:
    missing = Audience(id="999", name="gone")
    with pytest.raises(NotFoundError):
        await hl.members(missing, Query(), PageRequest(10))
    with pytest.raises(NotFoundError):
        await hl.fields(missing)


async def test_status_views_without_a_heyloyalty_view_are_unsupported(hl: Provider) -> None:
    vip = await _list(hl, "VIP Club")
    with pytest.raises(UnsupportedError):
        await hl.members(vip, Query(status=MemberStatus.DELETED), PageRequest(10))
    pending = await hl.members(vip, Query(status=MemberStatus.PENDING), ALL)
    assert pending.members and all(m.status is MemberStatus.PENDING for m in pending.members)
