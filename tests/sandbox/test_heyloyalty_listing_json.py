"""The Heyloyalty sandbox's member listing, written by SQLite, is byte for byte what Python's json
(as starlette writes it) makes of the listing shape the seed documents: checked against each
member's detail document (built in Python) through the documented mapping, hostile values,
empty choices, multi-choices in their stored order and every view included."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from audience_tui.demo import Sandbox
from audience_tui.sandbox import hostile

VIP = "/loyalty/v1/lists/2"


@pytest.fixture
def api(sandbox: Sandbox, heyloyalty_api: httpx.AsyncClient) -> httpx.AsyncClient:
    hostile.seed(sandbox.store)
    return heyloyalty_api


def listing_value(field: dict[str, Any]) -> Any:
    """A detail-shape field as the listing shows it: choices {value, id}, dates with a time."""
    value, options = field["value"], field.get("options") or {}
    if field["format"] == "multi":
        return [{"value": options.get(str(i)), "id": i} for i in value]
    if field["format"] == "choice" and isinstance(value, int):
        return {"value": options.get(str(value)), "id": value}
    if field["format"] == "date" and value:
        return f"{value} 00:00:00"
    return value


# The listing's keys before the field values, in the seed's order (unsubscribed_at added), and
# those only the listing has: the rest are the detail document's.
LISTING = (
    "id", "status", "opt_in", "opt_in_date", "sent_mail", "sent_sms", "sent_push", "open_count",
    "open_count_push", "open_rate", "click_count", "click_rate", "imported", "created_at",
    "updated_at", "created_by", "deleted_from", "inSegment", "unsubscribed_at",
)  # fmt: skip
LISTING_ONLY = {"created_by": "", "inSegment": True}


async def expected_page(api: httpx.AsyncClient, page: dict[str, Any]) -> bytes:
    members = []
    for member in page["members"]:
        detail = (await api.get(f"{VIP}/members/{member['id']}")).json() | LISTING_ONLY
        fields = {name: listing_value(f) for name, f in detail["fields"].items()}
        members.append({key: detail[key] for key in LISTING} | fields)
    doc = page | {"members": members}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    "params",
    [
        {"perpage": 40},  # the unfiltered pages' anchored path
        {"perpage": 40, "page": 2, "order": "-1"},
        {"filter[email][sw][]": "hostile.", "perpage": 20},  # the filtered path: every kind
        {"orderby": "firstname", "order": "-1", "perpage": 15},
        {"show": "removed", "perpage": 30},
        {"show": "temporary", "perpage": 30},
    ],
)
async def test_listing_bytes_match_the_documented_shape(
    api: httpx.AsyncClient, params: dict[str, Any]
) -> None:
    response = await api.get(f"{VIP}/members", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    page = response.json()
    assert page["members"], "the view should not be empty"
    assert response.content == await expected_page(api, page)


async def test_written_values_are_listed_in_their_stored_order(api: httpx.AsyncClient) -> None:
    created = await api.post(
        f"{VIP}/members",
        data={
            "email": "order@example.dk",
            "firstname": 'Quote " \\ \x01',
            "interests[]": ["9", "1", "9"],
        },
    )
    assert created.status_code == 201
    response = await api.get(f"{VIP}/members", params={"filter[email][eq][]": "order@example.dk"})
    member = response.json()["members"][0]
    assert [i["id"] for i in member["interests"]] == [9, 1, 9]
    assert member["sex"] is None and member["birthdate"] is None
    assert response.content == await expected_page(api, response.json())
    kinds = await api.get(f"{VIP}/members", params={"filter[email][sw][]": "hostile."})
    assert {m["email"] for m in kinds.json()["members"]} == {e for _, _, e, _ in hostile.MEMBERS}
