"""The accuracy test of statistics.md §4.4.4: the table method against the exact simulation (slow).

Grid of units: risks logistic(μ + σ·z_k), z_k = Φ⁻¹((k − 0.5)/n) in an order shuffled by
``numpy.random.default_rng(n)``, μ such that the mean risk is p̄, for p̄ ∈ {0.003, 0.02, 0.08, 0.25},
σ ∈ {0.5, 1.5, 2.5}, n ∈ {40, 200, 1000, 3000}; a mix of ⌊0.15·n⌋ records at 0.3 and the rest at 0.01 shuffled
by ``default_rng(n)``, n ∈ {200, 2000}; and p̄ = 0.05, σ = 1.5, n = 1000 sorted by increasing risk. For
α ∈ {0.01, 0.001} and both charts, against N = 1,000,000 reference paths (fixed seeds):

* monitorability agrees with the exact simulation wherever π is not within ±10% of α;
* monitorable, m ≥ 20 and π ≤ α/20: F̂(h*_{1.2α}) ≥ F̂(h) ≥ F̂(h*_{0.8α});
* any other monitorable unit: F̂(h) ≤ F̂(h*_{2α}).
"""

from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from scipy.stats import norm

from hospmort.monitoring.simulation import find_exact_thresholds, tail_probability
from hospmort.monitoring.thresholds import compute_table_thresholds, load_threshold_table

REFERENCE_PATHS = 1_000_000
ALPHAS = (0.01, 0.001)


def grid_risks(mean_risk: float, spread: float, count: int) -> np.ndarray:
    z = norm.ppf((np.arange(1, count + 1) - 0.5) / count)
    np.random.default_rng(count).shuffle(z)
    low, high = -30.0, 30.0
    for _ in range(200):
        middle = 0.5 * (low + high)
        if np.mean(1.0 / (1.0 + np.exp(-(middle + spread * z)))) < mean_risk:
            low = middle
        else:
            high = middle
    return np.asarray(1.0 / (1.0 + np.exp(-(0.5 * (low + high) + spread * z))))


def mixed_risks(count: int) -> np.ndarray:
    risks = np.full(count, 0.01)
    risks[: math.floor(0.15 * count)] = 0.3
    np.random.default_rng(count).shuffle(risks)
    return risks


def grid_units() -> list[tuple[str, np.ndarray]]:
    units = [(f"p{p}-s{s}-n{n}", grid_risks(p, s, n)) for p in (0.003, 0.02, 0.08, 0.25) for s in (0.5, 1.5, 2.5)
             for n in (40, 200, 1000, 3000)]
    units += [(f"mix-n{n}", mixed_risks(n)) for n in (200, 2000)]
    units.append(("sorted-p0.05-s1.5-n1000", np.sort(grid_risks(0.05, 1.5, 1000))))
    return units


PATH_BLOCK = 1 << 16


def simulate_both_maxima(risks: np.ndarray, paths: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Reference maxima of the upper (R = 2) and lower (R = 1/2) charts over the same in-control paths.

    Written here independently of the module under test: one uniform draw per path and record decides the
    outcome (y = 1 when u < p), both charts are iterated as C = max(0, C + W), blocks of paths at a time.
    """
    upper_death = np.log(2.0) - np.log1p(risks)
    upper_survivor = -np.log1p(risks)
    lower_death = np.log(0.5) - np.log1p(-0.5 * risks)
    lower_survivor = -np.log1p(-0.5 * risks)
    upper_max = np.zeros(paths)
    lower_max = np.zeros(paths)
    for start in range(0, paths, PATH_BLOCK):
        size = min(PATH_BLOCK, paths - start)
        upper = np.zeros(size)
        lower = np.zeros(size)
        top_upper = np.zeros(size)
        top_lower = np.zeros(size)
        block_rng = np.random.Generator(np.random.PCG64(seed + start))
        for k in range(risks.size):
            died = block_rng.random(size) < risks[k]
            upper += np.where(died, upper_death[k], upper_survivor[k])
            np.maximum(upper, 0.0, out=upper)
            np.maximum(top_upper, upper, out=top_upper)
            lower += np.where(died, lower_death[k], lower_survivor[k])
            np.maximum(lower, 0.0, out=lower)
            np.maximum(top_lower, lower, out=top_lower)
        upper_max[start:start + size] = top_upper
        lower_max[start:start + size] = top_lower
    return np.round(upper_max, 10), np.round(lower_max, 10)


def check_unit(name: str, risks: np.ndarray, seed: int) -> list[str]:
    """The §4.4.4 checks of one unit, both charts, both levels; returns the failures (and prints the ratios)."""
    table = load_threshold_table(2.0)
    upper_max, lower_max = simulate_both_maxima(risks, REFERENCE_PATHS, seed)
    expected_events = min(float(np.sum(risks)), float(np.sum(1.0 - risks)))
    failures = []
    for lower, maxima in ((False, upper_max), (True, lower_max)):
        chart_risks = 1.0 - risks if lower else risks
        positive = chart_risks[chart_risks > 0]
        probability_all_deaths = math.exp(float(np.sum(np.log(positive))))
        for alpha in ALPHAS:
            method = compute_table_thresholds(risks, np.array([0]), alpha, table, lower=lower)
            h = float(method.threshold[0])
            levels = (0.8, 1.0, 1.2, 2.0)
            exact = dict(zip(levels, find_exact_thresholds(maxima, [f * alpha for f in levels]), strict=True))
            label = f"{name} {'lower' if lower else 'upper'} α={alpha}"
            if abs(probability_all_deaths - alpha) > 0.1 * alpha and bool(method.monitorable[0]) != math.isfinite(
                    exact[1.0]):
                failures.append(f"{label}: monitorable {bool(method.monitorable[0])}, exact h* {exact[1.0]}")
            if not method.monitorable[0]:
                continue
            realised = tail_probability(maxima, h)
            large = expected_events >= 20 and probability_all_deaths <= alpha / 20
            print(f"{label}: h = {h:.6f}, F(h)/α = {realised / alpha:.3f} ({'first' if large else 'second'} class)")
            if large:
                low, high = tail_probability(maxima, exact[0.8]), tail_probability(maxima, exact[1.2])
                if not high >= realised >= low:
                    failures.append(f"{label}: F(h) = {realised:.6g} outside [{low:.6g}, {high:.6g}]")
            elif realised > tail_probability(maxima, exact[2.0]):
                failures.append(f"{label}: F(h) = {realised:.6g} above F(h*_2α) = "
                                f"{tail_probability(maxima, exact[2.0]):.6g}")
    return failures


@pytest.mark.slow
def test_table_method_meets_the_accuracy_target_of_section_4_4_4() -> None:
    jobs = [(name, risks, 1000 + index) for index, (name, risks) in enumerate(grid_units())]
    jobs.sort(key=lambda job: -job[1].size)  # longest first balances the two workers
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(check_unit, *zip(*jobs, strict=True)))
    failures = [failure for result in results for failure in result]
    assert not failures, "\n".join(failures)
