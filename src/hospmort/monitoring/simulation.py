"""Exact simulation of a CUSUM chart's in-control maximum and its exact threshold (statistics.md §4.4.1).

This is the reference the table method of §4.4.2 is tested against and the generator of its table (§4.4.3).
Paths are simulated vectorised over blocks of paths, one uniform draw per path and record, in the order the
specification gives (``rng.random(N)`` per record): drawing the N numbers of a record block by block consumes
the generator's stream exactly as one call would, so the result is the specification's, bit for bit.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence

import numpy as np

from hospmort.monitoring.weights import FloatArray

MINIMUM_SIMULATED_PATHS = 100_000
PATH_BLOCK = 1 << 16
"""Paths updated together: small enough for the block's arrays to stay in the processor's cache."""
MAXIMUM_DECIMALS = 10
"""Maxima are rounded to 10 decimals before thresholds are read from them (§4.4.1 step 4)."""


def derive_chart_seed(text: str) -> int:
    """The first 8 bytes, big-endian, of SHA-256 of the UTF-8 text (statistics.md §4.4.1 step 2)."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def chart_seed_text(indicator: str, provider_code: str, unit: str, time_period: str, chart: str) -> str:
    """``<indicator>|<PROVIDER_CODE>|<UNIT>|<TIME_PERIOD>|<chart>``, the seed text of a chart (§4.4.1 step 2)."""
    return f"{indicator}|{provider_code}|{unit}|{time_period}|{chart}"


def count_simulated_paths(alpha: float) -> int:
    """N = max(100000, ⌈10/α⌉) (statistics.md §4.4.1 step 1)."""
    return max(MINIMUM_SIMULATED_PATHS, math.ceil(10.0 / alpha))


def simulate_running_maxima(
    risks: FloatArray,
    odds_ratio: float,
    paths: int,
    seed: int,
    *,
    checkpoints: Sequence[int] = (),
    on_checkpoint: Callable[[int, FloatArray], None] | None = None,
) -> FloatArray:
    """Maxima M_j of the upper chart over N in-control paths (statistics.md §4.4.1 steps 1-3).

    Record k (in the given order) draws ``u = rng.random(N)`` and path j's record dies when u_j < p_k;
    C_j = max(0, C_j + W) and M_j = max(M_j, C_j). After record n for each n in ``checkpoints`` the maxima
    so far (unrounded) are passed to ``on_checkpoint(n, maxima)``. Returns the final maxima, unrounded.
    """
    risks = np.asarray(risks, dtype=np.float64)
    rng = np.random.Generator(np.random.PCG64(seed))
    log_odds = math.log(odds_ratio)
    survivor = -np.log1p(risks * (odds_ratio - 1.0))
    jump = log_odds  # a death weighs ln R more than a survivor of the same risk
    chart = np.zeros(paths)
    maxima = np.zeros(paths)
    block = min(PATH_BLOCK, paths)
    uniforms = np.empty(block)
    died = np.empty(block, dtype=bool)
    weights = np.empty(block)
    wanted = set(checkpoints)
    for index in range(risks.size):
        risk = float(risks[index])
        base = float(survivor[index])
        for start in range(0, paths, block):
            stop = min(paths, start + block)
            size = stop - start
            u = uniforms[:size]
            rng.random(out=u)
            np.less(u, risk, out=died[:size])
            w = weights[:size]
            np.multiply(died[:size], jump, out=w)
            w += base
            c = chart[start:stop]
            c += w
            np.maximum(c, 0.0, out=c)
            m = maxima[start:stop]
            np.maximum(m, c, out=m)
        if on_checkpoint is not None and index + 1 in wanted:
            on_checkpoint(index + 1, maxima)
    return maxima


def find_exact_thresholds(maxima: FloatArray, alphas: Sequence[float]) -> list[float]:
    """h* for each α from simulated maxima (statistics.md §4.4.1 steps 4-5).

    Round each M_j to 10 decimals; with κ = ⌊α·N⌋, h* is the smallest distinct value x among the M_j with
    #{j : M_j ≥ x} ≤ κ, or +∞ when none qualifies. That value is the smallest M strictly above the
    (κ+1)-th largest M.
    """
    ordered = np.sort(np.round(np.asarray(maxima, dtype=np.float64), MAXIMUM_DECIMALS))
    paths = ordered.size
    thresholds: list[float] = []
    for alpha in alphas:
        allowed = math.floor(alpha * paths)
        if allowed >= paths:
            thresholds.append(float(ordered[0]) if paths else math.inf)
            continue
        pivot = ordered[paths - allowed - 1]
        position = int(np.searchsorted(ordered, pivot, side="right"))
        thresholds.append(float(ordered[position]) if position < paths else math.inf)
    return thresholds


def tail_probability(maxima: FloatArray, value: float) -> float:
    """F̂(x): the share of paths whose (rounded) maximum reaches x (statistics.md §4.4.4)."""
    rounded = np.round(np.asarray(maxima, dtype=np.float64), MAXIMUM_DECIMALS)
    if math.isinf(value):
        return 0.0
    return float(np.count_nonzero(rounded >= round(value, MAXIMUM_DECIMALS))) / rounded.size


def simulate_exact_threshold(risks: FloatArray, odds_ratio: float, alpha: float, seed: int,
                             paths: int | None = None) -> float:
    """The exact threshold h* of an upper chart at level α by simulation (statistics.md §4.4.1).

    A lower chart is simulated as the upper chart of its mirror (risks 1 − p, odds ratio 1/R_I = R_A; §4.4.2
    step 1): the caller passes the mirrored risks.
    """
    count = count_simulated_paths(alpha) if paths is None else paths
    maxima = simulate_running_maxima(risks, odds_ratio, count, seed)
    return find_exact_thresholds(maxima, [alpha])[0]
