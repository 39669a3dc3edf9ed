"""Observed, expected and the HSMR of a set of records; re-basing, eligibility, intervals and banding (hsmr.md
§7), breakdown cells (§8) and the baskets and peer groups computed at request time (§8.1).

Inputs are sums per unit: N records, O = Σ ``DIED_IN_HOSPITAL`` and the raw E = Σ p (full model, not
re-based), summed elsewhere from integer counts per (unit, cell) with ``math.fsum``. Nothing here reads
records. Every function is pure.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from hospmort.limits import ALPHA95, ALPHA998, BYAR_THRESHOLD, Banding, count_interval
from hospmort.rounding import round_half_up
from hospmort.shmi.indicator import is_eligible

K = TypeVar("K", bound=Hashable)
#: HSMR values are 100 x O / E2* (hsmr.md §7.2).
HSMR_SCALE = 100.0


class CiMethod(StrEnum):
    """``CI_METHOD`` (hsmr.md §7.3): exact below 10 deaths, Byar's from 10 (statistics.md §1.1)."""

    EXACT = "EXACT"
    BYAR = "BYAR"


class Rebasing(StrEnum):
    """``REBASING`` of a breakdown cell (hsmr.md §8): within the cell, or the main basket's overall factor."""

    CELL = "CELL"
    OVERALL = "OVERALL"


@dataclass(frozen=True)
class RecordSums:
    """N, O and the raw E = Σ p (full model, not re-based) of a set of records (hsmr.md §7.1)."""

    records: int
    observed: int
    expected: float


@dataclass(frozen=True)
class HsmrFigures:
    """A set of records' HSMR (hsmr.md §7.2-§7.3).

    ``expected_rebased`` is E* = K·E, ``expected_rounded`` E2* = round_half_up(E*, 2). The value, limits (×100
    scale), ``ci_method`` and bandings are None when the cell is not eligible (N ≥ 30, O = 0 or ≥ 8,
    E2* ≥ 7.5) or when ``with_limits`` was False.
    """

    records: int
    observed: int
    expected: float
    rebasing_factor: float
    expected_rebased: float
    expected_rounded: float
    eligible: bool
    value: float | None = None
    ll_95: float | None = None
    ul_95: float | None = None
    ll_998: float | None = None
    ul_998: float | None = None
    ci_method: CiMethod | None = None
    banding: int | None = None
    banding_95: int | None = None


def rebasing_factor(observed: float, expected: float) -> float:
    """K = O_N / E_N of the national records (hsmr.md §7.2); 1 when either is 0 (§8)."""
    if observed == 0 or expected == 0:
        return 1.0
    return observed / expected


def ci_method(observed: int) -> CiMethod:
    """``EXACT`` when O < 10, else ``BYAR`` (statistics.md §1.1)."""
    return CiMethod.EXACT if observed < BYAR_THRESHOLD else CiMethod.BYAR


def banding_from_interval(lower_count: float, upper_count: float, expected_rounded: float) -> int:
    """1 higher than expected when the interval's lower limit exceeds the target 100 (L(O) > E2*), 3 lower than
    expected when its upper limit is below it (U(O) < E2*), else 2 (hsmr.md §7.3; unrounded values)."""
    if lower_count > expected_rounded:
        return int(Banding.HIGHER_THAN_EXPECTED)
    if upper_count < expected_rounded:
        return int(Banding.LOWER_THAN_EXPECTED)
    return int(Banding.AS_EXPECTED)


def hsmr_interval(observed: int, expected: float, alpha: float) -> tuple[float, float]:
    """The HSMR's confidence limits (hsmr.md §7.3): the count interval [L(O), U(O)] of statistics.md §1 (exact
    when O < 10, Byar's otherwise) scaled as 100·L/E and 100·U/E; E > 0."""
    if expected <= 0:
        raise ValueError(f"expected deaths must be positive, got {expected}")
    lower, upper = count_interval(observed, alpha)
    return HSMR_SCALE * lower / expected, HSMR_SCALE * upper / expected


def compute_hsmr(sums: RecordSums, factor: float, *, with_limits: bool = True) -> HsmrFigures:
    """§7.2-§7.3 for one set of records re-based by ``factor``: E*, E2*, eligibility, HSMR = 100·O/E2*, the count
    interval of statistics.md §1 at 95% and 99.8% scaled by 100/E2*, and the bandings."""
    rebased = factor * sums.expected
    rounded = round_half_up(rebased, 2)
    eligible = is_eligible(sums.records, sums.observed, rounded)
    figures = HsmrFigures(sums.records, sums.observed, sums.expected, factor, rebased, rounded, eligible)
    if not eligible or not with_limits:
        return figures
    ll_95, ul_95 = hsmr_interval(sums.observed, rounded, ALPHA95)
    ll_998, ul_998 = hsmr_interval(sums.observed, rounded, ALPHA998)
    return HsmrFigures(
        records=sums.records, observed=sums.observed, expected=sums.expected, rebasing_factor=factor,
        expected_rebased=rebased, expected_rounded=rounded, eligible=True,
        value=HSMR_SCALE * sums.observed / rounded, ll_95=ll_95, ul_95=ul_95, ll_998=ll_998, ul_998=ul_998,
        ci_method=ci_method(sums.observed),
        banding=banding_from_interval(*count_interval(sums.observed, ALPHA998), rounded),
        banding_95=banding_from_interval(*count_interval(sums.observed, ALPHA95), rounded),
    )


def unrounded_hsmr(sums: RecordSums, factor: float) -> float | None:
    """100·O/E* with the unrounded re-based E* (hsmr.md §9.2 ``H``); None when E* = 0."""
    rebased = factor * sums.expected
    return HSMR_SCALE * sums.observed / rebased if rebased > 0 else None


# --- sums per unit -------------------------------------------------------------------------------------------


def sum_records(records: Iterable[RecordSums]) -> RecordSums:
    """N, O and E of a union of disjoint sets of records (E with ``math.fsum`` in the order given)."""
    items = list(records)
    return RecordSums(sum(r.records for r in items), sum(r.observed for r in items),
                      math.fsum(r.expected for r in items))


def sum_by_unit(keys: Sequence[K], counts: npt.ArrayLike, deaths: npt.ArrayLike,
                risks: npt.ArrayLike) -> dict[K, RecordSums]:
    """N, O, E per unit from rows of (unit key, records n, deaths d, risk p) of (unit, cell) counts.

    E = fsum(n·p) over the unit's rows: exactly rounded, so independent of row order (shmi.md §2.2).
    """
    n = np.asarray(counts, dtype=np.int64)
    d = np.asarray(deaths, dtype=np.int64)
    products = n.astype(np.float64) * np.asarray(risks, dtype=np.float64)
    if len(keys) != n.shape[0] or d.shape != n.shape or products.shape != n.shape:
        raise ValueError("keys, counts, deaths and risks must have one value per row")
    codes: dict[K, int] = {}
    index = np.fromiter((codes.setdefault(key, len(codes)) for key in keys), dtype=np.int64, count=len(keys))
    order = np.argsort(index, kind="stable")
    sorted_index = index[order]
    starts = np.flatnonzero(np.r_[True, sorted_index[1:] != sorted_index[:-1]]) if len(keys) else np.zeros(0, int)
    ends = np.r_[starts[1:], len(keys)] if len(keys) else np.zeros(0, int)
    by_code = {code: key for key, code in codes.items()}
    result: dict[K, RecordSums] = {}
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        taken = order[start:end]
        result[by_code[int(sorted_index[start])]] = RecordSums(
            int(n[taken].sum()), int(d[taken].sum()), math.fsum(products[taken].tolist()))
    return result


# --- request-time baskets and peer groups (hsmr.md §8.1) -------------------------------------------------------


def basket_sums(categories: Iterable[int], category_sums: Mapping[int, RecordSums]) -> RecordSums:
    """N, O and E of a basket from one unit's stored category sums: sums over c ∈ B, E with ``math.fsum`` in
    category order (hsmr.md §8.1). Categories the unit has no record of count as 0."""
    chosen = sorted(set(categories))
    return sum_records(category_sums[c] for c in chosen if c in category_sums)


def compute_basket(categories: Collection[int], trust_category_sums: Mapping[str, Mapping[int, RecordSums]],
                   national_category_sums: Mapping[int, RecordSums],
                   modelled: Collection[int] | None = None) -> tuple[HsmrFigures, dict[str, HsmrFigures]]:
    """A basket B of modelled categories for England and every trust, from stored category sums alone (§8.1).

    K_B = O_N / E_N of England's basket sums (1 when either is 0); each unit's E* = K_B·E, then §7.2-§7.3.
    Returns England's figures and each trust's (trusts with at least one record of the basket). Raises
    ValueError for an empty basket or, when ``modelled`` is given, a category the publication did not model.
    """
    if not categories:
        raise ValueError("a basket needs at least one category")
    if modelled is not None:
        unknown = sorted(set(categories) - set(modelled))
        if unknown:
            raise ValueError(f"categories {unknown} were not modelled in this publication and cannot be chosen")
    national = basket_sums(categories, national_category_sums)
    factor = rebasing_factor(national.observed, national.expected)
    trusts: dict[str, HsmrFigures] = {}
    for trust, sums in sorted(trust_category_sums.items()):
        mine = basket_sums(categories, sums)
        if mine.records > 0:
            trusts[trust] = compute_hsmr(mine, factor)
    return compute_hsmr(national, factor), trusts


def compute_peer_group(peers: Collection[str], trust_sums: Mapping[str, RecordSums]) -> dict[str, HsmrFigures]:
    """Values relative to a peer group P (hsmr.md §8.1): K_P = Σ_P O_t / Σ_P E_t (1 when either sum is 0),
    E*_t = K_P·E_t, value 100·O_t/E2*_t, so the peers together score 100. Not the published HSMR.

    ``trust_sums`` holds each trust's N, O, raw E for the main basket or any basket; peers without records are
    left out.
    """
    members = [trust_sums[t] for t in sorted(peers) if t in trust_sums]
    factor = rebasing_factor(sum(s.observed for s in members), math.fsum(s.expected for s in members))
    return {t: compute_hsmr(trust_sums[t], factor) for t in sorted(peers) if t in trust_sums}
