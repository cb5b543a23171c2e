"""Ownpage's probe: whether `exact=true` makes the email search exact (the lookup relies on it,
and compares addresses itself all the same)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.models import Check
from ..probing import Finding, checked

if TYPE_CHECKING:
    from .adapter import OwnpageProvider

EXACT = "search with exact=true matches whole addresses only"


async def probe(ownpage: OwnpageProvider) -> list[Check]:
    return [await checked(EXACT, lambda: _exact(ownpage))]


async def _exact(ownpage: OwnpageProvider) -> Finding:
    for list_id, _ in await ownpage._lists():
        sample = await ownpage._documents(list_id, {"status": "all", "count": 1})
        if not sample:
            continue
        email = str(sample[0]["email"])
        part = email[1:]
        query = {"status": "all", "exact": "true", "count": 10}
        whole = await ownpage._documents(list_id, {**query, "search": email})
        partial = await ownpage._documents(list_id, {**query, "search": part})
        found_whole = any(str(d.get("email", "")).casefold() == email.casefold() for d in whole)
        found_by_part = any(str(d.get("email", "")).casefold() == email.casefold() for d in partial)
        if found_by_part:
            return "contradicted", (
                "exact=true with an address less its first character still found the address "
                "(the app's lookup compares whole addresses itself, so it stays exact)"
            )
        if not found_whole:
            return "contradicted", "exact=true with a whole address did not find it"
        return "confirmed", (
            f"a whole address found {len(whole)} subscriber(s); the same less its first "
            f"character found {len(partial)}"
        )
    return "could not check", "no list has a subscriber"
