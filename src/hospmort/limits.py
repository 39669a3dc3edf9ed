"""Funnel-plot control limits, confidence intervals for a standardised ratio, and banding.

The rules are those of ``methodology/shmi.md`` §12 (over-dispersed limits by the truncation method, Poisson
limits, banding) and ``methodology/statistics.md`` §1-§2 (exact and Byar's intervals, exact-test funnel
boundaries). Inputs are plain sequences or numpy arrays; nothing here reads or writes files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt
from scipy import optimize, special, stats

from hospmort.rounding import round_half_up

Z95 = 1.959963984540054
Z998 = 3.090232306167813
ALPHA95 = 0.05
ALPHA998 = 0.002
BYAR_THRESHOLD = 10

FloatArray = npt.NDArray[np.float64]


class Banding(IntEnum):
    """SHMI banding: 1 higher than expected, 2 as expected, 3 lower than expected."""

    HIGHER_THAN_EXPECTED = 1
    AS_EXPECTED = 2
    LOWER_THAN_EXPECTED = 3


@dataclass(frozen=True)
class OverdispersionParameters:
    """What the truncation method estimated over one set of units: n, m, phi and tau^2 (shmi.md §12)."""

    units: int
    units_kept: int
    phi: float
    tau2: float


@dataclass(frozen=True)
class FunnelLimits:
    """Limits and banding for a set of units, in input order (arrays of length n).

    ``expected`` is the expected count the limits use (E2 for the SHMI). Lower/upper limits are on the ratio
    scale. ``rank`` is the average rank of the z-score (1 = lowest) and ``rank_group`` the SAS PROC RANK
    GROUPS=10 group; ``kept`` marks the units that entered the estimate of phi and tau^2.
    """

    observed: FloatArray
    expected: FloatArray
    ratio: FloatArray
    z_score: FloatArray
    rank: FloatArray
    rank_group: npt.NDArray[np.int64]
    kept: npt.NDArray[np.bool_]
    od_lower_95: FloatArray
    od_upper_95: FloatArray
    od_lower_998: FloatArray
    od_upper_998: FloatArray
    po_lower_95: FloatArray
    po_upper_95: FloatArray
    po_lower_998: FloatArray
    po_upper_998: FloatArray
    banding: npt.NDArray[np.int64]
    parameters: OverdispersionParameters


def round_expected(expected: float) -> float:
    """E2: expected deaths rounded to 2 decimals (half away from zero), used by the SHMI and its limits."""
    return round_half_up(expected, 2)


def z_scores(observed: FloatArray, expected: FloatArray) -> FloatArray:
    """z_i = sqrt(E_i) * ln(O_i / E_i), and -inf where O_i = 0 (shmi.md §12.1)."""
    with np.errstate(divide="ignore"):
        return np.where(observed > 0, np.sqrt(expected) * np.log(observed / expected), -np.inf)


def average_ranks(values: FloatArray) -> FloatArray:
    """Ranks 1..n, ties sharing the mean of their ranks (-inf ranks lowest)."""
    return np.asarray(stats.rankdata(values, method="average"), dtype=np.float64)


def rank_groups(ranks: FloatArray) -> npt.NDArray[np.int64]:
    """SAS ``PROC RANK GROUPS=10``: k = floor(10 r / (n + 1)), computed exactly for half-integer ranks."""
    n = len(ranks)
    doubled = np.rint(2 * ranks).astype(np.int64)  # average ranks are multiples of 1/2
    return (10 * doubled) // (2 * (n + 1))


def estimate_overdispersion(
    observed: FloatArray, expected: FloatArray
) -> tuple[OverdispersionParameters, FloatArray, FloatArray, npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """phi and tau^2 by the truncation method of shmi.md §12 steps 1-5.

    Returns the parameters, the z-scores, the ranks, the rank groups and the kept mask.
    """
    n = len(observed)
    z = z_scores(observed, expected)
    if n == 0:
        empty_f = np.zeros(0)
        return (OverdispersionParameters(0, 0, 0.0, 0.0), empty_f, empty_f, np.zeros(0, np.int64),
                np.zeros(0, bool))
    ranks = average_ranks(z)
    groups = rank_groups(ranks)
    kept = (groups >= 1) & (groups <= 8) & (observed > 0)
    m = int(kept.sum())
    if m == 0:
        return OverdispersionParameters(n, 0, 0.0, 0.0), z, ranks, groups, kept
    phi = math.fsum(float(v) for v in z[kept] ** 2) / m
    tau2 = 0.0
    if m >= 2:
        weights = expected[kept]
        sum_w = math.fsum(float(w) for w in weights)
        denominator = sum_w - math.fsum(float(w) for w in weights**2) / sum_w
        tau2 = max(0.0, (m * phi - (m - 1)) / denominator)
    return OverdispersionParameters(n, m, phi, tau2), z, ranks, groups, kept


def overdispersed_limits(expected: FloatArray | float, tau2: float, z: float) -> tuple[FloatArray, FloatArray]:
    """Over-dispersed limits exp(-+ z sqrt(1/E + tau^2)) on the ratio scale (shmi.md §12.6)."""
    width = z * np.sqrt(1.0 / np.asarray(expected, dtype=np.float64) + tau2)
    return np.exp(-width), np.exp(width)


def poisson_limits(expected: FloatArray | float, z: float) -> tuple[FloatArray, FloatArray]:
    """Square-root Poisson limits (max(0, 1 - z/(2 sqrt E)))^2 and (1 + z/(2 sqrt E))^2 (shmi.md §12.7)."""
    half_width = z / (2.0 * np.sqrt(np.asarray(expected, dtype=np.float64)))
    return np.maximum(0.0, 1.0 - half_width) ** 2, (1.0 + half_width) ** 2


def band(ratio: FloatArray, lower_95: FloatArray, upper_95: FloatArray) -> npt.NDArray[np.int64]:
    """Banding from unrounded ratios and 95% over-dispersed limits (shmi.md §12.8)."""
    result = np.full(len(ratio), int(Banding.AS_EXPECTED), dtype=np.int64)
    result[ratio > upper_95] = int(Banding.HIGHER_THAN_EXPECTED)
    result[ratio < lower_95] = int(Banding.LOWER_THAN_EXPECTED)
    return result


def compute_funnel_limits(observed: Sequence[float] | FloatArray,
                          expected: Sequence[float] | FloatArray) -> FunnelLimits:
    """Limits and banding of shmi.md §12 for one set of units, ``expected`` already rounded (E2) and > 0.

    Every unit gets limits and a banding whether or not it was kept for the estimate of phi and tau^2.
    """
    obs = np.asarray(observed, dtype=np.float64)
    exp_ = np.asarray(expected, dtype=np.float64)
    if obs.shape != exp_.shape or obs.ndim != 1:
        raise ValueError("observed and expected must be one-dimensional and of the same length")
    if np.any(~np.isfinite(obs)) or np.any(obs < 0):
        raise ValueError("observed must be finite and non-negative")
    if np.any(~np.isfinite(exp_)) or np.any(exp_ <= 0):
        raise ValueError("expected must be finite and positive")
    parameters, z, ranks, groups, kept = estimate_overdispersion(obs, exp_)
    ratio = obs / exp_
    od_lo_95, od_hi_95 = overdispersed_limits(exp_, parameters.tau2, Z95)
    od_lo_998, od_hi_998 = overdispersed_limits(exp_, parameters.tau2, Z998)
    po_lo_95, po_hi_95 = poisson_limits(exp_, Z95)
    po_lo_998, po_hi_998 = poisson_limits(exp_, Z998)
    return FunnelLimits(
        observed=obs,
        expected=exp_,
        ratio=ratio,
        z_score=z,
        rank=ranks,
        rank_group=groups,
        kept=kept,
        od_lower_95=od_lo_95,
        od_upper_95=od_hi_95,
        od_lower_998=od_lo_998,
        od_upper_998=od_hi_998,
        po_lower_95=po_lo_95,
        po_upper_95=po_hi_95,
        po_lower_998=po_lo_998,
        po_upper_998=po_hi_998,
        banding=band(ratio, od_lo_95, od_hi_95),
        parameters=parameters,
    )


# --- Confidence intervals for an observed count and a standardised ratio (statistics.md §1) ---------------


def z_for_alpha(alpha: float) -> float:
    """z = Phi^-1(1 - alpha/2), with the exact constants of statistics.md §0 for 95% and 99.8%."""
    if alpha == ALPHA95:
        return Z95
    if alpha == ALPHA998:
        return Z998
    return float(stats.norm.ppf(1.0 - alpha / 2.0))


def _byar_lower(observed: float, z: float) -> float:
    return observed * (1.0 - 1.0 / (9.0 * observed) - z / (3.0 * math.sqrt(observed))) ** 3


def _byar_upper(observed: float, z: float) -> float:
    o1 = observed + 1.0
    return o1 * (1.0 - 1.0 / (9.0 * o1) + z / (3.0 * math.sqrt(o1))) ** 3


def _exact_lower(observed: float, alpha: float) -> float:
    return 0.0 if observed == 0 else float(stats.gamma.ppf(alpha / 2.0, observed))


def _exact_upper(observed: float, alpha: float) -> float:
    return float(stats.gamma.ppf(1.0 - alpha / 2.0, observed + 1.0))


def count_interval(observed: float, alpha: float = ALPHA95) -> tuple[float, float]:
    """Limits L(O), U(O) for an observed count: exact below 10, Byar's from 10 on (statistics.md §1.1)."""
    if observed < 0 or not math.isfinite(observed):
        raise ValueError(f"observed must be a finite non-negative count, got {observed}")
    if observed < BYAR_THRESHOLD:
        return _exact_lower(observed, alpha), _exact_upper(observed, alpha)
    z = z_for_alpha(alpha)
    return _byar_lower(observed, z), _byar_upper(observed, z)


def ratio_interval(observed: float, expected: float, alpha: float = ALPHA95) -> tuple[float, float] | None:
    """Confidence interval of O/E (L/E, U/E); ``None`` when E = 0 (not computable)."""
    if expected <= 0:
        return None
    lower, upper = count_interval(observed, alpha)
    return lower / expected, upper / expected


# --- Exact-test funnel boundaries (statistics.md §2.2, the HSMR funnels) ------------------------------------

_BRENT_XTOL = 1e-12


def _brent(function: object, low: float, high: float) -> float:
    return float(optimize.brentq(function, low, high, xtol=_BRENT_XTOL, maxiter=500))


def upper_boundary_count(expected: float, alpha: float) -> float:
    """b_U(E) = sup{o : L(o) <= E}: a unit is higher than expected exactly when O > b_U(E)."""
    z = z_for_alpha(alpha)
    if expected >= _byar_lower(BYAR_THRESHOLD, z):
        high = max(2.0 * expected + 10.0 * z * math.sqrt(expected) + 50.0, 20.0)
        return _brent(lambda o: _byar_lower(o, z) - expected, float(BYAR_THRESHOLD), high)
    # exact branch: L(o) = G^-1(alpha/2; o) <= E  <=>  P(o, E) >= alpha/2
    return _brent(lambda o: float(special.gammainc(o, expected)) - alpha / 2.0, 1e-300, float(BYAR_THRESHOLD))


def lower_boundary_count(expected: float, alpha: float) -> float:
    """b_L(E) = inf{o : U(o) >= E}: a unit is lower than expected exactly when O < b_L(E)."""
    z = z_for_alpha(alpha)
    if expected <= -math.log(alpha / 2.0):
        return 0.0
    if expected <= _exact_upper(BYAR_THRESHOLD, alpha):
        return _brent(lambda o: float(special.gammainc(o + 1.0, expected)) - (1.0 - alpha / 2.0),
                      0.0, float(BYAR_THRESHOLD))
    if expected <= _byar_upper(BYAR_THRESHOLD, z):
        return float(BYAR_THRESHOLD)
    high = max(2.0 * expected + 10.0 * z * math.sqrt(expected) + 50.0, 20.0)
    return _brent(lambda o: _byar_upper(o, z) - expected, float(BYAR_THRESHOLD), high)


def exact_test_limits(expected: float, alpha: float) -> tuple[float, float]:
    """Exact-test funnel limits on the ratio scale: (b_L(E)/E, b_U(E)/E)."""
    if expected <= 0:
        raise ValueError(f"expected must be positive, got {expected}")
    return lower_boundary_count(expected, alpha) / expected, upper_boundary_count(expected, alpha) / expected


def funnel_curve_points(expected: Sequence[float], points: int = 200) -> FloatArray:
    """x values of a funnel plot (statistics.md §2.3): 200 log-spaced points plus each unit's own E."""
    values = np.asarray(expected, dtype=np.float64)
    if len(values) == 0:
        return np.zeros(0)
    low = min(1.0, 0.5 * float(values.min()))
    high = 1.1 * float(values.max())
    grid = np.exp(np.linspace(math.log(low), math.log(high), points))
    return np.unique(np.concatenate([grid, values]))
