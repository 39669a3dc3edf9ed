"""Exact thresholds by enumeration and by simulation (statistics.md §4.4, §4.4.1, §4.6 vectors 6-7)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from monitoring_exact import enumerate_maxima, exact_threshold, tail

from hospmort.monitoring.simulation import (
    chart_seed_text,
    count_simulated_paths,
    derive_chart_seed,
    find_exact_thresholds,
    simulate_exact_threshold,
    simulate_running_maxima,
    tail_probability,
)

RTOL = 1e-5
VECTOR_7_RISKS = [0.02, 0.05, 0.10, 0.30, 0.08, 0.15, 0.03, 0.50, 0.12, 0.06, 0.25, 0.04]


@pytest.mark.parametrize(("text", "seed"), [
    ("HSMR|RAA|122|JAN25_DEC25|UP", 10209503310397855926),
    ("SHMI|RAA|101|JAN25_DEC25|UP", 7090677577878902874),
    ("CUSUM_TABLE|2.0|0.01", 516328229998709026),
])
def test_seeds_are_the_first_8_bytes_of_sha256(text: str, seed: int) -> None:
    assert derive_chart_seed(text) == seed


def test_seed_text_joins_indicator_trust_unit_period_and_chart() -> None:
    assert chart_seed_text("HSMR", "RAA", "122", "JAN25_DEC25", "UP") == "HSMR|RAA|122|JAN25_DEC25|UP"


def test_paths_are_at_least_100000_and_ten_over_alpha() -> None:
    assert count_simulated_paths(0.001) == 100_000
    assert count_simulated_paths(0.00005) == 200_000


def test_exact_enumeration_of_vector_6_gives_the_published_tail_and_threshold() -> None:
    maxima, probabilities = enumerate_maxima([0.1] * 10, 2.0)
    for value, probability in [(1.31696, 0.0596683), (1.41227, 0.0510590), (1.50758, 0.0414930),
                               (1.60289, 0.0319271), (2.98919, 0.000182332)]:
        assert tail(maxima, probabilities, value - 5e-6) == pytest.approx(probability, rel=RTOL)
    threshold = exact_threshold(maxima, probabilities, 0.05)
    assert threshold == pytest.approx(1.50758, rel=RTOL)
    # the peer package's "closest to α" answer exceeds α
    assert tail(maxima, probabilities, 1.41227 - 5e-6) > 0.05


@pytest.mark.parametrize("seed", range(30))
def test_simulation_of_vector_6_returns_1_60289_at_alpha_0_035_for_any_seed(seed: int) -> None:
    threshold = simulate_exact_threshold(np.full(10, 0.1), 2.0, 0.035, seed, paths=100_000)
    assert threshold == pytest.approx(1.60289, rel=RTOL)


def test_exact_enumeration_of_vector_7_upper_and_lower_charts() -> None:
    maxima, probabilities = enumerate_maxima(VECTOR_7_RISKS, 2.0)
    threshold = exact_threshold(maxima, probabilities, 0.05)
    assert threshold == pytest.approx(1.47282, rel=RTOL)
    assert tail(maxima, probabilities, threshold) == pytest.approx(0.0439337, rel=RTOL)
    lower_support = max(v for v in np.unique(maxima) if v < threshold)
    assert lower_support == pytest.approx(1.46374, rel=RTOL)
    assert tail(maxima, probabilities, lower_support) == pytest.approx(0.0544093, rel=RTOL)
    lower_maxima, lower_probabilities = enumerate_maxima(VECTOR_7_RISKS, 0.5)
    assert exact_threshold(lower_maxima, lower_probabilities, 0.05) == math.inf
    assert float(lower_maxima.max()) == pytest.approx(0.916828, rel=RTOL)
    assert tail(lower_maxima, lower_probabilities, float(lower_maxima.max())) == pytest.approx(0.132490, rel=RTOL)


@pytest.mark.parametrize("seed", range(30))
def test_simulation_of_vector_7_returns_1_47282_for_any_seed(seed: int) -> None:
    threshold = simulate_exact_threshold(np.array(VECTOR_7_RISKS), 2.0, 0.05, seed, paths=100_000)
    assert threshold == pytest.approx(1.47282, rel=RTOL)


def test_simulated_lower_chart_of_vector_7_is_not_monitorable() -> None:
    assert simulate_exact_threshold(np.array(VECTOR_7_RISKS), 0.5, 0.05, 7, paths=100_000) == math.inf


def test_threshold_rule_picks_the_smallest_value_with_at_most_kappa_paths_above() -> None:
    maxima = np.array([0.0] * 90 + [1.0] * 5 + [2.0] * 3 + [3.0] * 2)  # N = 100
    assert find_exact_thresholds(maxima, [0.05, 0.03, 0.02, 0.01, 0.1]) == [2.0, 3.0, 3.0, math.inf, 1.0]


def test_maxima_differing_by_floating_point_error_are_one_atom() -> None:
    maxima = np.array([0.0] * 96 + [1.0, 1.0 + 1e-13, 1.0 - 1e-13, 1.0])
    assert find_exact_thresholds(maxima, [0.05]) == [1.0]
    assert tail_probability(maxima, 1.0) == pytest.approx(0.04)


def test_block_boundaries_do_not_change_the_simulation() -> None:
    risks = np.array(VECTOR_7_RISKS)
    whole = simulate_running_maxima(risks, 2.0, 70_000, 11)
    rng = np.random.Generator(np.random.PCG64(11))
    chart = np.zeros(70_000)
    maxima = np.zeros(70_000)
    for risk in risks:  # the specification's procedure: one rng.random(N) per record
        died = rng.random(70_000) < risk
        chart = np.maximum(0.0, chart + np.where(died, math.log(2.0), 0.0) - math.log(1.0 + risk))
        maxima = np.maximum(maxima, chart)
    np.testing.assert_allclose(whole, maxima, rtol=0, atol=1e-12)


def test_checkpoints_receive_the_running_maxima_after_n_records() -> None:
    seen: dict[int, np.ndarray] = {}
    final = simulate_running_maxima(np.full(30, 0.2), 2.0, 5_000, 3, checkpoints=[5, 30],
                                    on_checkpoint=lambda n, m: seen.__setitem__(n, m.copy()))
    partial = simulate_running_maxima(np.full(5, 0.2), 2.0, 5_000, 3)
    np.testing.assert_array_equal(seen[5], partial)
    np.testing.assert_array_equal(seen[30], final)
