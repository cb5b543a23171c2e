"""`accounts probe`: settle an adapter's guesses on a live account, with reads only.

No real account was reachable when the adapters were written, so where the documents are silent
each adapter assumes something (Emma's `end` exclusive, Kajabi's page cap, Placewise's cursor
keys, ...). `Provider.probe` checks each assumption with read-only calls and says `confirmed`,
`contradicted` or `could not check`, with its evidence. The report is redacted and holds no member
data beyond counts, so a user can attach it to a bug report.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import platformdirs

from .errors import AudienceError
from .models import VERDICTS, Check, Verdict
from .private_files import write_private
from .redact import redact
from .session import Session


@dataclass(frozen=True, slots=True)
class ProbeReport:
    account: str
    platform: str
    probed_at: str
    app_version: str
    checks: list[Check] = field(default_factory=list)

    def counts(self) -> dict[Verdict, int]:
        return {v: sum(c.verdict == v for c in self.checks) for v in VERDICTS}

    def as_json(self) -> str:
        """The report as redacted JSON text (secrets masked, whatever a check wrote)."""
        return redact(json.dumps(asdict(self), indent=2, ensure_ascii=False)) + "\n"


def _version() -> str:
    try:
        return version("audience-tui")
    except PackageNotFoundError:
        return "unknown"


async def probe(session: Session, account_name: str) -> ProbeReport:
    """Run the adapter's read-only checks. A check that fails on a platform error says so as
    `could not check`; the others still run (each adapter catches per check)."""
    account = session.account(account_name)
    provider = session.provider(account_name)
    try:
        checks = await provider.probe()
    except AudienceError as exc:  # e.g. refused credentials: nothing could be checked
        checks = [Check("the account answers", "could not check", redact(str(exc)))]
    return ProbeReport(
        account=account.name,
        platform=account.platform,
        probed_at=datetime.now(UTC).isoformat(timespec="seconds"),
        app_version=_version(),
        checks=[Check(c.assumption, c.verdict, redact(c.evidence)) for c in checks],
    )


def default_report_path(report: ProbeReport) -> Path:
    stamp = report.probed_at.replace(":", "").replace("-", "").replace("+0000", "Z")
    folder = Path(platformdirs.user_state_dir("audience-tui")) / "probes"
    return folder / f"probe-{report.account}-{stamp}.json"


def write_report(report: ProbeReport, path: Path | None = None) -> Path:
    """Write the redacted report (mode 0600) and return where."""
    path = path or default_report_path(report)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private(path, report.as_json())
    return path
