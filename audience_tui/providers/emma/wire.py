"""Emma's JSON documents read into the core models, defensively.

Every function takes the request label it reports in errors: a document of the wrong shape
becomes InvalidResponseError naming the request, never a KeyError escaping to the screen.
Emma's quirks handled here: `@D:`-prefixed timestamps without a zone (read as UTC), ids beyond
int32 (kept as strings), bare literals (`true`, a count) as whole answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ...core.errors import InvalidResponseError
from ...core.models import (
    Audience,
    FieldSpec,
    FieldType,
    ImportJob,
    ImportRowError,
    ImportState,
    Member,
    MemberStatus,
)
from ...core.platforms import title as platform_title
from ..wire import expect, parse_timestamp

PLATFORM = platform_title("emma")
STATUS_CODES: Mapping[str, MemberStatus] = {
    "a": MemberStatus.ACTIVE,
    "active": MemberStatus.ACTIVE,
    "o": MemberStatus.OPTED_OUT,
    "opt-out": MemberStatus.OPTED_OUT,
    "optout": MemberStatus.OPTED_OUT,
    "e": MemberStatus.ERROR,
    "error": MemberStatus.ERROR,
    "f": MemberStatus.PENDING,  # forwarded: received a forward, never subscribed
    "forwarded": MemberStatus.PENDING,
}
STATUS_LABELS: Mapping[str, str] = {"a": "Active", "o": "Opt-out", "e": "Error"}
COUNT_KEYS: Mapping[str, str] = {"a": "active_count", "o": "optout_count", "e": "error_count"}
WIDGET_TYPES: Mapping[str, FieldType] = {
    "select one": FieldType.CHOICE,
    "radio": FieldType.CHOICE,
    "select multiple": FieldType.MULTI,
    "check_multiple": FieldType.MULTI,
    "checkbox": FieldType.BOOLEAN,
    "date": FieldType.DATE,
    "number": FieldType.NUMBER,
}
FIELD_TYPES: Mapping[str, FieldType] = {
    "numeric": FieldType.NUMBER,
    "boolean": FieldType.BOOLEAN,
    "date": FieldType.DATE,
    "timestamp": FieldType.DATE,
    "text[]": FieldType.MULTI,
}
IMPORT_STATES: Mapping[str, ImportState] = {
    "o": ImportState.FINISHED,
    "e": ImportState.FAILED,
    "q": ImportState.QUEUED,
}
REJECTED = "r"  # change_type of a row the import refused
# What an import did to a member, by change_type (the Emma API reference and its clients)
CHANGE_TYPES: Mapping[str, str] = {
    "a": "added",
    "c": "confirmed",
    "d": "deleted",
    "n": "undeleted",
    "u": "updated",
    "r": "update rejected",
    "s": "signed up",
    "t": "status changed",
}


def object_list(body: Any, label: str, what: str) -> list[Mapping[str, Any]]:
    """A JSON array of objects (a list answer)."""
    items: list[Mapping[str, Any]] = expect(body, list, what=what, request=label, platform=PLATFORM)
    for item in items:
        expect(item, dict, what=f"an item of {what}", request=label, platform=PLATFORM)
    return items


def parse_count(body: Any, label: str) -> int:
    """The bare integer a list call answers with `count=true`."""
    if isinstance(body, str) and body.strip().isdigit():
        return int(body)
    count: int = expect(body, int, what="the count", request=label, platform=PLATFORM)
    return count


def emma_timestamp(value: Any) -> datetime | None:
    """`@D:2010-11-12T11:23:45` (or ISO-8601, as newer endpoints write); zoneless read as UTC."""
    text = value.removeprefix("@D:") if isinstance(value, str) else value
    return parse_timestamp(text, zoneless_is_utc=True)


def ident(doc: Mapping[str, Any], key: str, label: str) -> str:
    """An id as a string (ids exceed int32; some clients receive them quoted)."""
    value = doc.get(key)
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise InvalidResponseError.unexpected(
            f"{key} is missing or not an id", platform=PLATFORM, request=label
        )
    return str(value)


def _field_value(value: Any) -> Any:
    """A custom field value for Member.fields: `@D:` dates as ISO text, lists as str lists."""
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    if isinstance(value, str) and value.startswith("@D:"):
        text = value.removeprefix("@D:")
        return text.removesuffix("T00:00:00")
    if isinstance(value, dict):
        return str(value)
    return value


def parse_member(doc: Any, label: str, audience_id: str | None = None) -> Member:
    doc = expect(doc, dict, what="the member", request=label, platform=PLATFORM)
    custom = doc.get("fields") or {}
    custom = expect(custom, dict, what="the member's fields", request=label, platform=PLATFORM)
    email = doc.get("email")
    email = email if isinstance(email, str) else None
    code = doc.get("member_status_id") or doc.get("status") or ""
    code = code if isinstance(code, str) else ""
    status = STATUS_CODES.get(code.lower(), MemberStatus.ERROR)
    if doc.get("deleted_at"):
        status = MemberStatus.DELETED
    created = emma_timestamp(doc.get("member_since"))
    fields: dict[str, Any] = {str(k): _field_value(v) for k, v in custom.items()}
    fields.update(
        email=email,
        status=code[:1].lower() if code else None,
        member_since=created.date().isoformat() if created else None,
    )
    name = " ".join(
        str(custom[k]).strip() for k in ("first_name", "last_name") if custom.get(k)
    ).strip()
    word = doc.get("status")
    return Member(
        id=ident(doc, "member_id", label),
        email=email,
        status=status,
        audience_id=audience_id,
        name=name or None,
        platform_status=word if isinstance(word, str) else code,
        created_at=created,
        updated_at=emma_timestamp(doc.get("last_modified_at")),
        fields=fields,
        raw=doc,
    )


def group_counts(doc: Mapping[str, Any], label: str) -> dict[str, int]:
    """Status code -> members, from a group's active/optout/error counts."""
    return {
        code: expect(
            doc.get(key, 0), int, what=f"the group's {key}", request=label, platform=PLATFORM
        )
        for code, key in COUNT_KEYS.items()
    }


def parse_group(doc: Any, label: str) -> Audience:
    doc = expect(doc, dict, what="the group", request=label, platform=PLATFORM)
    counts = group_counts(doc, label)
    name = doc.get("group_name")
    return Audience(
        id=ident(doc, "member_group_id", label),
        name=name if isinstance(name, str) else "(unnamed group)",
        member_count=sum(counts.values()),
        kind="group",
        extra={COUNT_KEYS[code]: n for code, n in counts.items()}
        | {"group_type": doc.get("group_type")},
    )


def parse_field(doc: Any, label: str) -> FieldSpec:
    doc = expect(doc, dict, what="the field", request=label, platform=PLATFORM)
    name = doc.get("shortcut_name")
    if not isinstance(name, str) or not name:
        raise InvalidResponseError.unexpected(
            "a field has no shortcut_name", platform=PLATFORM, request=label
        )
    widget = str(doc.get("widget_type") or "").lower()
    kind = WIDGET_TYPES.get(widget) or FIELD_TYPES.get(str(doc.get("field_type") or "").lower())
    kind = kind or FieldType.TEXT
    options = None
    if kind in (FieldType.CHOICE, FieldType.MULTI):
        listed = doc.get("options") or []
        listed = expect(
            listed, list, what=f"the options of field {name}", request=label, platform=PLATFORM
        )
        options = {str(o): str(o) for o in listed if o is not None}
    label_text = doc.get("display_name")
    return FieldSpec(
        name=name,
        label=label_text if isinstance(label_text, str) and label_text else name,
        type=kind,
        options=options,
        builtin=False,
    )


def parse_import(
    doc: Any, label: str, rows: Sequence[Mapping[str, Any]] | None = None
) -> ImportJob:
    """An import record, with its member rows (`/imports/{id}/members`) when read."""
    doc = expect(doc, dict, what="the import", request=label, platform=PLATFORM)
    finished_at = emma_timestamp(doc.get("import_finished"))
    code = doc.get("status")
    if isinstance(code, str) and code.lower() in IMPORT_STATES:
        state = IMPORT_STATES[code.lower()]
    else:  # null while running; a finish time without a status reads as done
        state = ImportState.FINISHED if finished_at else ImportState.RUNNING
    counters = {
        key: expect(doc.get(key) or 0, int, what=key, request=label, platform=PLATFORM)
        for key in ("num_members_added", "num_members_updated", "num_skipped", "num_duplicates")
    }
    row_errors = [
        ImportRowError(
            row=str(row.get("email") or row.get("member_id") or "?"),
            message=str(row.get("error") or "rejected by Emma (change type r)"),
        )
        for row in rows or ()
        if row.get("change_type") == REJECTED
    ]
    groups = doc.get("groups_updated") or []
    first_group = groups[0] if isinstance(groups, list) and groups else None
    if isinstance(first_group, dict):
        first_group = first_group.get("member_group_id")
    message = doc.get("error_message")
    notes = [message] if isinstance(message, str) and message else []
    if counters["num_duplicates"]:
        notes.append(f"{counters['num_duplicates']} duplicate rows ignored")
    return ImportJob(
        id=ident(doc, "import_id", label),
        state=state,
        audience_id=str(first_group) if first_group is not None else None,
        started_at=emma_timestamp(doc.get("import_started")),
        finished_at=finished_at,
        added=counters["num_members_added"],
        updated=counters["num_members_updated"],
        skipped=counters["num_skipped"],
        errors=len(row_errors) if rows is not None else None,
        row_errors=row_errors,
        note="; ".join(notes),
    )
