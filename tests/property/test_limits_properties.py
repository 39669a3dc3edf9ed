"""Properties of the limits engine (shmi.md §19 items 12-16; statistics.md §2.2)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from hospmort.limits import (
    ALPHA95,
    ALPHA998,
    Z95,
    Z998,
    band,
    compute_funnel_limits,
    count_interval,
    lower_boundary_count,
    overdispersed_limits,
    upper_boundary_count,
)

expected_values = st.floats(min_value=0.5, max_value=5000, allow_nan=False).map(lambda e: round(e, 2))
units = st.lists(st.tuples(st.integers(min_value=0, max_value=3000), expected_values), min_size=1, max_size=40)


@given(units)
def test_overdispersed_limits_are_reciprocal_and_widen_with_confidence(rows: list[tuple[int, float]]) -> None:
    observed, expected = zip(*rows, strict=True)
    result = compute_funnel_limits(observed, expected)
    assert_allclose(result.od_lower_95 * result.od_upper_95, 1.0, rtol=1e-12)
    assert_allclose(result.od_lower_998 * result.od_upper_998, 1.0, rtol=1e-12)
    assert np.all(result.od_lower_998 < result.od_lower_95)
    assert np.all(result.od_upper_998 > result.od_upper_95)
    assert np.all(result.po_lower_998 <= result.po_lower_95)
    assert np.all(result.po_upper_998 > result.po_upper_95)


@given(units)
def test_tau2_is_never_negative_and_zero_without_overdispersion(rows: list[tuple[int, float]]) -> None:
    observed, expected = zip(*rows, strict=True)
    p = compute_funnel_limits(observed, expected).parameters
    assert p.tau2 >= 0
    if p.units_kept * p.phi <= p.units_kept - 1:
        assert p.tau2 == 0


@given(st.floats(min_value=0, max_value=0.1), st.lists(expected_values, min_size=2, max_size=30, unique=True))
def test_limits_narrow_as_expected_grows(tau2: float, expected: list[float]) -> None:
    ordered = np.sort(np.asarray(expected))
    lower, upper = overdispersed_limits(ordered, tau2, Z95)
    assert np.all(np.diff(upper - lower) < 0)


@given(units)
def test_banding_agrees_with_the_95_percent_overdispersed_limits(rows: list[tuple[int, float]]) -> None:
    observed, expected = zip(*rows, strict=True)
    r = compute_funnel_limits(observed, expected)
    assert np.array_equal(r.banding == 1, r.ratio > r.od_upper_95)
    assert np.array_equal(r.banding == 3, r.ratio < r.od_lower_95)


@given(units, st.randoms(use_true_random=False))
def test_the_order_of_rows_changes_nothing(rows: list[tuple[int, float]], rng: object) -> None:
    observed, expected = zip(*rows, strict=True)
    order = list(range(len(rows)))
    rng.shuffle(order)  # type: ignore[attr-defined]
    a = compute_funnel_limits(observed, expected)
    b = compute_funnel_limits([observed[i] for i in order], [expected[i] for i in order])
    assert a.parameters == b.parameters
    assert_allclose(a.od_upper_95[order], b.od_upper_95, rtol=0)
    assert np.array_equal(a.banding[order], b.banding)


@settings(max_examples=60)
@given(units, st.integers(min_value=0, max_value=39))
def test_banding_is_monotone_in_observed(rows: list[tuple[int, float]], which: int) -> None:
    """With a unit's limits fixed, more observed deaths never move its banding towards 'lower'."""
    observed, expected = zip(*rows, strict=True)
    i = which % len(rows)
    r = compute_funnel_limits(observed, expected)
    trial = np.arange(0, int(3 * expected[i]) + 2, dtype=np.float64)
    bands = band(trial / expected[i], np.full(len(trial), r.od_lower_95[i]), np.full(len(trial), r.od_upper_95[i]))
    higherness = -bands  # band 3 (lower) < 2 < 1 (higher)
    assert np.all(np.diff(higherness) >= 0)
    assert bands[0] == 3


def test_making_a_truncated_unit_more_extreme_leaves_phi_and_tau2_unchanged() -> None:
    observed = [412, 1620, 865, 1985, 298, 640, 1105, 980, 745, 1890, 505, 640]
    expected = [455.32, 1402.77, 871.20, 2316.46, 251.90, 662.50, 1098.30, 912.85, 801.10, 1795.00, 532.25,
                662.50]
    base = compute_funnel_limits(observed, expected).parameters
    observed[1] = 3000  # T02, rank group 9
    observed[3] = 1000  # T04, rank group 0
    moved = compute_funnel_limits(observed, expected).parameters
    assert moved == base


def test_tied_units_share_rank_and_group() -> None:
    r = compute_funnel_limits([50, 50, 60, 70], [55.0, 55.0, 50.0, 60.0])
    assert r.rank[0] == r.rank[1] == 1.5
    assert r.rank_group[0] == r.rank_group[1]


def test_exact_test_boundaries_agree_with_the_interval_rule_on_a_grid() -> None:
    """statistics.md §2.2: O > b_U(E) <=> L(O) > E and O < b_L(E) <=> U(O) < E, for every integer O."""
    disagreements = 0
    for expected in np.exp(np.linspace(math.log(0.2), math.log(2000), 120)):
        for alpha in (ALPHA95, ALPHA998):
            upper = upper_boundary_count(float(expected), alpha)
            lower = lower_boundary_count(float(expected), alpha)
            for observed in range(int(2.5 * expected + 40) + 1):
                low_limit, high_limit = count_interval(observed, alpha)
                disagreements += (observed > upper) != (low_limit > expected)
                disagreements += (observed < lower) != (high_limit < expected)
    assert disagreements == 0


def test_z998_limits_are_wider_than_z95() -> None:
    lo95, hi95 = overdispersed_limits(100.0, 0.01, Z95)
    lo998, hi998 = overdispersed_limits(100.0, 0.01, Z998)
    assert lo998 < lo95 < 1 < hi95 < hi998
