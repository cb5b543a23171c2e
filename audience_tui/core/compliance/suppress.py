"""A suppression list carried out on every account: each email looked up everywhere, opted out
where it is still subscribed, every outcome journalled (so a stopped run resumes without sending
a write twice) and collected into a receipt.

A receipt says what did not happen too: an email x account whose lookup failed is a line `not
searched` with why. That line is kept out of the journal (so the pair is not done): the next run
of the same request looks the pair up again, and its receipt says what that lookup found. So
with a write that failed: the next run retries it, or, finding the email no longer on that list,
says `not found` there (nothing is left to send).

`plan` only reads: it is the dry run, and what `execute` then does. Writes go through the
session's audited, read-back opt-out (core.session), one per member and list.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..errors import AudienceError
from ..models import Member, MemberStatus
from ..session import LookupResult, OptOutOutcome, Session
from ..write_op import Outcome
from . import WriteError
from .journal import FINAL, Journal
from .lists import ListNames
from .pool import per_account
from .receipt import NOT_SEARCHED, receipt_line

# the outcomes of an opt-out the platform took: only these are receipted `sent` (core.write_op)
TAKEN = frozenset({Outcome.CONFIRMED, Outcome.UNCONFIRMED})


@dataclass(frozen=True, slots=True)
class Progress:
    stage: str  # "looking up" or "opting out"
    done: int
    total: int


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True, slots=True)
class Target:
    email: str
    account: str
    member: Member
    in_flight: bool = False  # an earlier run's write to it may have landed: read back first


@dataclass
class Plan:
    """What the dry run found: lines already settled, and the opt-outs to send."""

    request: str
    emails: list[str]
    accounts: list[str]
    lines: list[dict[str, Any]] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    done_before: int = 0  # email x account pairs finished by an earlier run of the same request
    checked: list[tuple[str, str]] = field(default_factory=list)  # (email, account) looked up
    # the failed lookups' errors, beside their lines' text: their kind sets the exit code
    unsearched: list[AudienceError] = field(default_factory=list)
    write_errors: list[WriteError] = field(default_factory=list)  # `execute`'s, likewise
    names: ListNames = field(default_factory=ListNames)

    @property
    def nothing_to_send(self) -> bool:
        return not self.targets

    def rows(self) -> list[dict[str, Any]]:
        """The dry run as a person reads it: every membership found (lists by name), its status
        and what will be done, by email then account; who is nowhere is `nowhere`."""
        rows = [
            _row(self, t.email, t.account, t.member.audience_id, t.member.status, "will opt out")
            for t in self.targets
        ]
        for ln in self.lines:
            if ln["action"] == "not found":
                continue
            unsearched = ln["action"] == NOT_SEARCHED
            action = f"lookup failed: {ln['error']}" if unsearched else ln["action"]
            rows.append(
                _row(self, ln["email"], ln["account"], ln["list"], ln["status_before"], action)
            )
        return sorted(rows, key=lambda r: (r["email"].casefold(), r["account"]))

    @property
    def nowhere(self) -> list[str]:
        """The emails looked up in this run and found in no account searched (an account whose
        lookup failed found no one: its `not searched` line is no find)."""
        searched = [ln for ln in self.lines if ln["action"] != NOT_SEARCHED]
        found = {t.email.casefold() for t in self.targets}
        found |= {ln["email"].casefold() for ln in searched if ln["action"] != "not found"}
        looked_up = {ln["email"] for ln in searched}
        return [e for e in self.emails if e.casefold() not in found and e in looked_up]


def _row(
    todo: Plan, email: str, account: str, list_id: str | None, status: object, action: str
) -> dict[str, Any]:
    name = todo.names.name(account, list_id)
    return {
        "email": email,
        "account": account,
        "list": name,
        "status": str(status or ""),
        "action": action,
    }


def workers_for(session: Session) -> Callable[[str], int]:
    """Twice the requests the account takes at once: its client holds at most that many on the
    wire (core.http), and the second half of the workers has its next request waiting while
    the first half parses an answer or writes the journal, so the platform is never idle."""
    return lambda account: 2 * session.provider(account).capabilities.scan_concurrency


async def plan(
    session: Session,
    request: str,
    emails: Sequence[str],
    accounts: Sequence[str],
    journal: Journal,
    progress: ProgressCallback = lambda p: None,
) -> Plan:
    """Look every email up on every account (pairs an earlier run finished are skipped)."""
    result = Plan(request, list(emails), list(accounts))
    result.names = await ListNames.read(session, accounts)
    work: dict[str, list[str]] = {}
    for account in accounts:
        todo = [e for e in emails if not journal.account_done(e, account)]
        result.done_before += len(emails) - len(todo)
        work[account] = todo
    total, done = sum(len(v) for v in work.values()), 0
    progress(Progress("looking up", 0, total))
    undone = journal.undone()

    async def one(account: str, email: str) -> None:
        nonlocal done
        (found,) = await session.lookup(email, [account])
        result.checked.append((email, account))
        platform = found.account.platform
        _classify(result, journal, email, account, platform, found.members, found.error)
        if found.error is None:
            _no_longer_there(
                result, journal, email, found, undone.get((email.casefold(), account), [])
            )
        done += 1
        progress(Progress("looking up", done, total))

    await per_account(work, workers_for(session), one)
    return result


def _classify(
    result: Plan,
    journal: Journal,
    email: str,
    account: str,
    platform: str,
    members: list[Member],
    error: AudienceError | None,
) -> None:
    if error is not None:
        result.unsearched.append(error)
        result.lines.append(
            receipt_line(
                result.request, email, account, platform, None, NOT_SEARCHED, error=str(error)
            )
        )
        return
    if not members:
        result.lines.append(
            receipt_line(result.request, email, account, platform, None, "not found")
        )
        return
    for member in members:
        if journal.final(email, account, member.audience_id):
            continue
        in_flight = journal.in_flight(email, account, member.audience_id)
        if member.status is not MemberStatus.OPTED_OUT:
            result.targets.append(Target(email, account, member, in_flight))
        elif in_flight:  # the earlier run's write landed: it is what opted them out
            result.lines.append(
                receipt_line(
                    result.request,
                    email,
                    account,
                    platform,
                    member,
                    "sent",
                    confirmed=True,
                    read_back=member.platform_status or str(member.status),
                    note="sent by an earlier run, confirmed when resumed",
                )
            )
        else:
            result.lines.append(
                receipt_line(result.request, email, account, platform, member, "already opted out")
            )


def _no_longer_there(
    result: Plan, journal: Journal, email: str, found: LookupResult, undone: Sequence[str]
) -> None:
    """`not found` on each list where an earlier run's write to `email` failed, or was in
    flight when that run stopped, and this lookup no longer finds it: what this run found.
    Journalled, the line settles that write in this receipt and the next ones; without it, a
    failure could never be retried (nothing is left to send there) and would fail every later
    run of the request, and a write in flight would keep the pair from ever being done, so
    every later run would look it up again."""
    present = {member.audience_id or "" for member in found.members}
    gone = [audience for audience in undone if audience not in present]
    if not found.members:  # a failure on no list is replaced by the email's own `not found`
        gone = [audience for audience in gone if audience]
    account = found.account
    for audience in gone:
        stopped = journal.in_flight(email, account.name, audience)
        write = "was in flight when it stopped" if stopped else "failed"
        note = f"no longer on this list when looked up again (an earlier run's write {write})"
        result.lines.append(
            receipt_line(
                result.request,
                email,
                account.name,
                account.platform,
                None,
                "not found",
                lists=[audience],
                note=note,
            )
        )


async def execute(
    session: Session,
    todo: Plan,
    journal: Journal,
    progress: ProgressCallback = lambda p: None,
) -> list[dict[str, Any]]:
    """Journal the plan's settled lines, then send its opt-outs; returns the lines of this run.

    Cancelling stops at once: a write in flight keeps its intent in the journal, and the next
    run of the same request reads that member back before deciding anything.
    """
    platforms = {a.name: a.platform for a in session.accounts}
    lines: list[dict[str, Any]] = []
    journal.start(request=todo.request, emails=len(todo.emails), accounts=todo.accounts)
    waiting: Counter[tuple[str, str]] = Counter((t.email, t.account) for t in todo.targets)
    unsettled = {(ln["email"], ln["account"]) for ln in todo.lines if ln["action"] == NOT_SEARCHED}
    for settled in todo.lines:
        if settled["action"] != NOT_SEARCHED:
            journal.outcome(settled)
        lines.append(settled)
    for pair in set(todo.checked) - set(waiting) - unsettled:
        journal.pair_done(*pair)
    work: dict[str, list[Target]] = {}
    for target in todo.targets:
        work.setdefault(target.account, []).append(target)
    total, done = len(todo.targets), 0
    progress(Progress("opting out", 0, total))

    async def one(account: str, target: Target) -> None:
        nonlocal done
        member, pair = target.member, (target.email, account)
        await journal.intent(target.email, account, member.audience_id, member=member.id)
        outcome = await session.opt_out(account, member)
        line = journal.outcome(outcome_line(todo.request, target, outcome, platforms))
        lines.append(line)
        if outcome.error is not None:
            todo.write_errors.append((account, outcome.error))
        if line["action"] == "failed":
            unsettled.add(pair)
        waiting[pair] -= 1
        if not waiting[pair] and pair not in unsettled:
            journal.pair_done(*pair)
        done += 1
        progress(Progress("opting out", done, total))

    await per_account(work, workers_for(session), one)
    return lines


def receipt_lines(todo: Plan, journal: Journal) -> list[dict[str, Any]]:
    """The receipt of a run of `todo`: every outcome the journal holds (this run's and those of
    earlier runs of the same request), then the pairs this run could not search. Together they
    give every email x account of the request one outcome (one a list where it was found). An
    earlier run's failed write is there only until a run looks its pair up again: that run
    retries it, or says `not found` on its list (`_no_longer_there`).

    A pair not searched by an earlier run has nothing in the journal, so this run's lookup of
    it is all the receipt says. A pair this run could not search keeps the earlier runs' final
    lines (a write that landed stays landed); their failed writes are not retried in this run,
    and its `not searched` line says so instead."""
    unsearched = [ln for ln in todo.lines if ln["action"] == NOT_SEARCHED]
    pairs = {(ln["email"].casefold(), ln["account"]) for ln in unsearched}
    kept = [
        ln
        for ln in journal.records()
        if ln["action"] in FINAL or (ln["email"].casefold(), ln["account"]) not in pairs
    ]
    return [*kept, *unsearched]


def outcome_line(
    request: str, target: Target, outcome: OptOutOutcome, platforms: dict[str, str]
) -> dict[str, Any]:
    """The receipt line of one opt-out: `sent` (or `already opted out`) only when the platform
    took it, as core.write_op's outcome says (confirmed, or accepted and not confirmed).
    Anything else is `failed` with its reason, not final, so a resumed run reads the member
    back and sends it again: a write refused, one whose answer was lost and that reads back
    not applied (the read-back kept as the proof), one that may yet have landed (unknown)."""
    platform = platforms.get(target.account, target.account)
    after = outcome.after
    read_back = None if after is None else after.platform_status or str(after.status)
    line = partial(receipt_line, request, target.email, target.account, platform, target.member)
    if outcome.outcome not in TAKEN:
        return line("failed", error=str(outcome.error), confirmed=False, read_back=read_back)
    action = "sent" if outcome.sent else "already opted out"
    error = str(outcome.error) if outcome.error else None
    return line(action, confirmed=outcome.confirmed, read_back=read_back, error=error)
