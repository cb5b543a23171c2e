"""The imports started from this app, kept between runs in a small journal under the state dir.

Placewise documents no endpoint listing imports and Heyloyalty cannot be asked about one, so an
import started in an earlier run (or with `--no-wait`) could not be shown or followed without
this. Each entry is what was sent and the import's last known state; the newest MAX_ENTRIES are
kept. Two processes may save at once (the app and a command): each save merges with the file.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import platformdirs

from .csvimport import RejectedRow
from .models import Audience, ImportJob, ImportRowError, ImportState
from .private_files import write_private

log = logging.getLogger(__name__)

MAX_ENTRIES = 200
MAX_ROW_ERRORS = 100  # of a job's row errors kept (the platform keeps them all)
_TIMES = ("started_at", "finished_at")


@dataclass(slots=True)
class StartedImport:
    """An import started from this app: what was sent and what the platform said since."""

    account: str
    audience: Audience
    file: str
    rows: int
    job: ImportJob
    count_before: int | None = None  # untracked imports: the list's member count before sending
    count_now: int | None = None  # ... and when last read
    withheld: list[RejectedRow] = field(default_factory=list)  # refused before sending

    @property
    def key(self) -> tuple[str, str]:
        return (self.account, self.job.id)


def journal_path() -> Path:
    return Path(platformdirs.user_state_dir("audience-tui")) / "imports.json"


def _job_doc(job: ImportJob) -> dict[str, Any]:
    doc: dict[str, Any] = {f.name: getattr(job, f.name) for f in fields(job)}
    doc["state"] = job.state.value
    for name in _TIMES:
        doc[name] = doc[name].isoformat() if doc[name] is not None else None
    doc["row_errors"] = [[e.row, e.message] for e in job.row_errors[:MAX_ROW_ERRORS]]
    doc["parts"] = [_job_doc(part) for part in job.parts]
    return doc


def _job(doc: dict[str, Any]) -> ImportJob:
    values = {f.name: doc[f.name] for f in fields(ImportJob) if f.name in doc}
    values["state"] = ImportState(doc["state"])
    for name in _TIMES:
        values[name] = datetime.fromisoformat(doc[name]) if doc.get(name) else None
    values["row_errors"] = [ImportRowError(row, message) for row, message in doc["row_errors"]]
    values["parts"] = [_job(part) for part in doc.get("parts", [])]
    return ImportJob(**values)


def _entry_doc(entry: StartedImport) -> dict[str, Any]:
    audience = entry.audience
    return {
        "account": entry.account,
        "audience": {"id": audience.id, "name": audience.name, "kind": audience.kind},
        "file": entry.file,
        "rows": entry.rows,
        "job": _job_doc(entry.job),
        "count_before": entry.count_before,
        "count_now": entry.count_now,
        "withheld": [[r.line, r.reason] for r in entry.withheld[:MAX_ROW_ERRORS]],
    }


def _entry(doc: dict[str, Any]) -> StartedImport:
    return StartedImport(
        account=doc["account"],
        audience=Audience(**doc["audience"]),
        file=doc["file"],
        rows=doc["rows"],
        job=_job(doc["job"]),
        count_before=doc.get("count_before"),
        count_now=doc.get("count_now"),
        withheld=[RejectedRow(line, reason) for line, reason in doc.get("withheld", [])],
    )


class Journal:
    """The journal file: read whole, written whole (it holds at most MAX_ENTRIES entries)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or journal_path()

    def load(self) -> list[StartedImport]:
        """Every entry, oldest first; an unreadable journal is reported in the log and skipped
        (it only ever holds what the platforms also know)."""
        try:
            docs = json.loads(self.path.read_text(encoding="utf-8"))
            return [_entry(doc) for doc in docs]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, TypeError, KeyError) as exc:
            log.warning("import journal %s unreadable, ignored: %s", self.path, exc)
            return []

    def save(self, entries: list[StartedImport]) -> None:
        """Write `entries` over their older selves, keeping the other entries on file."""
        merged = {entry.key: entry for entry in self.load()}
        merged.update((entry.key, entry) for entry in entries)
        kept = list(merged.values())[-MAX_ENTRIES:]
        write_private(self.path, json.dumps([_entry_doc(e) for e in kept], ensure_ascii=False))
