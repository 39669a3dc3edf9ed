"""Units, eligibility, breakdowns and baskets (shmi.md §11-§13; §19 items 6 and 17)."""

from __future__ import annotations

import math
import random

import pytest

from hospmort.shmi.indicator import UnitCounts, compute_basket, compute_breakdown, is_eligible, sum_units


@pytest.mark.parametrize(
    ("spells", "observed", "e2", "eligible"),
    [(30, 8, 7.5, True), (29, 8, 7.5, False), (30, 7, 7.5, False), (30, 1, 7.5, False), (30, 0, 7.5, True),
     (30, 8, 7.49, False), (1000, 100, 90.0, True)],
)
def test_eligibility(spells: int, observed: int, e2: float, eligible: bool) -> None:
    assert is_eligible(spells, observed, e2) is eligible


def test_expected_is_an_exact_sum_independent_of_row_order() -> None:
    rng = random.Random(4)
    rows = [(rng.choice("ABC"), rng.randint(1, 50), rng.random() * 0.3) for _ in range(2000)]
    rows = [(k, n, min(n, int(n * p)), p) for k, n, p in rows]
    forward = sum_units([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows])
    rng.shuffle(rows)
    shuffled = sum_units([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows])
    assert forward == shuffled
    assert forward["A"].expected == math.fsum(n * p for k, n, _, p in rows if k == "A")


def test_ineligible_units_get_no_ratio_and_are_not_in_the_limits() -> None:
    big = [UnitCounts(f"T{i}", 5000, 100 + 10 * i, 110.0 + 3 * i) for i in range(12)]
    small = [UnitCounts("S1", 20, 3, 4.2), UnitCounts("S2", 100, 5, 9.0), UnitCounts("S3", 100, 9, 7.494)]
    with_small = compute_breakdown([*big, *small])
    alone = compute_breakdown(big)
    assert with_small.parameters == alone.parameters
    by_key = {u.key: u for u in with_small.units}
    for key in ("S1", "S2", "S3"):
        assert not by_key[key].eligible and by_key[key].ratio is None and by_key[key].banding is None
    assert by_key["S3"].expected_rounded == 7.49
    t0 = by_key["T0"]
    assert t0.ratio == t0.observed / t0.expected_rounded
    assert t0.od_lower_95 is not None and t0.od_upper_95 is not None


def test_basket_sums_the_groups_and_rebases_by_england() -> None:
    trust = {2: UnitCounts(2, 400, 40, 30.0), 73: UnitCounts(73, 900, 80, 70.0), 101: UnitCounts(101, 50, 2, 3.0)}
    england = {2: UnitCounts(2, 40000, 4000, 4000.0), 73: UnitCounts(73, 90000, 8000, 7600.0),
               101: UnitCounts(101, 5000, 200, 190.0)}
    basket = compute_basket([73, 2], trust, england)
    assert (basket.spells, basket.observed, basket.expected) == (1300, 120, 100.0)
    assert basket.expected_rebased == pytest.approx(100.0 * 12000 / 11600)
    assert basket.expected_rounded == 103.45
    assert basket.ratio == 120 / 103.45
    assert basket.interval_95 is not None and basket.interval_95[0] < basket.ratio < basket.interval_95[1]
    assert basket.excess_deaths == pytest.approx(120 - 100.0 * 12000 / 11600)
    single = compute_basket([73], trust, england)
    assert single.expected_rebased == 70.0 and single.ratio == 80 / 70.0


def test_basket_without_england_expected_has_no_ratio() -> None:
    basket = compute_basket([2, 3], {2: UnitCounts(2, 40, 0, 0.0)}, {2: UnitCounts(2, 40, 0, 0.0)})
    assert basket.ratio is None and basket.expected_rebased is None
