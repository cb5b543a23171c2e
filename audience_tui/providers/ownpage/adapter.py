"""Ownpage (personalised newsletters): subscriber lists over the /v1/newsletters API.

What the API offers, and how the adapter maps it (facts: /work/shared/seeds/001_*.txt and
/work/shared/providers/ownpage.md):
- lists are audiences; their sizes come from the counts endpoint (subscribed + unsubscribed);
- subscribers page by offset/count (at most 10 000); the only server-side filters are the status
  view and an email search (`search`, `exact=true` for equality);
- the counts endpoint is the only aggregate: by subscription status and by unsubscribe cause;
- one upsert endpoint (<= 20 000 rows, synchronous summary) serves opt-out and imports alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Sequence
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, TypeVar
from urllib.parse import quote
from uuid import uuid4

from ...core.aggregate import EMPTY
from ...core.erasure import EraseMethod, Erasure
from ...core.errors import (
    AudienceError,
    ConfigError,
    InvalidResponseError,
    NotFoundError,
    UnsupportedError,
    ValidationError,
)
from ...core.filters import parse_bool
from ...core.http import ApiClient
from ...core.models import (
    Aggregate,
    Audience,
    Bucket,
    Capabilities,
    Check,
    CredentialSpec,
    FieldSpec,
    Filter,
    ImportJob,
    ImportRequest,
    ImportState,
    Member,
    MemberStatus,
    Page,
    PageRequest,
    Query,
)
from ...core.platforms import title as platform_title
from ...core.provider import Provider
from ...core.recent import Recent
from ...core.sanitize import sendable
from ..opted_out import kept_out_note, without_opted_out
from ..wire import checked_email, expect
from . import wire as parse
from .auth import OwnpageTokenAuth

T = TypeVar("T")
LISTS = "/v1/newsletters/lists"
MAX_PAGE_SIZE = 10_000
MAX_POST_ROWS = 20_000
FIELD_SAMPLE = 200  # subscribers read to discover a list's data_* attributes
LOOKUP_COUNT = 10  # an exact search finds one subscriber; a few more tolerate a sloppy server
STATUS_VIEWS = {
    None: "all",
    MemberStatus.ACTIVE: "subscribed",
    MemberStatus.OPTED_OUT: "unsubscribed",
}
NO_HISTORY = (
    "Ownpage imports synchronously (the summary is shown when the upload finishes) "
    "and has no import history"
)
CAUSES = ("READER", "PUBLISHER")  # the documented unsubscribed_cause values a write may send
WRITABLE = frozenset({"email", "guid", "subscribed", "unsubscribed_cause"})
Row = dict[str, Any]


class OwnpageProvider(Provider):
    platform = "ownpage"
    title = platform_title("ownpage")
    default_base_url = "https://services.ownpage.fr"
    credentials = (
        CredentialSpec("client", "Client id", secret=False),
        CredentialSpec("api_key", "API key", secret=True),
        CredentialSpec(
            "unsubscribe_cause",
            "Opt-out cause: READER (the reader asked; default) or PUBLISHER (optional)",
            secret=False,
            required=False,
        ),
    )
    erase_method = EraseMethod(
        request='POST /v1/newsletters/lists/{list}/subscribers/delete [{"email": ...}]',
        effect="deletes the subscription from the list: it no longer appears in any status",
        scope="list",
    )
    capabilities = Capabilities(
        paging="offset",
        max_page_size=MAX_PAGE_SIZE,
        totals_known=True,
        filter_logic=frozenset({"and"}),
        server_aggregates=True,
        imports="sync",
        import_max_rows=MAX_POST_ROWS,
        statuses=(MemberStatus.ACTIVE, MemberStatus.OPTED_OUT),
        notes=(
            "Ownpage filters subscribers only by status and by email (contains, or equals with "
            "exact=true); every other condition is checked by the app page by page.",
            "The table shows every subscriber (status=all); Ownpage's own default view is "
            "subscribed only.",
            "Totals come from the counts endpoint; with an email search Ownpage gives no total.",
            "Tokens expire after an unpublished lifetime: on 401 a new token is fetched once "
            "and the call resent.",
            "Opt-out goes through the upsert endpoint with subscribed:false and "
            "unsubscribed_cause READER (the reader's own request, the documented default; the "
            "account setting unsubscribe_cause=PUBLISHER records suppressions on the "
            "publisher's initiative); it is confirmed by subscribed reading back false. An "
            "address not on the list is never created by it.",
            "Imports leave out rows of subscribers unsubscribed on the list unless "
            "resubscribing is asked for.",
            "Imports are synchronous: each request of up to 20 000 rows answers with counts; "
            "Ownpage keeps no import history.",
            "Assumed: email search is case-insensitive, subscribers come in insertion order "
            "(there is no sort), the format of upsert error items.",
        ),
    )

    def make_client(self, **options: Any) -> ApiClient:
        auth = OwnpageTokenAuth(
            self.base_url, self.setting("client"), self.setting("api_key"), self.title
        )
        return ApiClient(self.title, self.base_url, auth=auth, **options)

    # --- reading ---------------------------------------------------------------------------------
    async def verify(self) -> None:
        await self._lists()

    async def audiences(self) -> list[Audience]:
        lists = await self._lists()
        counts = await self._parallel(self._counts(list_id) for list_id, _ in lists)
        return [
            Audience(
                id=list_id,
                name=name,
                member_count=count.total,
                extra={"subscribed": count.subscribed, "unsubscribed": count.unsubscribed},
            )
            for (list_id, name), count in zip(lists, counts, strict=True)
        ]

    async def fields(self, audience: Audience) -> list[FieldSpec]:
        sample = await self._documents(audience.id, {"status": "all", "count": FIELD_SAMPLE})
        return [*parse.BUILTIN_FIELDS, *parse.data_fields(sample)]

    async def members(self, audience: Audience, query: Query, page: PageRequest) -> Page:
        """One page of the status view; limits above Ownpage's 10 000 are clamped to it."""
        if query.sort is not None:
            raise UnsupportedError("Ownpage cannot sort subscribers", platform=self.title)
        if page.offset < 0 or page.limit < 1:
            raise ValidationError("offset must be >= 0 and the page size >= 1")
        params = {"status": self._status_view(query.status), **self._search(query.filter)}
        count = min(page.limit, MAX_PAGE_SIZE)
        fetch = self._documents(audience.id, {**params, "offset": page.offset, "count": count})
        total: int | None = None
        if "search" in params:
            docs = await fetch
        else:
            docs, counts = await asyncio.gather(fetch, self._counts(audience.id))
            total = counts.for_status(params["status"])
        docs = docs[:count]
        has_more = len(docs) == count and (total is None or page.offset + count < total)
        members = [parse.member(doc, audience.id) for doc in docs]
        return Page(members, offset=page.offset, total=total, has_more=has_more)

    async def member(self, audience: Audience, member_id: str) -> Member:
        found = await self._find(audience.id, member_id)
        if found is None:
            raise NotFoundError("no such subscriber on this list", platform=self.title)
        return found

    @cached_property
    def _lookup_lists(self) -> Recent[list[tuple[str, str]]]:
        """The lists a lookup searches, read once for the lookups of a few seconds."""
        return Recent(self._lists)

    async def lookup(self, email: str) -> list[Member]:
        email = checked_email(email, platform=self.title)
        lists = await self._lookup_lists()
        found = await self._parallel(self._find(list_id, email) for list_id, _ in lists)
        return [m for m in found if m is not None]

    async def aggregate(self, audience: Audience, field: str, filter: Filter) -> Aggregate:
        """Server-side counts of a whole list by `subscribed` or `unsubscribed_cause`."""
        if filter:
            raise UnsupportedError(
                "Ownpage counts a whole list only; with a filter the app counts page by page",
                platform=self.title,
            )
        if field not in ("subscribed", "unsubscribed_cause"):
            raise UnsupportedError(
                "Ownpage counts only by subscription status and unsubscribe cause",
                platform=self.title,
            )
        counts = await self._counts(audience.id)
        # Keys as core.aggregate's page scan makes them, so both kinds of chart read alike.
        if field == "subscribed":
            buckets = [
                Bucket("Subscribed", counts.subscribed, key="yes"),
                Bucket("Unsubscribed", counts.unsubscribed, key="no"),
            ]
        else:
            buckets = [Bucket(parse.CAUSES.get(k, k), n, key=k) for k, n in counts.causes.items()]
            buckets.append(Bucket(EMPTY, counts.subscribed, key=EMPTY))
        return Aggregate(field, buckets, total=counts.total, source="server")

    # --- writing ---------------------------------------------------------------------------------
    async def probe(self) -> list[Check]:
        """Read-only checks of this adapter's assumptions (see ownpage_probe)."""
        from .probe import probe

        return await probe(self)

    async def opt_out(self, member: Member, *, disable_channel: bool = False) -> Member:
        """Unsubscribe with the account's cause (READER unless set to PUBLISHER); a member
        already out is left as is (idempotent). Ownpage has no separate channel to disable."""
        list_id, email = self._key(member, "opted out")
        current = await self._find(list_id, email)
        if current is None:
            raise NotFoundError("the subscriber is not on this list", platform=self.title)
        if current.status is MemberStatus.OPTED_OUT:
            return current
        row = {"email": current.email, "subscribed": False, "unsubscribed_cause": self.cause()}
        result = await self._upsert(list_id, [row], first_row=1)
        if result.row_errors:
            raise ValidationError(
                f"Ownpage refused the opt-out: {result.row_errors[0].message}", platform=self.title
            )
        after = await self._find(list_id, email)
        if after is None:
            raise NotFoundError("the subscriber vanished after the opt-out", platform=self.title)
        return after

    def _key(self, member: Member, done: str) -> tuple[str, str]:
        """The list and email a write names the subscriber by. Ownpage has no other key (no
        route takes the guid), so a member without them, or whose email no request can carry
        (a lone surrogate in Ownpage's own data), cannot be `done` through the API: said before
        anything is sent."""
        if not member.audience_id or not member.email:
            raise ValidationError(
                f"Ownpage names a subscriber by list and email only: without both it cannot "
                f"be {done}",
                platform=self.title,
            )
        if not sendable(member.email):
            raise ValidationError(
                f"this subscriber cannot be {done} through Ownpage's API: Ownpage names a "
                "subscriber by email alone (no request takes its guid), and this email holds a "
                "character no request can carry (a lone surrogate in Ownpage's own data); "
                "nothing was sent. Use Ownpage's dashboard for this subscriber",
                platform=self.title,
            )
        return member.audience_id, member.email

    def opt_out_unconfirmed(self, after: Member) -> str | None:
        """Confirmed by the subscriber's `subscribed` reading back false."""
        if after.raw.get("subscribed") is False:
            return None
        return f"subscribed reads back {after.raw.get('subscribed', 'absent')}"

    def cause(self) -> str:
        """The unsubscribed_cause an opt-out records (account setting unsubscribe_cause)."""
        cause = (self.setting("unsubscribe_cause") or "READER").strip().upper()
        if cause not in CAUSES:
            raise ConfigError(
                f"unsubscribe_cause must be READER or PUBLISHER, not {cause!r}", platform=self.title
            )
        return cause

    async def opted_out_among(self, audience: Audience, emails: Sequence[str]) -> set[str]:
        """Emails among `emails` unsubscribed on the list: the unsubscribed view read whole, or
        one exact search per email when that takes fewer requests."""
        wanted = {e.strip().casefold() for e in emails if e and e.strip()}
        unsubscribed = (await self._counts(audience.id)).unsubscribed
        pages = -(-unsubscribed // MAX_PAGE_SIZE)
        if pages <= len(wanted):
            docs = await self._parallel(
                self._documents(
                    audience.id,
                    {"status": "unsubscribed", "offset": n * MAX_PAGE_SIZE, "count": MAX_PAGE_SIZE},
                )
                for n in range(pages)
            )
            found = {str(d.get("email", "")).strip().casefold() for page in docs for d in page}
            return found & wanted
        members = await self._parallel(self._find(audience.id, email) for email in sorted(wanted))
        return {
            (m.email or "").casefold()
            for m in members
            if m is not None and m.status is MemberStatus.OPTED_OUT
        }

    async def erase(self, member: Member) -> Erasure:
        """Delete the subscription, then search the list in every status: nothing found."""
        list_id, email = self._key(member, "erased")
        path = f"{LISTS}/{quote(list_id, safe='')}/subscribers/delete"
        await self.http.json("POST", path, json=[{"email": email}])
        if await self._find(list_id, email) is not None:
            raise InvalidResponseError(
                "Ownpage accepted the delete but the list still holds the subscriber",
                platform=self.title,
            )
        return Erasure(
            "absent",
            f"an exact search of list {member.audience_id} (status=all) "
            "finds no subscriber with this email",
        )

    async def start_import(self, request: ImportRequest) -> ImportJob:
        """Upsert the rows in requests of <= 20 000; the job is finished when this returns."""
        audience_id = request.audience.id
        kept, kept_out = await without_opted_out(self, request)
        rows = [_import_row(row) for row in kept]
        ignored = sorted({k for row in request.rows for k in row if not _writable(k)})
        started = datetime.now(UTC)
        total = parse.Summary()
        failure = ""
        for start in range(0, len(rows), MAX_POST_ROWS):
            try:
                total += await self._upsert(
                    audience_id, rows[start : start + MAX_POST_ROWS], first_row=start + 1
                )
            except AudienceError as exc:
                if start == 0:
                    raise
                failure = f" Rows {start + 1} to {len(rows)} were not imported: {exc.detail}"
                break
        note = (
            "Ownpage imports synchronously and has no import history: these are the counts it "
            f"answered. Subscribed (new or again): {total.subscribed}; unsubscribed: "
            f"{total.unsubscribed}; duplicates skipped: {total.duplicates}."
        )
        if ignored:
            note += f" Columns Ownpage cannot store were left out: {', '.join(ignored)}."
        note += kept_out_note(kept_out)
        return ImportJob(
            id=f"sync-{uuid4().hex[:12]}",
            state=ImportState.FAILED if failure else ImportState.FINISHED,
            audience_id=audience_id,
            started_at=started,
            finished_at=datetime.now(UTC),
            submitted=len(rows),
            added=total.created,
            updated=total.data_changed,
            skipped=total.duplicates + kept_out,
            errors=len(total.row_errors),
            row_errors=list(total.row_errors),
            note=note + failure,
        )

    async def imports(self) -> list[ImportJob]:
        raise UnsupportedError(NO_HISTORY, platform=self.title)

    async def import_status(self, import_id: str) -> ImportJob:
        raise UnsupportedError(NO_HISTORY, platform=self.title)

    # --- requests --------------------------------------------------------------------------------
    async def _lists(self) -> list[tuple[str, str]]:
        """(id, name) of every list."""
        label = f"GET {LISTS}"
        body = expect(
            await self.http.json("GET", LISTS),
            list,
            what="the lists answer",
            request=label,
            platform=self.title,
        )
        out = []
        for doc in body:
            list_id = doc.get("id") if isinstance(doc, dict) else None
            if not isinstance(list_id, int | str) or isinstance(list_id, bool) or list_id == "":
                raise InvalidResponseError.unexpected(
                    "a list without an id", platform=self.title, request=label
                )
            out.append((str(list_id), str(doc.get("name") or f"List {list_id}")))
        return out

    async def _counts(self, list_id: str) -> parse.Counts:
        path = f"{LISTS}/{quote(list_id, safe='')}/subscribers/count"
        return parse.counts(await self.http.json("GET", path), f"GET {path}")

    async def _documents(self, list_id: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        path = f"{LISTS}/{quote(list_id, safe='')}/subscribers"
        body = await self.http.json("GET", path, params=params)
        return parse.documents(body, f"GET {path}")

    async def _find(self, list_id: str, email: str) -> Member | None:
        """The subscriber with this email on the list, in any status (exact search)."""
        params = {"status": "all", "search": email, "exact": "true", "count": LOOKUP_COUNT}
        for doc in await self._documents(list_id, params):
            if doc["email"].casefold() == email.casefold():
                return parse.member(doc, list_id)
        return None

    async def _upsert(
        self, list_id: str, rows: list[dict[str, Any]], first_row: int
    ) -> parse.Summary:
        path = f"{LISTS}/{quote(list_id, safe='')}/subscribers"
        body = await self.http.json("POST", path, json=rows)
        return parse.summary(body, first_row, f"POST {path}")

    async def _parallel(self, calls: Iterable[Awaitable[T]]) -> list[T]:
        """Await `calls` concurrently, at most `scan_concurrency` at a time, in order."""
        gate = asyncio.Semaphore(self.capabilities.scan_concurrency)

        async def one(call: Awaitable[T]) -> T:
            async with gate:
                return await call

        return list(await asyncio.gather(*(one(call) for call in calls)))

    # --- translation -----------------------------------------------------------------------------
    def _status_view(self, status: MemberStatus | None) -> str:
        if status not in STATUS_VIEWS:
            raise UnsupportedError(
                f"Ownpage lists subscribed and unsubscribed members only, not {status}",
                platform=self.title,
            )
        return STATUS_VIEWS[status]

    def _search(self, filter: Filter) -> dict[str, str]:
        """The `search`/`exact` parameters for the (single) email condition Ownpage evaluates."""
        if not filter.conditions:
            return {}
        condition = filter.conditions[0]
        if len(filter.conditions) > 1 or condition.field != "email":
            raise UnsupportedError(
                "Ownpage filters on one email condition only; the app checks the others",
                platform=self.title,
            )
        if condition.op not in ("ct", "eq") or not str(condition.value or "").strip():
            raise UnsupportedError(
                "Ownpage searches emails by 'contains' or 'equals' with a value",
                platform=self.title,
            )
        value = str(condition.value).strip()
        return {"search": value, "exact": "true" if condition.op == "eq" else "false"}


def _writable(key: str) -> bool:
    return key in WRITABLE or key.startswith("data_")


def _import_row(row: Row) -> Row:
    """An import row as an upsert item: writable keys only, blanks left out (kept as they are)."""
    out: Row = {}
    for key, value in row.items():
        if not _writable(key) or value is None or (isinstance(value, str) and not value.strip()):
            continue
        if key == "subscribed":
            flag = parse_bool(value)
            if flag is not None:
                out[key] = flag
        else:
            out[key] = value.strip() if isinstance(value, str) else value
    return out
