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

COLUMNS = ("email", "opted_out_on", "subscribed_on")


@dataclass
class Drifted:
    email: str
    opted_out_on: list[tuple[str, str]] = field(default_factory=list)  # (account, list)
    subscribed_on: list[tuple[str, Member]] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "opted_out_on": "; ".join(f"{a} {lst}" for a, lst in self.opted_out_on),
            "subscribed_on": "; ".join(f"{a} {m.audience_id}" for a, m in self.subscribed_on),
        }


async def _scan(
    session: Session,
    lists: Sequence[tuple[str, Audience]],
    status: MemberStatus,
    stage: str,
    progress: ProgressCallback,
) -> AsyncIterator[tuple[str, Audience, Member]]:
    """Every member of `lists` with `status`: the platform's own view of that status where it
    has one, else its default view, checked here."""
    for number, (name, audience) in enumerate(lists, 1):
        provider = session.provider(name)
        served = status in provider.capabilities.statuses
        view = await prepare(provider, audience, Query(status=status if served else None))
        label = f"{stage} ({number}/{len(lists)}) {name} {audience.name}"

        def seen(done: int, total: int | None, label: str = label) -> None:
            progress(Progress(label, done, total or done))

        async for members in pages(view, progress=seen):
            for member in members:
                if member.status is status and member.email:
                    yield name, audience, member


async def find(
    session: Session,
    accounts: Sequence[str] | None = None,
    progress: ProgressCallback = lambda p: None,
) -> list[Drifted]:
    """The drifted people: opted out somewhere, still subscribed (active) elsewhere. Two passes
    over the lists: the opted-out emails first (all that is kept), then the active members
    whose email is among them."""
    names = list(accounts) if accounts else [a.name for a in session.accounts]
    lists = [(name, a) for name in names for a in await session.provider(name).audiences()]
    found: dict[str, Drifted] = {}
    out = _scan(session, lists, MemberStatus.OPTED_OUT, "opted out", progress)
    async for name, audience, member in out:
        entry = found.setdefault((member.email or "").casefold(), Drifted(member.email or ""))
        entry.opted_out_on.append((name, audience.id))
    if found:
        active = _scan(session, lists, MemberStatus.ACTIVE, "still active", progress)
        async for name, _, member in active:
            known = found.get((member.email or "").casefold())
            if known is not None and (name, member.audience_id) not in known.opted_out_on:
                known.subscribed_on.append((name, member))
    drifted = [entry for entry in found.values() if entry.subscribed_on]
    return sorted(drifted, key=lambda d: d.email.casefold())
