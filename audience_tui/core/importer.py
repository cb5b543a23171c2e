"""Starting an import, recorded in the audit file, and the imports a session has started.

The command line and the import monitor start imports through `start_import`, so both write the
same audit events (attempt, then started or failed). Some platforms cannot list their imports
(Heyloyalty has no status endpoint, Ownpage imports synchronously, Placewise documents no list):
the session keeps what it started so a monitor can still show it after the user left and came back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from .models import Audience, ImportJob, ImportRequest, ImportState, row_email
from .session import Session

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
    """Send `rows` to `audience`, recording the attempt and its outcome; failures re-raise.
    `choices` are ImportRequest's (resubscribe, opted_out, trigger_optin, ...)."""
    provider = session.provider(account)
    untracked = provider.capabilities.imports == "untracked"
    before = await member_count(session, account, audience.id) if untracked else None
    base = {
        "account": account,
        "platform": provider.platform,
        "audience": audience.id,
        "file": str(file),
        "rows": len(rows),
    }
    asked = [k for k in ("resubscribe", "trigger_optin", "trigger_autoresponder") if choices.get(k)]
    if asked:
        base["asked"] = asked
    session.audit.record("import.attempt", **base)
    try:
        job = await provider.start_import(ImportRequest(audience, rows, Path(file).name, **choices))
    except Exception as exc:  # every attempt gets its outcome in the record
        session.audit.record("import.failed", **base, error=str(exc))
        raise
    session.audit.record("import.started", **base, import_id=job.id, state=str(job.state))
    entry = StartedImport(account, audience, str(file), len(rows), job, before, before)
    _STARTED.setdefault(session, []).append(entry)
    return entry
