"""Where a person was found: (account, list, member) triples, with list names resolved.

A lookup answers with members that carry only their audience id; screens that list memberships or
opt them out need the audience itself (its name for the user, the object for the adapter).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import NamedTuple

from ..core.models import Audience, Member
from ..core.session import LookupResult, Session


class Target(NamedTuple):
    """One membership of one person: what an opt-out or a detail screen acts on."""

    account_name: str
    audience: Audience
    member: Member


async def audiences_by_id(session: Session, account_name: str) -> dict[str, Audience]:
    """The account's audiences by id; empty when they cannot be read (ids then stand in)."""
    try:
        audiences = await session.audiences(account_name)
    except Exception:  # list names are a nicety here: the memberships matter, ids stand in
        return {}
    return {audience.id: audience for audience in audiences}


def audience_for(index: dict[str, Audience], member: Member) -> Audience:
    audience_id = member.audience_id or ""
    return index.get(audience_id) or Audience(id=audience_id, name=audience_id or "?")


async def targets(session: Session, account_name: str, members: Iterable[Member]) -> list[Target]:
    """The members of one account as targets with their audiences."""
    members = list(members)
    index = await audiences_by_id(session, account_name) if members else {}
    return [Target(account_name, audience_for(index, m), m) for m in members]


async def targets_of(session: Session, results: Iterable[LookupResult]) -> list[Target]:
    """Every membership found by a cross-account lookup, in account order."""
    per_account = await asyncio.gather(
        *(targets(session, result.account.name, result.members) for result in results)
    )
    return [target for found in per_account for target in found]
