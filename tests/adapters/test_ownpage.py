"""Ownpage contract tests: the adapter against the sandbox (and a few hand-made answers)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from audience_tui.core.aggregate import scan
from audience_tui.core.errors import (
    AuthError,
    InvalidResponseError,
    NotFoundError,
    UnsupportedError,
    ValidationError,
)
from audience_tui.core.models import (
    Account,
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
from audience_tui.core.scan import prepare
from audience_tui.demo import Sandbox, demo_accounts
from audience_tui.providers.ownpage import adapter as ownpage
from audience_tui.providers.ownpage.adapter import OwnpageProvider
from audience_tui.sandbox.faults import FaultSpec
from audience_tui.sandbox.ownpage import routes as op_sandbox
from audience_tui.sandbox.people import person

SPORT, ALERTS, QUOTIDIEN = "1202", "1204", "1201"


class Recording(httpx.AsyncBaseTransport):
    """The sandbox transport, remembering every request sent through it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    def calls(self) -> list[str]:
        return [f"{r.method} {r.url.path.removeprefix('/ownpage')}" for r in self.requests]


def _demo() -> tuple[Account, dict[str, str]]:
    return next((a, s) for a, s in demo_accounts() if a.platform == "ownpage")


@pytest.fixture
async def recorded(sandbox: Sandbox) -> AsyncIterator[tuple[OwnpageProvider, Recording]]:
    account, secrets = _demo()
    transport = Recording(sandbox.transport)
    provider = create(account, secrets, transport=transport)
    assert isinstance(provider, OwnpageProvider)
    yield provider, transport
    await provider.aclose()


@pytest.fixture
def op(provider_for) -> OwnpageProvider:
    return provider_for("ownpage")


def db_rows(sandbox: Sandbox, list_id: str) -> list[tuple[str, int, str | None]]:
    """(email, subscribed, cause) of every subscriber of the list, straight from SQLite."""
    sql = "SELECT email, subscribed, unsubscribed_cause FROM ownpage_subscribers WHERE list_id = ?"
    return [tuple(row) for row in sandbox.store.connect().execute(sql, (int(list_id),))]


def audience(list_id: str) -> Audience:
    return Audience(id=list_id, name=list_id)


# --- authentication ---------------------------------------------------------------------------
async def test_token_is_fetched_once_and_reused(recorded) -> None:
    provider, transport = recorded
    await provider.audiences()  # lists, then four counts in parallel
    await provider.members(audience(SPORT), Query(), PageRequest(10))
    calls = transport.calls()
    assert calls.count("POST /v1/token") == 1
    assert calls[0] == "POST /v1/token"
    token = transport.requests[1].headers["X-Ownpage-Client-Token"]
    assert all(r.headers["X-Ownpage-Client-Token"] == token for r in transport.requests[1:])
    assert b"op-demo" not in transport.requests[1].url.query


async def test_expired_token_is_renewed_transparently(recorded, sandbox) -> None:
    provider, transport = recorded
    await provider.verify()
    op_sandbox.expire_tokens(sandbox.store)
    page = await provider.members(audience(ALERTS), Query(), PageRequest(5))
    assert len(page.members) == 5
    assert transport.calls().count("POST /v1/token") == 2


async def test_token_refused_twice_is_an_auth_error(op, monkeypatch) -> None:
    monkeypatch.setattr(op_sandbox, "TOKEN_TTL_SECONDS", 0.0)  # every token born expired
    with pytest.raises(AuthError):
        await op.verify()


async def test_wrong_key_is_an_auth_error_without_the_key(sandbox) -> None:
    account, _ = _demo()
    provider = create(account, {"api_key": "wrong-key-1234"}, transport=sandbox.transport)
    try:
        with pytest.raises(AuthError) as caught:
            await provider.audiences()
    finally:
        await provider.aclose()
    assert "wrong-key-1234" not in str(caught.value)
    assert "Invalid credentials" in str(caught.value)


# --- lists and pages --------------------------------------------------------------------------
async def test_lists_with_counts(op, sandbox) -> None:
    lists = {a.name: a for a in await op.audiences()}
    assert {"Le Quotidien", "Sport Hebdo", "Culture & Loisirs", "Alertes Info"} <= set(lists)
    sport = lists["Sport Hebdo"]
    rows = db_rows(sandbox, sport.id)
    assert sport.member_count == len(rows)
    assert sport.extra["unsubscribed"] == sum(1 for _, subscribed, _ in rows if not subscribed)


@pytest.mark.parametrize(("list_id", "size"), [(ALERTS, 7), (ALERTS, 300), (SPORT, 250)])
async def test_paging_reaches_the_end_once(op, sandbox, list_id: str, size: int) -> None:
    seen: list[str] = []
    offset = 0
    while True:
        page = await op.members(audience(list_id), Query(), PageRequest(size, offset))
        assert page.total == len(db_rows(sandbox, list_id))
        seen += [m.email for m in page.members]
        offset += len(page.members)
        if not page.has_more:
            break
    assert len(seen) == len(set(seen)) == page.total
    assert set(seen) == {email for email, _, _ in db_rows(sandbox, list_id)}


async def test_page_at_an_unaligned_offset(op) -> None:
    page = await op.members(audience(ALERTS), Query(), PageRequest(50, 275))
    assert (len(page.members), page.offset, page.has_more) == (25, 275, False)


async def test_page_size_is_clamped_to_ownpage_cap(recorded) -> None:
    provider, transport = recorded
    page = await provider.members(audience(QUOTIDIEN), Query(), PageRequest(25_000))
    assert len(page.members) == page.total == 3600
    sent = [r for r in transport.requests if r.url.path.endswith("/subscribers")]
    assert sent[0].url.params["count"] == "10000"


async def test_status_views(op, sandbox) -> None:
    rows = db_rows(sandbox, SPORT)
    for status, want in ((MemberStatus.ACTIVE, 1), (MemberStatus.OPTED_OUT, 0)):
        page = await op.members(audience(SPORT), Query(status=status), PageRequest(1000))
        assert {m.status for m in page.members} == {status}
        assert page.total == len(page.members) == sum(1 for r in rows if r[1] == want)
    with pytest.raises(UnsupportedError):
        await op.members(audience(SPORT), Query(status=MemberStatus.PENDING), PageRequest(10))


async def test_email_search_and_exact(op, sandbox) -> None:
    contains = Query(filter=Filter((Condition("email", "ct", "EXAMPLE.SE"),)))
    page = await op.members(audience(SPORT), contains, PageRequest(1000))
    expected = {e for e, _, _ in db_rows(sandbox, SPORT) if "example.se" in e}
    assert {m.email for m in page.members} == expected and expected
    assert page.total is None and not page.has_more
    small = await op.members(audience(SPORT), contains, PageRequest(3))
    assert len(small.members) == 3 and small.has_more
    target = sorted(expected)[0]
    exact = Query(filter=Filter((Condition("email", "eq", target.upper()),)))
    found = await op.members(audience(SPORT), exact, PageRequest(10))
    assert [m.email for m in found.members] == [target]
    with pytest.raises(UnsupportedError):
        city = Query(filter=Filter((Condition("data_city", "eq", "Oslo"),)))
        await op.members(audience(SPORT), city, PageRequest(10))


async def test_fields_include_discovered_data_attributes(op) -> None:
    fields = {f.name: f for f in await op.fields(audience(SPORT))}
    assert fields["email"].server_operators == {"ct", "eq"}
    assert fields["data_sport_favori"].builtin is False
    assert set(fields["unsubscribed_cause"].options or {}) == {
        "READER",
        "PUBLISHER",
        "HARD_BOUNCE",
        "MULTIPLE_BOUNCES",
    }
    assert all(not f.server_operators for name, f in fields.items() if name != "email")


# --- lookup and opt-out -----------------------------------------------------------------------
async def test_lookup_finds_every_list(op) -> None:
    email = person(3300).email  # on Le Quotidien, Sport Hebdo and Culture & Loisirs
    found = await op.lookup(email.upper())
    assert {m.audience_id for m in found} == {"1201", "1202", "1203"}
    assert {m.email for m in found} == {email}
    assert await op.lookup("nobody.here@example.com") == []
    with pytest.raises(ValidationError):
        await op.lookup("not an email")


async def test_opt_out_is_reader_cause_by_default_and_idempotent(op, sandbox) -> None:
    page = await op.members(audience(SPORT), Query(status=MemberStatus.ACTIVE), PageRequest(1))
    target = page.members[0]
    before = (await op.aggregate(audience(SPORT), "subscribed", Filter())).buckets
    out = await op.opt_out(target)
    assert out.status is MemberStatus.OPTED_OUT
    assert out.fields["unsubscribed_cause"] == "READER" and out.fields["unsubscribed_at"]
    again = await op.opt_out(target)
    assert again.fields["unsubscribed_at"] == out.fields["unsubscribed_at"]
    after = (await op.aggregate(audience(SPORT), "subscribed", Filter())).buckets
    assert [b.count for b in after] == [before[0].count - 1, before[1].count + 1]
    [read] = [m for m in await op.lookup(target.email) if m.audience_id == SPORT]
    assert read.status is MemberStatus.OPTED_OUT


async def test_opt_out_never_creates_a_subscriber(op, sandbox) -> None:
    stranger = person(3300)  # on other lists, not on Alertes Info
    member = (await op.lookup(stranger.email))[0]
    with pytest.raises(NotFoundError):
        await op.opt_out(replace(member, audience_id=ALERTS))
    assert stranger.email not in {e for e, _, _ in db_rows(sandbox, ALERTS)}


# --- aggregates -------------------------------------------------------------------------------
@pytest.mark.parametrize("field", ["subscribed", "unsubscribed_cause"])
async def test_server_aggregate_equals_a_count_over_all_rows(op, field: str) -> None:
    server = await op.aggregate(audience(SPORT), field, Filter())
    view = await prepare(op, audience(SPORT), Query())
    counted = await scan(view, next(f for f in view.fields if f.name == field))
    assert server.source == "server" and counted.source == "scan"
    assert {b.key: b.count for b in server.buckets if b.count} == {
        b.key: b.count for b in counted.buckets
    }
    assert server.total == counted.total == 900


async def test_aggregate_limits(op) -> None:
    with pytest.raises(UnsupportedError):
        await op.aggregate(audience(SPORT), "data_city", Filter())
    email = Filter((Condition("email", "ct", "example"),))
    with pytest.raises(UnsupportedError):
        await op.aggregate(audience(SPORT), "subscribed", email)


# --- imports ----------------------------------------------------------------------------------
async def test_import_reports_the_summary(op) -> None:
    existing = (await op.members(audience(ALERTS), Query(), PageRequest(1))).members[0]
    rows = [
        {"email": "nouveau.lecteur@example.fr", "data_firstname": "Jean", "send_count": "4"},
        {"email": "autre.lecteur@example.fr", "subscribed": "false"},
        {"email": "nouveau.lecteur@example.fr"},  # duplicate in the payload: skipped
        {"email": "pas-une-adresse@"},
        {"email": existing.email, "data_city": "Quimper"},
    ]
    job = await op.start_import(ImportRequest(audience(ALERTS), rows))
    assert job.state is ImportState.FINISHED
    assert (job.submitted, job.added, job.updated, job.skipped, job.errors) == (5, 2, 1, 1, 1)
    assert job.row_errors[0].row == "row 4" and "pas-une-adresse@" in job.row_errors[0].message
    assert "no import history" in job.note and "send_count" in job.note
    [new] = await op.lookup("nouveau.lecteur@example.fr")
    assert new.name == "Jean" and new.status is MemberStatus.ACTIVE
    [other] = await op.lookup("autre.lecteur@example.fr")
    assert other.status is MemberStatus.OPTED_OUT and other.fields["unsubscribed_cause"] == "READER"
    with pytest.raises(UnsupportedError, match="no import history"):
        await op.imports()
    with pytest.raises(UnsupportedError):
        await op.import_status(job.id)


async def test_import_is_chunked_at_the_request_limit(recorded, monkeypatch) -> None:
    provider, transport = recorded
    monkeypatch.setattr(ownpage, "MAX_POST_ROWS", 2)
    rows = [{"email": f"lecteur{i}@example.fr"} for i in range(4)] + [{"email": "x@"}]
    job = await provider.start_import(ImportRequest(audience(ALERTS), rows))
    posts = [r for r in transport.requests if r.method == "POST" and "subscribers" in r.url.path]
    assert [len(json.loads(r.content)) for r in posts] == [2, 2, 1]
    assert (job.added, job.errors, job.row_errors[0].row) == (4, 1, "row 5")


# --- answers of the wrong shape ---------------------------------------------------------------
def _mock_provider(subscribers: object, counts: object = None) -> OwnpageProvider:
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/token":
            return httpx.Response(200, json={"token": "78jkhs803lkjh27p081hdlk6m99"})
        if path.endswith("/count"):
            return httpx.Response(200, json=counts)
        return httpx.Response(200, json=subscribers)

    account = Account("o", "ownpage", settings={"client": "c"})
    return OwnpageProvider(account, {"api_key": "k"}, transport=httpx.MockTransport(handler))


async def test_seed_example_payload_is_parsed() -> None:
    seed = [
        {"email": "email1@domaine.fr", "guid": "utilisateur1", "subscribed": True,
         "subscribed_at": "2016-..."},
        {"email": "email2@domaine.fr", "guid": "utilisateur2", "subscribed": True,
         "subscribed_at": "2016-..."},
    ]  # fmt: skip
    provider = _mock_provider(seed, {"subscribed": 2, "unsubscribed": 0})
    async with provider:
        page = await provider.members(audience("123"), Query(), PageRequest(1000))
    assert [m.id for m in page.members] == ["email1@domaine.fr", "email2@domaine.fr"]
    first = page.members[0]
    assert first.status is MemberStatus.ACTIVE and first.fields["guid"] == "utilisateur1"
    assert first.fields["subscribed_at"] == "2016-..." and first.created_at is None
    assert (page.total, page.has_more) == (2, False)


@pytest.mark.parametrize(
    ("subscribers", "counts"),
    [
        ({"subscribers": []}, {"subscribed": 1, "unsubscribed": 0}),
        ([{"guid": "no-email"}], {"subscribed": 1, "unsubscribed": 0}),
        ([], {"subscribed": "many", "unsubscribed": 0}),
    ],
)
async def test_wrong_shapes_are_invalid_responses(subscribers, counts) -> None:
    async with _mock_provider(subscribers, counts) as provider:
        with pytest.raises(InvalidResponseError):
            await provider.members(audience("123"), Query(), PageRequest(10))


async def test_malformed_body_is_an_invalid_response(op, sandbox) -> None:
    sandbox.app.spec = FaultSpec(malformed=1.0)
    with pytest.raises(InvalidResponseError):
        await op.audiences()
