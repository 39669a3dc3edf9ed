"""Realised false-alarm probability of the table-method thresholds on null (in-control) data (§4.4, §4.4.4).

In-control outcomes are simulated for a handful of units with the risks a publication would see; the share of
simulated 12-month periods in which a chart signals (its maximum reaches h) must lie within the accuracy of
§4.4.4 (±20% of α for units with m ≥ 20 and π ≤ α/20), widened by three binomial standard errors of the
simulation itself.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from hospmort.monitoring.simulation import simulate_running_maxima, tail_probability
from hospmort.monitoring.thresholds import compute_table_thresholds, load_threshold_table

REPLICATIONS = 200_000


def logit_normal_risks(mean_risk: float, spread: float, count: int, seed: int) -> np.ndarray:
    """Risks logistic(μ + σ·z_k), z_k = Φ⁻¹((k − 0.5)/n) shuffled, μ set so that the mean risk is p̄."""
    z = norm.ppf((np.arange(1, count + 1) - 0.5) / count)
    np.random.default_rng(seed).shuffle(z)
    low, high = -20.0, 20.0
    for _ in range(100):
        middle = 0.5 * (low + high)
        if np.mean(1.0 / (1.0 + np.exp(-(middle + spread * z)))) < mean_risk:
            low = middle
        else:
            high = middle
    return 1.0 / (1.0 + np.exp(-(0.5 * (low + high) + spread * z)))


UNITS = [
    ("group of a large trust", logit_normal_risks(0.03, 1.5, 2000, 1)),
    ("high-risk group", logit_normal_risks(0.15, 1.0, 600, 2)),
    ("mixed risks", np.where(np.arange(1500) % 7 == 0, 0.3, 0.01)),
]


@pytest.mark.slow
@pytest.mark.parametrize("alpha", [0.01, 0.001])
@pytest.mark.parametrize(("name", "risks"), UNITS, ids=[u[0] for u in UNITS])
@pytest.mark.parametrize("lower", [False, True], ids=["upper", "lower"])
def test_realised_false_alarm_rate_on_null_data_is_near_alpha(name: str, risks: np.ndarray, alpha: float,
                                                              lower: bool) -> None:
    table = load_threshold_table(2.0)
    thresholds = compute_table_thresholds(risks, np.array([0]), alpha, table, lower=lower)
    assert thresholds.monitorable[0]
    maxima = simulate_running_maxima(risks, 0.5 if lower else 2.0, REPLICATIONS, seed=hash((name, alpha)) % 2**32)
    realised = tail_probability(maxima, float(thresholds.threshold[0]))
    error = 3.0 * math.sqrt(alpha * (1 - alpha) / REPLICATIONS)
    print(f"{name} {'lower' if lower else 'upper'} α={alpha}: h = {thresholds.threshold[0]:.4f}, "
          f"realised {realised:.6f} = {realised / alpha:.3f}α")
    assert 0.8 * alpha - error <= realised <= 1.2 * alpha + error, (name, alpha, lower, realised)
