"""Emma's documented example payloads (seed 003, providers/emma.md) through the parsers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from audience_tui.core.errors import InvalidResponseError
from audience_tui.core.models import FieldType, ImportState, MemberStatus
from audience_tui.providers.emma.wire import (
    emma_timestamp,
    parse_count,
    parse_field,
    parse_group,
    parse_import,
    parse_member,
)

MEMBER = {
    "member_id": 200,
    "account_id": 100,
    "email": "emma@myemma.com",
    "status": "active",
    "member_status_id": "a",
    "fields": {"first_name": "Emma", "last_name": "Smith", "favorite_food": "tacos"},
    "member_since": "@D:2010-11-12T11:23:45",
    "last_modified_at": None,
    "deleted_at": None,
    "confirmed_opt_in": None,
    "plaintext_preferred": False,
    "email_error": None,
    "bounce_count": 0,
}
GROUP = {
    "member_group_id": 150,
    "group_name": "Monthly Newsletter",
    "group_type": "g",
    "active_count": 1,
    "optout_count": 1,
    "error_count": 0,
    "account_id": 100,
    "deleted_at": None,
    "purged_at": None,
}
IMPORT = {
    "import_id": 4941417354,
    "account_id": 100,
    "status": None,
    "style": None,
    "import_started": "@D:2010-12-13T23:12:44",
    "import_finished": None,
    "source_filename": None,
    "error_message": None,
    "num_members_added": 0,
    "num_members_updated": 0,
    "num_skipped": 0,
    "num_duplicates": 0,
    "fields_updated": [],
    "groups_updated": [],
}
FIELD = {
    "field_id": 200,
    "shortcut_name": "first_name",
    "display_name": "First Name",
    "field_type": "text",
    "widget_type": "text",
    "column_order": 1,
    "required": False,
    "short_display_name": None,
    "options": None,
    "deleted_at": None,
    "account_id": 100,
}


def test_member_example() -> None:
    member = parse_member(MEMBER, "GET /members/200", "150")
    assert (member.id, member.email, member.audience_id) == ("200", "emma@myemma.com", "150")
    assert member.status is MemberStatus.ACTIVE and member.platform_status == "active"
    assert member.name == "Emma Smith"
    assert member.created_at == datetime(2010, 11, 12, 11, 23, 45, tzinfo=UTC)
    assert member.updated_at is None
    assert member.fields["favorite_food"] == "tacos" and member.fields["status"] == "a"
    assert member.fields["member_since"] == "2010-11-12"


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"member_status_id": "o", "status": "opt-out"}, MemberStatus.OPTED_OUT),
        ({"member_status_id": "e", "status": "error"}, MemberStatus.ERROR),
        ({"member_status_id": None, "status": "forwarded"}, MemberStatus.PENDING),
        ({"deleted_at": "@D:2011-01-01T00:00:00"}, MemberStatus.DELETED),
    ],
)
def test_member_statuses(changes: dict[str, Any], status: MemberStatus) -> None:
    assert parse_member({**MEMBER, **changes}, "GET /members/200").status is status


def test_group_example() -> None:
    group = parse_group(GROUP, "GET /groups")
    assert (group.id, group.name, group.member_count, group.kind) == (
        "150",
        "Monthly Newsletter",
        2,
        "group",
    )
    assert group.extra["optout_count"] == 1


def test_import_example_is_running_and_large_id_is_exact() -> None:
    job = parse_import(IMPORT, "GET /members/imports/4941417354")
    assert job.id == "4941417354" and job.state is ImportState.RUNNING
    assert job.started_at == datetime(2010, 12, 13, 23, 12, 44, tzinfo=UTC)
    assert job.finished_at is None and job.errors is None


def test_finished_import_with_member_rows() -> None:
    done = {
        **IMPORT,
        "status": "o",
        "import_finished": "@D:2010-12-13T23:13:02",
        "num_members_added": 1,
        "num_skipped": 1,
        "groups_updated": [150],
    }
    rows = [
        {"member_id": 200, "change_type": "a", "member_status_id": "a", "email": "a@x.org"},
        {"member_id": 201, "change_type": "r", "member_status_id": "a", "email": "b@x.org"},
    ]
    job = parse_import(done, "GET /members/imports/1", rows)
    assert job.state is ImportState.FINISHED and job.audience_id == "150"
    assert (job.added, job.skipped, job.errors) == (1, 1, 1)
    assert [e.row for e in job.row_errors] == ["b@x.org"]
    assert job.note == ""
    failed = parse_import({**done, "status": "e", "error_message": "bad", "num_duplicates": 2}, "x")
    assert failed.state is ImportState.FAILED and failed.note == "bad; 2 duplicate rows ignored"
    assert parse_import({**IMPORT, "status": "q"}, "x").state is ImportState.QUEUED


@pytest.mark.parametrize(
    ("widget", "field_type", "expected"),
    [
        ("text", "text", FieldType.TEXT),
        ("select one", "text", FieldType.CHOICE),
        ("radio", "text", FieldType.CHOICE),
        ("select multiple", "text[]", FieldType.MULTI),
        ("check_multiple", "text[]", FieldType.MULTI),
        ("date", "date", FieldType.DATE),
        ("number", "numeric", FieldType.NUMBER),
        ("checkbox", "boolean", FieldType.BOOLEAN),
        ("long", "text", FieldType.TEXT),
    ],
)
def test_field_types(widget: str, field_type: str, expected: FieldType) -> None:
    options = ["Red", "Blue"] if expected in (FieldType.CHOICE, FieldType.MULTI) else None
    doc = {**FIELD, "widget_type": widget, "field_type": field_type, "options": options}
    spec = parse_field(doc, "GET /fields")
    assert spec.type is expected and spec.label == "First Name"
    assert spec.options == ({"Red": "Red", "Blue": "Blue"} if options else None)


def test_timestamps_and_counts() -> None:
    assert emma_timestamp("@D:2010-11-12T11:23:45") == datetime(
        2010, 11, 12, 11, 23, 45, tzinfo=UTC
    )
    assert emma_timestamp("2024-03-01T10:00:00+01:00").utcoffset().total_seconds() == 3600
    assert emma_timestamp(None) is None and emma_timestamp("@D:garbage") is None
    assert parse_count(2431, "GET /members") == 2431


@pytest.mark.parametrize(
    ("parse", "doc"),
    [
        (parse_member, ["not", "an", "object"]),
        (parse_member, {**MEMBER, "member_id": None}),
        (parse_member, {**MEMBER, "fields": "first_name=Emma"}),
        (parse_group, {**GROUP, "active_count": "many"}),
        (parse_import, {**IMPORT, "num_members_added": "1"}),
        (parse_field, {**FIELD, "shortcut_name": None}),
        (parse_count, {"count": 3}),
        (parse_count, True),
    ],
)
def test_wrong_shapes_are_invalid_responses(parse: Any, doc: Any) -> None:
    with pytest.raises(InvalidResponseError, match="Emma"):
        parse(doc, "GET /x")
