"""Emma adapter against the sandbox: the contract every screen relies on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from audience_tui.core.errors import (
    AuthError,
    InvalidResponseError,
    RateLimitedError,
    UnsupportedError,
    ValidationError,
)
from audience_tui.core.models import (
    Account,
    Audience,
    Condition,
    FieldType,
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
from audience_tui.providers.emma.adapter import ALL_MEMBERS
from audience_tui.sandbox.emma import routes as emma_sandbox
from audience_tui.sandbox.faults import FaultSpec

Make = Callable[..., Provider]


async def group(provider: Provider, name: str) -> Audience:
    return next(a for a in await provider.audiences() if a.name == name)


async def every_member(provider: Provider, audience: Audience, limit: int) -> list[str]:
    ids: list[str] = []
    offset = 0
    while True:
        page = await provider.members(audience, Query(), PageRequest(limit=limit, offset=offset))
        assert page.total == audience.member_count
        ids += [m.id for m in page.members]
        offset += len(page.members)
        if not page.has_more:
            return ids


def emma_account() -> tuple[Account, dict[str, str]]:
    return next((a, s) for a, s in demo_accounts() if a.platform == "emma")


async def test_verify_accepts_the_demo_keys_and_refuses_others(
    provider_for: Make, sandbox: Sandbox
) -> None:
    await provider_for("emma").verify()
    account, secrets = emma_account()
    wrong = create(account, {**secrets, "private_key": "not-the-key"}, transport=sandbox.transport)
    with pytest.raises(AuthError) as refused:
        await wrong.verify()
    assert "not-the-key" not in str(refused.value)
    other = replace(account, settings={"account_id": "999"})
    elsewhere = create(other, secrets, transport=sandbox.transport)
    with pytest.raises(AuthError, match="account id"):
        await elsewhere.verify()
    await wrong.aclose()
    await elsewhere.aclose()


async def test_audiences_are_all_members_and_the_groups_with_counts(provider_for: Make) -> None:
    audiences = await provider_for("emma").audiences()
    everyone, *groups = audiences
    assert everyone.id == ALL_MEMBERS and everyone.member_count
    names = [g.name for g in groups]
    assert {"Monthly Newsletter", "Event invitations", "Donors"} <= set(names)
    assert "Seed list (test sends)" not in names  # test groups are hidden by default
    newsletter = groups[names.index("Monthly Newsletter")]
    extra = newsletter.extra
    assert newsletter.member_count == (
        extra["active_count"] + extra["optout_count"] + extra["error_count"]
    )
    assert 0 < newsletter.member_count < everyone.member_count


async def test_fields_map_widget_types(provider_for: Make) -> None:
    provider = provider_for("emma")
    specs = {s.name: s for s in await provider.fields(await group(provider, "Donors"))}
    assert specs["favourite_category"].type is FieldType.CHOICE
    assert "Health" in specs["favourite_category"].options
    assert specs["interests"].type is FieldType.MULTI and "music" in specs["interests"].options
    assert specs["birthday"].type is FieldType.DATE
    assert specs["first_name"].label == "First Name" and not specs["first_name"].builtin
    assert specs["status"].aggregatable and not specs["city"].aggregatable
    assert all(not s.server_operators for s in specs.values())


async def test_paging_reaches_the_end_with_each_member_once(provider_for: Make) -> None:
    provider = provider_for("emma")
    donors = await group(provider, "Donors")
    ids = await every_member(provider, donors, limit=97)
    assert len(ids) == len(set(ids)) == donors.member_count
    everyone = (await provider.audiences())[0]
    ids = await every_member(provider, everyone, limit=500)
    assert len(ids) == len(set(ids)) == everyone.member_count > 3000


async def test_members_parse_emma_documents(provider_for: Make) -> None:
    provider = provider_for("emma")
    everyone = (await provider.audiences())[0]
    page = await provider.members(everyone, Query(), PageRequest(limit=200, offset=1000))
    assert page.offset == 1000 and len(page.members) == 200 and page.has_more
    member = page.members[0]
    assert int(member.id) > 2**31  # ids beyond int32 stay exact
    assert member.created_at is not None and member.created_at.tzinfo is not None
    assert member.name == f"{member.fields['first_name']} {member.fields['last_name']}"
    assert {MemberStatus.ACTIVE, MemberStatus.OPTED_OUT, MemberStatus.ERROR} <= {
        m.status for m in page.members
    }
    assert member.fields["status"] in {"a", "o", "e"}
    assert all(isinstance(m.fields["interests"], list) for m in page.members)
    birthdays = [m.fields["birthday"] for m in page.members if m.fields["birthday"]]
    assert birthdays and all(len(b) == 10 and not b.startswith("@D:") for b in birthdays)


async def test_status_views(provider_for: Make) -> None:
    provider = provider_for("emma")
    everyone = (await provider.audiences())[0]
    page = await provider.members(
        everyone, Query(status=MemberStatus.DELETED), PageRequest(limit=50)
    )
    assert page.members and all(m.status is MemberStatus.DELETED for m in page.members)
    with pytest.raises(UnsupportedError):
        await provider.members(everyone, Query(status=MemberStatus.ACTIVE), PageRequest(50))
    with pytest.raises(UnsupportedError):
        condition = Condition("city", "eq", "Oslo")
        await provider.members(everyone, Query(filter=Filter((condition,))), PageRequest(50))


async def test_lookup_reports_every_group(provider_for: Make, sandbox: Sandbox) -> None:
    provider = provider_for("emma")
    audiences = await provider.audiences()
    newsletter = next(a for a in audiences if a.name == "Monthly Newsletter")
    someone = (await provider.members(newsletter, Query(), PageRequest(limit=1))).members[0]
    found = await provider.lookup(someone.email.upper())
    assert {m.id for m in found} == {someone.id}
    assert newsletter.id in {m.audience_id for m in found}
    known = {a.id for a in audiences}
    assert all(m.audience_id in known for m in found)

    def groupless(conn) -> str:
        return conn.execute(
            "SELECT email FROM emma_members WHERE deleted_at IS NULL AND member_id NOT IN "
            "(SELECT member_id FROM emma_group_members) LIMIT 1"
        ).fetchone()[0]

    alone = await provider.lookup(await sandbox.store.run(groupless))
    assert [m.audience_id for m in alone] == [ALL_MEMBERS]


async def test_lookup_unknown_and_invalid(provider_for: Make) -> None:
    provider = provider_for("emma")
    assert await provider.lookup("nobody.at.all@example.com") == []
    with pytest.raises(ValidationError):
        await provider.lookup("not an email")


async def test_opt_out_is_read_back_idempotent_and_counted(provider_for: Make) -> None:
    provider = provider_for("emma")
    donors = await group(provider, "Donors")
    page = await provider.members(donors, Query(), PageRequest(limit=50))
    target = next(m for m in page.members if m.status is MemberStatus.ACTIVE)
    before = await provider.aggregate(donors, "status", Filter())

    after = await provider.opt_out(target)
    assert after.id == target.id and after.audience_id == donors.id
    assert after.status is MemberStatus.OPTED_OUT and after.platform_status == "opt-out"
    again = await provider.opt_out(target)
    assert again.status is MemberStatus.OPTED_OUT

    counts = {
        b.key: b.count for b in (await provider.aggregate(donors, "status", Filter())).buckets
    }
    was = {b.key: b.count for b in before.buckets}
    assert counts == {**was, "a": was["a"] - 1, "o": was["o"] + 1}


async def test_aggregate_status_server_side_only(provider_for: Make) -> None:
    provider = provider_for("emma")
    donors = await group(provider, "Donors")
    result = await provider.aggregate(donors, "status", Filter())
    assert result.source == "server" and result.total == donors.member_count
    assert [b.label for b in result.buckets] == ["Active", "Opt-out", "Error"]
    with pytest.raises(UnsupportedError):
        await provider.aggregate(donors, "city", Filter())
    with pytest.raises(UnsupportedError):
        await provider.aggregate((await provider.audiences())[0], "status", Filter())


async def test_import_runs_to_the_end_and_reports_a_bad_row(provider_for: Make) -> None:
    provider = provider_for("emma")
    donors = await group(provider, "Donors")
    listed = (await provider.members(donors, Query(), PageRequest(limit=50))).members
    existing = next(m for m in listed if m.status is MemberStatus.ACTIVE)  # not kept out
    rows = [
        {"email": "new.donor@example.com", "first_name": "Nina", "favourite_category": "Health"},
        {"email": "not-an-email", "first_name": "Bad"},
        {"email": existing.email, "city": "Tromsø"},
    ]
    job = await provider.start_import(ImportRequest(donors, rows, "donors.csv"))
    assert job.id.isdigit() and job.state is ImportState.QUEUED and job.submitted == 3

    states = []
    for _ in range(5):
        status = await provider.import_status(job.id)
        states.append(status.state)
        if status.state is ImportState.FINISHED:
            break
    assert states[0] is ImportState.RUNNING and states[-1] is ImportState.FINISHED
    assert (status.added, status.updated, status.skipped) == (1, 1, 1)
    assert [e.row for e in status.row_errors] == ["not-an-email"] and status.errors == 1

    [added] = await provider.lookup("new.donor@example.com")
    assert added.audience_id == donors.id and added.fields["favourite_category"] == "Health"
    [updated] = [m for m in await provider.lookup(existing.email) if m.audience_id == donors.id]
    assert updated.fields["city"] == "Tromsø"
    assert job.id in {j.id for j in await provider.imports()}


async def test_rate_limit_403_is_retried_then_reported(
    provider_for: Make, sandbox: Sandbox
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    provider = provider_for("emma", sleep=sleep)
    emma_sandbox.throttle(sandbox.store).refuse_next = 2
    await provider.verify()
    assert len(waits) == 2
    emma_sandbox.throttle(sandbox.store).refuse_next = 99
    with pytest.raises(RateLimitedError):
        await provider.verify()


async def test_malformed_answer_is_an_invalid_response(
    provider_for: Make, sandbox: Sandbox
) -> None:
    provider = provider_for("emma")
    sandbox.app.spec = FaultSpec(malformed=1.0)
    with pytest.raises(InvalidResponseError):
        await provider.audiences()


async def test_status_counts_are_offered_for_groups_only(provider_for: Make) -> None:
    emma = provider_for("emma")
    everyone, group = (await emma.audiences())[:2]
    assert everyone.id == "all"
    aggregatable = {s.name for s in await emma.fields(group) if s.aggregatable}
    assert aggregatable == {"status"}
    assert not any(s.aggregatable for s in await emma.fields(everyone))
