"""Demo people the tests start from: found by what the sandbox's deterministic data holds
(on so many lists, on several platforms), never by a hard-coded address."""

from __future__ import annotations

from audience_tui.core.models import MemberStatus
from audience_tui.core.session import Session
from audience_tui.sandbox.people import person


async def email_on(session: Session, account: str, lists: int) -> str:
    """A demo person on exactly `lists` lists of `account`."""
    provider = session.provider(account)
    for index in range(1000, 3600, 97):
        email = person(index).email
        if len(await provider.lookup(email)) == lists:
            return email
    raise AssertionError(f"no demo person on {lists} lists of {account}")


async def email_on_platforms(session: Session) -> str:
    """A demo person active on at least two platforms (people overlap across the sandboxes)."""
    for index in range(2400, 2600):
        email = person(index).email
        results = await session.lookup(email)
        platforms = {
            r.account.platform
            for r in results
            if any(m.status is MemberStatus.ACTIVE for m in r.members)
        }
        if len(platforms) >= 2:
            return email
    raise AssertionError("no demo person on two platforms")


async def emma_member_in_groups(session: Session) -> str:
    """A demo person active in two or more Emma groups."""
    provider = session.provider("demo-emma")
    for index in range(1000, 3600, 7):
        email = person(index).email
        found = await provider.lookup(email)
        if len(found) >= 2 and all(m.status is MemberStatus.ACTIVE for m in found):
            return email
    raise AssertionError("no active Emma member in two groups")
