"""Kajabi wire format: the requests the adapter builds and the documents it reads.

Requests are checked against the parameter names of the seed (seeds/002, list customers) and
documents against the JSON:API examples of the dossier (providers/kajabi.md), through a
MockTransport playing api.kajabi.com.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from audience_tui.core.errors import InvalidResponseError, ValidationError
from audience_tui.core.models import (
    Account,
    Audience,
    Condition,
    Filter,
    MemberStatus,
    PageRequest,
    Query,
    Sort,
)
from audience_tui.providers.kajabi.adapter import KajabiProvider, cover
from audience_tui.providers.kajabi.wire import error_detail, parse_listing, to_member

# Parameters the seed documents (name -> its description there), as the adapter may send them.
SEED_PARAMS = {
    "sort": "Sort order, use: name, email, created_at, net_revenue, last_request_at",
    "page[number]": "(page number, JSON:API)",
    "page[size]": "Number of documents",
    "fields[customers]": "Sparse fields, use: name, email",
    "filter[site_id]": "required when the account has multiple sites",
    "filter[name_contains]": "Filter customers whose name contains the given value",
    "filter[email_contains]": "Filter customers whose email contains the given value",
    "filter[subscribed]": "Filter subscribed customers",
    "filter[net_revenue_equal_to]": "Filter customers whose net revenue equals the given value",
    "filter[net_revenue_greater_than]": "... is greater than the given value",
    "filter[net_revenue_less_than]": "... is less than the given value",
}
# The dossier's paged response (links shortened) and error examples.
PAGED = {
    "data": [
        {
            "id": "456",
            "type": "contacts",
            "attributes": {
                "name": "John Smith",
                "email": "john@example.com",
                "created_at": "2024-01-15T10:30:00Z",
                "updated_at": "2024-01-15T10:30:00Z",
            },
            "relationships": {"site": {"data": {"id": "123", "type": "sites"}}},
        }
    ],
    "links": {
        "self": "https://app.kajabi.com/api/v1/contacts?page[number]=2&page[size]=10",
        "first": "https://app.kajabi.com/api/v1/contacts?page[number]=1&page[size]=10",
        "prev": "https://app.kajabi.com/api/v1/contacts?page[number]=1&page[size]=10",
        "next": "https://app.kajabi.com/api/v1/contacts?page[number]=3&page[size]=10",
        "last": "https://app.kajabi.com/api/v1/contacts?page[number]=5&page[size]=10",
    },
    "meta": {"total_pages": 5, "total_count": 50, "current_page": 2},
}
UNPROCESSABLE = {
    "errors": [
        {
            "status": "422",
            "source": {"pointer": "/data/attributes/email"},
            "title": "Unprocessable Entity",
            "detail": "Email is invalid",
        }
    ]
}
TOKEN = {"access_token": "at-123456", "refresh_token": "rt-123456", "expires_in": 7200}

Handler = Callable[[httpx.Request], httpx.Response]


def kajabi_api(answer: Callable[[httpx.Request], object], seen: list[httpx.Request]) -> Handler:
    """api.kajabi.com: the token endpoint, then `answer(request)` as a JSON:API body."""

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/v1/oauth/token":
            return httpx.Response(200, json=TOKEN)
        body = answer(request)
        if isinstance(body, httpx.Response):
            return body
        return httpx.Response(200, content=json.dumps(body).encode())

    return handle


def provider(handler: Handler) -> KajabiProvider:
    account = Account("k", "kajabi", settings={"client_id": "cid"})
    return KajabiProvider(
        account, {"client_secret": "csecret"}, transport=httpx.MockTransport(handler)
    )


CUSTOMERS = Audience("123:customers", "Site — customers", kind="customers")
CONTACTS = Audience("123", "Site", kind="site")


async def test_filtered_customer_listing_uses_the_seed_parameters() -> None:
    seen: list[httpx.Request] = []
    async with provider(kajabi_api(lambda r: {"data": [], "meta": {"total_count": 0}}, seen)) as p:
        query = Query(
            filter=Filter(
                (
                    Condition("name", "ct", "alexa"),
                    Condition("email", "ct", "@example.com"),
                    Condition("net_revenue", "gt", 99.5),
                    Condition("net_revenue", "lt", 1000),
                )
            ),
            sort=Sort("net_revenue", descending=True),
        )
        await p.members(CUSTOMERS, query, PageRequest(30, 60))
    token, listing = seen
    assert token.url.path == "/v1/oauth/token" and "csecret" not in str(token.url)
    assert dict(parse_qsl(token.content.decode()))["grant_type"] == "client_credentials"
    url = urlsplit(str(listing.url))
    assert url.netloc == "api.kajabi.com" and url.path == "/v1/customers"
    params = dict(parse_qsl(url.query))
    assert set(params) <= set(SEED_PARAMS)
    assert params == {
        "filter[site_id]": "123",
        "filter[name_contains]": "alexa",
        "filter[email_contains]": "@example.com",
        "filter[net_revenue_greater_than]": "99.5",
        "filter[net_revenue_less_than]": "1000",
        "sort": "-net_revenue",
        "page[number]": "3",
        "page[size]": "30",
    }
    assert listing.headers["authorization"] == "Bearer at-123456"
    assert listing.headers["accept"] == "application/vnd.api+json"


async def test_the_dossier_paged_document_is_read() -> None:
    async with provider(kajabi_api(lambda r: PAGED, [])) as p:
        page = await p.members(CONTACTS, Query(), PageRequest(10, 10))
    assert page.total == 50 and page.has_more
    [member] = page.members
    assert (member.id, member.email, member.name) == ("456", "john@example.com", "John Smith")
    assert member.created_at is not None and member.created_at.year == 2024
    assert member.status is MemberStatus.UNKNOWN  # no `subscribed`: unknown, not opted out
    assert member.audience_id == "123"


def test_a_contact_document_with_nulls_is_read() -> None:
    created = {
        "id": "456",
        "type": "contacts",
        "attributes": {
            "name": "John Doe",
            "email": "john.doe@example.com",
            "address_line_1": None,
            "phone_number": None,
            "subscribed": True,
            "external_user_id": None,
            "created_at": "2024-01-15T10:30:00Z",
            "updated_at": "2024-01-15T10:30:00Z",
        },
    }
    member = to_member(
        parse_listing({"data": [created]}, "GET x", "contacts").items[0], "contacts", "1"
    )
    assert member.status is MemberStatus.ACTIVE and member.fields["phone_number"] is None


def test_error_details_read_json_api_and_token_errors() -> None:
    unprocessable = httpx.Response(422, json=UNPROCESSABLE)
    assert (
        error_detail(unprocessable)
        == "Unprocessable Entity: Email is invalid (/data/attributes/email)"
    )
    assert error_detail(httpx.Response(401, json={"error": "Invalid client credentials"})) == (
        "Invalid client credentials"
    )


async def test_a_json_api_422_shows_its_detail_in_the_error() -> None:
    def answer(request: httpx.Request) -> object:
        if request.method == "PATCH":
            return httpx.Response(422, json=UNPROCESSABLE)
        return {"data": {"id": "456", "type": "contacts", "attributes": {"subscribed": True}}}

    async with provider(kajabi_api(answer, [])) as p:
        member = await p.member(CONTACTS, "456")
        with pytest.raises(ValidationError) as caught:
            await p.opt_out(member)
    assert "Email is invalid" in str(caught.value) and "/data/attributes/email" in str(caught.value)


async def test_opt_out_sends_the_json_api_patch() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> object:
        subscribed = not any(r.method == "PATCH" for r in seen)
        return {"data": {"id": "456", "type": "contacts", "attributes": {"subscribed": subscribed}}}

    async with provider(kajabi_api(answer, seen)) as p:
        member = await p.member(CONTACTS, "456")
        out = await p.opt_out(member)
    patch = next(r for r in seen if r.method == "PATCH")
    assert patch.url.path == "/v1/contacts/456"
    assert patch.headers["content-type"] == "application/vnd.api+json"
    assert json.loads(patch.content) == {
        "data": {"type": "contacts", "id": "456", "attributes": {"subscribed": False}}
    }
    assert out.status is MemberStatus.OPTED_OUT


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (b"<html>502 Bad Gateway</html>", "not valid JSON"),
        (b'{"data": {"id": "1"}}', "list of contacts"),
        (b'{"data": [{"type": "contacts"}]}', "without an id"),
        (b'{"data": [{"id": "1", "type": "customers", "attributes": {}}]}', "expected contacts"),
        (b'{"data": [{"id": "1", "type": "contacts", "attributes": []}]}', "attributes"),
        (b"[1, 2]", "list of contacts"),
    ],
)
async def test_malformed_documents_are_invalid_responses(body: bytes, complaint: str) -> None:
    async with provider(kajabi_api(lambda r: httpx.Response(200, content=body), [])) as p:
        with pytest.raises(InvalidResponseError, match=complaint):
            await p.members(CONTACTS, Query(), PageRequest(10))


async def test_a_token_answer_without_a_token_is_an_invalid_response() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"token_type": "Bearer"})

    async with provider(handle) as p:
        with pytest.raises(InvalidResponseError, match="access_token"):
            await p.audiences()


def test_cover_fetches_at_most_two_pages_that_hold_the_window() -> None:
    for offset in range(0, 400, 7):
        for limit in (1, 2, 13, 50, 99, 100):
            size, numbers = cover(offset, limit)
            assert size <= 100 and len(numbers) <= 2
            first, end = (numbers[0] - 1) * size, numbers[-1] * size
            assert first <= offset and offset + limit <= end
