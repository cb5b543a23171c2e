"""The records of a person a lookup does not reach, for the subject-access report.

A lookup finds where someone can be opted out; a subject-access report must show everything an
account holds. Some lists hold the person outside what the lookup reads: a Kajabi site's
customers (the purchase record: revenue, sign-ins, public profile) beside the contact the lookup
finds. So every other list of an account that answered is asked once, by a server-side email
filter, and matched exactly here. A list whose platform cannot filter by email on the server is
left to the lookup (a scan of a whole list for one person is not what a report should cost).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import AudienceError
from ..models import Audience, Condition, Filter, Member, PageRequest, Query
from ..provider import Provider
from ..scan import View, page_size, prepare
from ..session import Session

PAGE = 100  # members with the email in them, of one list: far more than one person's records


async def other_records(
    session: Session, account: str, email: str, found: Iterable[Member]
) -> list[Member]:
    """`account`'s records of `email` in the lists where the lookup found none."""
    provider = session.provider(account)
    seen = {member.audience_id for member in found}
    wanted = email.casefold()
    records: list[Member] = []
    for audience in await session.audiences(account):
        if audience.id in seen:
            continue
        try:
            view = await _by_email(provider, audience, email)
            if view is None:
                continue  # the platform cannot filter this list by email
            limit = min(PAGE, page_size(provider))
            page = await provider.members(audience, view.server_query, PageRequest(limit))
        except AudienceError:
            continue  # the lookup's answer stands for this list
        records += [m for m in page.members if (m.email or "").strip().casefold() == wanted]
    return records


async def _by_email(provider: Provider, audience: Audience, email: str) -> View | None:
    """The list's view of `email` filtered on the server: equal where the platform has it (an
    index, on a large list), else contains; None where it has neither."""
    for op in ("eq", "ct"):
        view = await prepare(
            provider, audience, Query(filter=Filter((Condition("email", op, email),)))
        )
        if not view.plan.local:
            return view
    return None
