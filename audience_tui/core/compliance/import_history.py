"""Where a person's record came from: the imports that included them, for the subject-access
report (GDPR Art. 15 asks for "any available information as to their source").

Two sources. The platform's own record (`Provider.member_imports`: Emma lists each import's
members, Heyloyalty flags an imported member without saying by which import); and the imports
started from this app (core.import_journal), matched to the platform's record by import id. Where
the platform cannot say whether an import included the person, the report says "not reported by
<platform>" rather than guess, and lists the imports started here into that list as candidates.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ..errors import AudienceError, UnsupportedError
from ..import_journal import Journal, StartedImport
from ..models import Member, MemberImport
from ..session import Session


@dataclass(frozen=True, slots=True)
class ImportLine:
    import_id: str | None  # None: the platform says "imported" without naming the import
    included: str  # what the import did to the person, or "not reported by <platform>"
    source: str  # "listed by <platform>", "started here", or both
    list_name: str | None = None  # the list an import started here went to
    file: str | None = None  # the file an import started here was read from
    started_at: datetime | None = None
    finished_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "import": self.import_id,
            "included": self.included,
            "source": self.source,
            "list": self.list_name,
            "file": self.file,
            "started": self.started_at.isoformat() if self.started_at else None,
            "finished": self.finished_at.isoformat() if self.finished_at else None,
        }


@dataclass(frozen=True, slots=True)
class ImportHistory:
    lines: list[ImportLine] = field(default_factory=list)
    note: str = ""  # "not reported by <platform>", or why the platform's record was not read


async def history(session: Session, account: str, member: Member) -> ImportHistory:
    """The imports that included `member` of `account`, as far as anyone can tell."""
    provider = session.provider(account)
    title = provider.title
    started = {e.job.id: e for e in Journal().load() if e.account == account}
    note = ""
    try:
        reported = await provider.member_imports(member)
    except UnsupportedError:
        reported, note = [], f"not reported by {title}"
    except AudienceError as exc:
        reported, note = [], f"{title}'s import records could not be read: {exc}"
    lines = [_listed(imp, started.pop(imp.import_id or "", None), title) for imp in reported]
    if note or any(imp.import_id is None for imp in reported):
        lines += [
            _started_here(entry, f"not reported by {title}")
            for entry in started.values()
            if entry.audience.id == member.audience_id
        ]
    return ImportHistory(lines, note)


def _listed(imp: MemberImport, entry: StartedImport | None, title: str) -> ImportLine:
    """An import the platform says included the person (and started here, when `entry`)."""
    if entry is None:
        return ImportLine(imp.import_id, imp.change, f"listed by {title}",
                          started_at=imp.started_at, finished_at=imp.finished_at)  # fmt: skip
    here = _started_here(entry, imp.change)
    return replace(
        here,
        source=f"started here, listed by {title}",
        started_at=imp.started_at or here.started_at,
        finished_at=imp.finished_at or here.finished_at,
    )


def _started_here(entry: StartedImport, included: str) -> ImportLine:
    audience = entry.audience
    return ImportLine(
        entry.job.id,
        included,
        "started here",
        audience.name or audience.id,
        entry.file,
        entry.job.started_at,
        entry.job.finished_at,
    )
