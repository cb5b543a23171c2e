"""Emma (myemma): groups as audiences, members paged by start/end, opt-out by email, bulk imports.

The API (seed 003, providers/emma.md): `https://api.e2ma.net/{account_id}/...`, HTTP Basic with
the public key as user and the private key as password. Lists page with `start`/`end` (end
exclusive, 500 rows at most) and answer `count=true` with a bare integer. There is no ad-hoc
member query: every filter is evaluated by the app. Throttling shows as `403 Rate Limit
Exceeded`, which `classify` turns into RateLimitedError so the client backs off and retries.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import httpx

from ...core.erasure import EraseMethod, Erasure
from ...core.errors import (
    AudienceError,
    AuthError,
    ConfigError,
    InvalidResponseError,
    NotFoundError,
    RateLimitedError,
    UnsupportedError,
    ValidationError,
)
from ...core.http import ApiClient, RetryPolicy, parse_retry_after
from ...core.models import (
    Aggregate,
    Audience,
    Bucket,
    Capabilities,
    Check,
    CredentialSpec,
    FieldSpec,
    FieldType,
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
)
from ...core.page_guard import PageGuard
from ...core.provider import Provider
from ...core.sanitize import sendable
from ..opted_out import kept_out_note, without_opted_out
from ..wire import checked_email, expect
from .wire import (
    CHANGE_TYPES,
    PLATFORM,
    STATUS_LABELS,
    group_counts,
    ident,
    object_list,
    parse_count,
    parse_field,
    parse_group,
    parse_import,
    parse_member,
)

ALL_MEMBERS = "all"  # the audience id of the account-wide member list
PURGE = "/members/purge"  # the erase: the seed names the purge, not its path (see erase_method)
PAGE = 500  # Emma's largest window
MAX_PAYLOAD = 10 * 1024 * 1024  # "JSON payloads must not exceed 10 MB"
IMPORT_ROWS_CHECKED = 20 * PAGE  # member rows of an import read for rejections
# Emma publishes no limit or window for its throttle: back off for longer than the default.
RETRY = RetryPolicy(attempts=5, backoff_base=1.0, backoff_max=20.0)
BUILTIN_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("email", "Email"),
    FieldSpec("status", "Status", FieldType.CHOICE, options=STATUS_LABELS, aggregatable=True),
    FieldSpec("member_since", "Member since", FieldType.DATE),
)
NOT_IMPORTED = frozenset(spec.name for spec in BUILTIN_FIELDS) - {"email"}


def row_key(doc: Mapping[str, Any]) -> str:
    """The id of a list row (member, group or import), for telling rows apart."""
    for key in ("member_id", "member_group_id", "import_id", "id"):
        if doc.get(key) is not None:
            return str(doc[key])
    return json.dumps(doc, sort_keys=True, default=str)


def unique(docs: list[Any], seen: set[str]) -> list[Any]:
    """`docs` without the rows whose id is in `seen` or came earlier; `seen` learns the rest."""
    kept = []
    for doc in docs:
        key = row_key(doc)
        if key not in seen:
            seen.add(key)
            kept.append(doc)
    return kept


def classify(response: httpx.Response, base_path: str) -> AudienceError | None:
    """Emma's 403 means either 'slow down' or 'wrong keys'; tell them apart by the body."""
    status = response.status_code
    if status not in (401, 403):
        return None
    request = f"{response.request.method} {response.request.url.path.removeprefix(base_path)}"
    text = f"{response.reason_phrase} {response.text[:300]}".lower()
    if status == 403 and "rate limit" in text:
        return RateLimitedError(
            "HTTP 403: Rate Limit Exceeded",
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            platform=PLATFORM,
            request=request,
        )
    return AuthError(
        f"HTTP {status}: Emma refused the keys (check the public key, private key and account id)",
        platform=PLATFORM,
        request=request,
    )


class EmmaProvider(Provider):
    platform = "emma"
    title = PLATFORM
    default_base_url = "https://api.e2ma.net"
    credentials = (
        CredentialSpec("account_id", "Account id", secret=False),
        CredentialSpec("public_key", "Public API key", secret=True),
        CredentialSpec("private_key", "Private API key", secret=True),
    )
    erase_method = EraseMethod(
        request='PUT /members/purge {"member_ids": [id]}',
        effect="purges the member, their history included, from the account and every group "
        "(the documented GDPR right to be forgotten)",
        scope="account",
        assumed="Emma documents the purge of a list of members but not its path or body; this "
        "request mirrors the documented PUT /members/delete",
    )
    capabilities = Capabilities(
        paging="offset",
        max_page_size=PAGE,
        totals_known=True,
        filter_logic=frozenset(),
        server_aggregates=True,
        imports="async",
        opt_out_scope="account",  # PUT /members/email/optout: the member, in every group
        scan_concurrency=3,
        statuses=(MemberStatus.DELETED,),
        notes=(
            "Emma has no server-side member filter: every condition is checked by the app, "
            "page by page (saved searches exist but are not ad-hoc queries).",
            "Lists show every status together (active, opt-out, error); the Status field can "
            "be filtered app-side. Archived members are a separate view, on All members only.",
            "Counts by status come from the group's active/opt-out/error counts; other fields, "
            "and the All members list, are counted by scanning.",
            "Throttling answers 403 'Rate Limit Exceeded' with no published limit; the app "
            "backs off for up to about 15 s.",
            "Timestamps carry no zone; they are read as UTC.",
            "Opt-out is PUT /members/email/optout/{email} (account-wide), confirmed by "
            "member_status_id reading back 'o'. Imports leave out rows of opted-out members "
            "unless resubscribing is asked for (whether Emma's import re-activates them is "
            "not documented).",
            "An import's rejected rows are read from its member list (change type 'r'); the "
            "per-row message is assumed, the real API may give none.",
        ),
    )

    def make_client(self, **options: Any) -> ApiClient:
        account_id = self.setting("account_id").strip()
        if not account_id:
            raise ConfigError("Emma needs the account id (the number in your Emma API URLs)")
        base = f"{self.base_url.rstrip('/')}/{quote(account_id, safe='')}"
        base_path = httpx.URL(base).path
        options.setdefault("retry", RETRY)
        return ApiClient(
            PLATFORM,
            base,
            auth=httpx.BasicAuth(self.setting("public_key"), self.setting("private_key")),
            classify=lambda response: classify(response, base_path),
            **options,
        )

    # --- small helpers -----------------------------------------------------------------------
    async def _get(self, path: str, **params: Any) -> Any:
        return await self.http.json("GET", path, params=params or None)

    async def _count(self, path: str, **params: Any) -> int:
        return parse_count(await self._get(path, count="true", **params), f"GET {path}")

    async def _collect(
        self, path: str, what: str, limit: int | None = None
    ) -> tuple[list[dict[str, Any]], bool]:
        """Every row of a list, window by window; (rows, complete) with at most `limit` rows.

        The documents read `end` as exclusive, EmmaSharper as inclusive: a window of PAGE + 1
        rows is full (its last row is the next window's first), a longer one ignored the
        window (the whole list), and rows are kept once by their id either way."""
        rows: list[dict[str, Any]] = []
        seen: set[str] = set()
        guard = PageGuard(self.title, f"GET {path}")
        start = 0
        while limit is None or len(rows) < limit:
            window = object_list(
                await self._get(path, start=start, end=start + PAGE), f"GET {path}", what
            )
            whole = len(window) > PAGE + 1
            kept = window if whole else window[:PAGE]
            guard.page([row_key(doc) for doc in kept])
            rows += unique(kept, seen)
            start += len(kept)
            if whole or len(window) < PAGE:
                return rows, True
        return rows, False

    def _members_path(self, audience: Audience) -> str:
        if audience.id == ALL_MEMBERS:
            return "/members"
        if not audience.id.isdigit():
            raise ValidationError(f"{audience.id!r} is not an Emma group id")
        return f"/groups/{audience.id}/members"

    def _status_params(self, audience: Audience, status: MemberStatus | None) -> dict[str, str]:
        if status is None:
            return {}
        if status is MemberStatus.DELETED and audience.id == ALL_MEMBERS:
            return {"deleted_only": "true"}
        if status is MemberStatus.DELETED:
            raise UnsupportedError(
                "Emma lists archived members for the whole account only (All members)",
                platform=self.title,
            )
        raise UnsupportedError(
            "Emma lists every status together; filter on the Status field instead",
            platform=self.title,
        )

    async def _by_email(self, email: str, audience_id: str | None) -> Member | None:
        """The member with this email (archived ones included), None when Emma has none."""
        path = f"/members/email/{quote(email, safe='@')}"
        response = await self.http.request("GET", path, params={"deleted": "true"}, ok=(404,))
        if response.status_code == 404:
            return None
        label = f"GET {path}"
        return parse_member(self.http.decode(response, label), label, audience_id)

    # --- the operations ----------------------------------------------------------------------
    async def verify(self) -> None:
        try:
            await self._count("/members")
        except NotFoundError:
            raise AuthError(
                "Emma does not know this account id (HTTP 404)", platform=self.title
            ) from None

    async def audiences(self) -> list[Audience]:
        (groups, _), total = await asyncio.gather(
            self._collect("/groups", "the group list"), self._count("/members")
        )
        everyone = Audience(ALL_MEMBERS, "All members", member_count=total, kind="account")
        return [everyone, *(parse_group(doc, "GET /groups") for doc in groups)]

    async def fields(self, audience: Audience) -> list[FieldSpec]:
        label = "GET /fields"
        docs = object_list(await self._get("/fields"), label, "the field list")
        builtin: Sequence[FieldSpec] = BUILTIN_FIELDS
        if audience.id == ALL_MEMBERS:  # status counts exist per group, not for the account
            builtin = [replace(spec, aggregatable=False) for spec in BUILTIN_FIELDS]
        return [*builtin, *(parse_field(doc, label) for doc in docs)]

    async def members(self, audience: Audience, query: Query, page: PageRequest) -> Page:
        if query.filter:
            raise UnsupportedError("Emma cannot filter members on the server", platform=self.title)
        if query.sort is not None:
            raise UnsupportedError("Emma lists members in its own order", platform=self.title)
        if not 0 < page.limit <= PAGE or page.offset < 0:
            raise ValidationError(f"Emma pages hold 1 to {PAGE} members, from offset 0")
        path = self._members_path(audience)
        params = self._status_params(audience, query.status)
        body, total = await asyncio.gather(
            self._get(path, start=page.offset, end=page.offset + page.limit, **params),
            self._count(path, **params),
        )
        label = f"GET {path}"
        # Never more than asked: an inclusive `end` (EmmaSharper's reading) gives one row more.
        docs = unique(object_list(body, label, "the member list"), set())[: page.limit]
        members = [parse_member(doc, label, audience.id) for doc in docs]
        return Page(
            members=members,
            offset=page.offset,
            total=total,
            has_more=page.offset + len(members) < total,
        )

    async def member(self, audience: Audience, member_id: str) -> Member:
        if not member_id.isdigit():
            raise ValidationError(f"{member_id!r} is not an Emma member id")
        path = f"/members/{member_id}"
        return parse_member(await self._get(path, deleted="true"), f"GET {path}", audience.id)

    async def lookup(self, email: str) -> list[Member]:
        email = checked_email(email, platform=PLATFORM, in_path=True)
        found = await self._by_email(email, None)
        if found is None:
            return []
        path = f"/members/{found.id}/groups"
        groups = object_list(await self._get(path), f"GET {path}", "the member's groups")
        ids = [ident(doc, "member_group_id", f"GET {path}") for doc in groups]
        return [replace(found, audience_id=gid) for gid in ids or [ALL_MEMBERS]]

    async def probe(self) -> list[Check]:
        """Read-only checks of this adapter's assumptions (see emma_probe)."""
        from .probe import probe

        return await probe(self)

    async def opt_out(self, member: Member, *, disable_channel: bool = False) -> Member:
        email = member.email or (await self.member(Audience(ALL_MEMBERS, ""), member.id)).email
        if not email:
            raise ValidationError("this Emma member has no email address to opt out")
        if not sendable(email):
            return await self._opt_out_by_id(member)
        path = f"/members/email/optout/{quote(email, safe='@')}"
        answer = await self.http.json("PUT", path, json={})
        if answer is not True:
            raise InvalidResponseError.unexpected(
                f"Emma did not confirm the opt-out (it answered {answer!r})",
                platform=PLATFORM,
                request=f"PUT {path}",
            )
        after = await self._by_email(email, member.audience_id)
        if after is None:
            raise NotFoundError("the member vanished after the opt-out", platform=self.title)
        return after

    async def _opt_out_by_id(self, member: Member) -> Member:
        """The opt-out of a member whose email no URL can carry (a lone surrogate in Emma's own
        data): the documented status change of an array of members, by id, then read back by
        id, so data never blocks an opt-out."""
        path = "/members/status"
        answer = await self.http.json(
            "PUT", path, json={"member_ids": [int(member.id)], "status_to": "o"}
        )
        if answer is not True:
            raise InvalidResponseError.unexpected(
                f"Emma did not change the status (it answered {answer!r})",
                platform=PLATFORM,
                request=f"PUT {path}",
            )
        return await self.member(Audience(ALL_MEMBERS, ""), member.id)

    def opt_out_unconfirmed(self, after: Member) -> str | None:
        """Confirmed by member_status_id reading back 'o' (what the opt-out call sets)."""
        code = after.raw.get("member_status_id")
        return None if code == "o" else f"member_status_id reads back {code!r}, not 'o'"

    async def opted_out_among(self, audience: Audience, emails: Sequence[str]) -> set[str]:
        """Emails among `emails` whose member is opted out (Emma's opt-out is account-wide, and
        it has no batch lookup: one GET by email each, a few at a time)."""
        wanted = sorted({e.strip().casefold() for e in emails if e and e.strip()})
        gate = asyncio.Semaphore(self.capabilities.scan_concurrency)

        async def out(email: str) -> bool:
            async with gate:
                found = await self._by_email(email, audience.id)
            return found is not None and found.raw.get("member_status_id") == "o"

        flags = await asyncio.gather(*(out(email) for email in wanted))
        return {email for email, flag in zip(wanted, flags, strict=True) if flag}

    async def erase(self, member: Member) -> Erasure:
        """Purge the member, then read them back with archived members included: 404."""
        if not member.id.isdigit():
            raise ValidationError(f"{member.id!r} is not an Emma member id")
        path = PURGE
        response = await self.http.request("PUT", path, json={"member_ids": [int(member.id)]})
        answer = self.http.decode(response, f"PUT {path}")
        if answer is not True:
            raise InvalidResponseError.unexpected(
                f"Emma did not confirm the purge (it answered {answer!r})",
                platform=PLATFORM,
                request=f"PUT {path}",
            )
        read = f"/members/{member.id}"
        check = await self.http.request("GET", read, params={"deleted": "true"}, ok=(404,))
        if check.status_code != 404:
            raise InvalidResponseError.unexpected(
                "Emma confirmed the purge but still serves the member",
                platform=PLATFORM,
                request=f"GET {read}",
            )
        return Erasure("absent", f"GET {read}?deleted=true answered 404")

    async def aggregate(self, audience: Audience, field: str, filter: Filter) -> Aggregate:
        if field != "status" or filter or audience.id == ALL_MEMBERS:
            raise UnsupportedError(
                "Emma counts members by status per group only, without filters",
                platform=self.title,
            )
        path = f"/groups/{audience.id}"
        label = f"GET {path}"
        counts = group_counts(
            expect(await self._get(path), dict, what="the group", request=label, platform=PLATFORM),
            label,
        )
        buckets = [Bucket(STATUS_LABELS[code], n, key=code) for code, n in counts.items()]
        return Aggregate(field="status", buckets=buckets, total=sum(counts.values()))

    async def imports(self) -> list[ImportJob]:
        docs, _ = await self._collect("/members/imports", "the import list")
        return [parse_import(doc, "GET /members/imports") for doc in docs]

    async def import_status(self, import_id: str) -> ImportJob:
        if not import_id.isdigit():
            raise ValidationError(f"{import_id!r} is not an Emma import id")
        path = f"/members/imports/{import_id}"
        doc = await self._get(path)
        job = parse_import(doc, f"GET {path}")
        if job.state not in (ImportState.FINISHED, ImportState.FAILED):
            return job
        rows, complete = await self._collect(
            f"{path}/members", "the import's members", IMPORT_ROWS_CHECKED
        )
        job = parse_import(doc, f"GET {path}", rows)
        if not complete:
            job = replace(job, note=f"{job.note}; rejections checked in the first {len(rows)} rows")
        return job

    async def member_imports(self, member: Member) -> list[MemberImport]:
        """The account's imports whose member rows (GET /members/imports/{id}/members) name
        this member, by id or email, with what each did to them."""
        docs, _ = await self._collect("/members/imports", "the import list")
        jobs = [parse_import(doc, "GET /members/imports") for doc in docs]
        email = (member.email or "").casefold()

        async def row_of(job: ImportJob) -> dict[str, Any] | None:
            rows, _ = await self._collect(f"/members/imports/{job.id}/members", "its members")
            for row in rows:
                same_id = str(row.get("member_id")) == member.id
                if same_id or (email and str(row.get("email") or "").casefold() == email):
                    return row
            return None

        found = await asyncio.gather(*(row_of(job) for job in jobs))
        return [
            MemberImport(
                job.id,
                CHANGE_TYPES.get(str(row.get("change_type")), f"change {row.get('change_type')}"),
                job.started_at,
                job.finished_at,
            )
            for job, row in zip(jobs, found, strict=True)
            if row is not None
        ]

    async def start_import(self, request: ImportRequest) -> ImportJob:
        """POST /members with the rows, less those of opted-out members (unless resubscribing
        is asked for: Emma's bulk import updates existing members)."""
        rows, kept_out = await without_opted_out(self, request)
        body: dict[str, Any] = {
            "members": [_import_member(row) for row in rows],
            "source_filename": request.source_filename,
        }
        if request.audience.id != ALL_MEMBERS:
            self._members_path(request.audience)  # a group id, or ValidationError
            body["group_ids"] = [int(request.audience.id)]
        if len(json.dumps(body)) > MAX_PAYLOAD:
            raise ValidationError("Emma takes at most 10 MB per import: split the file")
        label = "POST /members"
        answer = expect(
            await self.http.json("POST", "/members", json=body),
            dict,
            what="answer",
            request=label,
            platform=PLATFORM,
        )
        return ImportJob(
            id=ident(answer, "import_id", label),
            state=ImportState.QUEUED,
            audience_id=request.audience.id,
            submitted=len(rows),
            skipped=kept_out,
            note="Emma imports in the background; follow it in the import monitor."
            + kept_out_note(kept_out),
        )


def _import_member(row: dict[str, Any]) -> dict[str, Any]:
    """One bulk-import item: the email, and the other non-empty values as custom fields."""
    email = row.get("email")
    fields = {
        k: v
        for k, v in row.items()
        if k != "email" and k not in NOT_IMPORTED and v is not None and v != ""
    }
    return {"email": "" if email is None else str(email).strip(), "fields": fields}
