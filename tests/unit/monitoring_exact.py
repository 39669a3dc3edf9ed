"""Exact enumeration of a CUSUM's in-control maximum over all 2^n outcome sequences (statistics.md §4.6 vectors 6-7).

A test helper, independent of the module under test: it iterates C_k = max(0, C_{k−1} + W) record by record
(no running-sum identity) over every outcome sequence, with each sequence's probability.
"""

from __future__ import annotations

import itertools
import math

import numpy as np


def weight(risk: float, died: int, odds_ratio: float) -> float:
    """W(p, y; R) = y·ln R − ln(1 − p + R·p), written out here (statistics.md §4.1)."""
    return died * math.log(odds_ratio) - math.log(1.0 - risk + odds_ratio * risk)


def enumerate_maxima(risks: list[float], odds_ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """(M, probability) of every outcome sequence, M rounded to 10 decimals."""
    maxima, probabilities = [], []
    for outcomes in itertools.product((0, 1), repeat=len(risks)):
        chart = 0.0
        largest = 0.0
        probability = 1.0
        for risk, died in zip(risks, outcomes, strict=True):
            chart = max(0.0, chart + weight(risk, died, odds_ratio))
            largest = max(largest, chart)
            probability *= risk if died else 1.0 - risk
        maxima.append(round(largest, 10))
        probabilities.append(probability)
    return np.array(maxima), np.array(probabilities)


def tail(maxima: np.ndarray, probabilities: np.ndarray, value: float) -> float:
    """P(M ≥ x)."""
    return float(probabilities[maxima >= round(value, 10)].sum())


def exact_threshold(maxima: np.ndarray, probabilities: np.ndarray, alpha: float) -> float:
    """The smallest support value x with P(M ≥ x) ≤ α, or +∞ (statistics.md §4.4)."""
    for value in np.unique(maxima):
        if tail(maxima, probabilities, float(value)) <= alpha:
            return float(value)
    return math.inf
