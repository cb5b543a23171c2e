"""The Kajabi sandbox over plain HTTP: what a client of its own would meet."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from audience_tui.core.errors import InvalidResponseError
from audience_tui.core.models import PageRequest, Query
from audience_tui.demo import IN_PROCESS_HOST
from audience_tui.sandbox.faults import FaultSpec
from audience_tui.sandbox.kajabi import routes as kajabi
from audience_tui.sandbox.kajabi.data import SITES

PHOTO = str(SITES[1][0])
CREDENTIALS = {"grant_type": "client_credentials", **kajabi.DEMO_SETTINGS, **kajabi.DEMO_SECRETS}


@pytest.fixture
async def api(sandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A client holding a fresh Bearer token."""
    async with httpx.AsyncClient(
        transport=sandbox.transport, base_url=IN_PROCESS_HOST + kajabi.PREFIX
    ) as client:
        token = (await client.post("/v1/oauth/token", data=CREDENTIALS)).json()
        client.headers["Authorization"] = f"Bearer {token['access_token']}"
        client.token = token  # type: ignore[attr-defined]
        yield client


def assert_error(response: httpx.Response, status: int, *words: str) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/vnd.api+json")
    [error] = response.json()["errors"]
    assert error["status"] == str(status)
    for word in words:
        assert word in error["detail"]
    return error


async def contacts(api: httpx.AsyncClient, **params: str) -> httpx.Response:
    return await api.get("/v1/contacts", params={"filter[site_id]": PHOTO, **params})


async def test_token_endpoint_refusals_are_oauth_errors(api) -> None:
    wrong = await api.post("/v1/oauth/token", data={**CREDENTIALS, "client_secret": "nope"})
    assert wrong.status_code == 401 and wrong.json() == {"error": "Invalid client credentials"}
    grant = await api.post("/v1/oauth/token", data={"grant_type": "password"})
    assert grant.status_code == 400 and "grant_type" in grant.json()["error"]
    missing = await api.post("/v1/oauth/token", data={"grant_type": "client_credentials"})
    assert missing.status_code == 400


async def test_refresh_tokens_work_once_and_retire_the_old_access_token(api) -> None:
    form = {"grant_type": "refresh_token", "refresh_token": api.token["refresh_token"]}
    renewed = await api.post("/v1/oauth/token", data=form)
    assert renewed.status_code == 200 and renewed.json()["expires_in"] == kajabi.TOKEN_TTL
    assert (await api.post("/v1/oauth/token", data=form)).status_code == 401
    assert_error(await api.get("/v1/me"), 401, "expired")


async def test_revoked_and_missing_tokens_are_refused(api) -> None:
    assert (await api.get("/v1/me")).json()["data"]["type"] == "users"
    revoked = await api.post("/v1/oauth/revoke", data={"token": api.token["access_token"]})
    assert revoked.status_code == 200 and revoked.content == b""
    assert_error(await api.get("/v1/me"), 401)
    del api.headers["Authorization"]
    assert_error(await api.get("/v1/sites"), 401)
    version = await api.get("/v1/version")  # the health check needs no token
    assert version.status_code == 200 and version.json()["meta"]["version"]


async def test_multi_site_accounts_must_name_the_site(api) -> None:
    error = assert_error(await api.get("/v1/contacts"), 400, "filter[site_id]")
    assert error["source"] == {"parameter": "filter[site_id]"}
    assert_error(await api.get("/v1/customers", params={"filter[site_id]": "1"}), 404)


async def test_pages_are_capped_at_100_and_linked(api) -> None:
    body = (await contacts(api, **{"page[size]": "500"})).json()
    assert len(body["data"]) == 100 and "page[size]=100" in body["links"]["self"]
    assert body["meta"] == {"total_pages": 5, "total_count": 420, "current_page": 1}
    assert body["links"]["prev"] is None and "page[number]=2" in body["links"]["next"]
    last = (await api.get(body["links"]["last"])).json()
    assert len(last["data"]) == 20 and last["links"]["next"] is None
    assert "filter[site_id]=" + PHOTO in last["links"]["prev"]
    beyond = (await contacts(api, **{"page[number]": "18"})).json()  # 17 pages of 25
    assert beyond["data"] == [] and beyond["meta"]["total_count"] == 420
    assert_error(await contacts(api, **{"page[size]": "0"}), 400, "page[size]")
    assert_error(await contacts(api, sort="-net_revenue"), 400, "sort")


async def test_sparse_fieldsets_keep_only_the_named_attributes(api) -> None:
    body = (await contacts(api, **{"fields[contacts]": "name,email", "page[size]": "3"})).json()
    assert all(set(item["attributes"]) == {"name", "email"} for item in body["data"])
    assert all(item["id"].isdigit() and item["type"] == "contacts" for item in body["data"])


async def total(api: httpx.AsyncClient, **filters: str) -> int:
    params = {f"filter[{k}]": v for k, v in filters.items()}
    response = await contacts(api, **params, **{"page[size]": "1"})
    assert response.status_code == 200, response.text
    return response.json()["meta"]["total_count"]


async def test_flag_tag_and_window_filters(api) -> None:
    everyone = await total(api)
    subscribed = await total(api, subscribed="true")
    assert 0 < subscribed < everyone
    assert subscribed + await total(api, subscribed="false") == everyone
    never = await total(api, never_subscribed="true")
    assert 0 < never < everyone - subscribed  # the rest unsubscribed at some point
    tag = str(kajabi.kajabi_data.TAG_ID_BASE + 10)  # Photo Masterclass's first tag
    tagged = await total(api, has_tag_id=tag)
    assert tagged > 0 and tagged + await total(api, has_no_tag_id=tag) == everyone
    assert await total(api, created_in_last="30") <= await total(api, created_in_last="400")
    recent = await total(api, created_in_last="400")
    assert recent + await total(api, not_created_in_last="400") == everyone
    assert await total(api, search="example.no") == await total(api, email_contains="EXAMPLE.NO")
    assert_error(await contacts(api, **{"filter[created_in_last]": "soon"}), 400, "days")
    assert await total(api, some_future_filter="x") == everyone  # unknown filters are ignored


async def test_contact_writes_are_checked_and_persisted(api) -> None:
    item = (await contacts(api, **{"page[size]": "1"})).json()["data"][0]
    path = f"/v1/contacts/{item['id']}"
    wrong_type = {"data": {"type": "customers", "id": item["id"], "attributes": {}}}
    assert_error(await api.patch(path, json=wrong_type), 409)
    bad_email = {"data": {"type": "contacts", "id": item["id"], "attributes": {"email": "x"}}}
    error = assert_error(await api.patch(path, json=bad_email), 422, "Email is invalid")
    assert error["source"] == {"pointer": "/data/attributes/email"}
    rename = {"data": {"type": "contacts", "id": item["id"], "attributes": {"name": "Renamed"}}}
    assert (await api.patch(path, json=rename)).json()["data"]["attributes"]["name"] == "Renamed"
    assert (await api.get(path)).json()["data"]["attributes"]["name"] == "Renamed"


async def test_deleting_a_contact_with_active_payments_is_refused(api, sandbox) -> None:
    def ids(conn):
        paying = conn.execute("SELECT id FROM kajabi_contacts WHERE active_payments = 1").fetchone()
        free = conn.execute("SELECT id FROM kajabi_contacts WHERE active_payments = 0").fetchone()
        return paying[0], free[0]

    paying, free = await sandbox.store.run(ids)
    assert_error(await api.delete(f"/v1/contacts/{paying}"), 422, "active")
    deleted = await api.delete(f"/v1/contacts/{free}")
    assert deleted.status_code == 200 and deleted.json() == {"data": {}}
    assert_error(await api.get(f"/v1/contacts/{free}"), 404)


async def test_a_malformed_answer_reaches_the_adapter_as_invalid_response(
    provider_for, sandbox
) -> None:
    provider = provider_for("kajabi")
    [site, *_] = await provider.audiences()
    sandbox.app.spec = FaultSpec(malformed=1.0, seed=1)
    with pytest.raises(InvalidResponseError, match="not valid JSON"):
        await provider.members(site, Query(), PageRequest(10))


def test_the_big_site_builds_in_batches_and_resumes(tmp_path, monkeypatch) -> None:
    from audience_tui.sandbox.kajabi import data as kajabi_data
    from audience_tui.sandbox.store import BuildProgress, Store

    monkeypatch.setattr(kajabi_data, "BIG_SITE", (*kajabi_data.BIG_SITE[:4], 25, ("a", "b")))
    monkeypatch.setattr(kajabi_data, "BIG_BATCH", 10)
    store = Store.open(tmp_path / "big.sqlite", big_lists=False)
    kajabi_data.install(store)
    store.write(kajabi_data.open_site, len(SITES), kajabi_data.BIG_SITE, kajabi_data.seeding_day())
    store.write(
        kajabi_data.insert_people,
        len(SITES),
        kajabi_data.BIG_SITE,
        0,
        10,
        kajabi_data.seeding_day(),
    )
    progress = BuildProgress("big", 25)
    kajabi_data.build_big_site(store, progress)  # resumes after the first batch
    count = (
        store.connect()
        .execute(
            "SELECT count(DISTINCT id) FROM kajabi_contacts WHERE site_id = ?",
            (kajabi_data.BIG_SITE[0],),
        )
        .fetchone()[0]
    )
    assert (count, progress.done) == (25, 25) and store.seeded(kajabi_data.BIG_KEY)


async def test_contact_creation_as_documented(api) -> None:
    body = {
        "data": {
            "type": "contacts",
            "attributes": {"name": "John Doe", "email": "john.doe@example.com"},
            "relationships": {"site": {"data": {"type": "sites", "id": PHOTO}}},
        }
    }
    created = await api.post("/v1/contacts", json=body)
    assert created.status_code == 201
    contact = created.json()["data"]
    assert contact["type"] == "contacts" and isinstance(contact["id"], str)
    assert contact["attributes"]["email"] == "john.doe@example.com"
    assert contact["attributes"]["subscribed"] is False
    shown = (await api.get(f"/v1/contacts/{contact['id']}")).json()["data"]
    assert shown["relationships"]["site"]["data"]["id"] == PHOTO
    no_site = {"data": {"type": "contacts", "attributes": {"email": "x@example.com"}}}
    assert_error(await api.post("/v1/contacts", json=no_site), 400, "site")
    bad = {**body, "data": {**body["data"], "attributes": {"email": "nope"}}}
    assert_error(await api.post("/v1/contacts", json=bad), 422, "Email")


def test_no_demo_contact_is_created_updated_or_seen_after_the_moment_it_is_seeded(
    tmp_path, monkeypatch
) -> None:
    """Seeded at 03:00 UTC, the demo counted back from noon: contacts updated at 11:37 "today"
    (the member detail showed a time hours ahead of the clock)."""
    from datetime import UTC, datetime

    from audience_tui.sandbox.kajabi import data as kajabi_data
    from audience_tui.sandbox.store import Store

    early = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)

    class EarlyMorning(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return early

    monkeypatch.setattr(kajabi_data, "datetime", EarlyMorning)
    store = Store.open(tmp_path / "kajabi.sqlite", big_lists=False)
    kajabi_data.install(store)  # seeds the demo sites
    conn = store.connect()
    stamps = [
        conn.execute(f"SELECT max({column}) FROM {table}").fetchone()[0]
        for table, column in [
            ("kajabi_contacts", "created_at"),
            ("kajabi_contacts", "updated_at"),
            ("kajabi_contacts", "subscribed_at"),
            ("kajabi_contacts", "unsubscribed_at"),
            ("kajabi_customers", "last_request_at"),
            ("kajabi_customers", "updated_at"),
        ]
    ]
    assert all(stamp and stamp <= early.strftime("%Y-%m-%dT%H:%M:%SZ") for stamp in stamps), stamps
