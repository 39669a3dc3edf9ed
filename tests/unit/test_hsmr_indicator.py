"""Sums, re-basing, eligibility, intervals and banding of the HSMR (hsmr.md §7, §8, §8.1): the edge cases of
each rule."""

from __future__ import annotations

import pytest

from hospmort.hsmr.indicator import (
    CiMethod,
    RecordSums,
    banding_from_interval,
    basket_sums,
    ci_method,
    compute_basket,
    compute_hsmr,
    compute_peer_group,
    hsmr_interval,
    rebasing_factor,
    sum_by_unit,
    unrounded_hsmr,
)
from hospmort.limits import ALPHA95


def test_the_rebasing_factor_is_1_when_englands_observed_or_expected_is_0() -> None:
    assert rebasing_factor(0, 12.5) == 1.0
    assert rebasing_factor(10, 0.0) == 1.0
    assert rebasing_factor(0, 0.0) == 1.0
    assert rebasing_factor(30, 20.0) == 1.5


@pytest.mark.parametrize(("records", "observed", "expected", "eligible"), [
    (30, 8, 7.5, True), (29, 8, 7.5, False), (30, 7, 7.5, False), (30, 1, 7.5, False), (30, 0, 7.5, True),
    (30, 8, 7.494999, False), (30, 8, 7.495, True),  # E2* = round_half_up(7.495, 2) = 7.50
])
def test_a_cell_is_eligible_with_30_records_0_or_8_deaths_and_e2_of_7_5(records: int, observed: int, expected: float,
                                                                       eligible: bool) -> None:
    figures = compute_hsmr(RecordSums(records, observed, expected), 1.0)
    assert figures.eligible is eligible
    assert (figures.value is not None) is eligible
    assert (figures.banding is not None) is eligible


def test_the_value_uses_the_rounded_rebased_expected_deaths() -> None:
    figures = compute_hsmr(RecordSums(100, 50, 40.0), 1.25)  # E* = 50.0
    assert (figures.expected_rebased, figures.expected_rounded, figures.value) == (50.0, 50.0, 100.0)
    figures = compute_hsmr(RecordSums(100, 50, 41.0), 1.0 / 3.0)  # E* = 13.6666..., E2* = 13.67
    assert figures.expected_rounded == 13.67
    assert figures.value == 100 * 50 / 13.67
    assert unrounded_hsmr(RecordSums(100, 50, 41.0), 1.0 / 3.0) == pytest.approx(100 * 50 / (41 / 3), rel=1e-15)
    assert unrounded_hsmr(RecordSums(100, 0, 0.0), 1.0) is None


def test_exact_limits_below_10_deaths_and_byar_from_10() -> None:
    assert [ci_method(o) for o in (0, 1, 9, 10, 11, 500)] == [CiMethod.EXACT] * 3 + [CiMethod.BYAR] * 3
    assert compute_hsmr(RecordSums(100, 9, 10.0), 1.0).ci_method is CiMethod.EXACT
    assert compute_hsmr(RecordSums(100, 10, 10.0), 1.0).ci_method is CiMethod.BYAR
    # statistics.md §1.2: O = 0 gives [0, U/E]; the count limits 0 and 3.68888 at 95%
    lower, upper = hsmr_interval(0, 10.0, ALPHA95)
    assert lower == 0.0 and upper == pytest.approx(36.8888, rel=1e-5)
    with pytest.raises(ValueError, match="positive"):
        hsmr_interval(3, 0.0, ALPHA95)


def test_banding_compares_the_interval_with_the_target_strictly() -> None:
    assert banding_from_interval(10.01, 20.0, 10.0) == 1
    assert banding_from_interval(10.0, 20.0, 10.0) == 2
    assert banding_from_interval(2.0, 9.99, 10.0) == 3
    assert banding_from_interval(2.0, 10.0, 10.0) == 2
    # no death where 7.5 are expected: U(0) = 6.90776 < 7.5 at 99.8%, so lower than expected at both levels
    zero = compute_hsmr(RecordSums(1000, 0, 7.5), 1.0)
    assert (zero.banding, zero.banding_95) == (3, 3)
    # 12 deaths where 7.5 are expected: L(12) = 6.19351 at 95% is below 7.5, so as expected
    assert compute_hsmr(RecordSums(1000, 12, 7.5), 1.0).banding_95 == 2


def test_sums_per_unit_add_counts_and_exactly_rounded_expected_deaths() -> None:
    sums = sum_by_unit(["A", "B", "A", "A"], [1, 2, 3, 4], [0, 1, 1, 2], [0.1, 0.5, 0.1, 0.1])
    assert sums == {"A": RecordSums(8, 3, 0.1 + 0.3 + 0.4), "B": RecordSums(2, 1, 1.0)}
    assert sum_by_unit([], [], [], []) == {}
    with pytest.raises(ValueError, match="one value per row"):
        sum_by_unit(["A"], [1, 2], [0, 0], [0.1, 0.1])


def test_a_basket_sums_the_categories_and_rebases_on_englands_basket() -> None:
    trusts = {"A": {1: RecordSums(100, 10, 8.0), 2: RecordSums(50, 5, 6.0)}, "B": {1: RecordSums(200, 20, 22.0)}}
    national = {1: RecordSums(300, 30, 30.0), 2: RecordSums(50, 5, 6.0), 3: RecordSums(9, 9, 9.0)}
    assert basket_sums({1, 2}, trusts["A"]) == RecordSums(150, 15, 14.0)
    assert basket_sums({2}, trusts["B"]) == RecordSums(0, 0, 0.0)
    england, figures = compute_basket({1, 2}, trusts, national)
    assert england.rebasing_factor == 35 / 36
    assert set(figures) == {"A", "B"}
    assert figures["A"].expected_rebased == pytest.approx(14.0 * 35 / 36, rel=1e-15)
    _, only_two = compute_basket({2}, trusts, national)
    assert set(only_two) == {"A"}  # B has no record of category 2
    with pytest.raises(ValueError, match="at least one category"):
        compute_basket(set(), trusts, national)


def test_a_peer_group_rebases_on_its_members_and_leaves_out_trusts_without_records() -> None:
    sums = {"A": RecordSums(100, 40, 20.0), "B": RecordSums(100, 10, 20.0), "C": RecordSums(100, 90, 20.0)}
    values = compute_peer_group({"A", "B", "Z"}, sums)
    assert set(values) == {"A", "B"}
    assert values["A"].rebasing_factor == 50 / 40
    assert values["A"].expected_rounded + values["B"].expected_rounded == 50.0
