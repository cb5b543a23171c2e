"""core.aggregate.shares: the percentages a breakdown shows add up to exactly 100 (largest
remainder at the precision shown), each within one unit shown of its exact share."""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from audience_tui.core.aggregate import shares

counts = st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=80)


def tenths(values: list[float]) -> list[int]:
    return [round(v * 10) for v in values]


@given(counts.filter(lambda c: sum(c) > 0))
def test_the_shares_of_a_whole_add_up_to_exactly_100(values: list[int]) -> None:
    shown = shares(values)
    assert sum(tenths(shown)) == 1000
    total = sum(values)
    for count, share in zip(values, shown, strict=True):
        assert abs(Fraction(share).limit_denominator(10) - Fraction(100 * count, total)) < 0.1
        assert share == 0 or count > 0  # nobody is given a share of nothing


@given(counts.filter(lambda c: sum(c) > 0))
def test_a_larger_count_never_shows_a_smaller_share(values: list[int]) -> None:
    shown = shares(values)
    pairs = sorted(zip(values, shown, strict=True))
    assert all(a[1] <= b[1] for a, b in pairwise(pairs))


def test_thirds_show_as_33_4_33_3_33_3_not_99_9() -> None:
    assert shares([1, 1, 1]) == [33.4, 33.3, 33.3]
    assert shares([2, 1], decimals=0) == [67.0, 33.0]


@given(counts, st.integers(min_value=1, max_value=10**8))
def test_counts_that_do_not_split_the_whole_are_each_rounded_alone(
    values: list[int], whole: int
) -> None:
    """Several values per member (or a partial count): their sum means nothing, so no share
    is bent to make one."""
    if sum(values) == whole:
        return
    assert shares(values, whole) == [round(1000 * c / whole) / 10 for c in values]


def test_nothing_counted_has_no_share() -> None:
    assert shares([0, 0]) == [0.0, 0.0] and shares([]) == []
