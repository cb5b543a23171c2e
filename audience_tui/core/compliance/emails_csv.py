"""Reading a suppression list: the emails of a CSV file as people really send them.

Complaint and bounce reports come from spreadsheets and mail systems: a byte-order mark, `;` or
`,` (or tab) between columns, quoted values, an `email` column among others or a file of emails
alone, blank lines and typos. Every email is kept once (compared without case); every line that
holds none is reported with its line number, so the person can fix the file rather than guess.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from ..csvimport import csv_records
from ..errors import ValidationError
from ..sanitize import clean
from ..session import EMAIL

DELIMITERS = (",", ";", "\t")
EMAIL_HEADERS = frozenset({"email", "e-mail", "email address", "e-mail address", "emailaddress"})
MAX_BYTES = 64 * 1024 * 1024  # far above 10,000 emails; a wrong file is refused, not read into RAM


@dataclass(frozen=True, slots=True)
class Problem:
    """A line that gave no email, and why (`text` is the offending value, as read)."""

    line: int
    reason: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class EmailList:
    emails: list[str]  # in file order, each once (the first spelling is kept)
    problems: list[Problem] = field(default_factory=list)
    duplicates: int = 0  # lines whose email came earlier in the file
    column: str | None = None  # the header of the email column, None for a file of emails alone

    def problem_lines(self, limit: int) -> list[str]:
        """The first `limit` lines without an email, each with its line number and why."""
        said = [
            f"line {p.line}: {p.reason}" + (f": {clean(p.text)!r}" if p.text else "")
            for p in self.problems[:limit]
        ]
        if len(self.problems) > limit:
            said.append(f"... and {len(self.problems) - limit} more line(s)")
        return said

    def summary(self) -> str:
        parts = [f"{len(self.emails)} email(s)"]
        if self.duplicates:
            parts.append(f"{self.duplicates} duplicate(s) collapsed")
        if self.problems:
            parts.append(f"{len(self.problems)} line(s) without a valid email")
        return ", ".join(parts)


def read_emails(path: Path) -> EmailList:
    """The emails of the CSV file at `path` (UTF-8, with or without a BOM)."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ValidationError(f"{path} is {size:,} bytes: not a list of emails")
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"{path} is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8"
        ) from None
    return parse_emails(text)


def parse_emails(text: str) -> EmailList:
    """The emails of CSV `text`; see the module docstring for what is accepted."""
    text = text.removeprefix("\ufeff")
    delimiter = _delimiter(text)
    rows = list(csv_records(text, delimiter))
    first = next(((line, cells) for line, cells in rows if any(c.strip() for c in cells)), None)
    if first is None:
        raise ValidationError("the file holds no email")
    header_line, header = first
    names = [cell.strip().casefold() for cell in header]
    index = next((i for i, name in enumerate(names) if name in EMAIL_HEADERS), None)
    column: str | None = None
    if index is not None:
        column = header[index].strip()
    elif len(header) == 1 and not EMAIL.match(header[0].strip()):
        index, column = 0, header[0].strip()  # the only column, under another name
    elif len(header) == 1:
        index, header_line = 0, 0  # a file of emails alone: its first line is data
    else:
        shown = ", ".join(repr(c.strip()) for c in header)
        raise ValidationError(
            f"line {header_line}: no column is named email (columns: {shown}); "
            "name the email column `email`, or give a file of one column"
        )
    return _collect(rows, index, header_line, column)


def _collect(
    rows: list[tuple[int, list[str]]], index: int, header_line: int, column: str | None
) -> EmailList:
    emails: dict[str, str] = {}
    problems: list[Problem] = []
    duplicates = 0
    for line, cells in rows:
        if line <= header_line:
            continue
        if not any(cell.strip() for cell in cells):
            problems.append(Problem(line, "blank line"))
            continue
        value = cells[index].strip() if index < len(cells) else ""
        if not value:
            problems.append(Problem(line, "no email in this line"))
        elif not EMAIL.match(value):
            problems.append(Problem(line, "not an email address", value))
        elif value.casefold() in emails:
            duplicates += 1
        else:
            emails[value.casefold()] = value
    blank = all(problem.reason == "blank line" for problem in problems)
    if not emails and not duplicates and blank:  # a header alone: nothing was read
        raise ValidationError(
            f"the file holds no email: its one line, {column!r}, was read as the column's name"
        )
    return EmailList(list(emails.values()), problems, duplicates, column)


def _delimiter(text: str) -> str:
    """The delimiter that splits the first non-blank line into the most columns (`,` on ties)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: len(next(csv.reader([first], delimiter=d), [])) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: (counts[d], -DELIMITERS.index(d)))
