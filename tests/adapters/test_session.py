"""Session: one account's failure never hides the others, and every opt-out attempt has an outcome
in the audit record."""

from __future__ import annotations

import pytest

from audience_tui.core.errors import AudienceError, ValidationError
from audience_tui.core.models import MemberStatus, PageRequest, Query
from audience_tui.demo import Sandbox, demo_session
from audience_tui.sandbox.people import person


async def broken(*args: object) -> object:
    raise RuntimeError("adapter defect")


async def test_lookup_reports_each_accounts_failure_separately(sandbox: Sandbox) -> None:
    session = demo_session(sandbox)
    try:
        session.provider("demo-emma").lookup = broken  # type: ignore[method-assign]
        results = await session.lookup(person(2100).email)
        by_name = {r.account.name: r for r in results}
        assert isinstance(by_name["demo-emma"].error, AudienceError)
        assert "adapter defect" in str(by_name["demo-emma"].error)
        assert len(results) == 5
        assert all(r.error is None for name, r in by_name.items() if name != "demo-emma")
        with pytest.raises(ValidationError):
            await session.lookup("not-an-email")
    finally:
        await session.aclose()


async def test_opt_out_attempt_always_gets_an_outcome(sandbox: Sandbox) -> None:
    session = demo_session(sandbox)
    try:
        provider = session.provider("demo-heyloyalty")
        audience = (await provider.audiences())[-1]
        member = (await provider.members(audience, Query(), PageRequest(1))).members[0]
        provider.opt_out = broken  # type: ignore[method-assign]
        outcome = await session.opt_out("demo-heyloyalty", member)
        assert not outcome.confirmed and outcome.error is not None
        actions = [e["action"] for e in session.audit.read()]
        assert actions == ["opt_out.attempt", "opt_out.failed"]
        del provider.opt_out  # the real method again: the retry succeeds
        outcome = await session.opt_out("demo-heyloyalty", member)
        assert outcome.confirmed and outcome.after is not None
        assert outcome.after.status is MemberStatus.OPTED_OUT
        assert [e["action"] for e in session.audit.read()][-1] == "opt_out.confirmed"
    finally:
        await session.aclose()
