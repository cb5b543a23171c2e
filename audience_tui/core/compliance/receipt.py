"""Receipts a data-protection officer can file: JSON Lines, one line per email x account x list and
a summary line last, with a CSV twin of the same lines for a spreadsheet.

Written to a temporary name and renamed, so a receipt on disk is always whole.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..export import csv_cell
from ..models import Member
from ..private_files import write_private
from ..redact import redact
from .journal import compliance_dir, now
from .lists import ListNames

COLUMNS = (
    "request",
    "email",
    "account",
    "platform",
    "list",
    "member",
    "status_before",
    "action",
    "confirmed",
    "read_back",
    "error",
    "at",
)

_STATUS_KEYS = frozenset({"status", "status_before"})

# a line's action when its account could not be searched (the lookup failed; `error` says why)
NOT_SEARCHED = "not searched"
# the actions a run leaves undone, which running the same request again retries
_UNDONE = frozenset({"failed", NOT_SEARCHED})


def receipt_line(
    request: str,
    email: str,
    account: str,
    platform: str,
    member: Member | None,
    action: str,
    *,
    lists: Sequence[str] | None = None,
    **details: Any,
) -> dict[str, Any]:
    """One line (see COLUMNS): `lists` defaults to the member's own list; `details` may give
    confirmed, read_back, error, and anything more a reader of the receipt needs (a note)."""
    if lists is None:
        lists = [member.audience_id or ""] if member else []
    return {
        "request": request,
        "email": email,
        "account": account,
        "platform": platform,
        "list": ",".join(lists) or None,
        "member": member.id if member else None,
        "status_before": str(member.status) if member else None,
        "action": action,
        "confirmed": details.pop("confirmed", None),
        "read_back": details.pop("read_back", None),
        "error": details.pop("error", None),
        "at": now(),
        **details,
    }


def undone(lines: Sequence[Mapping[str, Any]]) -> int:
    """How many lines the run left undone (a write that failed, an account not searched): the
    "N failed" the user is told, since running the same request again retries them all."""
    return sum(1 for line in lines if line.get("action") in _UNDONE)


def in_words(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows as a table shows them to a person: each status in words (`opted out`, not
    `opted_out`, as everywhere else on screen); files and JSON keep the platform-neutral ids."""
    return [
        {k: str(v).replace("_", " ") if k in _STATUS_KEYS and v else v for k, v in row.items()}
        for row in rows
    ]


def readable(lines: Sequence[Mapping[str, Any]], names: ListNames) -> list[dict[str, Any]]:
    """Receipt lines as a person reads them on screen: lists by name, what was done and how it
    was proven; the request and timestamps are left to the file."""
    return [
        {
            "email": line["email"],
            "account": line["account"],
            "list": names.names(line["account"], str(line["list"]).split(","))
            if line.get("list")
            else "",
            "status_before": line.get("status_before") or "",
            "action": line["action"],
            "proof": line.get("error") or line.get("read_back") or "",
        }
        for line in lines
    ]


def default_path(kind: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return compliance_dir() / "receipts" / f"{kind}-{stamp}.jsonl"


def summary(request: str, lines: Sequence[Mapping[str, Any]], **details: Any) -> dict[str, Any]:
    counts = Counter(str(line.get("action")) for line in lines)
    return {
        "summary": True,
        "request": request,
        "lines": len(lines),
        "actions": dict(sorted(counts.items())),
        "finished": datetime.now(UTC).isoformat(timespec="milliseconds"),
        **details,
    }


def csv_twin(path: Path) -> Path:
    return path.with_suffix(".csv")


def write_receipt(
    path: Path,
    lines: Sequence[Mapping[str, Any]],
    summary_line: Mapping[str, Any],
    columns: Sequence[str] = COLUMNS,
) -> tuple[Path, Path]:
    """Write the JSONL receipt at `path` and its CSV twin beside it; returns both paths."""
    text = io.StringIO()
    for line in [*lines, summary_line]:
        text.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
    write_private(path, redact(text.getvalue()))
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(columns)
    for line in lines:
        writer.writerow(csv_cell(line.get(column)) for column in columns)
    twin = csv_twin(path)
    write_private(twin, redact(table.getvalue()))
    return path, twin
