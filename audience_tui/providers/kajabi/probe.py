"""Kajabi's probe: the page size cap (documented for contact notes only) and whether contacts
carry the `subscribed` attribute an opt-out is confirmed by."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.models import Check
from ..probing import Finding, checked, plural
from .wire import CONTACTS

if TYPE_CHECKING:
    from .adapter import KajabiProvider

CAP = "page[size] is capped at 100 (documented for contact notes only)"
SUBSCRIBED = "contacts carry a boolean `subscribed` (opt-outs are confirmed by it)"
SAMPLE = 25


async def probe(kajabi: KajabiProvider) -> list[Check]:
    sites = [str(site["id"]) for site in await kajabi._collect("sites", {})]
    return [
        await checked(CAP, lambda: _cap(kajabi, sites)),
        await checked(SUBSCRIBED, lambda: _subscribed(kajabi, sites)),
    ]


async def _cap(kajabi: KajabiProvider, sites: list[str]) -> Finding:
    from .adapter import MAX_PAGE

    for site in sites:
        params = {"filter[site_id]": site, f"fields[{CONTACTS}]": "email"}
        total = (await kajabi._page(CONTACTS, params, 1, 1)).total or 0
        if total <= MAX_PAGE + 1:
            continue
        full = len((await kajabi._page(CONTACTS, params, 1, MAX_PAGE)).items)
        if full < MAX_PAGE:
            return "contradicted", f"page[size]={MAX_PAGE} gave {full} of {total} contacts"
        over = len((await kajabi._page(CONTACTS, params, 1, MAX_PAGE + 1)).items)
        if over > MAX_PAGE:
            return "contradicted", (
                f"page[size]={MAX_PAGE + 1} gave {over} contacts: the cap is higher (the app "
                "only reads smaller pages than it could)"
            )
        return "confirmed", f"page[size]={MAX_PAGE + 1} gave {over} of {total} contacts"
    return "could not check", f"no site has more than {MAX_PAGE + 1} contacts"


async def _subscribed(kajabi: KajabiProvider, sites: list[str]) -> Finding:
    for site in sites:
        listing = await kajabi._page(CONTACTS, {"filter[site_id]": site}, 1, SAMPLE)
        if not listing.items:
            continue
        values = [
            (item.get("attributes") or {}).get("subscribed", "missing") for item in listing.items
        ]
        booleans = sum(isinstance(v, bool) for v in values)
        missing = values.count("missing")
        null = sum(v is None for v in values)
        counts = f"of {plural(len(values), 'contact')}: {booleans} boolean, {missing} missing, "
        counts += f"{null} null"
        return ("confirmed" if booleans == len(values) else "contradicted"), counts
    return "could not check", "no site has a contact"
