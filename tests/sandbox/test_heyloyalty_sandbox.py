"""The Heyloyalty sandbox at the HTTP level: auth, error bodies, limits and member writes, as a
client other than ours would see them."""

from __future__ import annotations

import httpx
import pytest

from audience_tui.providers.heyloyalty.wire import HeyloyaltyAuth
from audience_tui.sandbox.heyloyalty.query import brackets

VIP = "/loyalty/v1/lists/2"


@pytest.fixture
def api(heyloyalty_api: httpx.AsyncClient) -> httpx.AsyncClient:
    return heyloyalty_api


def test_brackets_nest_like_php() -> None:
    pairs = [("filter[firstname][eq][]", "john"), ("filter[firstname][eq][]", "jane"),
             ("filter[sex][ie]", ""), ("logic", "or"), ("interests[]", "1")]  # fmt: skip
    assert brackets(pairs) == {
        "filter": {"firstname": {"eq": ["john", "jane"]}, "sex": {"ie": ""}},
        "logic": "or",
        "interests": ["1"],
    }


async def test_unsigned_and_badly_signed_requests_get_the_401_body(
    api: httpx.AsyncClient,
) -> None:
    unsigned = await api.get("/loyalty/v1/lists", auth=None)
    assert unsigned.status_code == 401
    assert unsigned.json() == {"message": "Unauthorized", "code": 401}
    wrong = await api.get("/loyalty/v1/lists", auth=HeyloyaltyAuth("demo-heyloyalty-key", "x"))
    assert wrong.status_code == 401


async def test_perpage_cap_and_unknown_operator_are_400s(api: httpx.AsyncClient) -> None:
    capped = await api.get(f"{VIP}/members", params={"perpage": 5000})
    assert capped.status_code == 200 and capped.json()["per_page"] == 5000
    over = await api.get(f"{VIP}/members", params={"perpage": 5001})
    assert over.status_code == 400 and "error" in over.json()
    bad = await api.get(f"{VIP}/members", params={"filter[points][sw][]": "1"})
    assert bad.status_code == 400 and "sw" in bad.json()["error"]


async def test_unknown_list_and_member_are_404s(api: httpx.AsyncClient) -> None:
    gone = await api.get("/loyalty/v1/lists/999/members")
    assert gone.status_code == 404 and gone.json() == {"message": "list not found", "code": 404}
    member = await api.get(f"{VIP}/members/no-such-member")
    assert member.json() == {"message": "member not found", "code": 404}


async def test_member_create_patch_put_delete(api: httpx.AsyncClient) -> None:
    missing = await api.post(f"{VIP}/members", data={"firstname": "Nobody"})
    assert missing.status_code == 400
    assert missing.json() == {"error": "Either email or mobile field must be filled"}
    created = await api.post(
        f"{VIP}/members",
        data={"email": "kim@example.dk", "firstname": "Kim", "interests[]": ["1", "9"]},
    )
    assert created.status_code == 201
    path = f"{VIP}/members/{created.json()['id']}"
    assert (await api.patch(path, data={"points": "12"})).status_code == 204
    fields = (await api.get(path)).json()["fields"]
    assert fields["firstname"]["value"] == "Kim" and fields["points"]["value"] == 12
    assert fields["interests"]["value"] == [1, 9]
    assert (await api.delete(path)).status_code == 204
    assert (await api.delete(path)).status_code == 204  # unsubscribing again changes nothing
    gone = (await api.get(path)).json()
    assert gone["status"]["status"] == "unsubscribed" and gone["unsubscribed_at"]
    active = await api.get(f"{VIP}/members", params={"filter[email][eq][]": "KIM@example.dk"})
    assert active.json()["total"] == 0
    # PUT replaces every field and re-activates
    assert (await api.put(path, data={"email": "kim@example.dk"})).status_code == 204
    back = (await api.get(path)).json()
    assert back["status"]["status"] == "active" and back["fields"]["firstname"]["value"] is None


async def test_lists_count_active_members_live(api: httpx.AsyncClient) -> None:
    def vip_count(doc: list[dict]) -> int:
        return next(item["members"] for item in doc if item["id"] == 2)

    before = vip_count((await api.get("/loyalty/v1/lists")).json())
    await api.post(f"{VIP}/members", data={"email": "new@example.dk", "skipOptIn": "1"})
    assert vip_count((await api.get("/loyalty/v1/lists")).json()) == before + 1


async def test_filtered_and_sorted_views_follow_every_change(api: httpx.AsyncClient) -> None:
    """Filtered and sorted pages are slices of a view worked out once per version of the list:
    a member added, a field changed and an unsubscribe each show in the next page asked."""
    view = {"filter[firstname][eq][]": "Zoltan", "perpage": 10}
    by_name = {"orderby": "firstname", "order": "-1", "perpage": 1}

    async def emails(params: dict[str, object]) -> list[str]:
        return [
            m["email"] for m in (await api.get(f"{VIP}/members", params=params)).json()["members"]
        ]

    assert await emails(view) == []
    created = await api.post(
        f"{VIP}/members", data={"email": "z@example.dk", "firstname": "Zoltan"}
    )
    path = f"{VIP}/members/{created.json()['id']}"
    assert await emails(view) == ["z@example.dk"]  # an insert
    assert await emails(by_name) == ["z@example.dk"]  # last by name, descending
    assert (await api.patch(path, data={"firstname": "Aaron"})).status_code == 204
    assert await emails(view) == []  # a field update
    assert await emails(by_name) != ["z@example.dk"]
    assert (await api.patch(path, data={"firstname": "Zoltan"})).status_code == 204
    assert (await api.delete(path)).status_code == 204
    assert await emails(view) == []  # an unsubscribe
    assert await emails(view | {"show": "removed"}) == ["z@example.dk"]


# The keys of the seed's member samples (listing and detail shapes).
SEED_LISTING = {
    "id", "status", "opt_in", "opt_in_date", "sent_mail", "sent_sms", "sent_push", "open_count",
    "open_count_push", "open_rate", "click_count", "click_rate", "imported", "created_at",
    "updated_at", "created_by", "deleted_from", "inSegment",
}  # fmt: skip
SEED_DETAIL = {
    "id", "status", "opt_in", "opt_in_date", "created_from", "updated_from", "open_rate",
    "click_rate", "fields", "system_fields", "created_at", "updated_at", "unsubscribed_at",
    "deleted_from", "reference_from", "moved_at", "moved_from", "vouchers",
}  # fmt: skip


async def test_members_carry_every_documented_key(api: httpx.AsyncClient) -> None:
    [member] = (await api.get(f"{VIP}/members", params={"perpage": 1})).json()["members"]
    assert set(member) >= SEED_LISTING
    assert member["inSegment"] is True and member["created_by"] == ""
    assert member["open_count"] == member["sent_mail"] * member["open_rate"] // 100
    detail = (await api.get(f"{VIP}/members/{member['id']}")).json()
    assert set(detail) >= SEED_DETAIL
    assert detail["created_from"]["type"] in ("api", "import") and detail["system_fields"] == []


async def test_v2_delete_by_field(api: httpx.AsyncClient) -> None:
    [member] = (await api.get(f"{VIP}/members", params={"perpage": 1})).json()["members"]
    body = {"field": "email", "value": member["email"].upper(), "lists": [2]}
    gone = await api.request("DELETE", "/loyalty/v2/lists/members/byfield", json=body)
    assert gone.status_code == 200
    assert gone.json() == [{"list_id": 2, "member_id": member["id"]}]
    removed = await api.get(
        f"{VIP}/members", params={"show": "removed", "filter[email][eq][]": member["email"]}
    )
    assert [m["id"] for m in removed.json()["members"]] == [member["id"]]
    bad = await api.request("DELETE", "/loyalty/v2/lists/members/byfield", json={"field": "x"})
    assert bad.status_code == 400 and "email" in bad.json()["error"]
