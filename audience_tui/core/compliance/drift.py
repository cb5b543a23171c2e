"""Consent drift: people opted out on one platform or list and still subscribed on another.

Every list of every account (or those named) is read for its opted-out members, with the
platform's own opted-out view where it has one and a page-by-page scan elsewhere; only their
emails are kept, so memory grows with the number of opted-out people, not with the lists. The
lists are then read again for active members with one of those emails: they have drifted. The
fix (`drift --apply`, or the TUI's key) is the suppression run over the drifted emails.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..models import Audience, Member, MemberStatus, Query
from ..scan import pages, prepare
from ..session import Session
from .suppress import Progress, ProgressCallback

COLUMNS = ("email", "opted_out_on", "subscribed_on", "unknown_on")


@dataclass(frozen=True, slots=True)
class Place:
    account: str
    list_id: str
    list_name: str

    def __str__(self) -> str:
        return f"{self.account}: {self.list_name}"


@dataclass
class Drifted:
    """One person opted out somewhere and still subscribed elsewhere. `unknown_on`: lists that
    hold them where the platform gives no subscription reading (a Kajabi customer record, a
    contact without `subscribed`): shown, never counted as drift nor opted out."""

    email: str
    opted_out_on: list[Place] = field(default_factory=list)
    subscribed_on: list[tuple[Place, Member]] = field(default_factory=list)
    unknown_on: list[Place] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "opted_out_on": "; ".join(map(str, self.opted_out_on)),
            "subscribed_on": "; ".join(str(place) for place, _ in self.subscribed_on),
            "unknown_on": "; ".join(map(str, self.unknown_on)),
        }


async def _scan(
    session: Session,
    lists: Sequence[tuple[str, Audience]],
    status: MemberStatus,
    stage: str,
    progress: ProgressCallback,
) -> AsyncIterator[tuple[Place, Member]]:
    """Every member of `lists` in the platform's own view of `status` where it has one, else
    in its default view (whatever their status: the caller reads each member's)."""
    for number, (name, audience) in enumerate(lists, 1):
        provider = session.provider(name)
        served = status in provider.capabilities.statuses
        view = await prepare(provider, audience, Query(status=status if served else None))
        label = f"{stage} ({number}/{len(lists)}) {name} {audience.name}"
        place = Place(name, audience.id, audience.name or audience.id)

        def seen(done: int, total: int | None, label: str = label) -> None:
            progress(Progress(label, done, total or done))

        async for members in pages(view, progress=seen):
            for member in members:
                if member.email:
                    yield place, member


async def find(
    session: Session,
    accounts: Sequence[str] | None = None,
    progress: ProgressCallback = lambda p: None,
) -> list[Drifted]:
    """The drifted people: opted out somewhere, still subscribed (active) elsewhere. Two passes
    over the lists: the opted-out emails first (all that is kept), then the members whose email
    is among them, each compared by the platform's own reading of them: active is drift,
    unknown is said, anything else (pending, bounced) is neither."""
    names = list(accounts) if accounts else [a.name for a in session.accounts]
    lists = [(name, a) for name in names for a in await session.audiences(name)]
    found: dict[str, Drifted] = {}
    out = _scan(session, lists, MemberStatus.OPTED_OUT, "opted out", progress)
    async for place, member in out:
        if member.status is MemberStatus.OPTED_OUT:
            entry = found.setdefault((member.email or "").casefold(), Drifted(member.email or ""))
            entry.opted_out_on.append(place)
    if found:
        active = _scan(session, lists, MemberStatus.ACTIVE, "still active", progress)
        async for place, member in active:
            known = found.get((member.email or "").casefold())
            if known is None or place in known.opted_out_on:
                continue
            if member.status is MemberStatus.ACTIVE:
                known.subscribed_on.append((place, member))
            elif member.status is MemberStatus.UNKNOWN and place not in known.unknown_on:
                known.unknown_on.append(place)
    drifted = [entry for entry in found.values() if entry.subscribed_on]
    return sorted(drifted, key=lambda d: d.email.casefold())
