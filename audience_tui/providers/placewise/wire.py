"""Placewise documents -> core models, defensively: a wrong shape is InvalidResponseError.

Status mapping (Placewise has no single member status; it is read from the email channel):
- `email_status` hard_bounced -> ERROR;
- `email_marketing` consent false, or `email_status` disabled (email_enabled false) -> OPTED_OUT;
- no `email_marketing` consent recorded (never answered) -> PENDING;
- otherwise -> ACTIVE (email enabled or verified, consent given: `marketing_via_email` true).
Deleted members are gone (404), so DELETED never appears.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from ...core.errors import InvalidResponseError
from ...core.models import (
    Audience,
    Bucket,
    ImportJob,
    ImportRowError,
    ImportState,
    Member,
    MemberStatus,
    TimePoint,
    TimeSeries,
)
from ..wire import expect, object_or_empty, parse_timestamp
from .fields import AGE_BANDS, SPECS, TITLE

BULK_STATES = {
    "waiting": ImportState.QUEUED,
    "working": ImportState.RUNNING,
    "waiting_for_retry": ImportState.RUNNING,
    "finished": ImportState.FINISHED,
    "failed": ImportState.FAILED,
}
ENABLED = ("enabled", "verified")
REPORT_SCALARS = (
    "optin_channel",
    "optin_subchannel",
    "optin_platform",
    "gender",
    "age",
    "birth_year_group",
    "marketing_via_sms",
    "marketing_via_email",
    "marketing_via_push",
    "marketing_via_anything",
    "sms_status",
    "email_status",
    "push_status",
    "location_country",
    "city_place_id",
    "place_id",
    "created_at",
    "updated_at",
)


def _count(value: Any, what: str, label: str) -> int:
    number = expect(value, int, what=what, request=label, platform=TITLE)
    if number < 0:
        raise InvalidResponseError.unexpected(f"{what} is negative", platform=TITLE, request=label)
    return number


_SCALARS = frozenset({str, int, float, bool})


def _scalar(value: Any) -> Any:
    """A field value as the app shows it: scalars kept, anything else (lists, objects) dropped."""
    return value if type(value) in _SCALARS else None


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value if _scalar(v) is not None] if isinstance(value, list) else []


def member_status(email_status: Any, email_consent: bool | None) -> MemberStatus:
    if email_status == "hard_bounced":
        return MemberStatus.ERROR
    if email_consent is False or email_status == "disabled":
        return MemberStatus.OPTED_OUT
    return MemberStatus.PENDING if email_consent is None else MemberStatus.ACTIVE


def _consent_flags(doc: Any, label: str) -> dict[str, bool | None]:
    """{slug: status}; management documents nest {"status": bool}, reports give bare bools."""
    consents = expect(
        doc if doc is not None else {}, dict, what="consents", request=label, platform=TITLE
    )
    flags: dict[str, bool | None] = {}
    for slug, value in consents.items():
        status = value.get("status") if isinstance(value, dict) else value
        flags[str(slug)] = status if isinstance(status, bool) else None
    return flags


def _member(
    doc: Mapping[str, Any], fields: dict[str, Any], flags: Mapping[str, bool | None], **kw: Any
) -> Member:
    fields["consents"] = [slug for slug, given in flags.items() if given]
    email_status = fields.get("email_status")
    consent = flags.get("email_marketing")
    return Member(
        id=str(doc["id"]),
        status=member_status(email_status, consent),
        platform_status=f"email {email_status or 'unknown'}, email_marketing "
        + {True: "given", False: "withdrawn", None: "not answered"}[consent],
        created_at=parse_timestamp(doc.get("created_at"), zoneless_is_utc=True),
        updated_at=parse_timestamp(doc.get("updated_at"), zoneless_is_utc=True),
        fields=fields,
        raw=doc,
        **kw,
    )


def _checked_id(doc: Any, what: str, label: str) -> dict[str, Any]:
    checked: dict[str, Any] = expect(doc, dict, what=what, request=label, platform=TITLE)
    if not isinstance(checked.get("id"), int | str) or isinstance(checked.get("id"), bool):
        raise InvalidResponseError.unexpected(f"{what} has no id", platform=TITLE, request=label)
    return checked


def _age(birthday: Any, today: date) -> tuple[str | None, int | None]:
    try:
        born = date.fromisoformat(str(birthday)[:10])
    except ValueError:
        return None, None
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    band = AGE_BANDS[0 if age <= 14 else min(len(AGE_BANDS) - 1, (age - 15) // 5 + 1)]
    return band, born.year - born.year % 5


def parse_member(doc: Any, slug: str, label: str) -> Member:
    """A management API Member (personal data included); analytical fields derived as the
    Reporting API defines them (age band, birth year group, marketing_via_*)."""
    doc = _checked_id(doc, "member", label)
    properties = expect(
        doc.get("properties") or {}, dict, what="member properties", request=label, platform=TITLE
    )
    flags = _consent_flags(doc.get("consents"), label)
    fields: dict[str, Any] = {
        str(k): _scalar(v) for k, v in properties.items() if k not in ("interests",)
    }
    fields["interests"] = _strings(properties.get("interests"))
    for key in ("optin_channel", "optin_subchannel", "sms_status", "email_status", "push_status"):
        fields[key] = _scalar(doc.get(key))
    fields["created_at"], fields["updated_at"] = doc.get("created_at"), doc.get("updated_at")
    if fields.get("birthday"):
        fields["age"], fields["birth_year_group"] = _age(fields["birthday"], date.today())
    via = {
        "marketing_via_email": fields["email_status"] in ENABLED and flags.get("email_marketing"),
        "marketing_via_sms": fields["sms_status"] in ENABLED and flags.get("sms_marketing"),
        "marketing_via_push": fields["push_status"] == "enabled",
    }
    fields.update({k: bool(v) for k, v in via.items()})
    fields["marketing_via_anything"] = any(via.values())
    email = _scalar(properties.get("email"))
    name = " ".join(str(properties[k]) for k in ("first_name", "last_name") if properties.get(k))
    return _member(
        doc,
        fields,
        flags,
        email=str(email) if email is not None else None,
        name=name or None,
        audience_id=slug,
    )


def parse_record(doc: Any, slug: str, label: str) -> Member:
    """A `members` report record: analytical fields only. The Reporting API removes personal
    data, so email and name are None; the member's id opens the full record."""
    doc = _checked_id(doc, "report record", label)
    properties = doc.get("properties") if isinstance(doc.get("properties"), dict) else {}
    fields = {key: _scalar(doc.get(key)) for key in REPORT_SCALARS}
    fields["interests"] = _strings(properties.get("interests"))
    return _member(
        doc, fields, _consent_flags(doc.get("consents"), label), email=None, audience_id=slug
    )


def pagination_total(doc: Any, label: str) -> int:
    info = expect(
        expect(doc, dict, what="answer", request=label, platform=TITLE).get("pagination_info"),
        dict,
        what="pagination_info",
        request=label,
        platform=TITLE,
    )
    return _count(info.get("total_count"), "pagination_info.total_count", label)


def listed(doc: Any, key: str, label: str) -> list[Any]:
    """The list under `key` of a management API answer ({"members": [...], ...})."""
    return expect(
        expect(doc, dict, what="answer", request=label, platform=TITLE).get(key),
        list,
        what=key,
        request=label,
        platform=TITLE,
    )


def parse_club(doc: Any, label: str) -> Audience:
    doc = expect(doc, dict, what="loyalty club", request=label, platform=TITLE)
    slug, name = doc.get("main_slug"), doc.get("name")
    if not isinstance(slug, str) or not slug or not isinstance(name, str):
        raise InvalidResponseError.unexpected(
            "loyalty club without main_slug or name", platform=TITLE, request=label
        )
    extra = {
        k: _scalar(doc.get(k))
        for k in ("id", "community_id", "customer_id", "country", "timezone", "short_slug")
    }
    return Audience(id=slug, name=name, kind="loyalty club", extra=extra)


def _report(doc: Any, result_type: str, label: str) -> dict[str, Any]:
    """A Reporting API answer of the `result_type` asked for (records, timeseries)."""
    report = expect(doc, dict, what=f"the {result_type} report", request=label, platform=TITLE)
    if report.get("result_type", result_type) != result_type:
        raise InvalidResponseError.unexpected(
            f"result_type {report.get('result_type')!r}, expected {result_type}",
            platform=TITLE,
            request=label,
        )
    return report


def parse_records(doc: Any, label: str) -> tuple[list[Any], str | None]:
    """(records, next_page_info) of a records report; the cursor is None on the last page."""
    doc = _report(doc, "records", label)
    records = expect(doc.get("records"), list, what="records", request=label, platform=TITLE)
    pagination = expect(
        doc.get("pagination") or {}, dict, what="pagination", request=label, platform=TITLE
    )
    cursor = pagination.get("next_page_info")
    if cursor is not None and not isinstance(cursor, str):
        raise InvalidResponseError.unexpected(
            "next_page_info is not a string", platform=TITLE, request=label
        )
    return records, cursor or None


def _typed(field: str, value: Any) -> Any:
    """grouping_value strings back to the field's value type (bools, place ids)."""
    if not isinstance(value, str):
        return value
    if field == "marketing_via_anything":
        return {"true": True, "false": False}.get(value, value)
    if field in ("place_id", "city_place_id") and value.isdigit():
        return int(value)
    return value


def grouped_buckets(
    records: list[Any], field: str, grouping: str, keys: tuple[str, ...], label: str
) -> list[Bucket]:
    """Buckets from grouped rows of either shape: {"grouping_value": ...} (members_grouped_count)
    or the report's own keys ({"gender": ...}, {"consent_key", "consent_value"}, ...)."""
    totals: dict[Any, int] = {}
    for row in records:
        row = expect(row, dict, what="grouped row", request=label, platform=TITLE)
        count = _count(row.get("members_count"), "members_count", label)
        if "grouping_value" in row:
            value: Any = row["grouping_value"]
            if grouping == "consent" and isinstance(value, str):
                slug, _, given = value.rpartition(":")
                value = (slug, given == "true")
        else:
            parts = tuple(row.get(k) for k in keys)
            value = parts if len(parts) > 1 else parts[0]
        if grouping == "consent":  # a member counts under each consent they have given
            if not (isinstance(value, tuple | list) and len(value) == 2 and value[1] is True):
                continue
            value = value[0]
        elif grouping == "location" and isinstance(value, tuple):
            value = " / ".join(str(v) for v in value if v) or None
        value = _typed(field, _scalar(value))
        totals[value] = totals.get(value, 0) + count
    spec = SPECS.get(field)
    options = (spec.options if spec else None) or {}

    def name(value: Any) -> str:
        if value is None:
            return "(not set)"
        if isinstance(value, bool):
            return "yes" if value else "no"
        return options.get(str(value), str(value))

    ordered = sorted(totals.items(), key=lambda kv: (-kv[1], name(kv[0])))
    return [Bucket(name(value), count, value) for value, count in ordered]


def parse_timeseries(doc: Any, report: str, label: str) -> TimeSeries:
    doc = _report(doc, "timeseries", label)
    moments = [
        parse_timestamp(t, zoneless_is_utc=True)
        for t in expect(
            doc.get("time_buckets"), list, what="time_buckets", request=label, platform=TITLE
        )
    ]
    if None in moments:
        raise InvalidResponseError.unexpected(
            "a time bucket is not an ISO 8601 timestamp", platform=TITLE, request=label
        )
    names, columns = [], []
    for entry in expect(doc.get("series"), list, what="series", request=label, platform=TITLE):
        entry = expect(entry, dict, what="series entry", request=label, platform=TITLE)
        labels = object_or_empty(entry.get("label"))
        values = expect(
            entry.get("values"), list, what="series values", request=label, platform=TITLE
        )
        if len(values) != len(moments) or not all(
            v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in values
        ):
            raise InvalidResponseError.unexpected(
                "series values do not match the time buckets", platform=TITLE, request=label
            )
        names.append("/".join(str(v) for v in labels.values()) or "members")
        columns.append(values)
    points = [
        TimePoint(at, {n: col[i] for n, col in zip(names, columns, strict=True)})
        for i, at in enumerate(moments)
        if at is not None
    ]
    return TimeSeries(report, str(doc.get("interval") or ""), points, names)


def _row_errors(doc: Mapping[str, Any], label: str) -> list[ImportRowError]:
    found = expect(
        doc.get("members_errors") or {}, dict, what="members_errors", request=label, platform=TITLE
    )
    out = []
    for identifier, errors in found.items():
        items = errors if isinstance(errors, list) else [errors]
        message = "; ".join(
            f"{e.get('property', '')}: {e.get('error') or e.get('message')}"
            if isinstance(e, dict)
            else str(e)
            for e in items
        )
        out.append(ImportRowError(str(identifier), message))
    return out


def _counts(doc: Mapping[str, Any], payload_key: str, label: str) -> dict[str, int | None]:
    def number(key: str) -> int | None:
        return None if doc.get(key) is None else _count(doc.get(key), key, label)

    return {
        "submitted": number(payload_key),
        "added": number("members_created_number"),
        "updated": number("members_updated_number"),
        "errors": number("members_with_validation_errors_number"),
    }


def bulk_state(doc: Mapping[str, Any], label: str) -> ImportState:
    if doc.get("status") not in BULK_STATES:
        raise InvalidResponseError.unexpected(
            f"unknown bulk status {doc.get('status')!r}", platform=TITLE, request=label
        )
    return BULK_STATES[doc["status"]]


def parse_bulk(doc: Any, slug: str, label: str) -> ImportJob:
    """One bulk (`.../imports/{id}/bulks/{bulk_id}`, or its summary in the import's list)."""
    doc = _checked_id(doc, "bulk", label)
    state = bulk_state(doc, label)
    # The platform's own word only where the state shown beside it says something else
    # ("waiting_for_retry" is running): "bulk 1, status finished finished" said it twice.
    word = "" if doc["status"] == state.value else f", status {doc['status']}"
    return ImportJob(
        id=str(doc["id"]),
        state=state,
        audience_id=slug,
        started_at=parse_timestamp(doc.get("created_at"), zoneless_is_utc=True),
        row_errors=_row_errors(doc, label),
        note=f"bulk {doc.get('request_number', '?')}{word}",
        **_counts(doc, "members_in_payload_number", label),  # type: ignore[arg-type]  # counts
    )


def overall_state(parts: list[ImportJob]) -> ImportState:
    states = {part.state for part in parts}
    if not states or states == {ImportState.QUEUED}:
        return ImportState.QUEUED
    if states <= {ImportState.FINISHED, ImportState.FAILED}:
        return ImportState.FAILED if ImportState.FAILED in states else ImportState.FINISHED
    return ImportState.RUNNING


def parse_import(
    doc: Any, import_id: str, slug: str, parts: list[ImportJob], note: str, label: str
) -> ImportJob:
    doc = expect(doc, dict, what="import", request=label, platform=TITLE)
    return ImportJob(
        id=import_id,
        state=overall_state(parts),
        audience_id=slug,
        started_at=parse_timestamp(doc.get("created_at"), zoneless_is_utc=True),
        row_errors=[error for part in parts for error in part.row_errors],
        note=note,
        parts=parts,
        **_counts(doc, "members_in_payloads_number", label),  # type: ignore[arg-type]  # counts
    )
