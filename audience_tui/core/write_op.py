"""One shape for every write the app makes: record the attempt, send, settle, record, publish.

Opt-outs, imports, and the erasures and suppressions built on this module all go through
`WriteLog.run` (the session holds one: `session.writes`). Each write, described by a `Write`:

1. is recorded as `<kind>.attempt` in the audit file before anything is sent; when that record
   cannot be written the error propagates and nothing is sent;
2. is sent (`Write.send`);
3. gets exactly one `Outcome`:
   - CONFIRMED: applied, as read back (`Write.check` found nothing wrong with what `send`
     returned), or, after a lost answer, as `Write.verify` read it back;
   - STARTED: accepted, and the platform finishes it later (an import: `Write.accepted`);
   - UNCONFIRMED: accepted, but what `send` returned does not show it applied (`check`'s
     reason, recorded as `reason`);
   - FAILED: not applied: refused, never sent, or `verify` read it back not applied. A write
     without `verify` whose answer was lost is FAILED too;
   - UNKNOWN: sent, its answer lost (network, 5xx, garbled body) and `verify` could not read it
     back either. It stays pending: `settle` records CONFIRMED once a later read finds it done,
     in this run or, from the audit file, in a later one (`pending`);
4. is recorded as `<kind>.<outcome>`, with the attempt's details plus `Write.noted(value)` or the
   error (`error`, `error_kind`); when that record cannot be written, AuditWriteError propagates
   (saying what happened), after step 5;
5. when CONFIRMED or STARTED, is published: `Write.change(value)` goes to every subscriber.

Subscribers (`subscribe`) are plain callables run in the event loop that ran the write, in the
order they subscribed; one that raises is logged and the others still run. They must not block:
the TUI turns each `Change` into a Textual message (tui/write_views.py). A `Change` says which
members and lists a write touched, and `Change.update` gives a view the new state of a member it
shows, so every open view of that member or list agrees after the write.

Example (an opt-out, as Session.opt_out builds it):

    result = await session.writes.run(Write(
        kind="opt_out",
        details={"account": ..., "platform": ..., "audience": ..., "member": ..., "email": ...},
        send=lambda: provider.opt_out(member),
        check=lambda after: None if after.status is OPTED_OUT else "still subscribed",
        verify=read_back,  # the member now if opted out, None if not; raises when it cannot tell
        noted=lambda after: {"status": after.platform_status},
        change=lambda after: Change("opt_out", account, members=((member, after),)),
    ))
"""

from __future__ import annotations

import asyncio
import logging
import mmap
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Generic, TypeVar

from .audit import AuditLog
from .errors import AudienceError, InvalidResponseError, NetworkError
from .models import Member
from .redact import redact

log = logging.getLogger("audience_tui.writes")

T = TypeVar("T")

# The audit fields that name what a write changed: a later outcome settles the same thing.
TARGET_FIELDS = ("account", "audience", "member")


class Outcome(StrEnum):
    CONFIRMED = "confirmed"
    STARTED = "started"
    UNCONFIRMED = "unconfirmed"
    FAILED = "failed"
    UNKNOWN = "unknown"


class OutcomeUnknownError(AudienceError):
    """A write was sent, its answer lost, and reading it back failed too: it may have been
    applied. Retrying reads it back first (see Session.opt_out)."""

    exit_code = 4
    kind = "outcome unknown"


SETTLED = frozenset(outcome for outcome in Outcome if outcome is not Outcome.UNKNOWN)


def answer_lost(error: AudienceError) -> bool:
    """Whether the platform may have applied a write that ended in `error`: the request may have
    reached it (a timeout, a dropped connection, a 5xx, an answer that could not be read)."""
    return isinstance(error, NetworkError | InvalidResponseError)


def as_audience_error(exc: Exception, platform: str = "") -> AudienceError:
    """`exc` as an AudienceError the UI can show and the audit can keep (adapter defects too)."""
    if isinstance(exc, AudienceError):
        return exc
    log.error("%s: unexpected error", platform or "adapter", exc_info=exc)
    return AudienceError(
        f"unexpected error ({type(exc).__name__}): {redact(str(exc))}", platform=platform
    )


@dataclass(frozen=True, slots=True)
class Change:
    """A write the platform confirmed (or accepted), as the views showing it need it."""

    kind: str  # "opt_out", "import", ...
    account: str
    members: tuple[tuple[Member, Member], ...] = ()  # (as the write was asked, as read back)
    audiences: tuple[str, ...] = ()  # lists whose members or counts changed
    account_wide: bool = False  # it reaches the member on every list of the account (Emma)

    def update(self, account: str, shown: Member) -> Member | None:
        """`shown` as it is after this change; None when the change does not touch it."""
        if account != self.account:
            return None
        for before, after in self.members:
            if (shown.id, shown.audience_id) == (after.id, after.audience_id):
                return after
            same = (shown.id, shown.audience_id) == (before.id, before.audience_id)
            if same or (self.account_wide and shown.id in (before.id, after.id)):
                # the same person seen elsewhere (a Kajabi customer whose contact was written,
                # an Emma member in another group): their status is what was read back
                return replace(shown, status=after.status, platform_status=after.platform_status)
        return None

    def touches(self, account: str, audience_id: str | None) -> bool:
        """Whether the change may alter list `audience_id`'s members or count."""
        if account != self.account:
            return False
        return (
            self.account_wide
            or audience_id in self.audiences
            or any(
                audience_id in (before.audience_id, after.audience_id)
                for before, after in self.members
            )
        )


def _nothing(value: Any) -> Mapping[str, Any]:
    return {}


def _no_change(value: Any) -> Change | None:
    return None


def _fine(value: Any) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class Write(Generic[T]):
    """One write, as `WriteLog.run` carries it out (see the module's docstring)."""

    kind: str  # the audit action's prefix
    details: Mapping[str, Any]  # the audit record's fields; TARGET_FIELDS name what is written
    send: Callable[[], Awaitable[T]]
    check: Callable[[T], str | None] = _fine  # why what `send` returned shows it not applied
    verify: Callable[[], Awaitable[T | None]] | None = None  # after a lost answer: see above
    accepted: Outcome = Outcome.CONFIRMED  # a send that passed `check` (STARTED for imports)
    noted: Callable[[T], Mapping[str, Any]] = _nothing  # outcome fields for the audit record
    change: Callable[[T], Change | None] = _no_change  # what to publish


@dataclass(frozen=True, slots=True)
class WriteResult(Generic[T]):
    outcome: Outcome
    value: T | None = None  # what `send` (or `verify`) returned
    error: AudienceError | None = None
    record: Mapping[str, Any] = field(default_factory=dict)  # the outcome's audit event


Subscriber = Callable[[Change], object]


class WriteLog:
    """Runs writes in one audited shape and publishes the confirmed ones."""

    def __init__(self, audit: AuditLog) -> None:
        self.audit = audit
        self._subscribers: list[Subscriber] = []
        self._pending: dict[tuple[str, ...], Mapping[str, Any]] | None = None

    # --- publishing ---------------------------------------------------------------------------
    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback` with every Change from now on; returns the way to stop."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, change: Change) -> None:
        for callback in list(self._subscribers):
            try:
                callback(change)
            except Exception:  # one broken view must not keep the others stale
                log.exception("a subscriber failed on a %s change", change.kind)

    # --- writing ------------------------------------------------------------------------------
    async def run(self, write: Write[T]) -> WriteResult[T]:
        """Record, send, settle, record, publish; never raises for a platform failure (the
        result carries the error). An audit record that cannot be written raises."""
        platform = str(write.details.get("platform", ""))
        # The record is on disk before the write is sent; its disk flush waits in a worker
        # thread, so the app's other requests (a suppression run's other workers) go on.
        await asyncio.to_thread(self.audit.record, f"{write.kind}.attempt", **write.details)
        try:
            value = await write.send()
        except Exception as exc:  # every attempt gets an outcome in the record
            return await self._after_error(write, as_audience_error(exc, platform))
        except asyncio.CancelledError:  # ctrl+c mid-request: it may have been applied
            self._interrupted(write)
            raise
        problem = write.check(value)
        if problem is not None:
            error = AudienceError(problem, platform=platform)
            extra = {**write.noted(value), "reason": problem}
            return await self._end(write, Outcome.UNCONFIRMED, value, error, extra)
        return await self._end(write, write.accepted, value, None, write.noted(value))

    async def _after_error(self, write: Write[T], error: AudienceError) -> WriteResult[T]:
        failed = {"error": str(error), "error_kind": error.kind}
        if write.verify is None or not answer_lost(error):
            return await self._end(write, Outcome.FAILED, None, error, failed)
        try:
            value = await write.verify()
        except Exception as exc:  # the read-back could not tell: neither done nor not done
            reason = as_audience_error(exc)
            unknown = OutcomeUnknownError(
                f"{error.detail}; it may have been applied, and reading it back failed too "
                f"({reason.detail}); a retry reads it back first",
                platform=error.platform,
                request=error.request,
            )
            extra = {**failed, "read_back_error": str(reason)}
            return await self._end(write, Outcome.UNKNOWN, None, unknown, extra)
        if value is None or write.check(value) is not None:
            lost = AudienceError(f"{error.detail}; read back: not applied", platform=error.platform)
            return await self._end(
                write, Outcome.FAILED, value, lost, {**failed, "read_back": "not applied"}
            )
        extra = {**write.noted(value), "answer_lost": str(error), "read_back": "applied"}
        return await self._end(write, write.accepted, value, None, extra)

    async def _end(
        self,
        write: Write[T],
        outcome: Outcome,
        value: T | None,
        error: AudienceError | None,
        extra: Mapping[str, Any],
    ) -> WriteResult[T]:
        key = self._key(write.kind, write.details)
        if outcome is Outcome.UNKNOWN:
            self._pending_writes()[key] = dict(write.details)
        else:
            self._pending_writes().pop(key, None)
        change = write.change(value) if value is not None else None
        try:
            action = f"{write.kind}.{outcome}"
            record = await asyncio.to_thread(self.audit.record, action, **write.details, **extra)
        finally:  # a write done is shown done, even when its outcome could not be recorded
            if change is not None and outcome in (Outcome.CONFIRMED, Outcome.STARTED):
                self.publish(change)
        return WriteResult(outcome, value, error, record)

    def _interrupted(self, write: Write[Any]) -> None:
        """Record a write stopped while in flight as UNKNOWN (so a later read settles it), at
        once: the task is being cancelled, and an attempt must not stay without an outcome."""
        self._pending_writes()[self._key(write.kind, write.details)] = dict(write.details)
        error = "interrupted while the request was in flight; it may have been applied"
        self.audit.record(
            f"{write.kind}.{Outcome.UNKNOWN}",
            **write.details,
            error=error,
            error_kind="interrupted",
        )

    # --- writes whose outcome is unknown ------------------------------------------------------
    @staticmethod
    def _key(kind: str, details: Mapping[str, Any]) -> tuple[str, ...]:
        return (kind, *(str(details.get(name, "")) for name in TARGET_FIELDS))

    def _pending_writes(self) -> dict[tuple[str, ...], Mapping[str, Any]]:
        """Unknown outcomes not settled since, from the audit file (read once) and this run."""
        if self._pending is None:
            pending: dict[tuple[str, ...], Mapping[str, Any]] = {}
            for event in self.audit.read() if self._any_unknown() else ():
                kind, _, outcome = str(event.get("action", "")).rpartition(".")
                key = self._key(kind, event)
                if outcome == Outcome.UNKNOWN:
                    pending[key] = event
                elif outcome in SETTLED:
                    pending.pop(key, None)
            self._pending = pending
        return self._pending

    def _any_unknown(self) -> bool:
        """Whether the audit file holds an unknown outcome at all: a byte search, so the usual
        answer (no) costs no parsing of a record that may hold millions of lines."""
        if not os.path.isfile(self.audit.path):  # a device or a pipe is never a record
            return False
        try:
            with open(self.audit.path, "rb") as handle:
                if not os.fstat(handle.fileno()).st_size:
                    return False
                with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                    return data.find(f'.{Outcome.UNKNOWN}"'.encode()) != -1
        except OSError:  # no record yet, or none readable: nothing pending from it
            return False

    def pending(self, kind: str, details: Mapping[str, Any]) -> bool:
        """Whether a `kind` write of the same target ended UNKNOWN and is not settled yet."""
        return self._key(kind, details) in self._pending_writes()

    def pending_on(self, kind: str, account: str, member: str) -> list[Mapping[str, Any]]:
        """The details of the unsettled `kind` writes to `member` of `account`, on any list."""
        return [
            details
            for (k, a, _, m), details in self._pending_writes().items()
            if (k, a, m) == (kind, account, member)
        ]

    def settle(
        self, kind: str, details: Mapping[str, Any], change: Change | None = None, **noted: Any
    ) -> bool:
        """A later read found a pending write done: record it CONFIRMED (and publish `change`).
        False, recording nothing, when no such write is pending."""
        key = self._key(kind, details)
        if self._pending_writes().pop(key, None) is None:
            return False
        self.audit.record(
            f"{kind}.{Outcome.CONFIRMED}", **details, **noted, settled_by="a later read"
        )
        if change is not None:
            self.publish(change)
        return True
