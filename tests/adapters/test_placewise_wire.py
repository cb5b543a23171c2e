"""Placewise MPC on the wire: required headers, the token bucket, imports in bulks, the seed's
example documents through the adapter's parsers, and malformed answers."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest

from audience_tui.core.errors import AuthError, InvalidResponseError, ValidationError
from audience_tui.core.models import (
    Audience,
    Condition,
    Filter,
    ImportRequest,
    ImportState,
    MemberStatus,
    PageRequest,
    Query,
)
from audience_tui.core.platforms import create
from audience_tui.core.provider import Provider
from audience_tui.demo import Sandbox, demo_accounts
from audience_tui.providers.placewise import wire as parse
from audience_tui.sandbox.faults import FaultSpec
from audience_tui.sandbox.placewise import routes as pw_sandbox

Make = Callable[..., Provider]
WOMEN = Query(filter=Filter((Condition("gender", "eq", "woman"),)))


class Tap(httpx.AsyncBaseTransport):
    """Passes requests to the sandbox, optionally without some headers; records the statuses."""

    def __init__(self, inner: httpx.AsyncBaseTransport, drop: tuple[str, ...] = ()) -> None:
        self.inner, self.drop, self.statuses = inner, drop, []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for name in self.drop:
            del request.headers[name]
        response = await self.inner.handle_async_request(request)
        self.statuses.append(response.status_code)
        return response


def placewise(sandbox: Sandbox, transport: httpx.AsyncBaseTransport | None = None, **kw):
    account, secrets = next((a, s) for a, s in demo_accounts() if a.platform == "placewise")
    settings = {**account.settings, **kw.pop("settings", {})}
    secrets = {**secrets, **kw.pop("secrets", {})}
    account = replace(account, settings=settings)
    return create(account, secrets, transport=transport or sandbox.transport, **kw)


async def test_missing_header_is_470_and_names_it(sandbox: Sandbox) -> None:
    async with placewise(sandbox, Tap(sandbox.transport, drop=("X-User-Agent",))) as provider:
        with pytest.raises(ValidationError, match="X-User-Agent") as caught:
            await provider.audiences()
    assert "470" in str(caught.value) and "missing" in str(caught.value)


async def test_malformed_customer_is_471_and_wrong_token_is_auth_error(sandbox: Sandbox):
    async with placewise(sandbox, settings={"customer": "id=mall"}) as provider:
        lade = Audience("city-lade", "City Lade", extra={"community_id": 3435})
        with pytest.raises(ValidationError, match="X-Customer") as caught:
            await provider.members(lade, WOMEN, PageRequest(limit=5))
        assert "471" in str(caught.value)
    async with placewise(sandbox, secrets={"token": "not-the-token"}) as provider:
        with pytest.raises(AuthError) as refused:
            await provider.verify()
        assert "not-the-token" not in str(refused.value)


async def test_page_size_cap_and_unknown_club(provider_for: Make) -> None:
    provider = provider_for("placewise")
    with pytest.raises(ValidationError, match="per_page"):
        await provider.http.json("GET", "/v3/city-lade/members", params={"per_page": 1001})
    with pytest.raises(ValidationError):
        await provider.members(Audience("city-lade", "x"), Query(), PageRequest(limit=1001))
    gone = Audience("no-such-club", "x")
    with pytest.raises(Exception, match="404"):
        await provider.members(gone, Query(), PageRequest(limit=5))


async def test_429_with_retry_after_is_waited_out(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pw_sandbox, "BUCKET_CAPACITY", 12.0)
    monkeypatch.setattr(pw_sandbox, "BUCKET_REFILL", 10.0)
    lade = Audience("city-lade", "City Lade", extra={"community_id": 3435})
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(seconds)

    async with placewise(sandbox) as first:  # spends the bucket (a report costs 11 here)
        await first.members(lade, WOMEN, PageRequest(limit=5))
    tap = Tap(sandbox.transport)
    async with placewise(sandbox, tap, sleep=sleep) as second:  # knows nothing of the bucket
        page = await second.members(lade, WOMEN, PageRequest(limit=5))
        assert len(page.members) == 5
        assert tap.statuses == [429, 200] and waits == [1.0]
        # Now the limiter has seen ratelimit-remaining: it waits instead of meeting a 429.
        await second.members(lade, WOMEN, PageRequest(limit=5))
        assert tap.statuses == [429, 200, 200]
        assert len(waits) == 2 and 0.5 < waits[1] <= 1.1


async def test_ratelimit_headers_report_the_documented_costs(provider_for: Make) -> None:
    provider = provider_for("placewise")
    tree = {
        "type": "or",
        "operations": [
            {"type": "equal", "field": "gender", "value": "woman"},
            {"type": "equal", "field": "gender", "value": None},
        ],
    }
    response = await provider.reporting.request(
        "POST",
        "/v1/reporting/query",
        json={"report": "members", "filter": tree, "limit": 1},
        read=True,
        cost=13,
    )
    assert response.headers["ratelimit-cost"] == "13"  # 10 for members + 3 for the "or"
    assert response.headers["ratelimit-bucket"].endswith(":reporting")
    assert int(response.headers["ratelimit-remaining"]) < pw_sandbox.BUCKET_CAPACITY


async def test_import_in_bulks_polls_to_finished_with_the_bad_row(
    provider_for: Make, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The 1,200 lookups for earlier opt-outs would spend the general bucket and have the client
    # wait ~9 s for its refill; the bucket is not what this test is about.
    monkeypatch.setattr(pw_sandbox, "BUCKET_CAPACITY", 1e9)
    provider = provider_for("placewise")
    lade = Audience("city-lade", "City Lade", extra={"community_id": 3435})
    rows = [{"email": f"new.member{i}@example.com", "first_name": f"New{i}"} for i in range(1200)]
    rows[1100]["email"] = "not-an-email"
    started = await provider.start_import(ImportRequest(lade, rows))
    assert started.state is ImportState.QUEUED and started.submitted == 1200
    ticks = itertools.count(0, 5)  # each poll 5 s after the last: each one reads the import
    provider.poll_clock = lambda: next(ticks)
    states = []
    for _ in range(5):
        job = await provider.import_status(started.id)
        states.append(job.state)
        if job.state is ImportState.FINISHED:
            break
    assert states[0] in (ImportState.QUEUED, ImportState.RUNNING)
    assert job.state is ImportState.FINISHED and len(job.parts) == 2
    assert [p.submitted for p in job.parts] == [1000, 200]
    assert job.added == 1199 and job.errors == 1
    assert [e.row for e in job.row_errors] == ["not-an-email"]
    assert "invalid" in job.row_errors[0].message
    assert [j.id for j in await provider.imports()] == [started.id]
    assert "no endpoint listing imports" in job.note
    found = await provider.lookup("new.member1199@example.com")
    assert [m.audience_id for m in found] == ["city-lade"]
    # Another adapter instance of the account finds the import by asking every club.
    async with placewise(sandbox, settings={}) as again:
        assert (await again.import_status(started.id)).state is ImportState.FINISHED
    with pytest.raises(ValidationError):
        await provider.import_status("no-such-import")


async def test_malformed_body_is_invalid_response(provider_for: Make, sandbox: Sandbox):
    provider = provider_for("placewise")
    sandbox.app.spec = FaultSpec(malformed=1.0)
    with pytest.raises(InvalidResponseError):
        await provider.audiences()
    sandbox.app.spec = FaultSpec()
    for broken in ({"records": "x"}, {"records": [], "pagination": {"next_page_info": 3}}, []):
        with pytest.raises(InvalidResponseError):
            parse.parse_records(broken, "POST /v1/reporting/query")
    with pytest.raises(InvalidResponseError):
        parse.parse_member({"id": 1, "properties": "x"}, "iml", "GET x")
    with pytest.raises(InvalidResponseError):
        parse.grouped_buckets([{"gender": "woman"}], "gender", "gender", ("gender",), "POST q")


# The members report's sample record from seed 000 (its stray trailing comma removed).
SEED_RECORDS = {
    "records": [
        {
            "id": 4066131,
            "community_id": 235,
            "optin_channel": "webforms",
            "optin_subchannel": None,
            "optin_platform": "webforms",
            "gender": "woman",
            "birth_year_group": 2000,
            "subunit_ids": [5],
            "group_ids": [32454, 32463, 39504, 40645, 75637, 76853, 92517],
            "favorite_stores": [],
            "properties": {
                "bool": False,
                "interests": ["dietary_and_nutrition"],
                "bonus_points": 0,
            },
            "consents": {
                "dmp_profiling": True,
                "sms_marketing": True,
                "cookie_tracking": True,
                "email_marketing": True,
            },
            "marketing_via_sms": True,
            "marketing_via_email": True,
            "marketing_via_push": True,
            "marketing_via_anything": True,
            "sms_status": "verified",
            "email_status": "verified",
            "push_status": "enabled",
            "push_devices": 1,
            "msisdn_country": "NO",
            "location_country": "NO",
            "city_place_id": 2,
            "place_id": 3,
            "created_at": "2017-06-19T09:56:22.527000Z",
            "updated_at": "2024-04-09T13:34:29.439000Z",
        }
    ],
    "pagination": {"next_page_info": "CNOW-AE"},
    "result_type": "records",
}


def test_seed_members_record_parses() -> None:
    records, cursor = parse.parse_records(SEED_RECORDS, "POST q")
    assert cursor == "CNOW-AE"
    member = parse.parse_record(records[0], "infinity-mall", "POST q")
    assert member.id == "4066131" and member.email is None and member.name is None
    assert member.status is MemberStatus.ACTIVE
    assert member.fields["gender"] == "woman" and member.fields["birth_year_group"] == 2000
    assert member.fields["interests"] == ["dietary_and_nutrition"]
    assert set(member.fields["consents"]) == {
        "dmp_profiling",
        "sms_marketing",
        "cookie_tracking",
        "email_marketing",
    }
    assert member.fields["city_place_id"] == 2 and member.created_at.year == 2017


def test_seed_grouped_counts_parse() -> None:
    def buckets(rows, field, grouping, keys):
        found = parse.grouped_buckets(rows, field, grouping, keys, "POST q")
        return {b.label: b.count for b in found}

    gender = [
        {"community_id": 42, "gender": "woman", "members_count": 1},
        {"community_id": 42, "gender": None, "members_count": 2},
    ]
    assert buckets(gender, "gender", "gender", ("gender",)) == {"(not set)": 2, "Woman": 1}
    places = [{"place_id": "Oslo", "members_count": 1}, {"place_id": "Oslo", "members_count": 2}]
    assert buckets(places, "place_id", "place", ("place_id",)) == {"Oslo": 3}
    via = [
        {"marketing_via_anything": True, "members_count": 1},
        {"marketing_via_anything": False, "members_count": 2},
    ]
    assert buckets(
        via, "marketing_via_anything", "marketing_via_anything", ("marketing_via_anything",)
    ) == {"no": 2, "yes": 1}
    location = [
        {"community_id": 42, "location_city": "Oslo", "location_detail": None, "members_count": 1},
        {
            "community_id": 42,
            "location_city": "Oslo",
            "location_detail": "Frogner",
            "members_count": 2,
        },
    ]
    keys = ("location_city", "location_detail")
    assert buckets(location, "location", "location", keys) == {"Oslo / Frogner": 2, "Oslo": 1}
    grouped = [
        {
            "community_id": 235,
            "grouping_type": "optin_channel",
            "grouping_value": "default",
            "members_count": 159,
            "updated_at": "2024-08-14T05:56:40.098000Z",
        }
    ]
    assert buckets(grouped, "optin_channel", "optin_channel", ("optin_channel",)) == {
        "default": 159
    }
