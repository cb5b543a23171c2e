"""The helpers the adapters' wire modules share."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import audience_tui.providers
from audience_tui.core.errors import InvalidResponseError, ValidationError
from audience_tui.providers.wire import checked_email, expect, object_or_empty, parse_timestamp


@pytest.mark.parametrize("value", [None, [], "x", 3, True])
def test_anything_but_an_object_reads_as_an_empty_one(value: object) -> None:
    assert object_or_empty(value) == {}


def test_an_object_is_kept_as_it_is() -> None:
    doc = {"total_count": 3}
    assert object_or_empty(doc) is doc


# --- expect ---------------------------------------------------------------------------------
def test_expect_returns_a_value_of_the_asked_kind() -> None:
    doc = {"a": 1}
    assert expect(doc, dict, what="the group", request="GET /groups/1", platform="Emma") is doc


@pytest.mark.parametrize(("value", "kind"), [(True, int), ([], dict), ("3", int), (None, list)])
def test_expect_refuses_another_kind_naming_what_and_the_request(value: Any, kind: type) -> None:
    with pytest.raises(InvalidResponseError) as caught:
        expect(value, kind, what="the count", request="GET /members", platform="Emma")
    error = caught.value
    assert (error.platform, error.request) == ("Emma", "GET /members")
    assert error.detail == (
        f"unexpected answer: the count is {type(value).__name__}, expected {kind.__name__}"
    )


def test_expect_lets_a_bool_through_only_where_one_is_asked_for() -> None:
    assert expect(False, bool, what="flag", request="GET /x", platform="P") is False


def test_expect_takes_what_and_request_only_by_name() -> None:
    """The swapped pair (label, what) / (what, label) cannot come back: both are keywords."""
    with pytest.raises(TypeError):
        expect({}, dict, "the group", "GET /groups/1", "Emma")  # type: ignore[misc]


# --- timestamps -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01T10:00:00Z", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024-03-01T10:00:00+01:00", datetime(2024, 3, 1, 9, tzinfo=UTC)),
        (" 2024-03-01 10:00:00 ", datetime(2024, 3, 1, 10)),  # Heyloyalty's Y-m-d H:i:s
    ],
)
def test_timestamps_in_every_platform_shape(text: str, expected: datetime) -> None:
    assert parse_timestamp(text) == expected


def test_a_zoneless_time_stays_naive_unless_the_platform_documents_utc() -> None:
    assert parse_timestamp("2024-03-01T10:00:00").tzinfo is None  # type: ignore[union-attr]
    assert parse_timestamp("2024-03-01T10:00:00", zoneless_is_utc=True) == datetime(
        2024, 3, 1, 10, tzinfo=UTC
    )


@pytest.mark.parametrize("value", [None, "", "  ", "yesterday", 1700000000, ["2024-03-01"]])
def test_an_absent_or_unreadable_timestamp_is_none(value: Any) -> None:
    assert parse_timestamp(value, zoneless_is_utc=True) is None


# --- emails ---------------------------------------------------------------------------------
def test_an_email_is_trimmed() -> None:
    assert checked_email("  ann@example.com\n", platform="Kajabi") == "ann@example.com"


@pytest.mark.parametrize("email", ["", "ann", "ann@example", "a b@example.com", "a@b@example.com"])
def test_what_is_no_email_is_refused_naming_the_platform(email: str) -> None:
    with pytest.raises(ValidationError) as caught:
        checked_email(email, platform="Ownpage")
    assert caught.value.platform == "Ownpage" and "is not an email address" in str(caught.value)


def test_a_slash_is_refused_only_where_the_email_goes_in_a_url_path() -> None:
    assert checked_email("a/b@example.com", platform="Kajabi") == "a/b@example.com"
    with pytest.raises(ValidationError):
        checked_email("a/b@example.com", platform="Emma", in_path=True)


# --- one of each, used by every adapter -----------------------------------------------------
PROVIDERS = Path(audience_tui.providers.__file__).parent
COPIES = {
    "an 'unexpected answer' of its own": re.compile(r"unexpected answer"),
    "an expect or invalid helper of its own": re.compile(r"^def _?(expect|invalid)\(", re.M),
    "a timestamp parser of its own": re.compile(r"datetime\.fromisoformat"),
    "an email pattern of its own": re.compile(r"re\.compile\(r\"\^\[\^@"),
}


@pytest.mark.parametrize("what", COPIES)
def test_no_adapter_keeps_a_copy_of_a_shared_helper(what: str) -> None:
    copies = [
        str(path.relative_to(PROVIDERS))
        for path in PROVIDERS.rglob("*.py")
        if path.name != "wire.py" or path.parent != PROVIDERS
        if COPIES[what].search(path.read_text(encoding="utf-8"))
    ]
    assert copies == [], f"{what} in {copies}: use audience_tui/providers/wire.py"
