"""Placewise MPC: loyalty clubs as audiences, read through two APIs.

- The management API (`/v3/...`, page_no/per_page up to 1000, totals in `pagination_info`) lists a
  club's members with their personal data: the default, offset-paged view, random access.
- The Reporting API (`POST /v1/reporting/query`) filters on analytical fields with an and/or tree
  and pages by an opaque `next_page_info` cursor, without totals and without personal data (email
  and name are None there; the UI shows the member id and the analytical fields).
`paging_for(query)` says which one a query uses. Counts per field come from `members_grouped_count`
(no filter) or the `members` report's aggregation (with one); time series from `member_balance`
and `members_count_history`/`_snapshot`.

Costs: every call sends its token cost (`members` 10, grouped counts 2, time series 3, +1 per
`and`, +3 per `or`, management calls 1) to a CostLimiter that reads `ratelimit-remaining`; the
Reporting and the general buckets are separate, so each API has its own client and limiter.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import quote

import httpx

from ...core.erasure import EraseMethod, Erasure
from ...core.errors import (
    AudienceError,
    AuthError,
    ConfigError,
    ForbiddenError,
    InvalidResponseError,
    PagingError,
    UnsupportedError,
    ValidationError,
)
from ...core.http import ApiClient, CostLimiter, default_error_detail
from ...core.models import (
    Aggregate,
    Audience,
    Capabilities,
    Check,
    CredentialSpec,
    FieldSpec,
    FieldType,
    Filter,
    Member,
    MemberStatus,
    Page,
    PageRequest,
    PagingKind,
    Query,
    TimeSeries,
)
from ...core.page_guard import PageGuard
from ...core.provider import Provider
from ...core.recent import Recent
from ..wire import checked_email, json_or_none
from . import wire as parse
from .consent import CHANNEL_CHOICE, PlacewiseConsent
from .fields import (
    FIELDS,
    GROUPINGS,
    MANAGEMENT_FILTERS,
    SPECS,
    TITLE,
    leaf,
    logic,
    report_filter,
    tree_cost,
)
from .imports import IMPORT_NOTE, PlacewiseImports

MAX_PAGE = 1000
CLUB_PAGE = 100
REPORT = "/v1/reporting/query"
COST = {"members": 10, "members_grouped_count": 2, "timeseries": 3}
TIMESERIES = ("member_balance", "members_count_history", "members_count_snapshot")
INTERVALS = ("auto", "5m", "1h", "1d", "1w", "1mo")
REFILL_PER_SECOND = 10.0  # unpublished; an assumption, corrected by each ratelimit-remaining


def error_detail(response: httpx.Response) -> str | None:
    """{"error": "..."} plus, on 422, the `details` that say which value was refused."""
    text = default_error_detail(response)
    body = json_or_none(response)
    details = body.get("details") if isinstance(body, dict) else None
    return f"{text} {str(details)[:300]}" if details else text


def advancing(doc: Any, sent: str | None) -> tuple[list[Any], str | None]:
    """(records, next cursor) of a report page; PagingError when the cursor did not move.

    The Reporting API's paging keys (`page_info`, `limit` in the query body) are read from the
    dossier, not confirmed: an API reading them otherwise answers the first page again, with
    its cursor, and following it would re-read that page up to the ceiling at 10 tokens a call.
    """
    records, cursor = parse.parse_records(doc, f"POST {REPORT}")
    if cursor is not None and cursor == sent:
        raise PagingError(
            "the Reporting API's cursor did not advance (next_page_info came back as sent): "
            "the app assumes a report pages by the query's `page_info` and `limit` keys, and "
            "this API reads them otherwise; the report stops here instead of re-reading page 1",
            platform=TITLE,
            request=f"POST {REPORT}",
        )
    return records, cursor


def classify(response: httpx.Response) -> AudienceError | None:
    status = response.status_code
    if status not in (402, 460, 470, 471):
        return None
    detail = default_error_detail(response) or ""
    request = f"{response.request.method} {response.request.url.path}"
    if status == 460:  # "bad OAuth token": the call wants a user token, not the client token
        return AuthError(f"HTTP 460: {detail}", platform=TITLE, request=request)
    if status == 402:
        return ForbiddenError(
            f"HTTP 402: {detail} (the feature is not enabled for this club)",
            platform=TITLE,
            request=request,
        )
    what = "missing" if status == 470 else "malformed"
    return ValidationError(
        f"HTTP {status}: a required header is {what}: {detail}", platform=TITLE, request=request
    )


class PlacewiseProvider(PlacewiseConsent, PlacewiseImports, Provider):
    platform = "placewise"
    title = TITLE
    default_base_url = "https://api.mpc.placewise.com"
    credentials = (
        CredentialSpec("token", "Client token (X-Client-Authorization)", secret=True),
        CredentialSpec("customer", "Customer id for reporting (X-Customer)", secret=False),
        CredentialSpec("product_name", "Product name (X-Product-Name)", secret=False),
    )
    erase_method = EraseMethod(
        request="DELETE /v3/{club}/members/{id}?send_email_unsubscribe_message=false",
        effect="removes the member from the loyalty club (no unsubscribe mail is sent)",
        scope="list",
        assumed="the member DELETE is known from Placewise's older API reference and client "
        "libraries, not from the current documents",
    )
    capabilities = Capabilities(
        paging="offset",
        max_page_size=MAX_PAGE,
        totals_known=True,
        filter_logic=frozenset({"and", "or"}),
        server_aggregates=True,
        timeseries=TIMESERIES,
        imports="async",
        import_max_rows=MAX_PAGE,
        scan_concurrency=4,
        statuses=(MemberStatus.ACTIVE, MemberStatus.ERROR),
        opt_out_channel=CHANNEL_CHOICE,
        notes=(
            "Opt-out withdraws the club's email marketing consent (the slug is read from the "
            "club's member schema) and is confirmed by that consent reading back false; the "
            "email channel (email_enabled) is left alone unless its disabling is asked for.",
            "Filtered views come from the Reporting API: cursor paging, no totals, no personal "
            "data (email and name are empty; open a member to see them).",
            "Which report fields are filterable is not published; scalar fields are assumed "
            "filterable, interests and consents are not. Reporting text comparisons are "
            "case-sensitive.",
            "The filter tree's cursor and page size keys (page_info, limit), the members "
            "report's aggregate_by names and the token refill rate are assumptions.",
            "A club is selected in reports with a community_id condition; X-Customer carries "
            "the account's customer id.",
            "Status: hard bounce = error; email consent withdrawn or email disabled = opted "
            "out; consent never answered = pending. Only active (marketing_via_email) and "
            "error (hard bounced) can be listed server-side.",
            "Grouped counts without a filter come from members_grouped_count, which Placewise "
            "refreshes periodically (see updated_at).",
            IMPORT_NOTE,
        ),
    )

    def make_client(self, **options: Any) -> ApiClient:
        """The management client; the Reporting client (its own bucket) is made alongside."""
        customer = self.setting("customer").strip()
        if customer and "=" not in customer:
            customer = f"id={customer}"
        self.customer = customer
        self.reporting = self._client({"X-Customer": customer} if customer else {}, **options)
        return self._client({}, **options)

    def _client(self, extra: Mapping[str, str], **options: Any) -> ApiClient:
        headers = {
            "X-Client-Authorization": self.setting("token"),
            "X-User-Agent": "audience-tui/0.1",
            "Content-Type": "application/json",
            **extra,
        }
        if self.setting("product_name"):
            headers["X-Product-Name"] = self.setting("product_name")
        return ApiClient(
            TITLE,
            self.base_url,
            headers=headers,
            limiter=CostLimiter(REFILL_PER_SECOND),
            error_detail=error_detail,
            classify=classify,
            **options,
        )

    async def aclose(self) -> None:
        await asyncio.gather(self.http.aclose(), self.reporting.aclose())

    # --- clubs -------------------------------------------------------------------------------
    async def _clubs(self) -> list[Audience]:
        clubs: list[Audience] = []
        page = 1
        while True:
            label = "GET /v3/loyalty_clubs"
            doc = await self.http.json(
                "GET", "/v3/loyalty_clubs", params={"page_no": page, "per_page": CLUB_PAGE}
            )
            clubs += [parse.parse_club(c, label) for c in parse.listed(doc, "loyalty_clubs", label)]
            if len(clubs) >= parse.pagination_total(doc, label) or page * CLUB_PAGE >= 10_000:
                return clubs
            page += 1

    async def _count(self, slug: str) -> int:
        path = f"/v3/{quote(slug, safe='')}/members"
        doc = await self.http.json("GET", path, params={"per_page": 1})
        return parse.pagination_total(doc, f"GET {path}")

    async def audiences(self) -> list[Audience]:
        clubs = await self._clubs()
        counts = await asyncio.gather(*(self._count(club.id) for club in clubs))
        return [
            Audience(c.id, c.name, n, c.kind, c.extra) for c, n in zip(clubs, counts, strict=True)
        ]

    async def fields(self, audience: Audience) -> list[FieldSpec]:
        return list(FIELDS)

    async def _community(self, audience: Audience) -> Any:
        community = audience.extra.get("community_id")
        if community is None:
            path = f"/v3/loyalty_clubs/{quote(audience.id, safe='')}"
            community = parse.parse_club(await self.http.json("GET", path), path).extra.get(
                "community_id"
            )
        return community

    # --- members -----------------------------------------------------------------------------
    def paging_for(self, query: Query) -> PagingKind:
        reporting = query.status is not None or any(
            c.field not in MANAGEMENT_FILTERS for c in query.filter.conditions
        )
        return "cursor" if reporting else "offset"

    def withheld_for(self, query: Query) -> tuple[str, ...]:
        """The Reporting API, which answers filtered views, strips personal data."""
        return ("email", "name") if self.paging_for(query) == "cursor" else ()

    async def members(self, audience: Audience, query: Query, page: PageRequest) -> Page:
        if not 1 <= page.limit <= MAX_PAGE or page.offset < 0:
            raise ValidationError(f"page size must be 1..{MAX_PAGE}", platform=TITLE)
        if self.paging_for(query) == "offset":
            return await self._listed(audience, query, page)
        if query.sort is not None:
            raise UnsupportedError(
                "Placewise reports cannot sort a filtered view; clear the sort", platform=TITLE
            )
        tree = report_filter(await self._community(audience), query.filter, query.status)
        body = {
            "report": "members",
            "filter": tree,
            "aggregate_by": None,
            "page_info": page.cursor,
            "limit": page.limit,
        }
        doc = await self._report(body, COST["members"] + tree_cost(tree))
        records, cursor = advancing(doc, page.cursor)
        found = [parse.parse_record(r, audience.id, f"POST {REPORT}") for r in records]
        return Page(found, page.offset, None, cursor, cursor is not None)

    def _list_params(self, query: Query) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if any(c.op != "eq" for c in query.filter.conditions):
            raise UnsupportedError("Placewise finds members by exact email only", platform=TITLE)
        emails = [c.value for c in query.filter.conditions]
        if len(emails) > 1 and query.filter.logic == "and":
            raise UnsupportedError("one email at a time, or several with 'or'", platform=TITLE)
        if emails:
            params["properties[email][]"] = [str(e).strip().lower() for e in emails]
        if query.sort is not None:
            spec = SPECS.get(query.sort.field)
            if spec is None or not spec.sortable:
                raise UnsupportedError(
                    f"Placewise cannot sort members by {query.sort.field}", platform=TITLE
                )
            params["sort_by[]"] = query.sort.field
            params["sort_directions[]"] = "desc" if query.sort.descending else "asc"
        return params

    async def _listed(self, audience: Audience, query: Query, page: PageRequest) -> Page:
        """Offset paging over page_no/per_page: the one or two platform pages covering the
        window, fetched together and sliced."""
        path = f"/v3/{quote(audience.id, safe='')}/members"
        label, params = f"GET {path}", self._list_params(query)
        first = page.offset // page.limit + 1
        numbers = [first] if page.offset % page.limit == 0 else [first, first + 1]
        docs = await asyncio.gather(
            *(
                self.http.json("GET", path, params={**params, "page_no": n, "per_page": page.limit})
                for n in numbers
            )
        )
        rows = [row for doc in docs for row in parse.listed(doc, "members", label)]
        start = page.offset - (first - 1) * page.limit
        found = [
            parse.parse_member(r, audience.id, label) for r in rows[start : start + page.limit]
        ]
        total = parse.pagination_total(docs[0], label)
        return Page(found, page.offset, total, None, page.offset + len(found) < total)

    async def member(self, audience: Audience, member_id: str) -> Member:
        if not str(member_id).isdigit():
            raise ValidationError(f"{member_id!r} is not a Placewise member id", platform=TITLE)
        path = f"/v3/{quote(audience.id, safe='')}/members/{member_id}"
        return parse.parse_member(await self.http.json("GET", path), audience.id, f"GET {path}")

    @cached_property
    def _lookup_lists(self) -> Recent[list[Audience]]:
        """The lists a lookup searches, read once for the lookups of a few seconds."""
        return Recent(self._clubs)

    async def lookup(self, email: str) -> list[Member]:
        email = checked_email(email, platform=TITLE, in_path=True)
        clubs = await self._lookup_lists()

        async def find(club: Audience) -> Member | None:
            path = (
                f"/v3/{quote(club.id, safe='')}/members/by_email/{quote(email.lower(), safe='@')}"
            )
            response = await self.http.request("GET", path, ok=(404,))
            if response.status_code == 404:
                return None
            return parse.parse_member(self.http.decode(response, "GET"), club.id, "GET by_email")

        found = await asyncio.gather(*(find(club) for club in clubs))
        return [member for member in found if member is not None]

    async def probe(self) -> list[Check]:
        """Read-only checks of this adapter's assumptions (see placewise_probe)."""
        from .probe import probe

        return await probe(self)

    async def erase(self, member: Member) -> Erasure:
        """DELETE the member, then read back by id and by email: both 404."""
        if not member.audience_id or not str(member.id).isdigit():
            raise ValidationError("the member's loyalty club or id is not known", platform=TITLE)
        club = quote(member.audience_id, safe="")
        path = f"/v3/{club}/members/{member.id}"
        params = {"send_email_unsubscribe_message": "false"}
        await self.http.request("DELETE", path, params=params, ok=(404,))
        reads = [path]
        if member.email:
            reads.append(f"/v3/{club}/members/by_email/{quote(member.email.lower(), safe='@')}")
        for read in reads:
            if (await self.http.request("GET", read, ok=(404,))).status_code != 404:
                raise InvalidResponseError(
                    "Placewise accepted the delete but still serves the member",
                    platform=TITLE,
                    request=f"GET {read}",
                )
        return Erasure("absent", f"GET {path} and the lookup by email answered 404")

    # --- reports -----------------------------------------------------------------------------
    async def _report(self, body: dict[str, Any], cost: int) -> Any:
        if not self.customer:
            raise ConfigError(
                "the account has no customer id (X-Customer), which reports need", platform=TITLE
            )
        return await self.reporting.json("POST", REPORT, json=body, read=True, cost=cost)

    async def _all_records(self, body: dict[str, Any], cost: int) -> list[Any]:
        """Every record of a grouped report, following next_page_info (core.page_guard stops
        a cursor that comes back, and a report of more than 1,000 pages)."""
        records: list[Any] = []
        cursor = None
        guard = PageGuard(TITLE, f"POST {REPORT}", max_pages=1000)
        while True:
            doc = await self._report({**body, "page_info": cursor}, cost)
            page, cursor = advancing(doc, cursor)
            guard.page([], next_cursor=cursor)
            records += page
            if cursor is None or not page:
                return records

    async def aggregate(self, audience: Audience, field: str, filter: Filter) -> Aggregate:
        if field not in GROUPINGS:
            raise UnsupportedError(f"Placewise cannot count members by {field}", platform=TITLE)
        grouping, keys = GROUPINGS[field]
        community = await self._community(audience)
        if filter:
            tree = report_filter(community, filter, None)
            body: dict[str, Any] = {"report": "members", "filter": tree, "aggregate_by": grouping}
            cost = COST["members"] + tree_cost(tree)
        else:
            tree = logic(
                "and",
                [
                    leaf("equal", "community_id", community),
                    leaf("equal", "grouping_type", grouping),
                ],
            )
            body = {
                "report": "members_grouped_count",
                "filter": tree,
                "aggregate_by": None,
            }
            cost = COST["members_grouped_count"] + tree_cost(tree)
        records = await self._all_records(body, cost)
        buckets = parse.grouped_buckets(records, field, grouping, keys, f"POST {REPORT}")
        spec = SPECS.get(field)
        multi = spec is not None and spec.type is FieldType.MULTI
        total = None if multi else sum(b.count for b in buckets)
        return Aggregate(field, buckets, total, "server")

    async def timeseries(
        self, audience: Audience, report: str, interval: str, days: int
    ) -> TimeSeries:
        if report not in TIMESERIES:
            raise UnsupportedError(
                f"unknown report {report!r}; Placewise offers {', '.join(TIMESERIES)}",
                platform=TITLE,
            )
        if interval not in INTERVALS or days < 1:
            raise ValidationError(
                f"interval must be one of {', '.join(INTERVALS)} over at least a day",
                platform=TITLE,
            )
        end = datetime.now(UTC).replace(microsecond=0)
        body = {
            "report": report,
            "filter": leaf("equal", "community_id", await self._community(audience)),
            "aggregate_by": None,
            "interval": interval,
            "from": (end - timedelta(days=days)).isoformat().replace("+00:00", "Z"),
            "to": end.isoformat().replace("+00:00", "Z"),
        }
        doc = await self._report(body, COST["timeseries"])
        return parse.parse_timeseries(doc, report, f"POST {REPORT}")
