"""The accounts a user works with, each connected to its adapter, and the operations that span
accounts or must be recorded: lookup everywhere, audited opt-out with read-back.

Screens and commands hold one Session. It creates each adapter on first use, so listing accounts
needs no secret and a broken account does not stop the others.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .audit import AuditLog
from .errors import AudienceError, NotFoundError, ValidationError
from .models import Account, Audience, Member
from .platforms import Connect, create, verify
from .redact import redact

if TYPE_CHECKING:  # both come with the first adapter, not with the first frame (bench figure 7)
    import httpx

    from .provider import Provider

log = logging.getLogger("audience_tui.session")

# Deliberately permissive (the platforms validate too): one @, no spaces, a dot in the domain.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

SecretsLoader = Callable[[Account], Mapping[str, str]]
TransportFor = Callable[[Account], "httpx.AsyncBaseTransport | None"]


def check_email(email: str) -> str:
    """The email trimmed, or ValidationError saying why it cannot be one."""
    email = email.strip()
    if not EMAIL.match(email):
        raise ValidationError(f"{email!r} is not an email address")
    return email


def unexpected(exc: Exception, account: Account) -> AudienceError:
    """An error the adapter did not map, as an AudienceError the UI can show and keep."""
    log.exception("%s: unexpected error", account.name)
    return AudienceError(
        f"unexpected error ({type(exc).__name__}): {redact(str(exc))}", platform=account.platform
    )


@dataclass(frozen=True, slots=True)
class LookupResult:
    account: Account
    members: list[Member] = field(default_factory=list)
    error: AudienceError | None = None


@dataclass(frozen=True, slots=True)
class OptOutOutcome:
    account: Account
    before: Member
    after: Member | None
    error: AudienceError | None = None
    dry_run: bool = False

    @property
    def confirmed(self) -> bool:
        """The read-back showed the changed field changed (the adapter's opt_out_unconfirmed)."""
        return self.after is not None and self.error is None and not self.dry_run


class Session:
    def __init__(
        self,
        accounts: Sequence[Account],
        secrets: SecretsLoader,
        *,
        transport_for: TransportFor = lambda account: None,
        audit: AuditLog | None = None,
        client_options: Mapping[str, object] | None = None,
        connect: Connect = create,
    ) -> None:
        self.accounts = list(accounts)
        self._secrets = secrets
        self._transport_for = transport_for
        self._connect = connect
        self._providers: dict[str, Provider] = {}
        self._client_options = dict(client_options or {})
        self.audit = audit or AuditLog()

    def account(self, name: str) -> Account:
        for account in self.accounts:
            if account.name == name:
                return account
        known = ", ".join(a.name for a in self.accounts) or "none"
        raise NotFoundError(f"no account named {name!r} (accounts: {known})")

    def provider(self, name: str) -> Provider:
        """The adapter of account `name`, created (and its secrets loaded) on first use."""
        if name not in self._providers:
            account = self.account(name)
            self._providers[name] = self._connect(
                account,
                self._secrets(account),
                transport=self._transport_for(account),
                **self._client_options,
            )
        return self._providers[name]

    async def check(self, account: Account, secrets: Mapping[str, str]) -> None:
        """Verify credentials not yet saved, through the transport this session would use."""
        transport = self._transport_for(account)
        await verify(account, secrets, transport=transport, connect=self._connect)

    async def audience(self, account: str, key: str) -> Audience:
        """An audience of `account` by id or by name (case-insensitive)."""
        audiences = await self.provider(account).audiences()
        for audience in audiences:
            if audience.id == key:
                return audience
        for audience in audiences:
            if audience.name.casefold() == key.casefold():
                return audience
        names = ", ".join(f"{a.name} ({a.id})" for a in audiences) or "none"
        raise NotFoundError(f"{account} has no list {key!r} (lists: {names})")

    async def lookup(self, email: str, accounts: Sequence[str] | None = None) -> list[LookupResult]:
        """The email looked up in every account (or those named) at once; failures per account."""
        email = check_email(email)
        names = list(accounts) if accounts else [a.name for a in self.accounts]

        async def one(name: str) -> LookupResult:
            account = self.account(name)
            try:
                return LookupResult(account, await self.provider(name).lookup(email))
            except AudienceError as exc:
                return LookupResult(account, error=exc)
            except Exception as exc:  # a defect in one adapter must not hide the others
                return LookupResult(account, error=unexpected(exc, account))

        return list(await asyncio.gather(*(one(name) for name in names)))

    async def opt_out(
        self,
        account_name: str,
        member: Member,
        *,
        dry_run: bool = False,
        disable_channel: bool = False,
    ) -> OptOutOutcome:
        """Opt `member` out on `account_name`, verify by read-back, record attempt and outcome.

        Never raises for a platform failure: the outcome carries the error so the caller can show
        it and offer a retry. A member already opted out is confirmed without a second write.
        `disable_channel` adds the platform's separate channel choice where it has one
        (`Capabilities.opt_out_channel`), and is ignored elsewhere.
        """
        account = self.account(account_name)
        base = {
            "account": account.name,
            "platform": account.platform,
            "audience": member.audience_id,
            "member": member.id,
            "email": member.email,
        }
        if dry_run:
            self.audit.record("opt_out.dry_run", **base)
            return OptOutOutcome(account, member, None, dry_run=True)
        self.audit.record("opt_out.attempt", **base)
        try:
            provider = self.provider(account_name)
            if disable_channel and provider.capabilities.opt_out_channel:
                base["channel_disabled"] = True
                after = await provider.opt_out(member, disable_channel=True)
            else:
                after = await provider.opt_out(member)
        except Exception as exc:  # every attempt gets an outcome in the record
            error = exc if isinstance(exc, AudienceError) else unexpected(exc, account)
            self.audit.record("opt_out.failed", **base, error=str(error), error_kind=error.kind)
            return OptOutOutcome(account, member, None, error=error)
        reason = provider.opt_out_unconfirmed(after)
        if reason is None:
            self.audit.record("opt_out.confirmed", **base, status=after.platform_status)
            return OptOutOutcome(account, member, after)
        error = AudienceError(
            f"the platform accepted the opt-out but it is not confirmed: {reason}",
            platform=account.platform,
        )
        self.audit.record(
            "opt_out.unconfirmed", **base, status=after.platform_status, reason=reason
        )
        return OptOutOutcome(account, member, after, error=error)

    async def aclose(self) -> None:
        providers, self._providers = list(self._providers.values()), {}
        await asyncio.gather(*(p.aclose() for p in providers), return_exceptions=True)
