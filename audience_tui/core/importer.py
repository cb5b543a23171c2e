"""Starting an import, recorded in the audit file, and the imports a session has started.

The command line and the import monitor start imports through `start_import`, one audited write
(core.write_op) like every other: attempt, then started or failed, published once accepted. Some
platforms cannot list their imports (Heyloyalty has no status endpoint, Ownpage imports
synchronously, Placewise documents no list): the session keeps what it started so a monitor can
still show it after the user left and came back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from .errors import AudienceError
from .models import Audience, ImportJob, ImportRequest, ImportState, row_email
from .session import Session
from .write_op import Change, Outcome, Write

FINAL = frozenset({ImportState.FINISHED, ImportState.FAILED, ImportState.UNTRACKED})


@dataclass(slots=True)
class StartedImport:
    """An import started in this session: what was sent and what the platform said since."""

    account: str
    audience: Audience
    file: str
    rows: int
    job: ImportJob
    count_before: int | None = None  # untracked imports: the list's member count before sending
    count_now: int | None = None  # ... and when last read


_STARTED: WeakKeyDictionary[Session, list[StartedImport]] = WeakKeyDictionary()
_UNFINISHED: WeakKeyDictionary[Session, set[tuple[str, str]]] = WeakKeyDictionary()


def started_imports(session: Session, account: str) -> list[StartedImport]:
    """The imports `session` started on `account`, oldest first."""
    return [entry for entry in _STARTED.get(session, []) if entry.account == account]


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
    **choices: Any,
) -> StartedImport:
    """Send `rows` to `audience` as one audited write (core.write_op); failures re-raise.
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
    entry = StartedImport(account, audience, str(file), len(rows), job, before, before)
    _STARTED.setdefault(session, []).append(entry)
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
