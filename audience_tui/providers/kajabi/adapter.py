"""Kajabi adapter: sites as audiences, contacts and customers as members, lookup, opt-out.

Facts from the public API reference (seeds/002: list customers; providers/kajabi.md): OAuth2
client credentials, JSON:API documents, page[number]/page[size] with meta.total_count, `-` sorts,
sparse fieldsets, about eighty filter[...] parameters ANDed together, and filter[site_id] required
on accounts with several sites (so it is always sent). Each site is two audiences: its contacts
(everyone, with the marketing `subscribed` flag, where opt-out happens) and its customers (buyers,
read-only, with net revenue). There is no aggregation or import endpoint.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Sequence
from functools import cached_property, partial
from typing import Any
from urllib.parse import quote

from ...core.erasure import EraseMethod, Erasure
from ...core.errors import InvalidResponseError, UnsupportedError, ValidationError
from ...core.filters import parse_bool
from ...core.http import ApiClient
from ...core.models import (
    Audience,
    Capabilities,
    Check,
    Condition,
    CredentialSpec,
    FieldSpec,
    Member,
    MemberStatus,
    Page,
    PageRequest,
    Query,
)
from ...core.page_guard import PageGuard
from ...core.provider import Provider
from ...core.recent import Recent
from ..wire import checked_email
from .auth import KajabiAuth
from .wire import (
    CONTACTS,
    CUSTOMERS,
    FIELDS,
    PLATFORM,
    Listing,
    error_detail,
    filter_params,
    parse_listing,
    parse_single,
    related_id,
    sort_param,
    to_member,
)

MEDIA_TYPE = "application/vnd.api+json"
MAX_PAGE = 100  # documented for contact notes only; assumed for contacts, customers and sites
MAX_COLLECT_PAGES = 1000  # a guard against a listing whose `next` never ends
log = logging.getLogger("audience_tui.kajabi")
CUSTOMERS_SUFFIX = ":customers"


def cover(offset: int, limit: int, cap: int = MAX_PAGE) -> tuple[int, list[int]]:
    """(page size, page numbers) of the fewest, smallest Kajabi pages holding offset..+limit,
    none larger than `cap`."""
    for size in range(limit, cap + 1):
        if offset // size == (offset + limit - 1) // size:
            return size, [offset // size + 1]
    size = min(limit, cap)
    return size, list(range(offset // size + 1, (offset + limit - 1) // size + 2))


MIN_PAGE_CAP = 10  # a shorter page is taken for what it holds, not for the platform's page cap


def served_size(listings: Sequence[Listing], numbers: Sequence[int], size: int) -> int | None:
    """The page size Kajabi really serves, when a page came back shorter than asked before the
    end of the list (its cap is below the one assumed); None when every page is as asked."""
    total = listings[0].total
    for i, (listing, number) in enumerate(zip(listings, numbers, strict=True)):
        got = len(listing.items)
        before_end = i < len(listings) - 1 or (
            total is not None and (number - 1) * size + got < total
        )
        if MIN_PAGE_CAP <= got < size and before_end:
            return got
    return None


def target(audience: Audience) -> tuple[str, str]:
    """(site id, resource) of an audience, from its extra or, failing that, its id."""
    site = audience.extra.get("site_id")
    resource = audience.extra.get("resource")
    if isinstance(site, str) and resource in (CONTACTS, CUSTOMERS):
        return site, resource
    if audience.id.endswith(CUSTOMERS_SUFFIX):
        return audience.id.removesuffix(CUSTOMERS_SUFFIX), CUSTOMERS
    return audience.id, CONTACTS


class KajabiProvider(Provider):
    platform = "kajabi"
    title = PLATFORM
    default_base_url = "https://api.kajabi.com"
    credentials = (
        CredentialSpec("client_id", "Client ID", secret=False),
        CredentialSpec("client_secret", "Client secret", secret=True),
    )
    erase_method = EraseMethod(
        request="DELETE /v1/contacts/{id}",
        effect="deletes the contact (its customer record, if any, stays: Kajabi has no customer "
        "delete); refused with 422 while the contact has active Kajabi Payments",
        scope="list",
    )
    # The largest page Kajabi serves: MAX_PAGE is assumed; a shorter page before the end of
    # the list lowers it for this account (see `served_size`), so no row is ever skipped.
    page_cap: int = MAX_PAGE
    capabilities = Capabilities(
        paging="offset",
        max_page_size=MAX_PAGE,
        totals_known=True,
        filter_logic=frozenset({"and"}),
        imports="none",
        scan_concurrency=4,
        statuses=(MemberStatus.ACTIVE,),
        notes=(
            "Each site is two audiences: its contacts (opt-out happens here) and "
            "'<site> — customers', a read-only view of buyers with net revenue; lookup lists "
            "contacts only, since a customer is the same person's purchase record.",
            "Opt-out is PATCH /v1/contacts/{id} with subscribed:false, then a read-back. The "
            "docs only demonstrate patching other attributes (phone_number): that "
            "subscribed:false unsubscribes the contact is assumed. Opting out a customer "
            "patches the contact it belongs to.",
            "Page size cap 100 is assumed (documented only for contact notes); default order "
            "is newest first. Pages are fetched by number; links.next is only read to know "
            "whether more follow, so the token is never sent to a host a link names.",
            "Server-side filters: text 'contains' (name, email, phone, address), "
            "subscribed = true, net revenue =, >, <; joined by 'and'. Kajabi cannot list the "
            "unsubscribed ('subscribed neq true' is checked by the app), and its 'created in "
            "the last N days' windows are timestamp-exact in an unstated time zone, so date "
            "conditions are checked by the app.",
            "Text 'contains' filters are assumed case-insensitive, like the app's own check.",
            "No aggregation endpoint (charts scan pages) and no bulk import.",
            "Token lifetime is whatever expires_in says; renewed shortly before it ends and "
            "once on a 401. Rate limits exist but are not published.",
        ),
    )

    auth: KajabiAuth

    def make_client(self, **options: Any) -> ApiClient:
        self.auth = KajabiAuth(
            self.base_url, self.setting("client_id"), self.setting("client_secret")
        )
        return ApiClient(
            PLATFORM,
            self.base_url,
            auth=self.auth,
            headers={"Accept": MEDIA_TYPE},
            error_detail=error_detail,
            **options,
        )

    # --- reading ------------------------------------------------------------------------------
    async def verify(self) -> None:
        """GET /v1/me: one cheap call that needs a token (so it proves the credentials)."""
        await self.http.json("GET", "/v1/me")

    async def _page(self, resource: str, params: dict[str, str], number: int, size: int) -> Listing:
        path = f"/v1/{resource}"
        query = {**params, "page[number]": str(number), "page[size]": str(size)}
        body = await self.http.json("GET", path, params=query)
        return parse_listing(body, f"GET {path}", resource)

    async def _collect(self, resource: str, params: dict[str, str]) -> list[dict[str, Any]]:
        """Every resource of a listing, page by page until Kajabi says there is no next."""
        items: list[dict[str, Any]] = []
        guard = PageGuard(PLATFORM, f"GET /v1/{resource}", max_pages=MAX_COLLECT_PAGES)
        for number in itertools.count(1):
            listing = await self._page(resource, params, number, MAX_PAGE)
            guard.page([str(item.get("id")) for item in listing.items], total=listing.total)
            items += listing.items
            done = listing.total is not None and len(items) >= listing.total
            if done or not listing.items or not listing.has_next:
                break
        return items

    async def _count(self, site_id: str, resource: str) -> int | None:
        """meta.total_count of a one-row page carrying one attribute (sparse fieldset)."""
        params = {"filter[site_id]": site_id, f"fields[{resource}]": "email"}
        return (await self._page(resource, params, 1, 1)).total

    async def audiences(self) -> list[Audience]:
        sites = await self._collect("sites", {})
        counts = await asyncio.gather(
            *(self._count(str(s["id"]), r) for s in sites for r in (CONTACTS, CUSTOMERS))
        )
        audiences = []
        for i, site in enumerate(sites):
            site_id = str(site["id"])
            title = (site.get("attributes") or {}).get("title")
            name = title if isinstance(title, str) and title else f"Site {site_id}"
            extra = {"site_id": site_id, "site": name}
            audiences += [
                Audience(site_id, name, counts[2 * i], "site", {**extra, "resource": CONTACTS}),
                Audience(
                    site_id + CUSTOMERS_SUFFIX,
                    f"{name} — customers",
                    counts[2 * i + 1],
                    "customers",
                    {**extra, "resource": CUSTOMERS},
                ),
            ]
        return audiences

    def accepts(self, condition: Condition, spec: FieldSpec) -> bool:
        """`subscribed eq true` is a Kajabi filter; nothing documented lists the unsubscribed,
        so every other subscribed condition is checked by the app."""
        if condition.field == "subscribed":
            return condition.op == "eq" and parse_bool(condition.value) is True
        return True

    async def fields(self, audience: Audience) -> list[FieldSpec]:
        return list(FIELDS[target(audience)[1]])

    def _params(self, site_id: str, resource: str, query: Query) -> dict[str, str]:
        params = {"filter[site_id]": site_id, **filter_params(resource, query.filter)}
        sort = sort_param(resource, query.sort)
        if sort:
            params["sort"] = sort
        if query.status is MemberStatus.ACTIVE and resource == CONTACTS:
            params["filter[subscribed]"] = "true"
        elif query.status not in (None, MemberStatus.ACTIVE):
            raise UnsupportedError(
                f"Kajabi cannot list {query.status.value} members", platform=PLATFORM
            )
        return params

    async def members(self, audience: Audience, query: Query, page: PageRequest) -> Page:
        if not 1 <= page.limit <= MAX_PAGE or page.offset < 0:
            raise ValidationError(
                f"Kajabi pages hold 1 to {MAX_PAGE} members from offset 0", platform=PLATFORM
            )
        site_id, resource = target(audience)
        params = self._params(site_id, resource, query)
        while True:  # ends: the page size only ever shrinks
            size, numbers = cover(page.offset, page.limit, self.page_cap)
            listings = await asyncio.gather(
                *(self._page(resource, params, n, size) for n in numbers)
            )
            served = served_size(listings, numbers, size)
            if served is None:
                break
            log.warning(
                "Kajabi served %d of the %d rows a page asked for; asking again", served, size
            )
            self.page_cap = served  # the positions of rows depend on it: ask again
        items = [item for listing in listings for item in listing.items]
        start = page.offset - (numbers[0] - 1) * size
        chosen = items[start : start + page.limit]
        total = listings[0].total
        if total is not None:
            has_more = page.offset + len(chosen) < total
        else:
            has_more = len(items) > start + page.limit or listings[-1].has_next
        members = [to_member(item, resource, audience.id) for item in chosen]
        return Page(members, page.offset, total, None, has_more)

    async def member(self, audience: Audience, member_id: str) -> Member:
        resource = target(audience)[1]
        return await self._read(resource, member_id, audience.id)

    async def _read(self, resource: str, member_id: str, audience_id: str | None) -> Member:
        path = f"/v1/{resource}/{quote(member_id, safe='')}"
        body = await self.http.json("GET", path)
        return to_member(parse_single(body, f"GET {path}", resource), resource, audience_id)

    @cached_property
    def _lookup_lists(self) -> Recent[list[dict[str, Any]]]:
        """The lists a lookup searches, read once for the lookups of a few seconds."""
        return Recent(partial(self._collect, "sites", {"fields[sites]": "title"}))

    async def lookup(self, email: str) -> list[Member]:
        email = checked_email(email, platform=PLATFORM)
        sites = await self._lookup_lists()
        found = await asyncio.gather(*(self._find(str(s["id"]), email) for s in sites))
        return [member for members in found for member in members]

    async def _find(self, site_id: str, email: str) -> list[Member]:
        """email_contains narrows the site's contacts; the exact match is made here."""
        params = {"filter[site_id]": site_id, "filter[email_contains]": email}
        items = await self._collect(CONTACTS, params)
        wanted = email.casefold()
        return [
            to_member(item, CONTACTS, site_id)
            for item in items
            if str((item.get("attributes") or {}).get("email") or "").strip().casefold() == wanted
        ]

    # --- writing ------------------------------------------------------------------------------
    async def probe(self) -> list[Check]:
        """Read-only checks of this adapter's assumptions (see kajabi_probe)."""
        from .probe import probe

        return await probe(self)

    async def opt_out(self, member: Member, *, disable_channel: bool = False) -> Member:
        """PATCH subscribed:false on the contact (a customer's own contact), then read it back."""
        contact_id, site_id = await self._contact_of(member)
        path = f"/v1/contacts/{quote(contact_id, safe='')}"
        body = {"data": {"type": CONTACTS, "id": contact_id, "attributes": {"subscribed": False}}}
        await self.http.request("PATCH", path, json=body, headers={"Content-Type": MEDIA_TYPE})
        return await self._read(CONTACTS, contact_id, site_id)

    def opt_out_unconfirmed(self, after: Member) -> str | None:
        """Confirmed only by the contact's `subscribed` reading back false."""
        attributes = after.raw.get("attributes") or {}
        if "subscribed" not in attributes:
            return "the contact reads back without a subscribed attribute"
        if attributes["subscribed"] is False:
            return None
        return f"the contact reads back subscribed={json.dumps(attributes['subscribed'])}"

    async def erase(self, member: Member) -> Erasure:
        """DELETE the contact (a customer's own contact), then read it back: 404 proves it gone.
        Kajabi refuses (422) while the contact has active Kajabi Payments: said, not hidden."""
        contact_id, _ = await self._contact_of(member)
        path = f"/v1/contacts/{quote(contact_id, safe='')}"
        response = await self.http.request("DELETE", path, ok=(404, 422))
        if response.status_code == 422:
            raise ValidationError(
                "Kajabi refuses to delete this contact while it has active Kajabi Payments "
                "subscriptions or payment plans: end them in Kajabi, then erase again"
                + (f" ({detail})" if (detail := error_detail(response)) else ""),
                platform=PLATFORM,
                request=f"DELETE {path}",
            )
        check = await self.http.request("GET", path, ok=(404,))
        if check.status_code != 404:
            raise InvalidResponseError(
                "Kajabi accepted the delete but still serves the contact",
                platform=PLATFORM,
                request=f"GET {path}",
            )
        return Erasure("absent", f"GET {path} answered 404")

    async def _contact_of(self, member: Member) -> tuple[str, str | None]:
        """(contact id, its contacts audience id) of a contact or customer member."""
        site_id = related_id(member.raw, "site")
        if site_id is None and member.audience_id:
            site_id = member.audience_id.removesuffix(CUSTOMERS_SUFFIX)
        if member.raw.get("type") != CUSTOMERS:
            return member.id, site_id
        contact_id = related_id(member.raw, "contact")
        if contact_id is None:
            path = f"/v1/customers/{quote(member.id, safe='')}"
            body = await self.http.json("GET", path, params={"include": "contact"})
            contact_id = related_id(parse_single(body, f"GET {path}", CUSTOMERS), "contact")
        if contact_id is None:
            raise UnsupportedError("this customer has no contact to unsubscribe", platform=PLATFORM)
        return contact_id, site_id
