"""Per-chart CUSUM thresholds by the table method (statistics.md §4.4.2), vectorised over charts.

A publication has tens of thousands of charts; each needs a few sums over its records and one look-up in the
threshold table of §4.4.3. Charts are given as one array of risks, chart after chart, with the position where
each chart starts, so that every sum is one ``numpy.add.reduceat`` and every step runs on all charts at once.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from hospmort.errors import ConfigError
from hospmort.monitoring.simulation import MAXIMUM_DECIMALS
from hospmort.monitoring.table import TableRow, packaged_table_path, read_table_rows
from hospmort.monitoring.weights import FloatArray

IntArray = npt.NDArray[np.int64]

MINIMUM_ALPHA = 0.0005
MAXIMUM_ALPHA = 0.1
DEFAULT_ALPHA = 0.001
"""α per unit and chart, default 0.001, configurable from 0.0005 to 0.1 (statistics.md §4.4)."""
CLAMP_LOW = 0.01
CLAMP_HIGH = 0.99
LOGIT_BRACKET = 36.0
"""Bisection bracket on logit q: q stays strictly inside (0, 1) in float64."""
BISECTION_TOLERANCE = 1e-12


def in_control_drift(risks: FloatArray, odds_ratio: float) -> FloatArray:
    """δ(p) = ln(1 − p + R·p) − p·ln R, the in-control drift −E[W] of a record (statistics.md §4.4.2 step 3)."""
    return np.log1p(risks * (odds_ratio - 1.0)) - risks * math.log(odds_ratio)


def weight_variance(risks: FloatArray, odds_ratio: float) -> FloatArray:
    """v(p) = p(1 − p)(ln R)², the variance of W (statistics.md §4.4.2 step 3)."""
    return risks * (1.0 - risks) * math.log(odds_ratio) ** 2


def largest_death_weight(risks: FloatArray, odds_ratio: float) -> FloatArray:
    """ln R − ln(1 − p + R·p), a death's weight: the step of the all-deaths path (§4.4.2 step 2)."""
    return math.log(odds_ratio) - np.log1p(risks * (odds_ratio - 1.0))


@dataclass(frozen=True)
class ChartSums:
    """Per chart: M_max, ln π (π the probability of the all-deaths path), K = Σ δ(p) and V = Σ v(p)."""

    largest_value: FloatArray
    log_probability_of_largest: FloatArray
    drift: FloatArray
    variance: FloatArray


def sum_chart_risks(risks: FloatArray, starts: IntArray, odds_ratio: float) -> ChartSums:
    """Steps 2-3 sums of §4.4.2 for each chart: records with p = 0 are left out of π and M_max (§4.5)."""
    risks = np.asarray(risks, dtype=np.float64)
    positive = risks > 0.0
    steps = np.where(positive, largest_death_weight(risks, odds_ratio), 0.0)
    with np.errstate(divide="ignore"):
        logs = np.where(positive, np.log(np.where(positive, risks, 1.0)), 0.0)
    return ChartSums(
        largest_value=np.add.reduceat(steps, starts),
        log_probability_of_largest=np.add.reduceat(logs, starts),
        drift=np.add.reduceat(in_control_drift(risks, odds_ratio), starts),
        variance=np.add.reduceat(weight_variance(risks, odds_ratio), starts),
    )


def find_equivalent_risk(ratio: FloatArray, odds_ratio: float) -> FloatArray:
    """q in (0, 1) with δ(q)/v(q) = K/V, by bisection on logit q to 1e-12 (statistics.md §4.4.2 step 3).

    δ(q)/v(q) falls strictly from (R − 1 − ln R)/(ln R)² at q → 0 to (ln R − 1 + 1/R)/(ln R)² at q → 1.
    """
    low = np.full(ratio.shape, -LOGIT_BRACKET)
    high = np.full(ratio.shape, LOGIT_BRACKET)
    squared_log = math.log(odds_ratio) ** 2
    while float(np.max(high - low, initial=0.0)) >= BISECTION_TOLERANCE:
        middle = 0.5 * (low + high)
        q = _expit(middle)
        variance = q * _expit(-middle) * squared_log
        above = in_control_drift(q, odds_ratio) / variance > ratio
        low = np.where(above, middle, low)
        high = np.where(above, high, middle)
    return _expit(0.5 * (low + high))


def _expit(logit: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-logit)), dtype=np.float64)


def clamp_equivalent_unit(q: FloatArray, n: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Step 4 of §4.4.2: below q = 0.01, n' ← n'·q/0.01, q ← 0.01; above 0.99, n' ← n'·(1 − q)/0.01,
    q ← 0.99; then n' ← max(n', 1)."""
    low = q < CLAMP_LOW
    high = q > CLAMP_HIGH
    n = np.where(low, n * q / CLAMP_LOW, np.where(high, n * (1.0 - q) / CLAMP_LOW, n))
    q = np.where(low, CLAMP_LOW, np.where(high, CLAMP_HIGH, q))
    return q, np.maximum(n, 1.0)


def equivalent_homogeneous_unit(drift: FloatArray, variance: FloatArray,
                                odds_ratio: float) -> tuple[FloatArray, FloatArray]:
    """(q, n') after steps 3 and 4 of §4.4.2 from K and V: q solves δ(q)/v(q) = K/V, n' = K/δ(q)."""
    q = find_equivalent_risk(drift / variance, odds_ratio)
    n = drift / in_control_drift(q, odds_ratio)
    return clamp_equivalent_unit(q, n)


def _logit(value: float) -> float:
    return math.log(value / (1.0 - value))


@dataclass(frozen=True)
class ThresholdTable:
    """The threshold table of one R (statistics.md §4.4.3), arranged for the look-up of §4.4.2 step 5:
    per column Q and level α, ln N_EQ and H with ``INF`` replaced by N_EQ·(ln R − ln(1 − Q + R·Q))."""

    odds_ratio: float
    q_values: tuple[float, ...]
    alphas: tuple[float, ...]
    log_n: dict[tuple[float, float], FloatArray]
    thresholds: dict[tuple[float, float], FloatArray]

    @classmethod
    def from_rows(cls, rows: Sequence[TableRow]) -> ThresholdTable:
        odds = {row.odds_ratio for row in rows}
        if len(odds) != 1:
            raise ConfigError(f"a CUSUM threshold table holds one R; found {sorted(odds)}")
        odds_ratio = odds.pop()
        cells: dict[tuple[float, float], list[tuple[int, float]]] = {}
        for row in rows:
            value = row.threshold
            if math.isinf(value):
                value = row.n_eq * float(largest_death_weight(np.array(row.q), odds_ratio))
            cells.setdefault((row.q, row.alpha), []).append((row.n_eq, value))
        q_values = tuple(sorted({q for q, _ in cells}))
        alphas = tuple(sorted({a for _, a in cells}))
        missing = [(q, a) for q in q_values for a in alphas if (q, a) not in cells]
        if missing:
            raise ConfigError(f"the CUSUM threshold table has no rows for (Q, ALPHA) {missing[:3]}")
        log_n: dict[tuple[float, float], FloatArray] = {}
        thresholds: dict[tuple[float, float], FloatArray] = {}
        for key, points in cells.items():
            points.sort()
            log_n[key] = np.log(np.array([n for n, _ in points], dtype=np.float64))
            thresholds[key] = np.array([h for _, h in points], dtype=np.float64)
        return cls(odds_ratio, q_values, alphas, log_n, thresholds)

    def _column_thresholds(self, q: float, alpha: float, n: FloatArray) -> FloatArray:
        """H of one column at one level, linear in ln n' between grid points, H(n_L) + ln(n'/n_L) beyond the
        last point n_L (the exponential tail)."""
        grid = self.log_n[(q, alpha)]
        values = self.thresholds[(q, alpha)]
        log_n = np.log(n)
        inside = np.interp(log_n, grid, values)
        return np.where(log_n > grid[-1], values[-1] + (log_n - grid[-1]), inside)

    def look_up(self, q: FloatArray, n: FloatArray, alpha: float) -> FloatArray:
        """Step 5 of §4.4.2: the two columns around q and the two levels around α, linear in ln n' within a
        column, then in logit q between columns and in ln α between levels."""
        q = np.asarray(q, dtype=np.float64)
        n = np.asarray(n, dtype=np.float64)
        lower_level, upper_level, level_weight = _bracket_level(self.alphas, alpha)
        result = np.empty(q.shape)
        columns = np.clip(np.searchsorted(self.q_values, q, side="right") - 1, 0, len(self.q_values) - 1)
        for index in np.unique(columns):
            chosen = columns == index
            low_q = self.q_values[int(index)]
            high_q = self.q_values[min(int(index) + 1, len(self.q_values) - 1)]
            if high_q == low_q:
                column_weight = np.zeros(int(np.count_nonzero(chosen)))
            else:
                logits = np.log(q[chosen] / (1.0 - q[chosen]))
                column_weight = (logits - _logit(low_q)) / (_logit(high_q) - _logit(low_q))
            by_level = []
            for level in (lower_level, upper_level):
                low_values = self._column_thresholds(low_q, level, n[chosen])
                high_values = self._column_thresholds(high_q, level, n[chosen])
                by_level.append(low_values + column_weight * (high_values - low_values))
            result[chosen] = by_level[0] + level_weight * (by_level[1] - by_level[0])
        return result


def _bracket_level(grid: Sequence[float], value: float) -> tuple[float, float, float]:
    """The table levels around α and α's weight on the upper one, linear in ln α (§4.4.2 step 5)."""
    if value < grid[0] or value > grid[-1]:
        raise ConfigError(f"α = {value} is outside the threshold table's levels {grid[0]} … {grid[-1]}")
    position = bisect.bisect_right(grid, value) - 1
    if position >= len(grid) - 1 or grid[position] == value:
        return grid[position], grid[position], 0.0
    low, high = grid[position], grid[position + 1]
    return low, high, (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))


def load_threshold_table(odds_ratio: float, path: Path | None = None) -> ThresholdTable:
    """The packaged threshold table for R (or the table at ``path``); a missing table stops the run with a
    message naming the command that makes it (statistics.md §4.4.3)."""
    location = path if path is not None else packaged_table_path(odds_ratio)
    if not location.is_file():
        raise ConfigError(
            f"no CUSUM threshold table for R = {odds_ratio} ({location.name}): make it with "
            f"`hospmort cusum-table --odds-ratio {odds_ratio} --paths 1000000 --out FILE` (statistics.md §4.4.3)"
        )
    table = ThresholdTable.from_rows(read_table_rows(location))
    if not math.isclose(table.odds_ratio, odds_ratio):
        raise ConfigError(f"{location}: the table is for R = {table.odds_ratio}, not {odds_ratio}")
    return table


def check_alpha(alpha: float) -> float:
    """α must lie in 0.0005 … 0.1, the range of the table (statistics.md §4.4)."""
    if not MINIMUM_ALPHA <= alpha <= MAXIMUM_ALPHA:
        raise ConfigError(f"the CUSUM false-alarm probability α must be between {MINIMUM_ALPHA} and "
                          f"{MAXIMUM_ALPHA}, got {alpha}")
    return alpha


@dataclass(frozen=True)
class ChartThresholds:
    """Per chart: monitorable, h (+∞ when not), q and n' after step 4 (NaN when not monitorable), M_max, ln π."""

    monitorable: npt.NDArray[np.bool_]
    threshold: FloatArray
    q_eq: FloatArray
    n_eq: FloatArray
    largest_value: FloatArray
    log_probability_of_largest: FloatArray


def compute_table_thresholds(risks: FloatArray, starts: IntArray, alpha: float, table: ThresholdTable, *,
                             lower: bool = False) -> ChartThresholds:
    """Thresholds of charts by the table method, steps 1-6 of statistics.md §4.4.2.

    ``risks`` holds the charts' risks one chart after another, ``starts`` where each chart begins. A lower
    chart (``lower``) is treated as the upper chart at R_A of the mirrored risks 1 − p (step 1).
    """
    chart_risks = 1.0 - np.asarray(risks, dtype=np.float64) if lower else np.asarray(risks, dtype=np.float64)
    odds_ratio = table.odds_ratio
    sums = sum_chart_risks(chart_risks, starts, odds_ratio)
    monitorable = sums.log_probability_of_largest <= math.log(alpha)
    threshold = np.full(starts.shape, math.inf)
    q_eq = np.full(starts.shape, math.nan)
    n_eq = np.full(starts.shape, math.nan)
    if np.any(monitorable):
        q, n = equivalent_homogeneous_unit(sums.drift[monitorable], sums.variance[monitorable], odds_ratio)
        looked_up = table.look_up(q, n, alpha)
        threshold[monitorable] = np.minimum(looked_up,
                                            np.round(sums.largest_value[monitorable], MAXIMUM_DECIMALS))
        q_eq[monitorable] = q
        n_eq[monitorable] = n
    return ChartThresholds(monitorable, threshold, q_eq, n_eq, sums.largest_value, sums.log_probability_of_largest)
