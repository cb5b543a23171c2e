"""Suppression lists as people send them: BOM, `;`/`,`, quotes, blank and invalid lines."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audience_tui.core.compliance.emails_csv import Problem, parse_emails, read_emails
from audience_tui.core.errors import ValidationError


def test_an_email_column_among_others_with_bom_and_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "bounces.csv"
    text = 'name;E-mail;reason\n"Lund; Ida";ida@x.no;hard\nOle;ole@x.no;soft\n'
    path.write_bytes("\ufeff".encode() + text.encode())
    found = read_emails(path)
    assert found.emails == ["ida@x.no", "ole@x.no"]
    assert found.column == "E-mail"
    assert found.problems == []


def test_a_file_of_emails_alone_keeps_its_first_line() -> None:
    found = parse_emails("a@x.no\nb@x.no\n")
    assert found.emails == ["a@x.no", "b@x.no"]
    assert found.column is None


def test_the_only_column_under_another_name_is_the_email_column() -> None:
    assert parse_emails("Adresse\na@x.no\n").emails == ["a@x.no"]


def test_blank_invalid_and_duplicate_lines_are_reported_by_line() -> None:
    found = parse_emails("email,n\na@x.no,1\n\nnot-an-email,2\n,3\nA@X.NO,4\n b@x.no ,5\n")
    assert found.emails == ["a@x.no", "b@x.no"]
    assert found.duplicates == 1
    assert found.problems == [
        Problem(3, "blank line"),
        Problem(4, "not an email address", "not-an-email"),
        Problem(5, "no email in this line"),
    ]
    assert "1 duplicate(s) collapsed" in found.summary()


def test_a_quoted_value_over_two_lines_keeps_the_numbers_of_later_lines() -> None:
    found = parse_emails('email,note\na@x.no,"two\nlines"\nbad,x\n')
    assert found.emails == ["a@x.no"]
    assert found.problems == [Problem(4, "not an email address", "bad")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no email"),
        ("\n\n", "no email"),
        ("name,city\nx,y\n", "no column is named email"),
        ("vm\n", "no email: its one line, 'vm', was read as the column's name"),
        ("email\n\n", "no email: its one line, 'email',"),
    ],
)
def test_files_without_emails_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_emails(text)


def test_a_quote_never_closed_is_refused_at_its_line() -> None:
    """Read leniently, the emails after a stray quote became one value, reported as one bad
    line: people the file asked to suppress were left out without being named."""
    text = 'email\na@example.com\n"b@example.com\nc@example.com\nd@example.com\n'
    with pytest.raises(ValidationError, match=r"^line 3: a value there opens a quote"):
        parse_emails(text)


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("email\nø@x.no\n".encode("latin-1"))
    with pytest.raises(ValidationError, match="not UTF-8"):
        read_emails(path)


LOCAL = st.text(alphabet="abcdefghij.+_-0123456789", min_size=1, max_size=12).filter(
    lambda s: s.strip(".") == s
)
EMAILS = st.builds(lambda local, dom: f"{local}@{dom}.no", LOCAL, st.sampled_from(["x", "y-z"]))


# Under load (two cores, many workers) generating examples is slow: no timing health check and
# no deadline, so the test fails for what it checks and never for how busy the machine is.
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    emails=st.lists(EMAILS, min_size=1, max_size=30),
    delimiter=st.sampled_from([",", ";", "\t"]),
    bom=st.booleans(),
    quote_all=st.booleans(),
)
def test_any_written_csv_reads_back_as_its_distinct_emails(
    emails: list[str], delimiter: str, bom: bool, quote_all: bool
) -> None:
    out = io.StringIO()
    quoting = csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator="\r\n")
    writer.writerow(["id", "email"])
    for n, email in enumerate(emails):
        writer.writerow([n, email.upper() if n % 2 else email])
    found = parse_emails(("\ufeff" if bom else "") + out.getvalue())
    distinct = list({e.casefold(): e for e in reversed(emails)}.keys())
    assert [e.casefold() for e in found.emails] == sorted(
        distinct, key=[e.casefold() for e in emails].index
    )
    assert found.duplicates == len(emails) - len(distinct)
    assert found.problems == []


def test_the_readme_documents_every_compliance_command() -> None:
    from audience_tui.cli import build_parser

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in ("suppress", "erase", "subject-access", "drift"):
        assert name in commands and f"audience-tui {name}" in readme
