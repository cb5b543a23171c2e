"""The platform-neutral vocabulary every adapter speaks and every screen reads.

Adapters translate their platform's documents into these types; nothing above `core/` ever sees a
platform's raw JSON except through `Member.raw` (kept so the detail screen can show every field).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal


class FieldType(StrEnum):
    """Value kinds, after Heyloyalty's field formats (the richest of the five)."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    MULTI = "multi"


class MemberStatus(StrEnum):
    """One status scale for all platforms; the platform word stays in `Member.platform_status`."""

    ACTIVE = "active"
    OPTED_OUT = "opted_out"
    PENDING = "pending"
    ERROR = "error"
    DELETED = "deleted"
    UNKNOWN = "unknown"  # the platform did not say (e.g. a Kajabi contact without `subscribed`)


# The filter vocabulary of design.md: Heyloyalty's operator names.
OPERATORS: tuple[str, ...] = (
    "eq",
    "neq",
    "sw",
    "ew",
    "ct",
    "nct",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
    "nin",
    "ina",
    "ie",
    "nie",
)
OPERATOR_LABELS: Mapping[str, str] = {
    "eq": "equals",
    "neq": "does not equal",
    "sw": "starts with",
    "ew": "ends with",
    "ct": "contains",
    "nct": "does not contain",
    "gt": "greater than",
    "gte": "at least",
    "lt": "less than",
    "lte": "at most",
    "in": "is one of",
    "nin": "is none of",
    "ina": "has all of",
    "ie": "is empty",
    "nie": "is not empty",
}
# Operators that take no value, and those that take a list of values.
UNARY_OPERATORS = frozenset({"ie", "nie"})
LIST_OPERATORS = frozenset({"in", "nin", "ina"})

# Which operators make sense for which kind of field (Heyloyalty's "applies to" column).
OPERATORS_BY_TYPE: Mapping[FieldType, frozenset[str]] = {
    FieldType.TEXT: frozenset({"eq", "neq", "sw", "ew", "ct", "nct", "ie", "nie"}),
    FieldType.NUMBER: frozenset({"eq", "neq", "gt", "gte", "lt", "lte", "ie", "nie"}),
    FieldType.DATE: frozenset({"eq", "neq", "gt", "gte", "lt", "lte", "ie", "nie"}),
    FieldType.BOOLEAN: frozenset({"eq", "neq", "ie", "nie"}),
    FieldType.CHOICE: frozenset({"eq", "neq", "in", "nin", "ie", "nie"}),
    FieldType.MULTI: frozenset({"in", "nin", "ina", "ie", "nie"}),
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A member field as the platform describes it, and what may be done with it there.

    `server_operators` are the operators the platform evaluates itself; anything else in
    OPERATORS_BY_TYPE[type] is evaluated by the app over pages (see core.filters.plan).
    `options` maps option id -> label for choice fields (ids are what the platform filters on).
    """

    name: str
    label: str
    type: FieldType = FieldType.TEXT
    options: Mapping[str, str] | None = None
    server_operators: frozenset[str] = frozenset()
    sortable: bool = False
    aggregatable: bool = False  # the platform can count members grouped by this field
    builtin: bool = True  # False for the account's custom fields

    @property
    def operators(self) -> frozenset[str]:
        return OPERATORS_BY_TYPE[self.type]


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    op: str
    value: Any = None  # a list for LIST_OPERATORS, None for UNARY_OPERATORS


@dataclass(frozen=True, slots=True)
class Filter:
    conditions: tuple[Condition, ...] = ()
    logic: Literal["and", "or"] = "and"

    def __bool__(self) -> bool:
        return bool(self.conditions)


@dataclass(frozen=True, slots=True)
class Sort:
    field: str
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Query:
    """What the user asked to see of an audience; `status` None: the platform default view."""

    filter: Filter = Filter()
    sort: Sort | None = None
    status: MemberStatus | None = None


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Offset paging uses `offset`; cursor paging uses `cursor` (None = first page).

    `fields`: the member fields the caller reads (a scan counting one field), None for all. An
    adapter may then parse only those (plus id, email and status); such members are partial,
    for counting, never shown. Adapters that ignore it return whole members.

    `raw`: False when the caller never reads `Member.raw` (a command writing rows out); an
    adapter may then leave the platform's document out. Adapters that ignore it keep it.
    """

    limit: int
    offset: int = 0
    cursor: str | None = None
    fields: frozenset[str] | None = None
    raw: bool = True


@dataclass(frozen=True, slots=True)
class Audience:
    """A list, group, club or site: whatever the platform calls the set of members."""

    id: str
    name: str
    member_count: int | None = None
    kind: str = "list"  # the platform's word: list, group, loyalty club, site
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    email: str | None
    status: MemberStatus
    audience_id: str | None = None
    name: str | None = None
    platform_status: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)  # flattened, field name -> value
    raw: Mapping[str, Any] = field(default_factory=dict)  # the platform's document, for detail


@dataclass(frozen=True, slots=True)
class Page:
    members: list[Member]
    offset: int = 0
    total: int | None = None  # None where the platform does not say
    next_cursor: str | None = None  # cursor paging: None on the last page
    has_more: bool = False


@dataclass(frozen=True, slots=True)
class Column:
    """One field's values over a page of members (see `Provider.column`), for a scan that counts
    them: each different value once, as `Member.fields` holds it, with how many of the page's
    `size` members hold it. A page of 5,000 members has a few hundred different values, so
    counting them costs no work per member. `first`: the id of the page's first member, by
    which a walk sees a platform answering the same page again (core.page_guard)."""

    values: list[Any]
    counts: list[int]
    size: int
    total: int | None = None
    next_cursor: str | None = None
    has_more: bool = False
    first: str | None = None

    @classmethod
    def of(cls, values: Iterable[Any], counts: Iterable[int] | None = None, **page: Any) -> Column:
        """The column of `values`, each held by `counts` members (one each by default), equal
        values merged; `page`: total, next_cursor, has_more, first."""
        grouped: Counter[tuple[type, Hashable]] = Counter()
        if counts is None:
            grouped.update(map(_key, values))
        else:
            for value, count in zip(values, counts, strict=True):
                grouped[_key(value)] += count
        return cls(
            [_value(key) for key in grouped], list(grouped.values()), grouped.total(), **page
        )


class _Alone:
    """A value that cannot be hashed (an object), counted on its own."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _key(value: Any) -> tuple[type, Hashable]:
    """A member's value as a Counter key: equal values share one, but True, 1 and 1.0 do not
    (what they count as may differ), nor do lists of them."""
    is_list = isinstance(value, list)
    frozen = (tuple(value), tuple(map(type, value))) if is_list else value
    try:
        hash(frozen)
    except TypeError:
        return _Alone, _Alone(value)
    return list if is_list else type(value), frozen


def _value(key: tuple[type, Any]) -> Any:
    kind, held = key
    if kind is _Alone:
        return held.value
    return list(held[0]) if kind is list else held


@dataclass(frozen=True, slots=True)
class Bucket:
    label: str
    count: int
    key: Any = None


@dataclass(frozen=True, slots=True)
class Aggregate:
    field: str
    buckets: list[Bucket]
    total: int | None = None
    source: Literal["server", "scan"] = "server"
    complete: bool = True
    scanned: int = 0


@dataclass(frozen=True, slots=True)
class TimePoint:
    at: datetime
    values: Mapping[str, float | None]


@dataclass(frozen=True, slots=True)
class TimeSeries:
    report: str
    interval: str
    points: list[TimePoint]
    series: list[str]


class ImportState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    UNTRACKED = "untracked"  # accepted, but the platform offers no way to follow it


@dataclass(frozen=True, slots=True)
class MemberImport:
    """An import that included one member, as the platform reports it (a subject-access report
    says where the person's data came from)."""

    import_id: str | None  # None: the platform says the member was imported, not by which import
    change: str  # what the import did to the member, in words
    started_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ImportRowError:
    row: str  # the identifier the platform reports (email, line number)
    message: str


@dataclass(frozen=True, slots=True)
class ImportJob:
    id: str
    state: ImportState
    audience_id: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    submitted: int | None = None
    added: int | None = None
    updated: int | None = None
    skipped: int | None = None
    errors: int | None = None
    row_errors: list[ImportRowError] = field(default_factory=list)
    note: str = ""  # what the platform does (not) report, in words for the user
    parts: list[ImportJob] = field(default_factory=list)  # Placewise bulks


@dataclass(frozen=True, slots=True)
class ImportRequest:
    """Rows already parsed and mapped to the audience's field names (see core.csvimport)."""

    audience: Audience
    rows: list[dict[str, Any]]
    source_filename: str = "import.csv"
    # An import never turns an opted-out member back to subscribed unless this is asked for
    # explicitly: without it, adapters leave out the rows of members opted out on the audience.
    resubscribe: bool = False
    # Emails (as `row_email` gives them) the preview already found opted out; None: ask again.
    opted_out: frozenset[str] | None = None
    # Mails the platform may send on import (Heyloyalty); off unless the user asks for them.
    trigger_optin: bool = False
    trigger_autoresponder: bool = False


def row_email(row: Mapping[str, Any]) -> str:
    """An import row's email as compared with the platform's: trimmed, casefolded ("" if none)."""
    email = row.get("email")
    return email.strip().casefold() if isinstance(email, str) else ""


Verdict = Literal["confirmed", "contradicted", "could not check"]
VERDICTS: tuple[Verdict, ...] = ("confirmed", "contradicted", "could not check")


@dataclass(frozen=True, slots=True)
class Check:
    """One assumption of an adapter, what a live account said of it (`Provider.probe`), and the
    evidence: counts, key names, status words, never a member's data."""

    assumption: str
    verdict: Verdict
    evidence: str


PagingKind = Literal["offset", "cursor"]
ImportKind = Literal["async", "sync", "untracked", "none"]


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a platform can do; screens read this and never ask which platform they talk to."""

    paging: PagingKind
    max_page_size: int
    totals_known: bool
    # A separate, explicit choice an opt-out can add on platforms that have one (Placewise:
    # disabling the email channel, which stops transactional mail too); "" where there is none.
    opt_out_channel: str = ""
    # "account": one opt-out reaches the member on every list of the account (Emma)
    opt_out_scope: Literal["membership", "account"] = "membership"
    filter_logic: frozenset[str] = frozenset({"and"})  # logic values the server evaluates
    server_aggregates: bool = False  # aggregate() answers server-side for aggregatable fields
    timeseries: tuple[str, ...] = ()  # report names for timeseries()
    imports: ImportKind = "none"
    import_max_rows: int | None = None  # rows per request the platform accepts
    # The mails an import may let the platform send (ImportRequest's trigger_* choices, off
    # unless asked for); () where the platform sends none on import.
    import_triggers: tuple[str, ...] = ()
    scan_concurrency: int = 4  # parallel page requests the platform tolerates
    statuses: tuple[MemberStatus, ...] = (MemberStatus.ACTIVE,)  # views the platform can list
    notes: tuple[str, ...] = ()  # honest caveats shown in `?` help and the README (assumptions)


@dataclass(frozen=True, slots=True)
class CredentialSpec:
    """One value an account of a platform needs; secrets go to the keyring, never to files."""

    key: str
    label: str
    secret: bool
    required: bool = True  # an optional setting (e.g. where Heyloyalty mails import errors)


@dataclass(frozen=True, slots=True)
class Account:
    """A named set of credentials for one platform. Secrets are not here: see core.accounts."""

    name: str
    platform: str
    base_url: str | None = None  # None: the platform's production host
    settings: Mapping[str, str] = field(default_factory=dict)  # the non-secret credential values
    demo: bool = False
