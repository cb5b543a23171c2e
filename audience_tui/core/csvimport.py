"""Reading a CSV for import: delimiter, header, column mapping and row validation, before sending.

Nothing is sent until the user has seen which rows will be imported and which are rejected and
why. A file that cannot be read as CSV gets one clear message, never a traceback.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ValidationError
from .filters import coerce
from .models import Condition, FieldSpec, FieldType
from .session import EMAIL

MAX_BYTES = 50 * 1024 * 1024
DELIMITERS = ",;|\t"
EMAIL_FIELDS = ("email", "e-mail", "email_address", "mail")


@dataclass(frozen=True, slots=True)
class CsvTable:
    header: list[str]
    rows: list[list[str]]
    delimiter: str
    notes: tuple[str, ...] = ()  # what the user should know before importing (encoding)
    lines: list[int] = field(default_factory=list)  # where each row starts in the file


@dataclass(frozen=True, slots=True)
class RejectedRow:
    line: int  # 1-based line in the file
    reason: str


@dataclass(frozen=True, slots=True)
class ImportPlan:
    mapping: Mapping[str, str]  # CSV column -> field name
    rows: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)


def read_csv(source: Path | str) -> CsvTable:
    """The CSV at `source` (a path, or the text itself when it contains a newline)."""
    if isinstance(source, Path):
        try:
            size = source.stat().st_size
            if size > MAX_BYTES:
                raise ValidationError(
                    f"{source} is {size // 1_048_576} MB; split it into files under "
                    f"{MAX_BYTES // 1_048_576} MB"
                )
            raw = source.read_bytes()
        except OSError as exc:  # missing, a folder, or no permission
            raise ValidationError(f"cannot read {source}: {exc.strerror}") from None
        text, notes = decode(raw)
    else:
        text, notes = source, ()
    if not text.strip():
        raise ValidationError("the file is empty: nothing to import")
    if "\x00" in text:
        raise ValidationError("the file is not CSV text (it holds binary data)")
    sample = text[:20000]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","
    records = [
        (line, row) for line, row in csv_records(text, delimiter) if any(map(str.strip, row))
    ]
    header = [cell.strip() for cell in records[0][1]] if records else []
    if not any(header):
        raise ValidationError("the first line should name the columns (e.g. email,firstname)")
    rows = [row for _, row in records[1:]]
    return CsvTable(header, rows, delimiter, notes, [line for line, _ in records[1:]])


def csv_records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(the line where each record starts, its cells); a quoted value may span lines.

    Read strictly: a quote opened and never closed took every line after it into one value
    (a file of 10,000 rows read as 3, the rest neither sent nor refused by name); now it is an
    error naming the line where the quote opens, and so is text after a closing quote."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise ValidationError(
                f'line {start}: a value there opens a quote (") that is never closed, so every '
                "line after it would be read as that one value; close or remove the quote"
            ) from None
        raise ValidationError(f"line {reader.line_num}: not valid CSV ({exc})") from None


def decode(raw: bytes) -> tuple[str, tuple[str, ...]]:
    """The file's text, and a note when it is not consistently encoded.

    UTF-8 (with or without a byte-order mark) is read as is; a file UTF-8 cannot read is read
    line by line: each line UTF-8 where it can be, else Windows-1252 (what spreadsheets write
    in Western Europe). A file holding both (lines pasted together from two exports) would
    otherwise be read whole as Windows-1252 and import its UTF-8 names as mojibake ("Ã¸" for
    "ø"); its Windows-1252 lines are named so the user can check them.
    """
    try:
        return raw.decode("utf-8-sig"), ()
    except UnicodeDecodeError:
        pass
    lines = raw.removeprefix(b"\xef\xbb\xbf").splitlines(keepends=True)
    texts: list[str] = []
    legacy: list[int] = []
    utf8 = False
    for number, line in enumerate(lines, 1):
        try:
            texts.append(line.decode("utf-8"))
            utf8 = utf8 or not line.isascii()
        except UnicodeDecodeError:
            texts.append(line.decode("cp1252", errors="replace"))
            legacy.append(number)
    if not utf8:
        return "".join(texts), ()  # consistently Windows-1252
    shown = ", ".join(map(str, legacy[:20])) + (" ..." if len(legacy) > 20 else "")
    note = (
        f"the file mixes encodings: line(s) {shown} are not UTF-8 and were read as "
        "Windows-1252, the others as UTF-8; check their names, or save the file as UTF-8"
    )
    return "".join(texts), (note,)


def _bare(name: str) -> str:
    """A name without case, spaces, `_`, `-` or `.`: `first_name` and `First Name` are alike."""
    return re.sub(r"[\s_.-]+", "", name.casefold())


def guess_mapping(header: Sequence[str], fields: Sequence[FieldSpec]) -> dict[str, str]:
    """Columns matched to fields by name or label, case-insensitively; email synonyms included.
    A column matching none is matched once more without spaces and punctuation (a file's
    `first_name` for Heyloyalty's `firstname`), onto a field no other column has taken."""
    by_key: dict[str, str] = {}
    bare: dict[str, str] = {}
    for spec in fields:
        by_key.setdefault(spec.label.casefold(), spec.name)
        by_key[spec.name.casefold()] = spec.name
        bare.setdefault(_bare(spec.label), spec.name)
        bare[_bare(spec.name)] = spec.name
    email_field = next((s.name for s in fields if s.name.casefold() in EMAIL_FIELDS), "email")
    mapping = {}
    for column in header:
        key = column.strip().casefold()
        if key in by_key:
            mapping[column] = by_key[key]
        elif key in EMAIL_FIELDS:
            mapping[column] = email_field
    for column in header:
        field = bare.get(_bare(column))
        if column not in mapping and field is not None and field not in mapping.values():
            mapping[column] = field
    return mapping


def mapping_with(
    header: Sequence[str], fields: Sequence[FieldSpec], chosen: Mapping[str, str]
) -> dict[str, str]:
    """The columns matched by name, with the `chosen` ones added (or overriding them): a column
    the user mapped never switches the matching off for the others. A field claimed by a chosen
    column is no longer filled from the column that matched it by name."""
    missing = [column for column in chosen if column not in header]
    if missing:
        raise ValidationError(
            f"no column {', '.join(map(repr, missing))} in the file; columns are: "
            f"{', '.join(header)}"
        )
    claimed = set(chosen.values())
    guessed = guess_mapping(header, fields)
    mapping = {}
    for column in header:  # in the file's order, as guess_mapping gives it
        if column in chosen:
            mapping[column] = chosen[column]
        elif column in guessed and guessed[column] not in claimed:
            mapping[column] = guessed[column]
    return mapping


def plan_import(
    table: CsvTable, fields: Sequence[FieldSpec], mapping: Mapping[str, str] | None = None
) -> ImportPlan:
    """Rows ready to send (values checked by field type) and the rows refused, with reasons."""
    specs = {s.name: s for s in fields}
    mapping = dict(mapping) if mapping is not None else guess_mapping(table.header, fields)
    unknown = [f for f in mapping.values() if f not in specs and f.casefold() not in EMAIL_FIELDS]
    if unknown:
        raise ValidationError(f"no such field in this list: {', '.join(unknown)}")
    if not any(f.casefold() in EMAIL_FIELDS for f in mapping.values()):
        raise ValidationError(
            f"no column holds the email; columns are: {', '.join(table.header)} "
            f"(the delimiter looked like {table.delimiter!r})"
        )
    index = {column: i for i, column in enumerate(table.header)}
    rows: list[dict[str, Any]] = []
    rejected: list[RejectedRow] = []
    seen: set[str] = set()
    for number, record in zip(table.lines, table.rows, strict=True):
        try:
            row = _row(record, mapping, index, specs)
        except ValidationError as exc:
            rejected.append(RejectedRow(number, exc.detail))
            continue
        email = next(str(v) for k, v in row.items() if k.casefold() in EMAIL_FIELDS).casefold()
        if email in seen:
            rejected.append(RejectedRow(number, f"{email} appears earlier in the file"))
            continue
        seen.add(email)
        rows.append(row)
    unmapped = [c for c in table.header if c not in mapping]
    return ImportPlan(mapping, rows, rejected, unmapped)


def _row(
    record: Sequence[str],
    mapping: Mapping[str, str],
    index: Mapping[str, int],
    specs: Mapping[str, FieldSpec],
) -> dict[str, Any]:
    if len(record) > len(index):
        raise ValidationError(f"{len(record)} values but {len(index)} columns")
    row: dict[str, Any] = {}
    for column, name in mapping.items():
        position = index[column]
        value = record[position].strip() if position < len(record) else ""
        if name.casefold() in EMAIL_FIELDS:
            if not EMAIL.match(value):
                raise ValidationError(
                    f"{value!r} is not an email address" if value else "the email is missing"
                )
            row[name] = value
            continue
        if not value:
            continue
        spec = specs[name]
        op = "in" if spec.type is FieldType.MULTI else "eq"
        raw: Any = [v.strip() for v in value.split("|")] if op == "in" else value
        row[name] = coerce(Condition(name, op, raw), spec).value
    return row
