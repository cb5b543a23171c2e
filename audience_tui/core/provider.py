"""The async protocol every platform adapter implements, and the base they share.

Screens and commands talk to a `Provider` and read its `capabilities`; they never ask which platform
it is. An operation a platform lacks raises UnsupportedError with a sentence saying what it offers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar

import httpx

from .accounts import base_url_problem
from .erasure import EraseMethod, Erasure
from .errors import ConfigError, UnsupportedError
from .http import ApiClient
from .models import (
    Account,
    Aggregate,
    Audience,
    Capabilities,
    Check,
    Column,
    Condition,
    CredentialSpec,
    FieldSpec,
    Filter,
    ImportJob,
    ImportRequest,
    Member,
    MemberImport,
    MemberStatus,
    Page,
    PageRequest,
    PagingKind,
    Query,
    TimeSeries,
)
from .redact import register_secret


class Provider(ABC):
    """Base class of the five adapters. Subclasses set the class attributes and implement the
    abstract methods (one left out fails when the class is instantiated, not on first use); the
    optional operations say UnsupportedError until overridden.

    `members` returns one page for the server-side part of `query`; which conditions a platform
    evaluates itself is said by `FieldSpec.server_operators` and `Capabilities.filter_logic`, and
    core.filters.plan splits a Filter accordingly before it reaches the adapter.
    """

    platform: ClassVar[str]  # "heyloyalty", ...
    title: ClassVar[str]  # "Heyloyalty", ...
    default_base_url: ClassVar[str]
    credentials: ClassVar[tuple[CredentialSpec, ...]]
    capabilities: ClassVar[Capabilities]
    erase_method: ClassVar[EraseMethod | None] = None  # None: the platform cannot erase

    def __init__(
        self,
        account: Account,
        secrets: Mapping[str, str],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        **client_options: Any,
    ) -> None:
        self.account = account
        self.secrets = dict(secrets)
        for spec in self.credentials:
            if spec.secret:
                register_secret(self.secrets.get(spec.key))
        self.base_url = account.base_url or self.default_base_url
        # Secrets travel with every request: only over TLS, unless they never leave this machine
        # (loopback, or a transport in this process such as the demo sandbox).
        if transport is None and (problem := base_url_problem(self.base_url)) is not None:
            raise ConfigError(f"account {account.name!r}: the base URL {problem}")
        client_options.setdefault("concurrency", self.capabilities.scan_concurrency)
        self.http = self.make_client(transport=transport, **client_options)

    @abstractmethod
    def make_client(self, **options: Any) -> ApiClient:
        """Build the account's ApiClient with the platform's auth and headers."""

    def setting(self, key: str) -> str:
        """A credential value, secret or not (secrets win)."""
        return self.secrets.get(key) or self.account.settings.get(key, "")

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> Provider:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def accepts(self, condition: Condition, spec: FieldSpec) -> bool:
        """Whether the platform evaluates this condition itself, beyond its operator being in
        `spec.server_operators` (e.g. Kajabi filters `subscribed eq true` but not `eq false`)."""
        return True

    def paging_for(self, query: Query) -> PagingKind:
        """How `members` pages for this query (Placewise answers filtered queries by cursor)."""
        return self.capabilities.paging

    def withheld_for(self, query: Query) -> tuple[str, ...]:
        """The member columns (`email`, `name`) that `members` leaves empty for this query
        because the platform's answer to it holds no personal data (Placewise's filtered
        reports); each member still reads whole by id (`member`). () when nothing is left out."""
        return ()

    # --- the operations ----------------------------------------------------------------------
    async def verify(self) -> None:
        """A cheap real call that fails with AuthError when the credentials are wrong."""
        await self.audiences()

    @abstractmethod
    async def audiences(self) -> list[Audience]:
        """The account's lists (groups, clubs, sites), with member counts where known."""

    @abstractmethod
    async def fields(self, audience: Audience) -> list[FieldSpec]:
        """The audience's fields, with the operators the platform filters them by."""

    @abstractmethod
    async def members(self, audience: Audience, query: Query, page: PageRequest) -> Page:
        """One page of the server-side part of `query`."""

    async def column(
        self, audience: Audience, query: Query, page: PageRequest, name: str
    ) -> Column:
        """One page of `query`, as field `name`'s values (None where unset). This default reads
        partial members; an adapter that can decode one field alone overrides it."""
        found = await self.members(audience, query, replace(page, fields=frozenset((name,))))
        return Column.of(
            (member.fields.get(name) for member in found.members),
            total=found.total,
            next_cursor=found.next_cursor,
            has_more=found.has_more,
            first=found.members[0].id if found.members else None,
        )

    @abstractmethod
    async def member(self, audience: Audience, member_id: str) -> Member:
        """One member, read now (NotFoundError when there is none)."""

    @abstractmethod
    async def lookup(self, email: str) -> list[Member]:
        """Every membership of this email in the account (one per audience where it is found)."""

    @abstractmethod
    async def opt_out(self, member: Member, *, disable_channel: bool = False) -> Member:
        """Opt the member out, then read them back; returns the member as read back.

        `disable_channel` adds the separate choice `capabilities.opt_out_channel` describes, on
        platforms that have one; elsewhere it is never passed.
        """

    def opt_out_unconfirmed(self, after: Member) -> str | None:
        """Why the read-back `after` does not confirm an opt-out, or None when it does.

        Confirmed means the very field the write changed reads back changed; an adapter whose
        status comes from anything else overrides this to look at that field.
        """
        if after.status is MemberStatus.OPTED_OUT:
            return None
        return f"the member reads back with status {after.platform_status or after.status}"

    async def probe(self) -> list[Check]:
        """Read-only checks of each assumption this adapter makes where the documents are
        silent (see core.probe); none by default."""
        return []

    async def opted_out_among(self, audience: Audience, emails: Sequence[str]) -> set[str]:
        """Those of `emails` (casefolded) opted out on `audience`. Imports leave them out unless
        the user asks to resubscribe them; the preview counts them."""
        raise UnsupportedError(f"{self.title} has no bulk import", platform=self.title)

    async def erase(self, member: Member) -> Erasure:
        """Erase the member the platform's way (`erase_method`), then read back and return what
        proves it; a member already gone is proven absent without a second write."""
        raise UnsupportedError(f"{self.title} has no erase", platform=self.title)

    async def aggregate(self, audience: Audience, field: str, filter: Filter) -> Aggregate:
        """Counts grouped by `field`, server-side. Platforms without it raise UnsupportedError and
        the service layer scans pages instead (core.aggregate)."""
        raise UnsupportedError(
            f"{self.title} cannot count members by field on the server", platform=self.title
        )

    async def timeseries(
        self, audience: Audience, report: str, interval: str, days: int
    ) -> TimeSeries:
        raise UnsupportedError(f"{self.title} has no time-series reports", platform=self.title)

    async def imports(self) -> list[ImportJob]:
        raise UnsupportedError(f"{self.title} has no import history", platform=self.title)

    async def import_status(self, import_id: str) -> ImportJob:
        raise UnsupportedError(f"{self.title} has no import status", platform=self.title)

    async def member_imports(self, member: Member) -> list[MemberImport]:
        """The imports that included `member`, as far as the platform reports it (an empty list
        is its answer: none). Platforms that cannot say raise UnsupportedError, and the
        subject-access report says "not reported by" them."""
        raise UnsupportedError(
            f"{self.title} does not report which imports included a member", platform=self.title
        )

    async def start_import(self, request: ImportRequest) -> ImportJob:
        raise UnsupportedError(f"{self.title} has no bulk import", platform=self.title)
