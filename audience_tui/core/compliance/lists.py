"""The names of the lists a compliance job touched, read once per job, so that what a person reads
(a dry run, a drift table) names the list they are on rather than a platform's id. An account
whose lists cannot be read is shown by ids: a name is a courtesy, never a reason to stop a job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from ..errors import AudienceError
from ..models import Audience
from ..session import Session


class ListNames:
    def __init__(self, names: dict[tuple[str, str], str] | None = None) -> None:
        self._names = names or {}

    @classmethod
    def of(cls, lists: Iterable[tuple[str, Audience]]) -> ListNames:
        """From (account, audience) pairs already read."""
        return cls({(account, a.id): a.name for account, a in lists if a.name})

    @classmethod
    async def read(cls, session: Session, accounts: Iterable[str]) -> ListNames:
        """Every list of `accounts`, read at once; an account that fails is left to its ids."""
        names = list(accounts)

        async def lists(account: str) -> list[tuple[str, Audience]]:
            try:
                return [(account, a) for a in await session.audiences(account)]
            except AudienceError:
                return []

        found = await asyncio.gather(*(lists(account) for account in names))
        return cls.of(pair for pairs in found for pair in pairs)

    def name(self, account: str, list_id: str | None) -> str:
        """The list's name, or its id where the name is not known."""
        return self._names.get((account, list_id or ""), list_id or "")

    def names(self, account: str, list_ids: Iterable[str | None]) -> str:
        return ", ".join(self.name(account, list_id) for list_id in list_ids)
