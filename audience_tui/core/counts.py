"""What a list's member count counts: every member, or only the active ones.

Platforms report one number per list. Most count every member whatever their status; Heyloyalty
counts only its active members (its default view), so "All customers (1M)" says 911,240 of a
million. Where the platform can list the other statuses, their totals (one one-member page each)
tell the two apart, and give the whole: "911,240 active of 1,000,000".
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import AudienceError
from .models import Audience, MemberStatus, PageRequest, Query
from .provider import Provider

WITHIN = 5.0  # seconds the wholes may add to a listing of lists


@dataclass(frozen=True, slots=True)
class ListCount:
    members: int | None  # the platform's own count
    everyone: int | None = None  # every status, where `members` counts the active ones only

    def words(self) -> str:
        """`911,240 active of 1,000,000`, or the count alone, or "" when none is known."""
        if self.members is None:
            return ""
        if self.everyone is None:
            return f"{self.members:,}"
        return f"{self.members:,} active of {self.everyone:,}"


async def _total(provider: Provider, audience: Audience, status: MemberStatus | None) -> int | None:
    return (await provider.members(audience, Query(status=status), PageRequest(1))).total


async def list_counts(
    provider: Provider, audiences: Sequence[Audience], seconds: float = WITHIN
) -> list[ListCount]:
    """Each audience's count, with the whole where the count leaves statuses out. The wholes
    are extra: one that fails, or is not in within `seconds`, leaves the platform's count."""
    plain = [ListCount(audience.member_count) for audience in audiences]
    try:
        async with asyncio.timeout(seconds):
            found = await asyncio.gather(*(list_count(provider, a) for a in audiences))
    except (TimeoutError, AudienceError):
        return plain
    return list(found)


async def list_count(provider: Provider, audience: Audience) -> ListCount:
    """The audience's count, with the whole when the count leaves statuses out."""
    count = audience.member_count
    statuses = provider.capabilities.statuses
    others = [status for status in statuses if status is not MemberStatus.ACTIVE]
    if count is None or MemberStatus.ACTIVE not in statuses or not others:
        return ListCount(count)
    default, active, *rest = await asyncio.gather(
        *(_total(provider, audience, status) for status in (None, MemberStatus.ACTIVE, *others))
    )
    if default is None or active is None or default != active or None in rest:
        return ListCount(count)  # the default view holds more than the active members
    left_out = sum(n for n in rest if n is not None)
    return ListCount(count, count + left_out) if left_out else ListCount(count)
