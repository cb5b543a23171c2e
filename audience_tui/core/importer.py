"""Starting an import, recorded in the audit file, and the imports a session has started.

The command line and the import monitor start imports through `start_import`, one audited write
(core.write_op) like every other: attempt, then started or failed, published once accepted. Some
platforms cannot list their imports (Heyloyalty has no status endpoint, Ownpage imports
synchronously, Placewise documents no list): the session keeps what it started so a monitor can
still show it after the user left and came back, and they are kept in a journal
(core.import_journal), so the monitor and the `imports` command show and follow them (`follow`)
in later runs too.

One count of refused rows (`refused`): those the app withheld before sending (the mapping step's
"will be refused") and those the platform refused, as one list.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from .csvimport import RejectedRow
from .errors import AudienceError
from .import_journal import Journal, StartedImport
from .models import Audience, ImportJob, ImportRequest, ImportRowError, ImportState, row_email
from .session import Session
from .write_op import Change, Outcome, Write

__all__ = [
    "FINAL",
    "StartedImport",
    "follow",
    "refused",
    "see_through",
    "start_import",
    "started_imports",
]

FINAL = frozenset({ImportState.FINISHED, ImportState.FAILED, ImportState.UNTRACKED})
WATCH_UNTRACKED = 120.0  # seconds an untracked import's list count is re-read after sending


_STARTED: WeakKeyDictionary[Session, list[StartedImport]] = WeakKeyDictionary()
_UNFINISHED: WeakKeyDictionary[Session, set[tuple[str, str]]] = WeakKeyDictionary()


def _entries(session: Session) -> list[StartedImport]:
    """The journal's imports, read on the session's first use of them."""
    if session not in _STARTED:
        _STARTED[session] = Journal().load()
    return _STARTED[session]


def started_imports(session: Session, account: str) -> list[StartedImport]:
    """The imports started from this app on `account` (in this run or earlier), oldest first."""
    return [entry for entry in _entries(session) if entry.account == account]


def watching(entry: StartedImport) -> bool:
    """An untracked import recent enough that its list's member count is still worth reading."""
    started = entry.job.started_at
    return (
        entry.job.state is ImportState.UNTRACKED
        and started is not None
        and (datetime.now(UTC) - started).total_seconds() < WATCH_UNTRACKED
    )


async def follow(session: Session, entry: StartedImport) -> ImportJob:
    """Bring `entry` up to date and keep it in the journal: the platform's status while the
    import runs, or for an untracked one the list's member count. A finish time the platform
    does not give (Placewise) is the time the app first saw the import over."""
    job = entry.job
    if watching(entry) and job.audience_id is not None:
        count = await member_count(session, entry.account, job.audience_id)
        if count != entry.count_now:  # the platform took rows in: the list's views read it
            session.writes.publish(Change("import", entry.account, audiences=(job.audience_id,)))
        entry.count_now = count
    elif job.state not in FINAL:
        job = await session.provider(entry.account).import_status(job.id)
        if job.state in FINAL and job.finished_at is None:
            job = replace(job, finished_at=datetime.now(UTC))
        entry.job = job
        observe_jobs(session, entry.account, [job])
    else:
        return job
    Journal().save([entry])
    return entry.job


async def see_through(session: Session, entry: StartedImport, every: float) -> ImportJob:
    """Follow `entry` every `every` seconds until it is over (an untracked one: while its list's
    count is watched), whichever screen is open: the views of its list hear of its end (or of
    the rows an untracked import added) though nobody watches the monitor. A failed poll ends
    it quietly (the monitor, when open, keeps polling)."""
    with suppress(Exception):
        while entry.job.state not in FINAL or watching(entry):
            await asyncio.sleep(every)
            await follow(session, entry)
    return entry.job


def refused(job: ImportJob, entry: StartedImport | None) -> list[ImportRowError]:
    """Every row refused: those withheld before sending (by line), then the platform's."""
    withheld = entry.withheld if entry is not None else []
    early = [ImportRowError(f"line {row.line}", f"{row.reason} (not sent)") for row in withheld]
    return [*early, *job.row_errors]


async def member_count(session: Session, account: str, audience_id: str) -> int | None:
    """The list's member count as the platform reports it now."""
    return (await session.audience(account, audience_id)).member_count


async def opted_out_rows(
    session: Session, account: str, audience: Audience, rows: list[dict[str, Any]]
) -> frozenset[str]:
    """The emails of `rows` whose members are opted out on `audience` (what an import keeps
    out unless asked to resubscribe them); empty where the platform has no import."""
    provider = session.provider(account)
    emails = [email for row in rows if (email := row_email(row))]
    if not emails or provider.capabilities.imports == "none":
        return frozenset()
    return frozenset(await provider.opted_out_among(audience, emails))


async def start_import(
    session: Session,
    account: str,
    audience: Audience,
    rows: list[dict[str, Any]],
    file: Path | str,
    withheld: Sequence[RejectedRow] = (),
    **choices: Any,
) -> StartedImport:
    """Send `rows` to `audience` as one audited write (core.write_op); failures re-raise.
    `withheld`: the file's rows refused before sending, counted with the platform's refusals;
    `choices` are ImportRequest's (resubscribe, opted_out, trigger_optin, ...).

    The import is published once the platform accepted it, so views of the list (its member
    count) read it again; `observe_jobs` publishes it again when it finishes."""
    provider = session.provider(account)
    untracked = provider.capabilities.imports == "untracked"
    before = await member_count(session, account, audience.id) if untracked else None
    details: dict[str, Any] = {
        "account": account,
        "platform": provider.platform,
        "audience": audience.id,
        "file": str(file),
        "rows": len(rows),
    }
    asked = [k for k in ("resubscribe", "trigger_optin", "trigger_autoresponder") if choices.get(k)]
    if asked:
        details["asked"] = asked
    request = ImportRequest(audience, rows, Path(file).name, **choices)
    result = await session.writes.run(
        Write(
            kind="import",
            details=details,
            send=lambda: provider.start_import(request),
            accepted=Outcome.STARTED,
            noted=lambda job: {"import_id": job.id, "state": str(job.state)},
            change=lambda job: Change("import", account, audiences=(audience.id,)),
        )
    )
    if result.error is not None or result.value is None:
        raise result.error or AudienceError("the import was not started")
    job = result.value
    if job.state not in FINAL:
        _UNFINISHED.setdefault(session, set()).add((account, job.id))
    entry = StartedImport(
        account, audience, str(file), len(rows), job, before, before, list(withheld)
    )
    _entries(session).append(entry)
    Journal().save([entry])
    return entry


def observe_jobs(session: Session, account: str, jobs: Iterable[ImportJob]) -> None:
    """Imports just read from `account`: one seen running before and finished now is published,
    so list member counts are read again."""
    unfinished = _UNFINISHED.setdefault(session, set())
    for job in jobs:
        key = (account, job.id)
        if job.state not in FINAL:
            unfinished.add(key)
        elif key in unfinished:
            unfinished.discard(key)
            audiences = (job.audience_id,) if job.audience_id else ()
            session.writes.publish(Change("import", account, audiences=audiences))
