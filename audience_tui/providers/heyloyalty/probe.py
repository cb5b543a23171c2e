"""Heyloyalty's probe: the word a member's status carries in the `show=removed` view (where
opt-outs are confirmed), and that the view holds only unsubscribed members."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from ...core.models import Check, MemberStatus
from ..probing import Finding, checked, plural
from .wire import STATUSES

if TYPE_CHECKING:
    from .adapter import HeyloyaltyProvider

REMOVED = "show=removed lists the unsubscribed, with a status word the app knows"
SAMPLE = 20


async def probe(hl: HeyloyaltyProvider) -> list[Check]:
    return [await checked(REMOVED, lambda: _removed(hl))]


async def _removed(hl: HeyloyaltyProvider) -> Finding:
    from .adapter import API

    for audience in await hl.audiences():
        path = f"{API}/lists/{audience.id}/members"
        params = [("page", "1"), ("perpage", str(SAMPLE)), ("show", "removed")]
        doc = await hl.http.json("GET", path, params=params)
        members = doc.get("members") if isinstance(doc, dict) else None
        if not isinstance(members, list) or not members:
            continue
        words = Counter(
            str((m.get("status") or {}).get("status") if isinstance(m, dict) else None)
            for m in members
        )
        seen = ", ".join(f"{word} ({n})" for word, n in words.most_common())
        evidence = f"{plural(len(members), 'member')} of list {audience.id} read: {seen}"
        out = {w for w in words if STATUSES.get(w) is MemberStatus.OPTED_OUT}
        if out == set(words):
            return "confirmed", evidence
        return "contradicted", evidence + " (expected only unsubscribed words)"
    return "could not check", "no list has unsubscribed members"
