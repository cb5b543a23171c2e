"""Placewise's probe: reporting with the client token, the reporting cursor's request keys
(`page_info`, `limit`: guesses), and each club's email marketing consent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ...core.errors import AuthError, ForbiddenError, ValidationError
from ...core.models import Audience, Check, Filter, PageRequest, Query
from ..probing import Finding, checked, plural, route_takes
from . import wire as parse
from .consent import email_consent_slug
from .fields import report_filter, tree_cost

if TYPE_CHECKING:
    from .adapter import PlacewiseProvider

AUTH = "the Reporting API accepts the client token (X-Client-Authorization + X-Customer)"
CURSOR = "report pages are asked with `page_info` (cursor) and `limit` (page size)"
CONSENT = "every club defines an email marketing consent (its slug read from member_schema)"
DELETE = (
    "erasure: `DELETE /v3/{club}/members/{id}` exists (older API reference and client "
    "libraries; not in the current documents)"
)
REPORT = "/v1/reporting/query"


async def probe(pw: PlacewiseProvider) -> list[Check]:
    clubs = await pw._clubs()
    pages: list[Any] = []
    auth = await checked(AUTH, lambda: _auth(pw, clubs, pages))
    cursor = await checked(CURSOR, lambda: _cursor(pw, pages))
    consent = await checked(CONSENT, lambda: _consents(pw, [c.id for c in clubs]))
    delete = await checked(DELETE, lambda: _delete(pw, clubs))
    return [auth, cursor, consent, delete]


def _cost(body: dict[str, Any]) -> int:
    """What the report costs in rate-limit tokens (its tree's cost included)."""
    from .adapter import COST

    return COST["members"] + tree_cost(body["filter"])


def _body(community: Any, cursor: str | None) -> dict[str, Any]:
    return {
        "report": "members",
        "filter": report_filter(community, Filter(), None),
        "aggregate_by": None,
        "page_info": cursor,
        "limit": 2,
    }


async def _auth(pw: PlacewiseProvider, clubs: list[Any], pages: list[Any]) -> Finding:
    if not clubs:
        return "could not check", "the token sees no loyalty club"
    if not pw.customer:
        return "could not check", "the account has no customer id (X-Customer)"
    body = _body(clubs[0].extra.get("community_id"), None)
    try:
        doc = await pw._report(body, _cost(body))
    except (AuthError, ForbiddenError) as exc:
        return "contradicted", f"the Reporting API refused the token: {exc}"
    pages.append((body, doc))
    return "confirmed", f"a members report of club {clubs[0].id} answered"


async def _cursor(pw: PlacewiseProvider, pages: list[Any]) -> Finding:
    if not pages:
        return "could not check", "no report could be read (see the reporting check)"
    body, doc = pages[0]
    first, cursor = parse.parse_records(doc, f"POST {REPORT}")
    if len(first) > body["limit"]:
        return "contradicted", f"limit=2 gave {plural(len(first), 'record')}: `limit` is not read"
    if cursor is None:
        return "could not check", f"the club has {plural(len(first), 'member')}; 3 are needed"
    follow = {**body, "page_info": cursor}
    second, after = parse.parse_records(await pw._report(follow, _cost(follow)), f"POST {REPORT}")
    ids = {r.get("id") for r in first if isinstance(r, dict)}
    repeated = sum(r.get("id") in ids for r in second if isinstance(r, dict))
    if repeated or after == cursor:
        return "contradicted", (
            f"the page asked with page_info repeated {plural(repeated, 'record')} of the first "
            "page: `page_info` is not the cursor key"
        )
    return "confirmed", "two pages of 2 records, no record repeated, the cursor moved"


async def _consents(pw: PlacewiseProvider, slugs: list[str]) -> Finding:
    if not slugs:
        return "could not check", "the token sees no loyalty club"
    found, missing = [], []
    for slug in slugs:
        definitions = await pw.consent_definitions(slug)
        try:
            found.append(f"{slug}: {email_consent_slug(slug, definitions)}")
        except ValidationError:
            missing.append(f"{slug} ({', '.join(definitions) or 'no consents'})")
    if missing:
        return "contradicted", "no email marketing consent in " + "; ".join(missing)
    return "confirmed", "; ".join(found)


async def _delete(pw: PlacewiseProvider, clubs: list[Audience]) -> Finding:
    """Asked with OPTIONS on a real member's path: nothing is deleted."""
    for club in clubs:
        page = await pw.members(club, Query(), PageRequest(1))
        if page.members:
            path = f"/v3/{quote(club.id, safe='')}/members/{page.members[0].id}"
            return await route_takes(pw.http, "DELETE", path, shown="/v3/{club}/members/{id}")
    return "could not check", "no loyalty club the token sees has a member to ask about"
