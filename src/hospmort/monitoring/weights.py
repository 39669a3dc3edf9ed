"""Log-likelihood-ratio weights of the risk-adjusted Bernoulli CUSUM (statistics.md §4.1).

W(p, y; R) = y·ln R − ln(1 − p + R·p): the weight of a record with risk p and outcome y (1 died) for an odds
ratio R against R = 1 (Steiner et al. 2000). It is finite for 0 ≤ p ≤ 1.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

DEFAULT_ODDS_RATIO = 2.0
"""R_A, the odds ratio the upper chart looks for (statistics.md §4.2); the lower chart uses 1/R_A."""


def death_weight(risk: float, odds_ratio: float) -> float:
    """W(p, 1; R) = ln R − ln(1 − p + R·p), the weight of a death (statistics.md §4.1)."""
    return math.log(odds_ratio) - math.log(1.0 - risk + odds_ratio * risk)


def survivor_weight(risk: float, odds_ratio: float) -> float:
    """W(p, 0; R) = −ln(1 − p + R·p), the weight of a survivor (statistics.md §4.1)."""
    return -math.log(1.0 - risk + odds_ratio * risk)


def compute_cusum_weights(risks: FloatArray, outcomes: npt.NDArray[np.integer] | FloatArray,
                          odds_ratio: float) -> FloatArray:
    """W(p_k, y_k; R) for every record, vectorised (statistics.md §4.1)."""
    risks = np.asarray(risks, dtype=np.float64)
    died = np.asarray(outcomes) != 0
    return np.where(died, math.log(odds_ratio), 0.0) - np.log1p(risks * (odds_ratio - 1.0))
