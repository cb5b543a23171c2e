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
from typing import TYPE_CHECKING, Any

from . import deadlines
from .audit import AuditLog
from .deadlines import within
from .errors import AudienceError, NotFoundError, ValidationError
from .models import Account, Audience, Member
from .platforms import Connect, create, verify
from .write_op import Change, Outcome, Write, WriteLog, as_audience_error

if TYPE_CHECKING:  # both come with the first adapter, not with the first frame (bench figure 7)
    import httpx

    from .provider import Provider

log = logging.getLogger("audience_tui.session")

# Deliberately permissive (the platforms validate too): one @, no spaces, a dot in the domain.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

SecretsLoader = Callable[[Account], Mapping[str, str]]
TransportFor = Callable[[Account], "httpx.AsyncBaseTransport | None"]


def check_email(email: str) -> str:
    """The email as every lookup searches and shows it: trimmed and in lower case (every
    platform matches an email whatever its case), or ValidationError saying why it is not one."""
    email = email.strip()
    if not EMAIL.match(email):
        raise ValidationError(f"{email!r} is not an email address")
    return email.lower()


def unexpected(exc: Exception, account: Account) -> AudienceError:
    """An error the adapter did not map, as an AudienceError the UI can show and keep."""
    return as_audience_error(exc, account.platform)


def not_confirmed(provider: Provider, after: Member) -> str | None:
    """Why a member read back after an opt-out does not confirm it; None when it does."""
    reason = provider.opt_out_unconfirmed(after)
    if reason is None:
        return None
    return f"the platform accepted the opt-out but it is not confirmed: {reason}"


async def read_back(provider: Provider, member: Member) -> Member | None:
    """The membership as the platform has it now (None when it has it no more): by id, and by
    email where a platform hides a removed member from that (Heyloyalty). Raises when the
    platform cannot be read."""
    audience = Audience(id=member.audience_id or "", name=member.audience_id or "")
    try:
        return await provider.member(audience, member.id)
    except NotFoundError:
        if not member.email:
            return None
    found = await provider.lookup(member.email)
    return next(
        (m for m in found if (m.id, m.audience_id) == (member.id, member.audience_id)), None
    )


@dataclass(frozen=True, slots=True)
class LookupResult:
    account: Account
    members: list[Member] = field(default_factory=list)
    error: AudienceError | None = None


@dataclass(frozen=True, slots=True)
class OptOutOutcome:
    """One membership's opt-out: as asked, as read back, and how it ended (see core.write_op)."""

    account: Account
    before: Member
    after: Member | None
    error: AudienceError | None = None
    dry_run: bool = False
    outcome: Outcome | None = None  # None for a dry run
    sent: bool = True  # False: found opted out already, nothing was sent

    @property
    def confirmed(self) -> bool:
        """The read-back showed the changed field changed (the adapter's opt_out_unconfirmed)."""
        return self.after is not None and self.error is None and not self.dry_run

    @property
    def unknown(self) -> bool:
        """Sent, but whether the platform applied it could not be told (retry reads it first)."""
        return self.outcome is Outcome.UNKNOWN


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
        self.writes = WriteLog(self.audit)  # every write goes through it; views subscribe to it
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}  # (account, member id)
        self._opted_out: set[tuple[str, str]] = set()  # (account, member id) confirmed here

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

    async def audiences(self, account: str, *, until: float | None = None) -> list[Audience]:
        """`account`'s lists, or DeadlineError past the deadline for lists (core.deadlines;
        `until`: counted from the command's start, see `within`)."""
        provider = self.provider(account)
        action = f"{account}'s lists"
        return await within(deadlines.LISTS, action, provider.audiences(), until=until)

    async def audience(self, account: str, key: str) -> Audience:
        """An audience of `account` by id or by name (case-insensitive)."""
        audiences = await self.audiences(account)
        for audience in audiences:
            if audience.id == key:
                return audience
        for audience in audiences:
            if audience.name.casefold() == key.casefold():
                return audience
        names = ", ".join(f"{a.name} ({a.id})" for a in audiences) or "none"
        raise NotFoundError(f"{account} has no list {key!r} (lists: {names})")

    async def lookup(
        self, email: str, accounts: Sequence[str] | None = None, *, until: float | None = None
    ) -> list[LookupResult]:
        """The email looked up in every account (or those named) at once; failures per account.
        `until`: the deadline counted from the command's start (see `deadlines.within`)."""
        email = check_email(email)
        names = list(accounts) if accounts else [a.name for a in self.accounts]

        async def one(name: str) -> LookupResult:
            account = self.account(name)
            try:
                lookup = self.provider(name).lookup(email)
                found = await within(deadlines.LOOKUP, f"a lookup in {name}", lookup, until=until)
                self.observe(name, found)
                return LookupResult(account, found)
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
        """Opt `member` out on `account_name` as one audited write (core.write_op): attempt,
        send, read back, outcome, and the confirmed change published to every view.

        Never raises for a platform failure: the outcome carries the error so the caller can show
        it and offer a retry. Nothing is sent for a member already opted out: one whose status
        says so, or, read again first, one this session opted out already (Emma's opt-out is
        account-wide: its groups' memberships are one member) or whose last outcome was unknown.
        Opt-outs of the same member run one after the other. Confirmed means the field the write
        changed reads back changed (the adapter's `opt_out_unconfirmed`). `disable_channel` adds
        the platform's separate channel choice where it has one (`Capabilities.opt_out_channel`;
        ignored elsewhere), and is sent even to a member opted out already.
        """
        account = self.account(account_name)
        details: dict[str, Any] = {
            "account": account.name,
            "platform": account.platform,
            "audience": member.audience_id,
            "member": member.id,
            "email": member.email,
        }
        if dry_run:
            self.audit.record("opt_out.dry_run", **details)
            return OptOutOutcome(account, member, None, dry_run=True)
        provider = self.provider(account_name)
        channel = disable_channel and bool(provider.capabilities.opt_out_channel)
        if channel:
            details["channel_disabled"] = True
        async with self._locks.setdefault((account.name, member.id), asyncio.Lock()):
            known = None if channel else await self._known_state(account, provider, member, details)
            if known is not None:
                return OptOutOutcome(account, member, known, outcome=Outcome.CONFIRMED, sent=False)

            def change(after: Member) -> Change:
                return self._opt_out_change(account, provider, member, after)

            result = await self.writes.run(
                Write(
                    kind="opt_out",
                    details=details,
                    send=lambda: (
                        provider.opt_out(member, disable_channel=True)
                        if channel
                        else provider.opt_out(member)
                    ),
                    check=lambda after: not_confirmed(provider, after),
                    verify=lambda: read_back(provider, member),
                    noted=lambda after: {"status": after.platform_status},
                    change=change,
                )
            )
            if result.outcome is Outcome.CONFIRMED:
                self._opted_out.add((account.name, member.id))
            return OptOutOutcome(
                account, member, result.value, result.error, outcome=result.outcome
            )

    async def _known_state(
        self, account: Account, provider: Provider, member: Member, details: dict[str, Any]
    ) -> Member | None:
        """The member opted out as known now, None when not known to be (then the write decides):
        as given when that shows the opt-out; read again when this session opted them out
        already or the last outcome was unknown (a pending one is settled when the read finds
        it done)."""
        if provider.opt_out_unconfirmed(member) is None:
            self.audit.record("opt_out.already_opted_out", **details, status=member.platform_status)
            return member
        pending = self.writes.pending("opt_out", details)
        if not pending and (account.name, member.id) not in self._opted_out:
            return None
        try:
            now = await read_back(provider, member)
        except Exception:  # the write decides then, as it would have without the read
            return None
        if now is None or provider.opt_out_unconfirmed(now) is not None:
            return None
        change = self._opt_out_change(account, provider, member, now)
        if not self.writes.settle("opt_out", details, change, status=now.platform_status):
            self.audit.record("opt_out.already_opted_out", **details, status=now.platform_status)
            self.writes.publish(change)
        self._opted_out.add((account.name, member.id))
        return now

    @staticmethod
    def _opt_out_change(
        account: Account, provider: Provider, before: Member, after: Member
    ) -> Change:
        return Change(
            "opt_out",
            account.name,
            members=((before, after),),
            account_wide=provider.capabilities.opt_out_scope == "account",
        )

    async def member(self, account_name: str, audience: Audience, member_id: str) -> Member:
        """One member read again (settling an opt-out whose outcome was unknown, see observe)."""
        member = await self.provider(account_name).member(audience, member_id)
        self.observe(account_name, [member])
        return member

    def observe(self, account_name: str, members: Sequence[Member]) -> None:
        """Members just read from `account_name`: an opt-out whose outcome was unknown and that
        they show done is recorded confirmed, and published."""
        for member in members:
            pending = self.writes.pending_on("opt_out", account_name, member.id)
            if not pending:
                continue
            provider = self.provider(account_name)
            if provider.opt_out_unconfirmed(member) is not None:
                continue
            account = self.account(account_name)
            wide = provider.capabilities.opt_out_scope == "account"
            for details in pending:
                if wide or details.get("audience") == member.audience_id:
                    change = self._opt_out_change(account, provider, member, member)
                    self.writes.settle("opt_out", details, change, status=member.platform_status)
                    self._opted_out.add((account.name, member.id))

    async def aclose(self) -> None:
        providers, self._providers = list(self._providers.values()), {}
        await asyncio.gather(*(p.aclose() for p in providers), return_exceptions=True)
