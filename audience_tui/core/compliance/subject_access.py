"""Subject access (GDPR Art. 15, "what do you hold on me"): everything every account holds on one
email, gathered in one report, as JSON for machines and as Markdown or HTML for the person.

Each membership is read in full (the member's own record, not the lookup's summary), with every
field under its label (choice values as their labels too) and the platform's own document as
held, so nothing is left out by the app's reading of it. Values are member data: the Markdown
and HTML renderings escape them; nothing here holds a credential.
"""

from __future__ import annotations

import contextlib
import html
import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import AudienceError
from ..models import Audience, FieldSpec, Member
from ..redact import redact
from ..sanitize import clean
from ..session import Session
from . import Search
from .import_history import ImportHistory, ImportLine, history
from .journal import now
from .other_records import other_records

FORMATS = ("json", "md", "html")


@dataclass(frozen=True, slots=True)
class Held:
    account: str
    platform: str
    audience: Audience
    member: Member
    fields: list[tuple[str, str, Any]]  # (name, label, value)
    imports: ImportHistory = field(default_factory=ImportHistory)


@dataclass(kw_only=True)
class Report(Search[Held]):
    generated: str


async def gather(session: Session, email: str, accounts: list[str] | None = None) -> Report:
    report = Report.new(session, email, accounts, generated=now())
    for name, members in await report.lookups(session):
        try:
            members += await other_records(session, name, report.email, members)
            report.held += [await _held(session, name, member) for member in members]
        except AudienceError as exc:
            report.errors[name] = exc
    session.audit.record(
        "subject_access.report",
        email=report.email,
        accounts=report.accounts,
        records=len(report.held),
    )
    return report


async def _held(session: Session, account: str, member: Member) -> Held:
    provider = session.provider(account)
    audiences = {a.id: a for a in await provider.audiences()}
    audience = audiences.get(member.audience_id or "", Audience(member.audience_id or "", ""))
    with contextlib.suppress(AudienceError):  # else the lookup's record is what is shown
        member = await provider.member(audience, member.id)
    specs: dict[str, FieldSpec] = {}
    with contextlib.suppress(AudienceError):  # else the fields go under their names
        specs = {spec.name: spec for spec in await provider.fields(audience)}
    rows = []
    for name, value in member.fields.items():
        spec = specs.get(name)
        if spec is not None and spec.options and value is not None:
            value = spec.options.get(str(value), value)
        rows.append((name, spec.label if spec else name, value))
    platform = session.account(account).platform
    imports = await history(session, account, member)
    return Held(account, platform, audience, member, rows, imports)


def as_json(report: Report) -> dict[str, Any]:
    return {
        "subject": report.email,
        "generated": report.generated,
        "accounts_searched": report.accounts,
        "not_found_on": report.not_found,
        "could_not_search": {a: str(e) for a, e in report.errors.items()},
        "records": [
            {
                "account": h.account,
                "platform": h.platform,
                "list": h.audience.id,
                "list_name": h.audience.name,
                "member": h.member.id,
                "email": h.member.email,
                "name": h.member.name,
                "status": str(h.member.status),
                "platform_status": h.member.platform_status,
                "created_at": h.member.created_at,
                "updated_at": h.member.updated_at,
                "fields": [{"name": n, "label": label, "value": v} for n, label, v in h.fields],
                "imports": {
                    "note": h.imports.note or None,
                    "imports": [line.as_json() for line in h.imports.lines],
                },
                "document": h.member.raw,
            }
            for h in report.held
        ],
    }


def render(report: Report, fmt: str) -> str:
    """The report as `fmt` (json, md or html); member data is escaped for the format."""
    if fmt == "json":
        return redact(json.dumps(as_json(report), ensure_ascii=False, default=str, indent=2))
    blocks = _blocks(report)
    text = _markdown(blocks) if fmt == "md" else _html(report.email, blocks)
    return redact(text)


Block = tuple[str, list[tuple[str, str]]]  # a heading and its (label, value) rows


def _blocks(report: Report) -> list[Block]:
    summary = [
        ("Subject", report.email),
        ("Generated", report.generated),
        ("Accounts searched", ", ".join(report.accounts)),
        ("Records found", str(len(report.held))),
        ("Not found on", ", ".join(report.not_found) or "none"),
    ]
    summary += [(f"Could not search {a}", str(e)) for a, e in report.errors.items()]
    blocks: list[Block] = [("What is held", summary)]
    for h in report.held:
        rows = [
            ("Platform", h.platform),
            ("List", f"{h.audience.name} ({h.audience.id})" if h.audience.name else h.audience.id),
            ("Status", f"{h.member.status} ({h.member.platform_status})"),
            ("Member since", _text(h.member.created_at)),
            ("Last changed", _text(h.member.updated_at)),
        ]
        rows += [(label, _text(value)) for _, label, value in h.fields]
        rows += _import_rows(h.imports)
        blocks.append((f"{h.account}: {h.audience.name or h.audience.id}", rows))
    return blocks


def _import_rows(imports: ImportHistory) -> list[tuple[str, str]]:
    """The import history under one record: a line per import, or why none can be given."""
    rows = [("Imports", imports.note or ("none" if not imports.lines else ""))]
    for line in imports.lines:
        where = [f"list {line.list_name}" if line.list_name else "", _when(line)]
        where += [f"file {line.file}" if line.file else ""]
        detail = "; ".join(part for part in (line.included, line.source, *where) if part)
        rows.append((f"Import {line.import_id or '(not named)'}", detail))
    return [(label, value) for label, value in rows if value]


def _when(line: ImportLine) -> str:
    started = f"started {line.started_at.isoformat()}" if line.started_at else ""
    finished = f"finished {line.finished_at.isoformat()}" if line.finished_at else ""
    return ", ".join(part for part in (started, finished) if part)


def _text(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return clean(value)


def _md_cell(text: str) -> str:
    """A table cell: pipes, backslashes and markup characters escaped, one line."""
    out = clean(text).replace("\\", "\\\\")
    for char in "|*_`[]<>#":
        out = out.replace(char, "\\" + char)
    return out.replace("\n", " ")


def _markdown(blocks: list[Block]) -> str:
    lines = ["# Personal data held (subject access report)", ""]
    for heading, rows in blocks:
        lines += [f"## {_md_cell(heading)}", "", "| | |", "|---|---|"]
        lines += [f"| {_md_cell(label)} | {_md_cell(value)} |" for label, value in rows]
        lines.append("")
    return "\n".join(lines)


def _html_text(text: str) -> str:
    return html.escape(clean(text))


def _html(email: str, blocks: list[Block]) -> str:
    parts = [
        "<!doctype html>",
        '<html><head><meta charset="utf-8">',
        f"<title>Personal data held on {_html_text(email)}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "table{border-collapse:collapse;width:100%}td{border:1px solid #ccc;padding:.3em}"
        "td:first-child{width:30%;font-weight:bold}</style></head><body>",
        "<h1>Personal data held (subject access report)</h1>",
    ]
    for heading, rows in blocks:
        parts.append(f"<h2>{_html_text(heading)}</h2><table>")
        parts += [
            f"<tr><td>{_html_text(label)}</td><td>{_html_text(value)}</td></tr>"
            for label, value in rows
        ]
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
