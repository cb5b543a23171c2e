"""CSV cells made a page at a time (core.export.csv_cells, used by the TUI's export and the CLI):
each cell is what one value alone makes (text formula-guarded, then cleaned; lists joined), and a
page with nothing to clean costs no `clean` call per cell (a million members are 14 million)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from audience_tui.core import export, sanitize
from audience_tui.core.export import FORMULA_START, csv_cells
from audience_tui.core.sanitize import clean


def one_cell(value: Any, formula_guard: bool) -> str:
    """The cell of one value, as the rule reads (the reference the batch must match)."""
    if isinstance(value, list | tuple):
        value = "; ".join(clean(item) for item in value)
    if isinstance(value, str) and formula_guard and value.startswith(FORMULA_START):
        value = "'" + value
    return clean(value)


text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=12)
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    text,
    st.sampled_from(["=1+1", "+4512345678", "-3", "@x", "\tx", "\rx", "a\tb", "\x1b[2J", "\ud800"]),
    st.lists(text, max_size=3),
)


@given(st.lists(values, max_size=30), st.booleans())
def test_each_cell_is_what_its_value_alone_makes(page: list[Any], guard: bool) -> None:
    assert csv_cells(page, formula_guard=guard) == [one_cell(v, guard) for v in page]


def test_a_clean_page_is_not_cleaned_cell_by_cell(monkeypatch) -> None:
    calls: list[Any] = []

    def counted(value: Any) -> str:
        calls.append(value)
        return clean(value)

    monkeypatch.setattr(sanitize, "clean", counted)
    monkeypatch.setattr(export, "clean", counted)
    page = ["Anna", "anna@example.com", 42, None, "=SUM(A1)", 1.5, "Østerbro"] * 500
    cells = csv_cells(page)
    assert cells[4] == "'=SUM(A1)" and cells[3] == ""
    assert len(calls) < 10  # one pass over the page, not a call per cell


def test_a_control_character_anywhere_in_a_long_page_is_cleaned() -> None:
    page: list[Any] = ["Anna"] * 5000
    page[4321] = "\x1b[2Jx"
    cells = csv_cells(page)
    assert cells[4321] == "\ufffd[2Jx" and cells[0] == "Anna"
