"""VLAD, its control lines and the CUSUM with resets (statistics.md §3.1-§3.3, §4.2, §4.6 vectors 4-5)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from hospmort.monitoring.charts import (
    brownian_maximum_quantile,
    compute_vlad,
    compute_vlad_lines,
    probability_brownian_maximum_below,
    run_cusum,
    vlad_line_threshold,
)
from hospmort.monitoring.weights import compute_cusum_weights

RTOL = 1e-5
RISKS = np.array([0.05, 0.10, 0.20, 0.05, 0.30, 0.10, 0.05, 0.15, 0.02, 0.02])
OUTCOMES = np.array([0, 1, 0, 1, 1, 0, 1, 0, 0, 0])


def iterate_cusum(weights: np.ndarray, threshold: float) -> tuple[list[float], list[int]]:
    """C_k = max(0, C_{k−1} + w_k), reset after a signal, record by record (the definition of §4.2)."""
    chart, values, signals = 0.0, [], []
    for index, w in enumerate(weights):
        chart = max(0.0, chart + w)
        if round(chart, 10) >= threshold:
            signals.append(index)
            chart = 0.0
        values.append(chart)
    return values, signals


def test_vlad_of_the_test_vector_section_3_3() -> None:
    vlad = compute_vlad(RISKS, OUTCOMES)
    assert_allclose(vlad, [0.05, -0.85, -0.65, -1.60, -2.30, -2.20, -3.15, -3.00, -2.98, -2.96], atol=1e-12)


def test_vlad_lines_of_the_test_vector_signal_at_records_4_and_7_only() -> None:
    vlad = compute_vlad(RISKS, OUTCOMES)
    lines = compute_vlad_lines(RISKS, OUTCOMES, vlad, 1.0)
    assert_allclose(lines.line_a, [-0.95, -0.95, -0.95, -0.95, -2.60, -2.60, -2.60, -4.00, -3.98, -3.96], atol=1e-12)
    assert_allclose(lines.line_b, [1.00, 0.15, 0.15, -0.60, -1.30, -1.30, -2.15, -2.15, -2.15, -2.15], atol=1e-12)
    assert [s.position + 1 for s in lines.deterioration.signals] == [4, 7]
    assert lines.improvement.signals == ()
    # the E−O CUSUM confirming the two signals: (0, 0.9, 0.7, 1.65 → reset, 0.7, 0.6, 1.55 → reset, 0, 0, 0)
    assert_allclose(lines.deterioration.values_before_reset, [0, 0.9, 0.7, 1.65, 0.7, 0.6, 1.55, 0, 0, 0], atol=1e-12)
    assert_allclose(lines.deterioration.values, [0, 0.9, 0.7, 0, 0.7, 0.6, 0, 0, 0, 0], atol=1e-12)


def test_fixed_weights_without_threshold_match_vector_4() -> None:
    outcomes = np.array([0, 1, 0, 0, 0, 0, 0, 1, 0, 0])
    weights = np.where(outcomes == 1, 0.6, -0.2)
    path = run_cusum(weights, math.inf, np.zeros(10), outcomes)
    assert_allclose(path.values, [0, 0.6, 0.4, 0.2, 0, 0, 0, 0.6, 0.4, 0.2], atol=1e-12)
    assert path.signals == ()


def test_upper_chart_with_reset_matches_vector_5() -> None:
    weights = compute_cusum_weights(RISKS, OUTCOMES, 2.0)
    assert_allclose(weights, [-0.0487902, 0.597837, -0.182322, 0.644357, 0.430783, -0.0953102, 0.644357,
                              -0.139762, -0.0198026, -0.0198026], rtol=RTOL)
    path = run_cusum(weights, 1.5, RISKS, OUTCOMES)
    assert_allclose(path.values_before_reset[:7], [0, 0.597837, 0.415515, 1.05987, 1.49066, 1.39535, 2.03970],
                    rtol=RTOL, atol=1e-12)
    assert_allclose(path.values, [0, 0.597837, 0.415515, 1.05987, 1.49066, 1.39535, 0, 0, 0, 0], rtol=RTOL,
                    atol=1e-12)
    assert len(path.signals) == 1
    signal = path.signals[0]
    assert signal.position == 6
    assert signal.value == pytest.approx(2.03970, rel=RTOL)
    assert signal.observed == 4
    assert signal.expected == pytest.approx(0.85, rel=1e-12)


def test_lower_chart_of_vector_5_never_signals() -> None:
    path = run_cusum(compute_cusum_weights(RISKS, OUTCOMES, 0.5), 0.5, RISKS, OUTCOMES)
    assert_allclose(path.values, [0.0253178, 0, 0.105361, 0, 0, 0.0512933, 0, 0.0779615, 0.0880119, 0.0980622],
                    rtol=RTOL, atol=1e-12)
    assert path.signals == ()


def test_signal_counts_observed_and_expected_since_the_previous_reset() -> None:
    risks = np.full(8, 0.1)
    outcomes = np.array([1, 1, 0, 1, 1, 0, 0, 1])
    path = run_cusum(compute_cusum_weights(risks, outcomes, 2.0), 1.0, risks, outcomes)
    positions = [s.position for s in path.signals]
    assert positions == [1, 4]
    assert [s.observed for s in path.signals] == [2, 2]
    assert [s.expected for s in path.signals] == pytest.approx([0.2, 0.3])


@pytest.mark.parametrize("seed", range(20))
def test_running_sum_form_equals_the_recursive_definition_on_random_paths(seed: int) -> None:
    rng = np.random.default_rng(seed)
    risks = rng.uniform(0.0, 0.6, 300)
    outcomes = (rng.random(300) < risks * 1.8).astype(np.int64)
    weights = compute_cusum_weights(risks, outcomes, 2.0)
    threshold = float(rng.uniform(0.5, 4.0))
    expected_values, expected_signals = iterate_cusum(weights, threshold)
    path = run_cusum(weights, threshold, risks, outcomes)
    assert [s.position for s in path.signals] == expected_signals
    assert_allclose(path.values, expected_values, atol=1e-9)


def test_all_survivors_give_a_rising_vlad_and_no_deterioration_signal() -> None:
    risks = np.full(400, 0.3)
    outcomes = np.zeros(400, dtype=np.int64)
    vlad = compute_vlad(risks, outcomes)
    assert_allclose(vlad, np.cumsum(risks))
    lines = compute_vlad_lines(risks, outcomes, vlad, 2.0)
    assert lines.deterioration.signals == ()
    assert run_cusum(compute_cusum_weights(risks, outcomes, 2.0), 0.5, risks, outcomes).signals == ()


def test_one_record_and_tiny_risk_edge_cases() -> None:
    assert_allclose(compute_vlad(np.array([0.3]), np.array([1])), [-0.7])
    vlad = compute_vlad(np.array([1e-9, 1e-9]), np.array([0, 1]))
    assert vlad[1] - vlad[0] == pytest.approx(-1.0, abs=1e-8)


@pytest.mark.parametrize(("alpha", "quantile"), [(0.05, 2.24140), (0.01, 2.80703), (0.001, 3.48076)])
def test_brownian_quantiles_match_section_3_2(alpha: float, quantile: float) -> None:
    assert brownian_maximum_quantile(alpha) == pytest.approx(quantile, rel=RTOL)
    assert 1.0 - probability_brownian_maximum_below(quantile) == pytest.approx(alpha, rel=1e-4)


def test_vlad_lines_are_drawn_only_from_variance_75() -> None:
    assert vlad_line_threshold(np.full(300, 0.5), 0.001) == pytest.approx(3.48076 * math.sqrt(75.0), rel=RTOL)
    assert vlad_line_threshold(np.full(299, 0.5), 0.001) is None
