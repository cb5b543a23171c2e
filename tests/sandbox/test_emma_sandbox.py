"""The Emma sandbox over raw HTTP: paths, limits, bare literals and error bodies as documented."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from audience_tui.demo import Sandbox
from audience_tui.sandbox.emma import routes as emma

DONORS = 2_150_003
TEST_GROUP = 2_150_006


@pytest.fixture
async def api(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    keys = (emma.DEMO_SECRETS["public_key"], emma.DEMO_SECRETS["private_key"])
    base = f"http://sandbox.invalid{emma.PREFIX}/{emma.DEMO_SETTINGS['account_id']}"
    async with httpx.AsyncClient(transport=sandbox.transport, base_url=base, auth=keys) as client:
        yield client


async def test_auth_and_account_are_checked(api: httpx.AsyncClient) -> None:
    refused = await api.get("/members", auth=("someone", "else"))
    assert refused.status_code == 403 and "error" in refused.json()
    assert (await api.get("/members", auth=None)).status_code == 403
    elsewhere = await api.get(f"http://sandbox.invalid{emma.PREFIX}/42/members")
    assert elsewhere.status_code == 404 and elsewhere.json() == {"error": "Account not found"}


@pytest.mark.parametrize(
    "path",
    ["/members", f"/groups/{DONORS}/members", "/groups", "/fields", "/members/imports"],
)
async def test_count_is_a_bare_integer_on_every_list(api: httpx.AsyncClient, path: str) -> None:
    response = await api.get(path, params={"count": "true"})
    assert response.status_code == 200 and response.text.strip().isdigit()
    rows = (await api.get(path, params={"start": 0, "end": 500})).json()
    assert int(response.text) == len(rows) or len(rows) == 500


async def test_windows_are_end_exclusive_and_capped_at_500(api: httpx.AsyncClient) -> None:
    two = (await api.get("/members", params={"start": 0, "end": 2})).json()
    assert len(two) == 2
    assert (await api.get("/members", params={"start": 1, "end": 2})).json() == two[1:]
    assert len((await api.get("/members", params={"start": 10, "end": 5000})).json()) == 500
    assert len((await api.get("/members")).json()) == 500
    bad = await api.get("/members", params={"start": "x"})
    assert bad.status_code == 400 and "error" in bad.json()


async def test_documents_use_emma_shapes(api: httpx.AsyncClient) -> None:
    member = (await api.get("/members", params={"end": 1})).json()[0]
    assert member["member_id"] > 2**31 and member["member_since"].startswith("@D:")
    assert member["member_status_id"] in "aeo" and isinstance(member["fields"], dict)
    again = (await api.get(f"/members/email/{member['email'].upper()}")).json()
    assert again == member == (await api.get(f"/members/{member['member_id']}")).json()
    groups = (await api.get("/groups")).json()
    assert TEST_GROUP not in {g["member_group_id"] for g in groups}
    every = (await api.get("/groups", params={"group_types": "all"})).json()
    assert TEST_GROUP in {g["member_group_id"] for g in every}
    donors = (await api.get(f"/groups/{DONORS}")).json()
    total = donors["active_count"] + donors["optout_count"] + donors["error_count"]
    count = await api.get(f"/groups/{DONORS}/members", params={"count": "true"})
    assert total == count.json()
    assert (await api.get("/members/1")).status_code == 404
    assert (await api.get("/groups/1/members")).status_code == 404


async def test_opt_out_by_email(api: httpx.AsyncClient) -> None:
    rows = (await api.get(f"/groups/{DONORS}/members", params={"end": 100})).json()
    member = next(m for m in rows if m["member_status_id"] == "a")
    before = (await api.get(f"/groups/{DONORS}")).json()
    for _ in range(2):
        done = await api.put(f"/members/email/optout/{member['email']}", json={})
        assert done.status_code == 200 and done.text == "true"
    after = (await api.get(f"/members/{member['member_id']}")).json()
    assert (after["member_status_id"], after["status"]) == ("o", "opt-out")
    records = (await api.get(f"/members/{member['member_id']}/optout")).json()
    assert len(records) == 1 and records[0]["timestamp"].startswith("@D:")
    assert records[0]["mailing_id"] is None
    counts = (await api.get(f"/groups/{DONORS}")).json()
    assert counts["optout_count"] == before["optout_count"] + 1
    assert counts["active_count"] == before["active_count"] - 1
    assert (await api.put("/members/email/optout/nobody@example.com")).status_code == 404


async def test_bulk_import_accepts_flat_and_nested_fields(api: httpx.AsyncClient) -> None:
    body = {
        "members": [
            {"email": "flat@example.com", "first_name": "Flat"},
            {"email": "nested@example.com", "fields": {"first_name": "Nested"}},
            {"email": "Flat@example.com", "first_name": "Twice"},
            {"email": "broken"},
        ],
        "group_ids": [DONORS],
        "source_filename": "mixed.csv",
    }
    started = await api.post("/members", json=body)
    import_id = started.json()["import_id"]
    assert import_id > 2**31
    first = (await api.get(f"/members/imports/{import_id}")).json()
    assert first["status"] is None and first["import_finished"] is None
    done = (await api.get(f"/members/imports/{import_id}")).json()
    assert done["status"] == "o" and done["import_finished"].startswith("@D:")
    assert (done["num_members_added"], done["num_skipped"], done["num_duplicates"]) == (2, 1, 1)
    rows = (await api.get(f"/members/imports/{import_id}/members")).json()
    assert [r["change_type"] for r in rows] == ["a", "a", "r"]
    assert rows[2]["member_id"] is None and rows[2]["error"]
    nested = (await api.get("/members/email/nested@example.com")).json()
    assert nested["fields"]["first_name"] == "Nested"
    groups = (await api.get(f"/members/{nested['member_id']}/groups")).json()
    assert [g["member_group_id"] for g in groups] == [DONORS]


async def test_bulk_import_errors(api: httpx.AsyncClient) -> None:
    garbled = await api.post("/members", content=b"{not json")
    assert garbled.status_code == 400 and garbled.json() == {
        "error": "Unable to parse JSON request"
    }
    assert (await api.post("/members", json={"members": []})).status_code == 400
    unknown = await api.post("/members", json={"members": [{"email": "a@b.co"}], "group_ids": [1]})
    assert unknown.status_code == 404
    only_bad = await api.post("/members", json={"members": [{"email": "nope"}]})
    import_id = only_bad.json()["import_id"]
    for _ in range(2):
        status = (await api.get(f"/members/imports/{import_id}")).json()
    assert status["status"] == "e" and status["error_message"]


async def test_throttle_answers_403_rate_limit_exceeded(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    throttle = emma.throttle(sandbox.store)
    throttle.per_minute = 2
    assert [(await api.get("/fields")).status_code for _ in range(3)] == [200, 200, 403]
    limited = await api.get("/fields")
    assert limited.text == "Rate Limit Exceeded"


async def test_single_member_add_keeps_status_and_joins_groups(api: httpx.AsyncClient) -> None:
    added = await api.post(
        "/members/add",
        json={
            "email": "Single.Add@example.com",
            "fields": {"first_name": "Sam"},
            "group_ids": [TEST_GROUP],
        },
    )
    assert added.status_code == 200
    doc = added.json()
    assert doc["added"] is True and doc["status"] == "a" and isinstance(doc["member_id"], int)
    assert (await api.put("/members/email/optout/single.add@example.com", json={})).json() is True
    again = (await api.post("/members/add", json={"email": "single.add@example.com"})).json()
    assert again == {"status": "o", "added": False, "member_id": doc["member_id"]}
    groups = (await api.get(f"/members/{doc['member_id']}/groups")).json()
    assert [g["member_group_id"] for g in groups] == [TEST_GROUP]
    bad = await api.post("/members/add", json={"email": "not-an-email"})
    assert bad.status_code == 400 and "error" in bad.json()


async def test_status_changes_move_members_and_counts(api: httpx.AsyncClient) -> None:
    group = (await api.get(f"/groups/{TEST_GROUP}")).json()
    members = (await api.get(f"/groups/{TEST_GROUP}/members")).json()
    active = [m["member_id"] for m in members if m["member_status_id"] == "a"][:2]
    assert (
        await api.put("/members/status", json={"member_ids": active, "status_to": "o"})
    ).json() is True
    for member_id in active:
        member = (await api.get(f"/members/{member_id}")).json()
        assert (member["member_status_id"], member["status"]) == ("o", "opt-out")
        assert len((await api.get(f"/members/{member_id}/optout")).json()) >= 1
    after = (await api.get(f"/groups/{TEST_GROUP}")).json()
    assert after["optout_count"] == group["optout_count"] + 2
    unknown = await api.put("/members/status", json={"member_ids": [1], "status_to": "o"})
    assert unknown.json() is False
    bad = await api.put("/members/status", json={"member_ids": active, "status_to": "x"})
    assert bad.status_code == 400
    moved = await api.put("/members/status/o/to/a", json={"group_id": TEST_GROUP})
    assert moved.status_code == 200 and moved.json() is True
    assert (await api.get(f"/groups/{TEST_GROUP}")).json()["optout_count"] == 0
    assert (await api.put("/members/status/z/to/a")).status_code == 400
