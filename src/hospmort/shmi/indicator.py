"""Observed, expected and the SHMI for units, limits and banding per breakdown (shmi.md §11-§13).

Inputs are integer counts per (unit, covariate cell) and the cells' risks; expected deaths are summed with
``math.fsum`` so that results do not depend on the order of rows (shmi.md §2.2). Nothing here reads records.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from hospmort.limits import (
    ALPHA95,
    ALPHA998,
    OverdispersionParameters,
    compute_funnel_limits,
    ratio_interval,
    round_expected,
)

K = TypeVar("K", bound=Hashable)
MINIMUM_SPELLS = 30
MINIMUM_OBSERVED = 8
MINIMUM_EXPECTED = 7.5


@dataclass(frozen=True)
class UnitCounts:
    """S, O and unrounded E of one unit (a trust, a site, a trust within a group, ...)."""

    key: Hashable
    spells: int
    observed: int
    expected: float


@dataclass(frozen=True)
class UnitIndicator:
    """A unit's SHMI, limits and banding; the ratio fields are None when the unit is ineligible (§11)."""

    key: Hashable
    spells: int
    observed: int
    expected: float
    expected_rounded: float
    eligible: bool
    ratio: float | None = None
    banding: int | None = None
    od_lower_95: float | None = None
    od_upper_95: float | None = None
    od_lower_998: float | None = None
    od_upper_998: float | None = None
    po_lower_95: float | None = None
    po_upper_95: float | None = None
    po_lower_998: float | None = None
    po_upper_998: float | None = None


@dataclass(frozen=True)
class Breakdown:
    """Every unit of one set (trust, site, or the trusts of one banded group) and its limit parameters."""

    units: tuple[UnitIndicator, ...]
    parameters: OverdispersionParameters


def is_eligible(spells: int, observed: int, expected_rounded: float) -> bool:
    """Eligibility for a SHMI (shmi.md §11): S >= 30, O = 0 or O >= 8, and E2 >= 7.5."""
    return (spells >= MINIMUM_SPELLS and (observed == 0 or observed >= MINIMUM_OBSERVED)
            and expected_rounded >= MINIMUM_EXPECTED)


def sum_units(keys: Sequence[K], spells: npt.ArrayLike, deaths: npt.ArrayLike,
              risks: npt.ArrayLike) -> dict[K, UnitCounts]:
    """S, O, E per unit from rows of (unit key, cell spells n, cell deaths d, cell risk p).

    E = fsum(n * p) over the unit's rows: exact rounding makes it independent of row order.
    """
    n = np.asarray(spells, dtype=np.int64)
    d = np.asarray(deaths, dtype=np.int64)
    products = n.astype(np.float64) * np.asarray(risks, dtype=np.float64)
    rows: dict[K, list[int]] = {}
    for index, key in enumerate(keys):
        rows.setdefault(key, []).append(index)
    result: dict[K, UnitCounts] = {}
    for key, indices in rows.items():
        taken = np.asarray(indices)
        result[key] = UnitCounts(key, int(n[taken].sum()), int(d[taken].sum()),
                                 math.fsum(products[taken].tolist()))
    return result


def compute_breakdown(units: Iterable[UnitCounts]) -> Breakdown:
    """SHMI, limits and banding for a set of units: limits across its eligible units only (§11, §12)."""
    ordered = sorted(units, key=lambda u: repr(u.key))
    rounded = [round_expected(u.expected) for u in ordered]
    eligible = [is_eligible(u.spells, u.observed, e2) for u, e2 in zip(ordered, rounded, strict=True)]
    chosen = [i for i, ok in enumerate(eligible) if ok]
    limits = compute_funnel_limits([ordered[i].observed for i in chosen], [rounded[i] for i in chosen])
    position = {unit_index: k for k, unit_index in enumerate(chosen)}
    result: list[UnitIndicator] = []
    for i, unit in enumerate(ordered):
        if i not in position:
            result.append(UnitIndicator(unit.key, unit.spells, unit.observed, unit.expected, rounded[i], False))
            continue
        k = position[i]
        result.append(UnitIndicator(
            key=unit.key,
            spells=unit.spells,
            observed=unit.observed,
            expected=unit.expected,
            expected_rounded=rounded[i],
            eligible=True,
            ratio=float(limits.ratio[k]),
            banding=int(limits.banding[k]),
            od_lower_95=float(limits.od_lower_95[k]),
            od_upper_95=float(limits.od_upper_95[k]),
            od_lower_998=float(limits.od_lower_998[k]),
            od_upper_998=float(limits.od_upper_998[k]),
            po_lower_95=float(limits.po_lower_95[k]),
            po_upper_95=float(limits.po_upper_95[k]),
            po_lower_998=float(limits.po_lower_998[k]),
            po_upper_998=float(limits.po_upper_998[k]),
        ))
    return Breakdown(tuple(result), limits.parameters)


# --- Ad-hoc comparisons (shmi.md §13.1) -----------------------------------------------------------------------


@dataclass(frozen=True)
class BasketFigures:
    """A trust's figures for a basket of diagnosis groups, re-based by England's O/E for the same basket."""

    groups: tuple[int, ...]
    spells: int
    observed: int
    expected: float
    expected_rebased: float | None
    expected_rounded: float | None
    eligible: bool
    ratio: float | None
    interval_95: tuple[float, float] | None
    interval_998: tuple[float, float] | None
    excess_deaths: float | None


def compute_basket(groups: Iterable[int], trust_rows: Mapping[int, UnitCounts],
                   national_rows: Mapping[int, UnitCounts]) -> BasketFigures:
    """Basket figures for one trust (shmi.md §13.1) from its stored (trust, group) rows and England's.

    A single group keeps its §11 values (no re-basing).
    """
    chosen = tuple(sorted(set(groups)))
    mine = [trust_rows[g] for g in chosen if g in trust_rows]
    spells = sum(u.spells for u in mine)
    observed = sum(u.observed for u in mine)
    expected = math.fsum(u.expected for u in mine)
    if len(chosen) == 1:
        rebased: float | None = expected
    else:
        england_o = sum(national_rows[g].observed for g in chosen if g in national_rows)
        england_e = math.fsum(national_rows[g].expected for g in chosen if g in national_rows)
        rebased = expected * england_o / england_e if england_e > 0 else None
    if rebased is None:
        return BasketFigures(chosen, spells, observed, expected, None, None, False, None, None, None, None)
    e2 = round_expected(rebased)
    eligible = is_eligible(spells, observed, e2)
    ratio = observed / e2 if eligible else None
    return BasketFigures(
        groups=chosen, spells=spells, observed=observed, expected=expected, expected_rebased=rebased,
        expected_rounded=e2, eligible=eligible, ratio=ratio,
        interval_95=ratio_interval(observed, e2, ALPHA95) if eligible else None,
        interval_998=ratio_interval(observed, e2, ALPHA998) if eligible else None,
        excess_deaths=observed - rebased,
    )


def crude_mortality(observed: int, spells: int) -> float | None:
    """Crude mortality of a unit: 100 * O / S (None without spells)."""
    return 100.0 * observed / spells if spells else None
