"""Emma's probe: the assumptions the adapter makes where Emma's documents leave room."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.models import Check
from ..probing import Finding, checked, plural, route_takes
from .wire import object_list

if TYPE_CHECKING:
    from .adapter import EmmaProvider

END = "list windows: `end` is exclusive (start=0&end=2 gives 2 rows; EmmaSharper: inclusive)"
PURGE = (
    "erasure: the GDPR purge is `PUT /members/purge` (the seed names the purge, not its path; "
    "its body, member_ids, shows only when a member is purged)"
)


async def probe(emma: EmmaProvider) -> list[Check]:
    return [await checked(END, lambda: _end(emma)), await checked(PURGE, lambda: _purge(emma))]


async def _purge(emma: EmmaProvider) -> Finding:
    """Asked with OPTIONS: nothing is purged (`/members`, read every day, is the control)."""
    from .adapter import PURGE as path

    return await route_takes(emma.http, "PUT", path, shown=path, known="/members")


async def _end(emma: EmmaProvider) -> Finding:
    total = await emma._count("/members")
    if total < 3:
        return "could not check", f"the account has {plural(total, 'member')}; 3 are needed"
    rows = object_list(await emma._get("/members", start=0, end=2), "GET /members", "members")
    if len(rows) == 2:
        return "confirmed", f"start=0&end=2 returned 2 of {total} members"
    if len(rows) == 3:
        return "contradicted", "start=0&end=2 returned 3 rows: `end` is inclusive here"
    return "contradicted", f"start=0&end=2 returned {plural(len(rows), 'row')} of {total}"
