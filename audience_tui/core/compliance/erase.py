"""Erasure of one person on every account ("forget me", GDPR Art. 17), with a receipt.

`plan` reads: what each account holds on the email, per list, and what its erase will do (and
what of that is only assumed from the documents). `execute` erases each record once (a platform
whose erase is account-wide erases a person in every list at once), records every attempt and
outcome in the audit file, then looks the email up again on every account searched: the receipt
says what was found, what was erased (with the read-back that proves it) and what could not be.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from ..erasure import EraseMethod, Erasure
from ..errors import AudienceError, UnsupportedError
from ..models import Member, MemberStatus
from ..session import Session
from ..write_op import Change, Outcome, Write
from . import Search, WriteError
from .journal import now
from .receipt import NOT_SEARCHED, receipt_line
from .suppress import Progress, ProgressCallback


@dataclass(frozen=True, slots=True)
class Held:
    """One record an account holds on the person: one erase, covering `lists`."""

    account: str
    platform: str
    member: Member
    lists: tuple[str, ...]
    method: EraseMethod | None


@dataclass(kw_only=True)
class ErasePlan(Search[Held]):
    request: str
    outcomes: dict[int, dict[str, Any]] = field(default_factory=dict)  # held index: its line
    write_errors: list[WriteError] = field(default_factory=list)  # the erases that failed

    def stopped_lines(self) -> list[dict[str, Any]]:
        """The receipt of an erase stopped midway (ctrl+c): each record's outcome where it has
        one, else `interrupted` (its write is recorded unknown; the same erase again settles it)."""
        return [
            self.outcomes.get(index)
            or receipt_line(
                self.request,
                held.member.email or "",
                held.account,
                held.platform,
                held.member,
                "interrupted",
                lists=held.lists,
                confirmed=False,
                error="stopped before its outcome was known: run the same erase again",
            )
            for index, held in enumerate(self.held)
        ] + self.unheld_lines()

    def unheld_lines(self) -> list[dict[str, Any]]:
        """The receipt's lines of the accounts that hold nothing, or could not be searched."""
        lines = [
            receipt_line(self.request, self.email, a, "", None, "not found") for a in self.not_found
        ]
        for name, error in self.errors.items():
            lines.append(
                receipt_line(
                    self.request, self.email, name, "", None, NOT_SEARCHED, error=str(error)
                )
            )
        return lines

    def rows(self) -> list[dict[str, Any]]:
        """The dry run as a person reads it: each record, its lists by name, and its erase."""
        return [
            {
                "account": h.account,
                "lists": self.names.names(h.account, h.lists),
                "member": h.member.id,
                "status": str(h.member.status),
                "erase": h.method.request if h.method else "no: the platform offers no erase",
                "assumed": h.method.assumed if h.method else "",
            }
            for h in self.held
        ]


async def plan(session: Session, email: str, accounts: Sequence[str] | None = None) -> ErasePlan:
    result = ErasePlan.new(session, email, accounts, request=f"erase-{now()}")
    for name, members in await result.lookups(session):
        platform = session.account(name).platform
        method = session.provider(name).erase_method
        records: dict[tuple[str, ...], list[Member]] = {}
        for member in members:
            key = (
                (member.id,)
                if method and method.scope == "account"
                else (member.audience_id or "", member.id)
            )
            records.setdefault(key, []).append(member)
        for held in records.values():
            lists = tuple(m.audience_id or "" for m in held)
            result.held.append(Held(name, platform, held[0], lists, method))
    return result


async def execute(
    session: Session, todo: ErasePlan, progress: ProgressCallback = lambda p: None
) -> list[dict[str, Any]]:
    """Erase everything `todo` found; returns the receipt lines (summary not included)."""
    done = 0
    progress(Progress("erasing", 0, len(todo.held)))

    async def one(index: int, held: Held) -> dict[str, Any]:
        nonlocal done
        outcome, error = await erase_one(session, todo.request, held)
        todo.outcomes[index] = outcome
        if error is not None:
            todo.write_errors.append((held.account, error))
        done += 1
        progress(Progress("erasing", done, len(todo.held)))
        return outcome

    lines = list(await asyncio.gather(*(one(i, h) for i, h in enumerate(todo.held))))
    remaining = await session.lookup(todo.email, todo.accounts)
    for found in remaining:
        for member in found.members:
            for entry in lines:
                same = entry["account"] == found.account.name and entry["member"] == member.id
                if same and entry["action"] == "erased" and member.email:
                    entry.update(
                        action="failed",
                        confirmed=False,
                        error="still found by email after the erase",
                    )
    return lines + todo.unheld_lines()


async def erase_one(
    session: Session, request: str, held: Held
) -> tuple[dict[str, Any], AudienceError | None]:
    """One erase as one audited write (core.write_op): attempt, erase with its read-back,
    outcome, and the change published so open views show the person gone. Never raises for a
    platform failure: the line carries the error's text, returned beside it (its kind sets the
    exit code)."""
    provider = session.provider(held.account)
    method = held.method

    async def send() -> Erasure:
        if method is None:
            raise UnsupportedError("this platform offers no erase", platform=held.platform)
        return await provider.erase(held.member)

    def change(erased: Erasure) -> Change:
        gone = replace(held.member, status=MemberStatus.DELETED, platform_status=erased.state)
        return Change(
            "erase",
            held.account,
            members=((held.member, gone),),
            audiences=held.lists,
            account_wide=method is not None and method.scope == "account",
        )

    result = await session.writes.run(
        Write(
            kind="erase",
            details={
                "account": held.account,
                "platform": held.platform,
                "audience": ",".join(held.lists),
                "member": held.member.id,
                "email": held.member.email,
                "request": request,
            },
            send=send,
            noted=lambda erased: {"state": erased.state, "evidence": erased.evidence},
            change=change,
        )
    )
    line = partial(
        receipt_line,
        request,
        held.member.email or "",
        held.account,
        held.platform,
        held.member,
        lists=held.lists,
    )
    if result.outcome is not Outcome.CONFIRMED or result.value is None:
        return line("failed", confirmed=False, error=str(result.error)), result.error
    erased = result.value
    return line("erased", confirmed=True, read_back=f"{erased.state}: {erased.evidence}"), None
