"""The table method of statistics.md §4.4.2 (vectors 8-9 of §4.6) and its edge cases (§4.5)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from hospmort.errors import ConfigError
from hospmort.monitoring.table import TableRow
from hospmort.monitoring.thresholds import (
    ThresholdTable,
    check_alpha,
    compute_table_thresholds,
    equivalent_homogeneous_unit,
    in_control_drift,
    load_threshold_table,
    sum_chart_risks,
    weight_variance,
)

RTOL = 1e-5
VECTOR_7_RISKS = np.array([0.02, 0.05, 0.10, 0.30, 0.08, 0.15, 0.03, 0.50, 0.12, 0.06, 0.25, 0.04])
START = np.array([0])


def made_up_table() -> ThresholdTable:
    """The table of vector 9: R = 2, Q 0.1 and 0.16, N_EQ 100 and 125, ALPHA 0.001 and 0.002."""
    rows = [TableRow(2.0, q, n, a, h) for q, n, a, h in [
        (0.1, 100, 0.001, 8.0), (0.1, 100, 0.002, 7.3), (0.1, 125, 0.001, 8.3), (0.1, 125, 0.002, 7.6),
        (0.16, 100, 0.001, 7.8), (0.16, 100, 0.002, 7.1), (0.16, 125, 0.001, 8.1), (0.16, 125, 0.002, 7.4)]]
    return ThresholdTable.from_rows(rows)


def test_upper_chart_sums_and_equivalent_unit_match_vector_8() -> None:
    sums = sum_chart_risks(VECTOR_7_RISKS, START, 2.0)
    assert sums.drift[0] == pytest.approx(0.333626, rel=RTOL)
    assert sums.variance[0] == pytest.approx(0.593456, rel=RTOL)
    assert sums.largest_value[0] == pytest.approx(6.80579, rel=RTOL)
    assert math.exp(sums.log_probability_of_largest[0]) == pytest.approx(3.88800e-13, rel=RTOL)
    q, n = equivalent_homogeneous_unit(sums.drift, sums.variance, 2.0)
    assert q[0] == pytest.approx(0.220386, rel=RTOL)
    assert n[0] == pytest.approx(7.18908, rel=RTOL)


def test_lower_chart_mirrored_sums_match_vector_8_and_it_is_not_monitorable() -> None:
    sums = sum_chart_risks(1.0 - VECTOR_7_RISKS, START, 2.0)
    assert sums.drift[0] == pytest.approx(0.261522, rel=RTOL)
    assert sums.variance[0] == pytest.approx(0.593456, rel=RTOL)
    assert sums.largest_value[0] == pytest.approx(0.916828, rel=RTOL)
    assert math.exp(sums.log_probability_of_largest[0]) == pytest.approx(0.132490, rel=RTOL)
    q, n = equivalent_homogeneous_unit(sums.drift, sums.variance, 2.0)
    assert q[0] == pytest.approx(0.753641, rel=RTOL)
    assert n[0] == pytest.approx(6.65280, rel=RTOL)
    result = compute_table_thresholds(VECTOR_7_RISKS, START, 0.05, made_up_table_for_any_q(), lower=True)
    assert not result.monitorable[0]
    assert result.threshold[0] == math.inf
    assert math.isnan(result.q_eq[0])


def made_up_table_for_any_q() -> ThresholdTable:
    rows = [TableRow(2.0, q, n, a, 5.0) for q in (0.01, 0.99) for n in (1, 2) for a in (0.0005, 0.1)]
    return ThresholdTable.from_rows(rows)


def test_equal_risks_are_their_own_equivalent_unit_and_clamp_below_one_percent() -> None:
    sums = sum_chart_risks(np.full(50, 0.2), START, 2.0)
    q, n = equivalent_homogeneous_unit(sums.drift, sums.variance, 2.0)
    assert q[0] == pytest.approx(0.2, rel=1e-9)
    assert n[0] == pytest.approx(50.0, rel=1e-9)
    sums = sum_chart_risks(np.full(1000, 0.004), START, 2.0)
    q, n = equivalent_homogeneous_unit(sums.drift, sums.variance, 2.0)
    assert q[0] == pytest.approx(0.01, rel=1e-12)
    assert n[0] == pytest.approx(400.0, rel=1e-6)


def test_clamp_above_99_percent_and_n_at_least_one() -> None:
    sums = sum_chart_risks(np.full(10, 0.995), START, 2.0)
    q, n = equivalent_homogeneous_unit(sums.drift, sums.variance, 2.0)
    assert q[0] == pytest.approx(0.99)
    assert n[0] == pytest.approx(10 * 0.005 / 0.01, rel=1e-6)
    sums = sum_chart_risks(np.array([0.001]), START, 2.0)
    assert equivalent_homogeneous_unit(sums.drift, sums.variance, 2.0)[1][0] == 1.0


def test_drift_to_variance_ratio_limits_at_odds_ratio_two() -> None:
    ratio = in_control_drift(np.array([1e-9, 1 - 1e-9]), 2.0) / weight_variance(np.array([1e-9, 1 - 1e-9]), 2.0)
    assert_allclose(ratio, [0.638674, 0.402011], rtol=1e-5)


def test_look_up_arithmetic_matches_vector_9() -> None:
    table = made_up_table()
    assert_allclose(table.look_up(np.array([0.13, 0.13]), np.array([110.0, 200.0]), 0.0015), [7.60873, 8.25060],
                    rtol=RTOL)


def test_infinite_table_value_enters_as_the_largest_value_of_its_unit() -> None:
    table = ThresholdTable.from_rows([TableRow(2.0, 0.5, 3, 0.1, math.inf), TableRow(2.0, 0.5, 4, 0.1, 1.150728)])
    assert table.look_up(np.array([0.5]), np.array([3.5]), 0.1)[0] == pytest.approx(1.01720, rel=RTOL)


def test_threshold_is_capped_at_the_largest_reachable_value() -> None:
    rows = [TableRow(2.0, q, n, a, 50.0) for q in (0.01, 0.99) for n in (1, 1000) for a in (0.0005, 0.1)]
    risks = np.array([0.01] * 5)
    result = compute_table_thresholds(risks, START, 0.001, ThresholdTable.from_rows(rows))
    assert result.monitorable[0]
    assert result.threshold[0] == pytest.approx(round(5 * (math.log(2) - math.log(1.01)), 10), rel=1e-12)


def test_one_record_at_one_half_is_not_monitorable_below_alpha_one_half() -> None:
    result = compute_table_thresholds(np.array([0.5]), START, 0.1, made_up_table_for_any_q())
    assert not result.monitorable[0]
    assert result.largest_value[0] == pytest.approx(0.287682, rel=RTOL)


def test_records_at_risk_zero_are_left_out_of_pi_and_the_largest_value() -> None:
    with_zeros = sum_chart_risks(np.array([0.0, 0.2, 0.0, 0.3]), START, 2.0)
    without = sum_chart_risks(np.array([0.2, 0.3]), START, 2.0)
    assert_allclose(with_zeros.largest_value, without.largest_value)
    assert_allclose(with_zeros.log_probability_of_largest, without.log_probability_of_largest)
    only_zeros = compute_table_thresholds(np.zeros(5), START, 0.01, made_up_table_for_any_q())
    assert not only_zeros.monitorable[0]


def test_charts_are_summed_separately_from_their_start_positions() -> None:
    risks = np.concatenate([VECTOR_7_RISKS, np.full(50, 0.2)])
    sums = sum_chart_risks(risks, np.array([0, 12]), 2.0)
    assert sums.drift[0] == pytest.approx(0.333626, rel=RTOL)
    alone = sum_chart_risks(np.full(50, 0.2), START, 2.0)
    assert sums.drift[1] == pytest.approx(alone.drift[0], rel=1e-12)


@pytest.mark.parametrize("alpha", [0.0004, 0.2])
def test_alpha_outside_the_table_range_is_refused(alpha: float) -> None:
    with pytest.raises(ConfigError, match=r"between 0\.0005 and 0\.1"):
        check_alpha(alpha)


def test_a_missing_table_names_the_command_that_makes_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"hospmort cusum-table --odds-ratio 3.0 --paths 1000000"):
        load_threshold_table(3.0)
    with pytest.raises(ConfigError, match="cusum-table"):
        load_threshold_table(2.0, tmp_path / "missing.csv")
