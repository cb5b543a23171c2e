"""`fit_widths`, the one rule every table's columns follow: whole values while there is room,
the longest cut (never below a floor) when there is not, and a sideways scroll when even the
floors do not fit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from audience_tui.core.columns import FLOOR, fit_widths


def test_columns_that_fit_get_what_they_need() -> None:
    assert fit_widths([36, 20, 9, 12], 120) == [36, 20, 9, 12]
    assert fit_widths([36, 20, 9, 12], 80) == [36, 20, 9, 12]  # 77 cells with the gaps


def test_the_longest_are_cut_to_one_width_and_the_short_stay_whole() -> None:
    widths = fit_widths([15, 17, 36, 35], 80, gap=2)
    assert widths[:2] == [15, 17]
    assert widths[2] in (21, 22) and widths[3] in (21, 22)
    assert sum(widths) + 2 * 3 == 80  # no cell left over


def test_a_spare_cell_can_make_one_of_the_longest_whole() -> None:
    assert fit_widths([47, 62, 62], 170, gap=0) == [47, 62, 61]


def test_floors_hold_and_beyond_them_the_view_scrolls() -> None:
    assert fit_widths([40, 30, 30], 70, floors=[40, 12, 12]) == [40, 14, 14]
    assert fit_widths([40, 30, 30], 60, floors=[40, 20, 20]) == [40, 30, 30]  # scrolls
    assert fit_widths([100], 50) == [50]  # never wider than the view


@given(
    needs=st.lists(st.integers(1, 80), min_size=1, max_size=12),
    available=st.integers(1, 200),
    gap=st.integers(0, 2),
)
def test_the_rule_holds_for_any_table(needs: list[int], available: int, gap: int) -> None:
    widths = fit_widths(needs, available, gap=gap)
    spacing = gap * (len(needs) - 1)
    assert len(widths) == len(needs)
    assert all(1 <= w <= min(n, available) for w, n in zip(widths, needs, strict=True))
    if sum(needs) + spacing <= available:
        assert widths == needs
    elif sum(min(n, FLOOR) for n in needs) + spacing <= available:
        assert sum(widths) + spacing == available  # cut to fit, no room wasted
        cut = [w for w, n in zip(widths, needs, strict=True) if w < n]
        whole = [w for w, n in zip(widths, needs, strict=True) if w == n]
        assert cut and max(cut) - min(cut) <= 1  # the cut ones share the room evenly
        assert all(w >= FLOOR or w == n for w, n in zip(widths, needs, strict=True))
        # a whole column is no wider than the cut ones, but for the spare cell that made it
        # whole (needs 47, 62, 62 in 170 cells: 47, 62, 61)
        assert not whole or max(whole) <= max(cut) + 1 or min(cut) == FLOOR
    else:
        assert widths == [min(n, available) for n in needs]  # the view scrolls sideways
