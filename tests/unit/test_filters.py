"""Filters: parsing, type checks, the server/app split and the reference evaluation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audience_tui.core.errors import ValidationError
from audience_tui.core.filters import (
    coerce,
    describe,
    matches,
    parse_condition,
    plan,
    plan_note,
    resolve,
)
from audience_tui.core.models import (
    OPERATORS,
    Condition,
    FieldSpec,
    FieldType,
    Filter,
    Member,
    MemberStatus,
)

FIELDS = [
    FieldSpec("firstname", "First name", FieldType.TEXT, server_operators=frozenset({"eq", "sw"})),
    FieldSpec("points", "Points", FieldType.NUMBER),
    FieldSpec("birthdate", "Birthday", FieldType.DATE),
    FieldSpec("vip", "VIP", FieldType.BOOLEAN),
    FieldSpec(
        "sex",
        "Sex",
        FieldType.CHOICE,
        options={"1": "Male", "2": "Female"},
        server_operators=frozenset({"eq"}),
    ),
    FieldSpec(
        "interests",
        "Interests",
        FieldType.MULTI,
        options={"1": "Music", "2": "Books", "3": "Sports"},
    ),
]
TYPES = {f.name: f.type for f in FIELDS}


def member(**fields: object) -> Member:
    return Member("1", "a@example.com", MemberStatus.ACTIVE, fields=fields)


def test_parse_condition_forms() -> None:
    assert parse_condition("firstname eq Jane") == Condition("firstname", "eq", "Jane")
    assert parse_condition("city eq 'New York'") == Condition("city", "eq", "New York")
    assert parse_condition("interests in Music, Books") == Condition(
        "interests", "in", ["Music", "Books"]
    )
    assert parse_condition("email ie") == Condition("email", "ie", None)


@pytest.mark.parametrize("text", ["firstname", "firstname like x", "email ie x", "points gt"])
def test_parse_condition_refuses_with_a_reason(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_condition(text)


def test_resolve_checks_values_by_type_and_maps_labels() -> None:
    resolved = resolve(
        Filter(
            (
                Condition("Sex", "eq", "female"),
                Condition("points", "gte", "10"),
                Condition("birthdate", "lt", "2000-01-31"),
                Condition("interests", "ina", ["music", "2"]),
            )
        ),
        FIELDS,
    )
    assert [c.value for c in resolved.conditions] == ["2", 10, "2000-01-31", ["1", "2"]]


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (Condition("points", "gt", "ten"), "not a number"),
        (Condition("birthdate", "eq", "31/01/2000"), "not a date"),
        (Condition("vip", "eq", "maybe"), "not yes/no"),
        (Condition("sex", "eq", "Other"), "not one of the options"),
        (Condition("points", "sw", "1"), "does not apply"),
        (Condition("nosuch", "eq", "1"), "unknown field"),
    ],
)
def test_bad_values_get_a_message_naming_the_field(condition: Condition, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        resolve(Filter((condition,)), FIELDS)


def test_plan_splits_and_conditions_by_what_the_server_evaluates() -> None:
    f = Filter((Condition("firstname", "sw", "ja"), Condition("points", "gt", 5)))
    p = plan(f, FIELDS, {"and", "or"})
    assert p.server.conditions == (Condition("firstname", "sw", "ja"),)
    assert p.local.conditions == (Condition("points", "gt", 5),)
    assert p.reasons and "Points" in p.reasons[0]


def test_plan_note_says_who_evaluates_what() -> None:
    split = plan(
        Filter((Condition("firstname", "sw", "ja"), Condition("points", "gt", 5))), FIELDS, {"and"}
    )
    note = plan_note("Heyloyalty", split, FIELDS)
    assert note.startswith("Heyloyalty evaluates First name") and "the app checks Points" in note
    assert plan_note("Heyloyalty", plan(Filter(), FIELDS, {"and"}), FIELDS).startswith(
        "No condition"
    )


def test_plan_moves_an_or_with_any_local_condition_to_the_app() -> None:
    f = Filter((Condition("firstname", "sw", "ja"), Condition("points", "gt", 5)), "or")
    p = plan(f, FIELDS, {"and", "or"})
    assert not p.server and p.local == f


def test_plan_moves_logic_the_server_lacks_to_the_app() -> None:
    f = Filter((Condition("firstname", "sw", "ja"), Condition("sex", "eq", "2")), "or")
    assert plan(f, FIELDS, {"and"}).local == f
    assert plan(f, FIELDS, {"and", "or"}).server == f


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (Condition("firstname", "eq", "JANE"), True),
        (Condition("firstname", "neq", "jane"), False),
        (Condition("firstname", "sw", "ja"), True),
        (Condition("firstname", "ew", "NE"), True),
        (Condition("firstname", "ct", "an"), True),
        (Condition("firstname", "nct", "an"), False),
        (Condition("points", "gt", 10), True),
        (Condition("points", "gte", 12), True),
        (Condition("points", "lt", 12), False),
        (Condition("points", "lte", 12), True),
        (Condition("birthdate", "lt", "1993-01-01"), True),
        (Condition("sex", "in", ["1", "2"]), True),
        (Condition("sex", "nin", ["2"]), False),
        (Condition("interests", "ina", ["1", "2"]), True),
        (Condition("interests", "ina", ["1", "3"]), False),
        (Condition("vip", "eq", True), False),
        (Condition("vip", "ie", None), False),
        (Condition("missing", "ie", None), True),
        (Condition("missing", "nie", None), False),
    ],
)
def test_reference_evaluation(condition: Condition, expected: bool) -> None:
    jane = member(
        firstname="Jane",
        points=12,
        birthdate="1992-08-22",
        sex="2",
        interests=["1", "2"],
        vip=False,
    )
    assert matches(Filter((condition,)), jane, TYPES) is expected


def test_and_or_logic() -> None:
    jane = member(firstname="Jane", points=3)
    yes, no = Condition("firstname", "eq", "jane"), Condition("points", "gt", 5)
    assert not matches(Filter((yes, no), "and"), jane, TYPES)
    assert matches(Filter((yes, no), "or"), jane, TYPES)
    assert matches(Filter(), jane, TYPES)


def test_describe_shows_labels() -> None:
    f = Filter((Condition("sex", "eq", "2"), Condition("points", "ie")), "or")
    assert describe(f, FIELDS) == "Sex equals Female or Points is empty"
    assert describe(Filter((Condition("vip", "eq", False),)), FIELDS) == "VIP equals no"


values = st.one_of(
    st.none(),
    st.text(max_size=8),
    st.integers(-5, 5),
    st.booleans(),
    st.lists(st.sampled_from(["1", "2", "3"]), max_size=3),
)


@given(field=st.sampled_from(FIELDS), op=st.sampled_from(OPERATORS), value=values, actual=values)
def test_evaluation_never_crashes_and_negations_disagree(
    field: FieldSpec, op: str, value: object, actual: object
) -> None:
    m = member(**{field.name: actual})
    result = matches(Filter((Condition(field.name, op, value),)), m, TYPES)
    assert isinstance(result, bool)
    negation = {"eq": "neq", "ie": "nie", "ct": "nct", "in": "nin"}.get(op)
    if negation and op in field.operators and field.type in (FieldType.TEXT, FieldType.CHOICE):
        other = matches(Filter((Condition(field.name, negation, value),)), m, TYPES)
        assert other is not result


@given(st.text(max_size=40))
def test_parse_condition_either_parses_or_refuses(text: str) -> None:
    try:
        condition = parse_condition(text)
    except ValidationError as exc:
        assert str(exc)
    else:
        assert condition.op in OPERATORS


@given(st.sampled_from(FIELDS), st.text(max_size=12))
def test_coerce_either_normalises_or_refuses_with_the_label(field: FieldSpec, text: str) -> None:
    op = "in" if field.type is FieldType.MULTI else "eq"
    try:
        coerce(Condition(field.name, op, [text] if op == "in" else text), field)
    except ValidationError as exc:
        assert field.label in str(exc)
