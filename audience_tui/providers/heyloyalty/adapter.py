"""Heyloyalty adapter: lists, members with server-side filters, lookup, opt-out, CSV import.

Facts from the Members wiki page (seeds/004) and providers/heyloyalty.md: HMAC-signed Basic auth,
`page`/`perpage` (max 5000) with a `total`, all fifteen filter operators joined by `and` or `or`,
the `show` status views, unsubscribe by DELETE, and an import endpoint that reports nothing back.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import msgspec

from ...core.erasure import EraseMethod, Erasure
from ...core.errors import InvalidResponseError, NotFoundError, UnsupportedError, ValidationError
from ...core.http import ApiClient
from ...core.models import (
    Audience,
    Capabilities,
    Check,
    Column,
    CredentialSpec,
    FieldSpec,
    Filter,
    ImportJob,
    ImportRequest,
    ImportState,
    Member,
    MemberImport,
    MemberStatus,
    Page,
    PageRequest,
    Query,
    row_email,
)
from ...core.provider import Provider
from ...core.recent import Recent
from ...core.sanitize import sendable
from ..opted_out import kept_out_note, without_opted_out
from ..wire import checked_email
from .wire import (
    PLATFORM,
    SHOW,
    SYSTEM_KEYS,
    HeyloyaltyAuth,
    column_decoder,
    filter_params,
    parse_column,
    parse_fields,
    parse_lists,
    parse_member,
    parse_page,
    parse_projected_page,
    projection,
)

API = "/loyalty/v1"
MAX_PAGE = 5000
EMAIL_BATCH = 50  # emails per `or` filter when finding the unsubscribed among import rows
NO_IMPORT_STATUS = (
    "Heyloyalty has no import status endpoint and reports row errors by email to sendErrorsTo; "
    "the app can only watch the list's member count."
)
Params = list[tuple[str, str]]  # a query string, as pairs
Rows = list[dict[str, Any]]


class HeyloyaltyProvider(Provider):
    platform = "heyloyalty"
    title = PLATFORM
    default_base_url = "https://api.heyloyalty.com"
    credentials = (
        CredentialSpec("api_key", "API key", secret=True),
        CredentialSpec("api_secret", "API secret", secret=True),
        CredentialSpec(
            "send_errors_to",
            "E-mail for import row errors (sendErrorsTo; optional)",
            secret=False,
            required=False,
        ),
    )
    erase_method = EraseMethod(
        request="DELETE /lists/{list}/members/{id} with obscureMemberData=true",
        effect="unsubscribes the member and overwrites every personal field (irreversible); "
        "an anonymous, unsubscribed record stays on the list",
        scope="list",
    )
    capabilities = Capabilities(
        paging="offset",
        max_page_size=MAX_PAGE,
        totals_known=True,
        filter_logic=frozenset({"and", "or"}),
        imports="untracked",
        import_triggers=("trigger_optin", "trigger_autoresponder"),
        scan_concurrency=4,
        statuses=(MemberStatus.ACTIVE, MemberStatus.OPTED_OUT, MemberStatus.PENDING),
        notes=(
            "Opt-out is DELETE /lists/{id}/members/{member}, which the wiki calls 'delete'; "
            "clients use it as unsubscribe. It is confirmed only by the member being found in "
            "the list's show=removed view ('only unsubscribed members', seed).",
            "Imports leave out rows of members unsubscribed on the list (handle_existing=update "
            "may re-activate them) unless resubscribing is asked for; trigger_optin and "
            "trigger_autoresponder are sent as 0 unless asked.",
            "Choice filters compare option ids; text filters are case-insensitive (seed).",
            "Paging order within equal sort values is assumed stable.",
            NO_IMPORT_STATUS,
            "Rate limits are not documented.",
        ),
    )

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._specs: dict[str, dict[str, FieldSpec]] = {}

    def make_client(self, **options: Any) -> ApiClient:
        auth = HeyloyaltyAuth(self.setting("api_key"), self.setting("api_secret"))
        return ApiClient(PLATFORM, self.base_url, auth=auth, **options)

    # --- lists and fields ------------------------------------------------------------------
    async def audiences(self) -> list[Audience]:
        path = f"{API}/lists"
        return parse_lists(await self.http.json("GET", path), f"GET {path}")

    async def fields(self, audience: Audience) -> list[FieldSpec]:
        path = f"{API}/lists/{audience.id}"
        specs = parse_fields(await self.http.json("GET", path), f"GET {path}")
        self._specs[audience.id] = {s.name: s for s in specs}
        return specs

    async def _field_specs(self, audience: Audience) -> Mapping[str, FieldSpec]:
        if audience.id not in self._specs:
            await self.fields(audience)
        return self._specs[audience.id]

    # --- members ---------------------------------------------------------------------------
    async def members(self, audience: Audience, query: Query, page: PageRequest) -> Page:
        """Any offset/limit: the one or two `perpage=limit` pages that cover it, sliced."""
        limit = max(1, min(page.limit, MAX_PAGE))
        offset = max(0, page.offset)
        params = await self._query_params(audience, query)
        first, last = offset // limit + 1, (offset + limit - 1) // limit + 1
        numbers = range(first, last + 1)
        pages = await asyncio.gather(
            *(
                self._page(audience, query.status, params, n, limit, page.fields, page.raw)
                for n in numbers
            )
        )
        rows = [m for members, _ in pages for m in members]
        skip = offset - (first - 1) * limit
        chosen = rows[skip : skip + limit]
        total = pages[0][1]
        more = offset + len(chosen) < total if total is not None else len(rows) > skip + limit
        return Page(members=chosen, offset=offset, total=total, has_more=more)

    async def column(
        self, audience: Audience, query: Query, page: PageRequest, name: str
    ) -> Column:
        """One listing page decoded for that one field, with no Member made (what a scan asks
        for; a window across two pages, or a bookkeeping key, is read as members)."""
        limit = max(1, min(page.limit, MAX_PAGE))
        offset = max(0, page.offset)
        if offset % limit or name in SYSTEM_KEYS:
            return await super().column(audience, query, page, name)
        params = await self._query_params(audience, query)
        decoder, typed = column_decoder(name)
        path, doc = await self._listing(audience, params, offset // limit + 1, limit, decoder)
        if isinstance(doc, typed):
            found = parse_column(doc, name)
        else:  # not of the expected shape: parsed whole (or refused) as parse_page does
            view = query.status or MemberStatus.ACTIVE
            members, total = parse_page(doc, f"GET {path}", audience.id, view)
            first = members[0].id if members else None
            found = Column.of((m.fields.get(name) for m in members), total=total, first=first)
        more = offset + found.size < found.total if found.total is not None else False
        return replace(found, has_more=more)

    async def _query_params(self, audience: Audience, query: Query) -> Params:
        params: Params = []
        if query.status is not None:
            if query.status not in SHOW:
                raise UnsupportedError(
                    f"Heyloyalty lists active, removed or temporary members, not {query.status}",
                    platform=PLATFORM,
                )
            params.append(("show", SHOW[query.status]))
        if query.sort is not None:
            params += [
                ("orderby", query.sort.field),
                ("order", "-1" if query.sort.descending else "1"),
            ]
        if query.filter:
            await self._check_server_side(audience, query.filter)
            params += filter_params(query.filter)
        return params

    async def _check_server_side(self, audience: Audience, filter: Filter) -> None:
        specs = await self._field_specs(audience)
        for condition in filter.conditions:
            spec = specs.get(condition.field)
            if spec is None or condition.op not in spec.server_operators:
                raise UnsupportedError(
                    f"Heyloyalty cannot filter {condition.field} with '{condition.op}'",
                    platform=PLATFORM,
                )

    async def _page(
        self,
        audience: Audience,
        status: MemberStatus | None,
        params: Params,
        number: int,
        size: int,
        fields: frozenset[str] | None = None,
        keep_raw: bool = True,
    ) -> tuple[list[Member], int | None]:
        """One listing page; with `fields`, decoded and parsed for those fields only (a page
        that is not of the expected shape comes back as plain JSON and is parsed whole);
        `keep_raw` False leaves each member's document out (`PageRequest.raw`)."""
        projected = projection(fields) if fields is not None else None
        decoder = projected.decoder if projected else None
        path, doc = await self._listing(audience, params, number, size, decoder)
        view = status or MemberStatus.ACTIVE
        if projected is not None and isinstance(doc, projected.page):
            return parse_projected_page(doc, projected, f"GET {path}", audience.id, view)
        return parse_page(doc, f"GET {path}", audience.id, view, keep_raw=keep_raw)

    async def _listing(
        self,
        audience: Audience,
        params: Params,
        number: int,
        size: int,
        decoder: msgspec.json.Decoder[Any] | None,
    ) -> tuple[str, Any]:
        """GET one listing page: its path, and its JSON (typed by `decoder` if given)."""
        path = f"{API}/lists/{audience.id}/members"
        params = [("page", str(number)), ("perpage", str(size)), *params]
        return path, await self.http.json("GET", path, params=params, decoder=decoder)

    async def member(self, audience: Audience, member_id: str) -> Member:
        path = f"{API}/lists/{audience.id}/members/{member_id}"
        doc = await self.http.json("GET", path)
        return parse_member(doc, f"GET {path}", audience.id, MemberStatus.ACTIVE)

    # --- lookup and opt-out ----------------------------------------------------------------
    @cached_property
    def _lookup_lists(self) -> Recent[list[Audience]]:
        """The lists a lookup searches, read once for the lookups of a few seconds."""
        return Recent(self.audiences)

    async def lookup(self, email: str) -> list[Member]:
        """Every list, in the active, removed and temporary views at once: the account's client
        keeps `scan_concurrency` of them on the wire, and one waiting out a 429's Retry-After
        (or a retry's backoff) holds no place there, so the others go on meanwhile (a gate
        here held its place through the wait: under 429s the lists were searched in rounds)."""
        email = checked_email(email, platform=PLATFORM)
        lists = await self._lookup_lists()
        found = await asyncio.gather(*(self._by_email(a, email, s) for a in lists for s in SHOW))
        return [m for members in found for m in members]

    async def _by_email(self, audience: Audience, email: str, status: MemberStatus) -> list[Member]:
        params = [("show", SHOW[status]), ("filter[email][eq][]", email)]
        members, _ = await self._page(audience, status, params, 1, 100)
        return members

    async def probe(self) -> list[Check]:
        """Read-only checks of this adapter's assumptions (see heyloyalty_probe)."""
        from .probe import probe

        return await probe(self)

    async def opt_out(self, member: Member, *, disable_channel: bool = False) -> Member:
        """DELETE (unsubscribe), then read back. Repeating it is harmless: the sandbox answers
        204 again and a 404 from a platform that hides removed members is accepted, since the
        read-back is what decides the outcome."""
        if member.audience_id is None:
            raise ValidationError("the member's list is not known", platform=PLATFORM)
        audience = Audience(id=member.audience_id, name="")
        path = f"{API}/lists/{audience.id}/members/{member.id}"
        await self.http.request("DELETE", path, ok=(404,))
        return await self._read_back(audience, member)

    async def _read_back(self, audience: Audience, member: Member) -> Member:
        """From the list's removed view ("only unsubscribed members"), which is what confirms;
        otherwise by id (a member still active there reads back active: not confirmed)."""
        if member.email and sendable(member.email):  # else by id: data never blocks it
            for candidate in await self._by_email(audience, member.email, MemberStatus.OPTED_OUT):
                if candidate.id == member.id:
                    return candidate
        try:
            return await self.member(audience, member.id)
        except NotFoundError:
            raise NotFoundError(
                "the member is neither on the list nor in its removed view",
                platform=PLATFORM,
                request=f"GET {API}/lists/{audience.id}/members",
            ) from None

    async def opted_out_among(self, audience: Audience, emails: Sequence[str]) -> set[str]:
        """Emails of `emails` (casefolded) in the list's removed view."""
        return await self._in_removed_view(audience, "email", emails)

    async def _in_removed_view(
        self, audience: Audience, field: str, values: Sequence[str]
    ) -> set[str]:
        """Those of `values` (casefolded, trimmed) that `field` of a member in the list's
        removed view holds: `show=removed` with one `or` filter of up to 50 values a request."""
        wanted = sorted({v.strip().casefold() for v in values if v and v.strip()})
        gate = asyncio.Semaphore(self.capabilities.scan_concurrency)

        async def batch(chunk: list[str]) -> set[str]:
            params = [("show", SHOW[MemberStatus.OPTED_OUT]), ("logic", "or")]
            params += [(f"filter[{field}][eq][]", value) for value in chunk]
            found: set[str] = set()
            for number in range(1, len(chunk) + 1):
                async with gate:
                    members, total = await self._page(
                        audience, MemberStatus.OPTED_OUT, params, number, EMAIL_BATCH
                    )
                found |= {str(m.fields.get(field) or "").strip().casefold() for m in members}
                if not members or total is None or number * EMAIL_BATCH >= total:
                    break
            return found & set(chunk)

        chunks = [wanted[i : i + EMAIL_BATCH] for i in range(0, len(wanted), EMAIL_BATCH)]
        return set().union(*await asyncio.gather(*(batch(c) for c in chunks)))

    async def _without_removed_mobiles(self, request: ImportRequest, rows: Rows) -> Rows:
        """Rows identified by a mobile number alone, less those of members in the removed
        view (an import keyed on mobile could re-activate them as well)."""

        def mobile(row: dict[str, Any]) -> str:
            value = row.get("mobile")
            return str(value).strip().casefold() if value and not row_email(row) else ""

        mobiles = [m for row in rows if (m := mobile(row))]
        if request.resubscribe or not mobiles:
            return rows
        out = await self._in_removed_view(request.audience, "mobile", mobiles)
        return [row for row in rows if mobile(row) not in out]

    async def erase(self, member: Member) -> Erasure:
        """DELETE with obscureMemberData=true, then read the member back: gone, or left with no
        email, name or mobile."""
        if member.audience_id is None:
            raise ValidationError("the member's list is not known", platform=PLATFORM)
        audience = Audience(id=member.audience_id, name="")
        path = f"{API}/lists/{audience.id}/members/{member.id}"
        await self.http.request("DELETE", path, data={"obscureMemberData": "true"}, ok=(404,))
        try:
            after = await self.member(audience, member.id)
        except NotFoundError:
            return Erasure("absent", f"GET {path} answered 404")
        if after.email or after.name or after.fields.get("mobile"):
            raise InvalidResponseError(
                "Heyloyalty accepted the obscure but the member still holds personal data",
                platform=PLATFORM,
                request=f"GET {path}",
            )
        return Erasure("anonymised", f"GET {path}: no email, name or mobile left")

    # --- imports ---------------------------------------------------------------------------
    async def imports(self) -> list[ImportJob]:
        raise UnsupportedError(NO_IMPORT_STATUS, platform=PLATFORM)

    async def import_status(self, import_id: str) -> ImportJob:
        raise UnsupportedError(NO_IMPORT_STATUS, platform=PLATFORM)

    async def member_imports(self, member: Member) -> list[MemberImport]:
        """The member's `imported` flag: whether they came in by an import; which one,
        Heyloyalty does not say (and it has no import listing)."""
        imported = member.raw.get("imported") if isinstance(member.raw, dict) else None
        if not isinstance(imported, bool):
            raise UnsupportedError(
                "Heyloyalty did not say whether this member was imported", platform=PLATFORM
            )
        if not imported:
            return []
        return [MemberImport(None, "imported (Heyloyalty does not say by which import)")]

    async def start_import(self, request: ImportRequest) -> ImportJob:
        """POST the rows as CSV; Heyloyalty answers 200 and works on it unseen.

        Rows of members unsubscribed on the list are left out first (unless resubscribing is
        asked for); the opt-in and autoresponder mails are sent only when asked for.
        """
        columns = list(dict.fromkeys(k for row in request.rows for k in row))
        if "email" not in columns and "mobile" not in columns:
            raise ValidationError("a Heyloyalty import needs an email or mobile column")
        rows, kept_out = await without_opted_out(self, request)
        kept = await self._without_removed_mobiles(request, rows)
        kept_out, rows = kept_out + len(rows) - len(kept), kept
        if not rows:
            raise ValidationError(
                "every row is a member who opted out earlier: nothing to send", platform=PLATFORM
            )
        path = f"{API}/lists/{request.audience.id}/import"
        data: dict[str, Any] = {
            "fields_selected[]": columns,
            "duplicate_field": "email" if "email" in columns else "mobile",
            "handle_existing": "update",
            "skip_header_line": "1",
            "date_format": "Y-m-d",
            "trigger_optin": "1" if request.trigger_optin else "0",
            "trigger_autoresponder": "1" if request.trigger_autoresponder else "0",
        }
        errors_to = self.setting("send_errors_to").strip()
        if errors_to:
            data["sendErrorsTo"] = errors_to
        await self.http.request(
            "POST",
            path,
            data=data,
            files={"file": (request.source_filename, _csv(columns, rows), "text/csv")},
        )
        started = datetime.now(UTC)
        return ImportJob(
            id=f"{request.audience.id}-{started:%Y%m%dT%H%M%S}",
            state=ImportState.UNTRACKED,
            audience_id=request.audience.id,
            started_at=started,
            submitted=len(rows),
            skipped=kept_out,
            note=import_note(errors_to) + kept_out_note(kept_out),
        )


def import_note(errors_to: str) -> str:
    """What the user can know of an import, and where its row errors go."""
    if errors_to:
        return f"{NO_IMPORT_STATUS} Row errors are e-mailed to {errors_to} (sendErrorsTo)."
    return (
        f"{NO_IMPORT_STATUS} No sendErrorsTo address is set (account setting send_errors_to), "
        "so Heyloyalty reports row errors to no one this app knows of."
    )


def _cell(value: Any) -> str:
    """A CSV cell: multi-choice ids comma-joined, booleans 1/0, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    return str(value)


def _csv(columns: list[str], rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_cell(row.get(c)) for c in columns] for row in rows)
    return out.getvalue().encode()
