"""VLAD and CUSUM charts of one unit, from its records in chart order (statistics.md §3.1-§3.3, §4.2).

A unit's records arrive as arrays in chart order: risks p_k and outcomes y_k (1 died). Every chart is a running
sum: the VLAD V_k = Σ (p_i − y_i); a CUSUM between resets is C_k = S_k − min(0, min_{i≤k} S_i), where S_k is the
sum of the weights since the last reset (§4.2). So each chart is computed with numpy running sums and running
minima over the records; the only Python loop is over the chart's signals (each restarts the sums).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import brentq

from hospmort.monitoring.simulation import MAXIMUM_DECIMALS
from hospmort.monitoring.weights import FloatArray

IntArray = npt.NDArray[np.int64]

BROWNIAN_SERIES_TERMS = 200
"""Terms j = 0 … 199 of the series for P(max |B_t| < x) (statistics.md §3.2)."""
VLAD_LINES_MINIMUM_VARIANCE = 75.0
"""σ² = Σ p(1 − p) from which the VLAD control lines are drawn (statistics.md §3.2)."""


@dataclass(frozen=True)
class ChartSignal:
    """A signal of a chart: the signalling record (0-based position in chart order), the chart value there
    before the reset, and O and Σ p of the records after the previous reset (or from the first record) up to
    and including the signalling record (statistics.md §3.4)."""

    position: int
    value: float
    observed: int
    expected: float


@dataclass(frozen=True)
class ChartPath:
    """A chart over a unit's records: its value after each record (after any reset), the value before the reset
    (equal except at signals), and its signals."""

    values: FloatArray
    values_before_reset: FloatArray
    signals: tuple[ChartSignal, ...]

    @property
    def final_value(self) -> float:
        """The chart value after the last record (statistics.md §4.4.5 ``FINAL_VALUE``)."""
        return float(self.values[-1]) if self.values.size else 0.0


def compute_vlad(risks: FloatArray, outcomes: IntArray) -> FloatArray:
    """V_k = V_{k−1} + p_k − y_k with V_0 = 0: cumulative expected minus observed deaths (statistics.md §3.1)."""
    return np.cumsum(np.asarray(risks, dtype=np.float64) - np.asarray(outcomes, dtype=np.float64))


def run_cusum(weights: FloatArray, threshold: float, risks: FloatArray, outcomes: IntArray) -> ChartPath:
    """A CUSUM C_k = max(0, C_{k−1} + w_k) with signals and resets (statistics.md §4.2).

    A signal occurs at k when round(C_k, 10) ≥ h; it is recorded and C_k set to 0, and the sums restart at
    the next record. Between resets C_k = S_k − min(0, min_{i≤k} S_i), computed with running sums and minima.
    ``threshold`` may be +∞ (a chart that cannot signal). ``risks`` and ``outcomes`` give each signal's O and
    Σ p since the previous reset.
    """
    weights = np.asarray(weights, dtype=np.float64)
    count = weights.size
    values = np.empty(count)
    before = np.empty(count)
    signals: list[ChartSignal] = []
    cumulative_deaths = np.cumsum(np.asarray(outcomes, dtype=np.int64))
    cumulative_risk = np.cumsum(np.asarray(risks, dtype=np.float64))
    start = 0
    can_signal = not math.isinf(threshold)
    while start < count:
        sums = np.cumsum(weights[start:])
        floor = np.minimum.accumulate(sums)
        np.minimum(floor, 0.0, out=floor)
        chart = sums - floor
        hits = (np.flatnonzero(np.round(chart, MAXIMUM_DECIMALS) >= threshold) if can_signal
                else np.zeros(0, dtype=np.int64))
        if hits.size == 0:
            values[start:] = chart
            before[start:] = chart
            break
        offset = int(hits[0])
        position = start + offset
        values[start:position + 1] = chart[:offset + 1]
        before[start:position + 1] = chart[:offset + 1]
        values[position] = 0.0
        deaths_before = int(cumulative_deaths[start - 1]) if start else 0
        risk_before = float(cumulative_risk[start - 1]) if start else 0.0
        signals.append(ChartSignal(position, float(chart[offset]), int(cumulative_deaths[position]) - deaths_before,
                                   float(cumulative_risk[position]) - risk_before))
        start = position + 1
    return ChartPath(values, before, tuple(signals))


def probability_brownian_maximum_below(x: float) -> float:
    """P(max_{0≤t≤1} |B_t| < x) = (4/π)·Σ_{j=0}^{199} (−1)^j/(2j + 1)·exp(−(2j + 1)²π²/(8x²)) (§3.2)."""
    odd = 2.0 * np.arange(BROWNIAN_SERIES_TERMS) + 1.0
    signs = np.where(np.arange(BROWNIAN_SERIES_TERMS) % 2 == 0, 1.0, -1.0)
    return float(4.0 / math.pi * np.sum(signs / odd * np.exp(-(odd**2) * math.pi**2 / (8.0 * x * x))))


def brownian_maximum_quantile(alpha: float) -> float:
    """x_α, the root of P(max_{0≤t≤1} |B_t| ≥ x) = α (statistics.md §3.2): x_0.05 = 2.24140."""
    return float(brentq(lambda x: 1.0 - probability_brownian_maximum_below(x) - alpha, 0.5, 10.0, xtol=1e-14))


def vlad_line_threshold(risks: FloatArray, alpha: float) -> float | None:
    """h_VD = h_VI = x_α·σ with σ² = Σ p(1 − p), or None when σ² < 75 and the lines are not drawn (§3.2)."""
    risks = np.asarray(risks, dtype=np.float64)
    variance = float(np.sum(risks * (1.0 - risks)))
    if variance < VLAD_LINES_MINIMUM_VARIANCE:
        return None
    return brownian_maximum_quantile(alpha) * math.sqrt(variance)


@dataclass(frozen=True)
class VladLines:
    """The deterioration line A_k = P_k − h and improvement line B_k = T_k + h of a VLAD (statistics.md §3.2),
    as the two CUSUMs on the increments of V they picture."""

    threshold: float
    deterioration: ChartPath
    improvement: ChartPath
    line_a: FloatArray
    line_b: FloatArray


def compute_vlad_lines(risks: FloatArray, outcomes: IntArray, vlad: FloatArray, threshold: float) -> VladLines:
    """The control lines of §3.2: C_k = max(0, C_{k−1} + y_k − p_k) and D_k = max(0, D_{k−1} + p_k − y_k)
    with threshold h; A_k = V_k + C_k − h and B_k = V_k − D_k + h, both taken before any reset at k (the lines
    as drawn when V crosses them; §3.3's table)."""
    increments = np.asarray(outcomes, dtype=np.float64) - np.asarray(risks, dtype=np.float64)
    deterioration = run_cusum(increments, threshold, risks, outcomes)
    improvement = run_cusum(-increments, threshold, risks, outcomes)
    line_a = vlad + deterioration.values_before_reset - threshold
    line_b = vlad - improvement.values_before_reset + threshold
    return VladLines(threshold, deterioration, improvement, line_a, line_b)
