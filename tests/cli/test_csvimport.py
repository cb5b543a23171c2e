"""Reading an import file: bad files get one clear message, bad rows are shown before sending."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audience_tui.core.csvimport import guess_mapping, plan_import, read_csv
from audience_tui.core.errors import ValidationError
from audience_tui.core.models import FieldSpec, FieldType

FIELDS = [
    FieldSpec("email", "E-mail"),
    FieldSpec("firstname", "First name"),
    FieldSpec("points", "Points", FieldType.NUMBER),
    FieldSpec("birthdate", "Birthday", FieldType.DATE),
    FieldSpec("sex", "Sex", FieldType.CHOICE, options={"1": "Male", "2": "Female"}),
]


def test_semicolon_file_with_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(
        "E-mail;First name;Points;Birthday;Sex;Shoe size\n"
        "ann@example.com;Ann;10;1990-01-02;Female;38\n"
        "not-an-email;Bob;1;;;\n"
        "cy@example.com;Cy;lots;;;\n"
        "ANN@example.com;Ann again;;;;\n"
        "dee@example.com;Dee;;;male;\n",
        encoding="utf-8",
    )
    table = read_csv(path)
    assert table.delimiter == ";"
    plan = plan_import(table, FIELDS)
    assert plan.rows == [
        {
            "email": "ann@example.com",
            "firstname": "Ann",
            "points": 10,
            "birthdate": "1990-01-02",
            "sex": "2",
        },
        {"email": "dee@example.com", "firstname": "Dee", "sex": "1"},
    ]
    reasons = {r.line: r.reason for r in plan.rejected}
    assert "not an email" in reasons[3]
    assert "not a number" in reasons[4]
    assert "appears earlier" in reasons[5]
    assert plan.unmapped == ["Shoe size"]


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_text("\n\n")
    with pytest.raises(ValidationError, match="empty"):
        read_csv(tmp_path / "e.csv")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="cannot read"):
        read_csv(tmp_path / "nope.csv")


def test_no_email_column_names_the_columns() -> None:
    with pytest.raises(ValidationError, match=r"no column holds the email.*name, city"):
        plan_import(read_csv("name,city\nAnn,Oslo\n"), FIELDS)


def test_explicit_mapping_to_unknown_field() -> None:
    with pytest.raises(ValidationError, match="no such field"):
        plan_import(read_csv("mail,x\na@b.co,1\n"), FIELDS, {"mail": "email", "x": "nosuch"})


def test_guess_mapping_by_name_label_and_synonym() -> None:
    assert guess_mapping(["Email address", "firstname", "POINTS"], FIELDS) == {
        "firstname": "firstname",
        "POINTS": "points",
    }
    assert guess_mapping(["mail", "Birthday"], FIELDS) == {"mail": "email", "Birthday": "birthdate"}


def test_guess_mapping_sees_first_name_as_firstname_once() -> None:
    """A file's `first_name` was left unmapped for Heyloyalty's `firstname` (and `First name`),
    so the import dropped the names unless the user noticed; a field is still filled once."""
    assert guess_mapping(["email", "first_name", "Points "], FIELDS) == {
        "email": "email",
        "first_name": "firstname",
        "Points ": "points",
    }
    assert guess_mapping(["firstname", "first-name"], FIELDS) == {"firstname": "firstname"}


@given(st.text(max_size=200))
def test_any_text_is_read_or_refused_clearly(text: str) -> None:
    try:
        plan_import(read_csv(text), FIELDS)
    except ValidationError as exc:
        assert str(exc)


def test_a_quote_never_closed_is_refused_at_its_line() -> None:
    """Read leniently, the stray quote took every later line into one value: the rows after
    it were neither planned nor refused by name (one "not an email" for all of them)."""
    text = 'email,firstname\na@example.com,A\nb@example.com,"B\nc@example.com,C\nd@example.com,D\n'
    with pytest.raises(ValidationError, match=r"^line 3: a value there opens a quote"):
        read_csv(text)


def test_text_after_a_closing_quote_is_refused_at_its_line() -> None:
    with pytest.raises(ValidationError, match=r"^line 3: not valid CSV"):
        read_csv('email,firstname\na@example.com,A\nb@example.com,"B" Jr\n')


def test_a_refused_row_is_named_by_its_line_in_the_file() -> None:
    """After a blank line and a value over two lines, a row's line is not its count + 1."""
    text = 'email,firstname\n\na@example.com,"An\nna"\nnot-an-email,B\n'
    plan = plan_import(read_csv(text), FIELDS)
    assert [(row.line, row.reason) for row in plan.rejected] == [
        (5, "'not-an-email' is not an email address")
    ]


def test_a_file_in_mixed_encodings_is_read_line_by_line_and_said(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        b"email,firstname\n"
        + "soren@example.com,Søren\n".encode()
        + "asa@example.com,Åsa\n".encode("cp1252")
        + "bjorn@example.com,Bjørn\n".encode()
        + "zoe@example.com,Zoë\n".encode("cp1252")
    )
    table = read_csv(path)
    assert [row[1] for row in table.rows] == ["Søren", "Åsa", "Bjørn", "Zoë"]  # no mojibake
    [note] = table.notes
    assert "line(s) 3, 5 " in note and "Windows-1252" in note


def test_a_file_consistently_in_windows_1252_needs_no_note(tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv"
    path.write_bytes("email,firstname\nasa@example.com,Åsa\nzoe@example.com,Zoë\n".encode("cp1252"))
    table = read_csv(path)
    assert [row[1] for row in table.rows] == ["Åsa", "Zoë"] and table.notes == ()


@pytest.mark.usefixtures("sandbox")  # the demo over the test's copy of the seeded sandbox
def test_the_import_command_warns_of_mixed_encodings(tmp_path: Path, capsys) -> None:
    from audience_tui.cli import main

    path = tmp_path / "mixed.csv"
    path.write_bytes(
        b"email,firstname\n"
        + "soren@example.com,Søren\n".encode()
        + "asa@example.com,Åsa\n".encode("cp1252")
    )
    code = main(["--demo", "import", "demo-heyloyalty", "1", str(path), "--dry-run"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "warning: the file mixes encodings: line(s) 3 " in err
