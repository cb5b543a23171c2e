"""The Ownpage sandbox on its own: auth, limits, upsert semantics, counts, deletes, seeding."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from waiting import eventually

from audience_tui.demo import Sandbox
from audience_tui.sandbox.ownpage import data as ownpage_seed
from audience_tui.sandbox.ownpage import routes as op_sandbox
from audience_tui.sandbox.store import BuildProgress, Store

CREDENTIALS = {"username": "demo-presse", "password": "op-demo-7f3c9a2e51"}
LISTS = "/v1/newsletters/lists"
ALERTS = f"{LISTS}/1204/subscribers"


@pytest.fixture
async def api(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A raw client holding a valid token."""
    async with httpx.AsyncClient(
        transport=sandbox.transport, base_url="http://sandbox.invalid/ownpage"
    ) as client:
        token = (await client.post("/v1/token", json=CREDENTIALS)).json()["token"]
        client.headers["X-Ownpage-Client-Token"] = token
        yield client


async def everyone(api: httpx.AsyncClient, path: str = ALERTS) -> dict[str, dict]:
    response = await api.get(path, params={"status": "all", "count": 10000})
    return {doc["email"]: doc for doc in response.json()}


async def upsert(api: httpx.AsyncClient, rows: list[dict], path: str = ALERTS) -> dict:
    response = await api.post(path, json=rows)
    assert response.status_code == 200, response.text
    return response.json()


async def test_tokens_legacy_get_and_refusals(api: httpx.AsyncClient) -> None:
    legacy = await api.get("/v1/token", params=CREDENTIALS)
    assert (
        await api.get(LISTS, headers={"X-Ownpage-Client-Token": legacy.json()["token"]})
    ).is_success
    wrong = await api.post("/v1/token", json={**CREDENTIALS, "password": "nope"})
    assert (wrong.status_code, wrong.json()["status"]) == (401, 401) and wrong.json()["cause"]
    for headers in ({"X-Ownpage-Client-Token": ""}, {"X-Ownpage-Client-Token": "forged"}):
        refused = await api.get(LISTS, headers=headers)
        assert refused.status_code == 401 and refused.json()["status"] == 401


async def test_tokens_expire(api: httpx.AsyncClient, sandbox: Sandbox) -> None:
    assert (await api.get(LISTS)).is_success
    op_sandbox.expire_tokens(sandbox.store)
    expired = await api.get(LISTS)
    assert expired.status_code == 401 and "expired" in expired.json()["cause"]


async def test_lists_are_a_bare_array(api: httpx.AsyncClient) -> None:
    lists = (await api.get(LISTS)).json()
    assert isinstance(lists, list) and {"id", "name", "created_at", "updated_at"} <= set(lists[0])


async def test_subscriber_defaults_and_limits(api: httpx.AsyncClient) -> None:
    quotidien = f"{LISTS}/1201/subscribers"
    default = (await api.get(quotidien)).json()
    assert len(default) == 1000 and all(doc["subscribed"] for doc in default)
    for params in ({"count": 10001}, {"count": "many"}, {"status": "gone"}, {"offset": -1}):
        refused = await api.get(quotidien, params=params)
        assert refused.status_code == 400 and refused.json()["status"] == 400
    assert len((await api.get(quotidien, params={"count": 10000, "status": "all"})).json()) == 3600
    missing = await api.get(f"{LISTS}/999/subscribers")
    assert missing.status_code == 404 and missing.json()["cause"]


async def test_search_is_case_insensitive_and_exact_is_whole(api: httpx.AsyncClient) -> None:
    people = await everyone(api)
    email = next(iter(people))
    local = email.split("@")[0]
    found = (await api.get(ALERTS, params={"status": "all", "search": local.upper()})).json()
    assert email in {doc["email"] for doc in found}
    exact = {"status": "all", "search": email.upper(), "exact": "true"}
    assert [doc["email"] for doc in (await api.get(ALERTS, params=exact)).json()] == [email]
    partial = {"status": "all", "search": local, "exact": "true"}
    assert (await api.get(ALERTS, params=partial)).json() == []


async def test_upsert_semantics(api: httpx.AsyncClient) -> None:
    out_email = next(e for e, doc in (await everyone(api)).items() if not doc["subscribed"])
    summary = await upsert(
        api,
        [
            {"email": "neuf@example.fr", "data_firstname": "Zoé"},  # new, no status: subscribed
            {"email": out_email, "data_city": "Brest"},  # existing, no status: stays out
            {"email": "parti@example.fr", "subscribed": False},  # new and out: cause READER
            {"email": "NEUF@example.fr"},  # duplicate email
            {"email": "autre@example.fr", "guid": "G1"},
            {"email": "encore@example.fr", "guid": "G1"},  # duplicate guid
            {"email": "pas valide"},
        ],
    )
    assert summary == {
        "errors": [{"index": 6, "email": "pas valide", "cause": "email is not valid"}],
        "unique_emails_count": 4,
        "duplicate_emails_count": 1,
        "duplicate_guid_count": 1,
        "nb_created": 3,
        "nb_subscribed": 2,
        "nb_unsubscribed": 1,
        "nb_data_changed": 1,
    }
    people = await everyone(api)
    assert people["neuf@example.fr"]["guid"] == hashlib.md5(b"neuf@example.fr").hexdigest()
    assert people["neuf@example.fr"]["data_firstname"] == "Zoé"
    assert not people[out_email]["subscribed"] and people[out_email]["data_city"] == "Brest"
    gone = people["parti@example.fr"]
    assert gone["unsubscribed_cause"] == "READER" and gone["unsubscribed_at"]
    assert "encore@example.fr" not in people

    back = await upsert(api, [{"email": "parti@example.fr", "subscribed": True}])
    assert (back["nb_subscribed"], back["nb_created"]) == (1, 0)
    again = (await everyone(api))["parti@example.fr"]
    assert again["subscribed"] and again["unsubscribed_at"] is again["unsubscribed_cause"] is None


async def test_upsert_refuses_oversized_and_non_array_bodies(api: httpx.AsyncClient) -> None:
    rows = [{"email": f"r{i}@example.fr"} for i in range(20001)]
    too_many = await api.post(ALERTS, json=rows)
    assert too_many.status_code == 400 and "20000" in too_many.json()["cause"]
    not_array = await api.post(ALERTS, json={"email": "a@example.fr"})
    assert not_array.status_code == 400 and not_array.json()["status"] == 400


async def test_counts_follow_the_rows(api: httpx.AsyncClient) -> None:
    await upsert(
        api,
        [
            {"email": next(iter(await everyone(api))), "subscribed": False,
             "unsubscribed_cause": "PUBLISHER"},
            {"email": "nouvelle@example.fr"},
        ],
    )  # fmt: skip
    people = (await everyone(api)).values()
    counts = (await api.get(f"{ALERTS}/count")).json()
    assert counts["subscribed"] == sum(1 for doc in people if doc["subscribed"])
    assert counts["unsubscribed"] == sum(1 for doc in people if not doc["subscribed"])
    causes = Counter(doc["unsubscribed_cause"] for doc in people if not doc["subscribed"])
    assert counts["cause"] == {c: causes[c] for c in counts["cause"]}
    assert set(counts["cause"]) == {"HARD_BOUNCE", "MULTIPLE_BOUNCES", "PUBLISHER", "READER"}


async def test_delete_endpoints(api: httpx.AsyncClient) -> None:
    people = await everyone(api)
    victim = next(iter(people))
    bad = await api.post(f"{ALERTS}/delete", json=[{"email": victim}, {"email": "user1@"}])
    assert bad.status_code == 400
    assert bad.json() == {"status": 400, "cause": "1 error(s): email is not valid user1@"}
    assert victim in await everyone(api)
    done = await api.post(f"{ALERTS}/delete", json=[{"email": victim}])
    assert done.json() == {"success": "1 subscriptions have been deleted"}
    assert victim not in await everyone(api)
    assert (await api.delete(f"{ALERTS}/all", params={"status": "unsubscribed"})).status_code == 200
    counts = (await api.get(f"{ALERTS}/count")).json()
    assert counts["unsubscribed"] == 0
    assert counts["subscribed"] == sum(1 for doc in people.values() if doc["subscribed"]) - (
        1 if people[victim]["subscribed"] else 0
    )


async def test_big_list_builds_in_background_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = ownpage_seed.ListSpec(1250, "Grande liste", "2020-01-06T07:00:00.000Z", 0, 45)
    monkeypatch.setattr(ownpage_seed, "BIG_LIST", small)
    monkeypatch.setattr(op_sandbox, "BIG_LIST", small)
    monkeypatch.setattr(ownpage_seed, "BATCH", 20)
    store = Store.open(tmp_path / "big.sqlite", big_lists=True)
    op_sandbox.install(store)
    conn = store.connect()
    assert conn.execute("SELECT name FROM ownpage_lists WHERE id = 1250").fetchone()[0]
    progress = store.builds[ownpage_seed.BIG_KEY]
    await eventually(lambda: bool(progress.finished or progress.error), "the big list's build")
    assert progress.finished and progress.error is None

    def size() -> int:
        return conn.execute(
            "SELECT COUNT(*) FROM ownpage_subscribers WHERE list_id = 1250"
        ).fetchone()[0]

    assert size() == 45
    first = conn.execute("SELECT MIN(seq) FROM ownpage_subscribers WHERE list_id = 1250")
    cut = first.fetchone()[0] + 35  # an interrupted build: the last rows never arrived
    conn.execute("DELETE FROM ownpage_subscribers WHERE list_id = 1250 AND seq > ?", (cut,))
    conn.execute("DELETE FROM sandbox_meta WHERE key = ?", (ownpage_seed.BIG_KEY,))
    ownpage_seed.build_big(store, BuildProgress("again", 45))
    assert size() == 45 and store.seeded(ownpage_seed.BIG_KEY)
    op_sandbox.install(store)  # idempotent: nothing seeded twice
    assert (
        conn.execute("SELECT COUNT(*) FROM ownpage_subscribers WHERE list_id = 1204").fetchone()[0]
        == 300
    )
