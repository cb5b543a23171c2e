"""Heyloyalty wire format without a server: the signature, filter parameters, and the parsers
run on the seed's own example payloads (seeds/004, the wiki's Members page)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import httpx
import pytest

from audience_tui.core.errors import InvalidResponseError, UnsupportedError
from audience_tui.core.models import Condition, Filter, MemberStatus
from audience_tui.providers.heyloyalty.wire import (
    HeyloyaltyAuth,
    filter_params,
    parse_member,
    parse_page,
    signature,
)

VECTOR_TS = "Fri, 24 May 2013 13:16:26 GMT"
VECTOR_SIG = (
    "MjgwYTMxNTM2NjkwMzRmMTM0NTUyZWRkOTNkMzVhNmQ2OGZlNGFjM2MwNzg1ZGQ3MmU0YzdiNGRmODJiNjI3Mg=="
)

# "List members" response of the seed, minus its "..." placeholder.
SEED_LIST = {
    "page": 1,
    "per_page": 50,
    "total": 2020,
    "members": [
        {
            "id": "a0d02a94-33b1-4879-bc6f-9c7388181b2d",
            "status": {"status": "active", "email": None, "mobile": None},
            "opt_in": None,
            "opt_in_date": None,
            "sent_mail": 0,
            "sent_sms": 0,
            "sent_push": None,
            "open_count": 0,
            "open_count_push": None,
            "open_rate": 0,
            "click_count": 0,
            "click_rate": 0,
            "imported": False,
            "created_at": "2020-07-27 13:09:08",
            "updated_at": "2020-07-27 13:17:10",
            "created_by": "",
            "deleted_from": None,
            "inSegment": True,
            "birthdate": "1992-08-22 00:00:00",
            "lastname": "Doe",
            "sex": {"value": "Kvinde", "id": 2},
            "firstname": "Jane",
            "email": "[email protected]",
            "interests": [
                {"value": "Music", "id": 1},
                {"value": "Books", "id": 2},
                {"value": "Sports", "id": 6},
                {"value": "Cooking", "id": 6},
                {"value": "Art & Design", "id": 9},
            ],
            "country": {"value": "Danmark", "id": 53},
        }
    ],
}


def _field(name: str, fmt: str, value: object, **extra: object) -> dict[str, object]:
    return {"required_in_shop": None, "visible_in_shop": 1, "order": None, "lock": "",
            "fallback": None, "type": "fixed", "format": fmt, "name": name, "label": name,
            **extra, "value": value}  # fmt: skip


# "Get a single member" response of the seed.
SEED_MEMBER = {
    "id": "a0d02a94-33b1-4879-bc6f-9c7388181b2d",
    "status": {"status": "active", "email": None, "mobile": None},
    "opt_in": None,
    "opt_in_date": None,
    "created_from": {"type": "api"},
    "updated_from": [],
    "open_rate": 0,
    "click_rate": 0,
    "fields": {
        "firstname": _field("firstname", "text", "Jane"),
        "lastname": _field("lastname", "text", "Doe"),
        "email": _field("email", "text", "[email protected]"),
        "sex": _field("sex", "choice", 2, options={"1": "Male", "2": "Female"}),
        "interests": _field(
            "interests",
            "multi",
            [1, 2, 6, 7, 9],
            options={str(i): f"option {i}" for i in range(1, 10)},
        ),
    },
    "system_fields": [],
    "created_at": "2020-07-27 13:09:08",
    "updated_at": "2020-07-27 13:09:08",
    "unsubscribed_at": "2020-07-27 13:09:08",
    "deleted_from": None,
    "reference_from": None,
    "moved_at": None,
    "moved_from": None,
    "vouchers": None,
}


def test_signature_matches_the_dossier_test_vector() -> None:
    assert signature("API_SECRET", VECTOR_TS) == VECTOR_SIG


def test_auth_signs_each_request_with_its_timestamp() -> None:
    when = datetime(2013, 5, 24, 13, 16, 26, tzinfo=UTC)
    auth = HeyloyaltyAuth("KEY", "API_SECRET", clock=lambda: when)
    request = next(auth.auth_flow(httpx.Request("GET", "https://api.heyloyalty.com/x")))
    assert request.headers["X-Request-Timestamp"] == VECTOR_TS
    scheme, token = request.headers["Authorization"].split(" ")
    assert scheme == "Basic"
    assert base64.b64decode(token).decode() == f"KEY:{VECTOR_SIG}"


def test_seed_listing_payload_parses() -> None:
    members, total = parse_page(SEED_LIST, "GET /x", "7", MemberStatus.ACTIVE)
    assert total == 2020
    (jane,) = members
    assert jane.id == "a0d02a94-33b1-4879-bc6f-9c7388181b2d"
    assert jane.audience_id == "7"
    assert jane.status is MemberStatus.ACTIVE
    assert jane.name == "Jane Doe"
    assert jane.email == "[email protected]"
    assert jane.fields["sex"] == "2"
    assert jane.fields["country"] == "53"
    assert jane.fields["interests"] == ["1", "2", "6", "6", "9"]
    assert jane.fields["birthdate"] == "1992-08-22"
    assert "inSegment" not in jane.fields and "sent_mail" not in jane.fields
    assert jane.created_at == datetime(2020, 7, 27, 13, 9, 8)


def test_seed_single_member_payload_parses() -> None:
    jane = parse_member(SEED_MEMBER, "GET /x", "7", MemberStatus.ACTIVE)
    assert jane.fields == {
        "firstname": "Jane",
        "lastname": "Doe",
        "email": "[email protected]",
        "sex": "2",
        "interests": ["1", "2", "6", "7", "9"],
    }
    assert jane.status is MemberStatus.ACTIVE


def test_unknown_status_word_falls_back_to_the_view_read() -> None:
    doc = {"id": "m1", "status": {"status": "mystery"}, "email": "a@b.dk"}
    assert parse_member(doc, "GET /x", "1", MemberStatus.OPTED_OUT).status is MemberStatus.OPTED_OUT


@pytest.mark.parametrize(
    "doc",
    [[], {"members": "nope"}, {"members": [{"no": "id"}]}, {"members": ["x"]}, "text"],
)
def test_wrong_shapes_are_invalid_responses(doc: object) -> None:
    with pytest.raises(InvalidResponseError):
        parse_page(doc, "GET /x", "1", MemberStatus.ACTIVE)


def test_filter_params_follow_the_bracket_form() -> None:
    filter = Filter(
        (
            Condition("firstname", "eq", "john"),
            Condition("firstname", "eq", "jane"),
            Condition("interests", "in", ["1", "2"]),
            Condition("sms_consent", "eq", True),
            Condition("city", "ie"),
        ),
        "or",
    )
    assert filter_params(filter) == [
        ("filter[firstname][eq][]", "john"),
        ("filter[firstname][eq][]", "jane"),
        ("filter[interests][in][]", "1"),
        ("filter[interests][in][]", "2"),
        ("filter[sms_consent][eq][]", "1"),
        ("filter[city][ie][]", ""),
        ("logic", "or"),
    ]


def test_two_value_lists_on_one_field_and_operator_are_refused() -> None:
    filter = Filter((Condition("sex", "in", ["1"]), Condition("sex", "in", ["2"])))
    with pytest.raises(UnsupportedError):
        filter_params(filter)
