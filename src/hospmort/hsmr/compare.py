"""Why a trust's SHMI and HSMR differ: the chain of hsmr.md §9 and its four contributions.

The comparison walks from the SHMI (×100) to the HSMR in four steps, each changing one thing and each re-based
to England = 100, so that the differences between consecutive steps add up to the whole gap:

| step | O_t | E_t |
|---|---|---|
| S0, SHMI × 100, not re-based | Σ ``DIED`` | Σ p^S |
| I1, in-hospital deaths only | Σ ``DIED_IN_HOSPITAL`` | Σ q_c · p^S |
| I2, basket categories only | the same over c ∈ B | the same over c ∈ B |
| I3, HSMR without palliative adjustment | HSMR O_t | Σ p_np |
| H, HSMR (unrounded E*) | HSMR O_t | Σ p |

with q_c the national share of SHMI deaths of category c that happen in hospital. Contributions: post-discharge
deaths C_a = I1 − S0, diagnoses outside the basket C_b = I2 − I1, other case-mix and definitions C_d = I3 − I2,
palliative care adjustment C_c = H − I3; GAP = H − S0 = C_a + C_b + C_c + C_d. Everything is computed from
unrounded values; pure functions over per-trust sums.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from hospmort.disclosure import NATIONAL_PROVIDER_CODE
from hospmort.hsmr.indicator import HSMR_SCALE


@dataclass(frozen=True)
class ShmiCategorySums:
    """A trust's in-scope reporting-period SHMI spells of one HSMR category (§9.1): spells, Σ ``DIED``,
    Σ ``DIED_IN_HOSPITAL`` and Σ p^S (unrounded)."""

    spells: int
    died: int
    died_in_hospital: int
    expected: float


@dataclass(frozen=True)
class HsmrTrustSums:
    """A trust's main-basket HSMR records (§9.1): records, O, Σ p (full model), Σ p_np (companion model) and
    the records with ``PALLIATIVE = 1``."""

    records: int
    observed: int
    expected: float
    expected_no_palliative: float
    palliative_records: int


@dataclass(frozen=True)
class ComparisonSteps:
    """S0, I1, I2, I3, H of §9.2 and GAP with its contributions (§9.3), unrounded."""

    shmi_x100: float
    in_hospital_only: float
    basket_only: float
    no_palliative: float
    hsmr: float

    @property
    def gap(self) -> float:
        """GAP = H − S0."""
        return self.hsmr - self.shmi_x100

    @property
    def post_discharge(self) -> float:
        """C_a = I1 − S0: post-discharge deaths."""
        return self.in_hospital_only - self.shmi_x100

    @property
    def outside_basket(self) -> float:
        """C_b = I2 − I1: diagnoses outside the basket."""
        return self.basket_only - self.in_hospital_only

    @property
    def palliative(self) -> float:
        """C_c = H − I3: palliative care adjustment."""
        return self.hsmr - self.no_palliative

    @property
    def other_casemix(self) -> float:
        """C_d = I3 − I2: other case-mix and definition differences."""
        return self.no_palliative - self.basket_only


@dataclass(frozen=True)
class ComparisonRow:
    """One trust's (or England's) comparison: the steps (None unless every step has E_t > 0 and a national
    ratio) and the numerators and denominators of the three percentages of hsmr.md §10.3."""

    provider_code: str
    steps: ComparisonSteps | None
    shmi_spells: int
    shmi_spells_in_basket: int
    shmi_deaths: int
    shmi_deaths_outside_hospital: int
    hsmr_records: int
    hsmr_palliative_records: int


@dataclass(frozen=True)
class Comparison:
    """Every trust's row (trusts with activity in both indicators) and England's, and the shares q_c."""

    trusts: dict[str, ComparisonRow]
    england: ComparisonRow
    in_hospital_share: dict[int, float]


def in_hospital_shares(shmi: Mapping[str, Mapping[int, ShmiCategorySums]]) -> dict[int, float]:
    """q_c = national Σ ``DIED_IN_HOSPITAL`` / national Σ ``DIED`` over SHMI spells of category c (0 when no
    death), §9.2."""
    died: dict[int, int] = {}
    in_hospital: dict[int, int] = {}
    for categories in shmi.values():
        for category, sums in categories.items():
            died[category] = died.get(category, 0) + sums.died
            in_hospital[category] = in_hospital.get(category, 0) + sums.died_in_hospital
    return {c: (in_hospital[c] / died[c] if died[c] else 0.0) for c in sorted(died)}


def rebased(observed: float, expected: float, national_observed: float, national_expected: float) -> float | None:
    """100 · (O_t / E_t) / (O_nat / E_nat); None when E_t, O_nat or E_nat is 0 (§9.2)."""
    if expected <= 0 or national_observed <= 0 or national_expected <= 0:
        return None
    return HSMR_SCALE * (observed / expected) / (national_observed / national_expected)


def _shmi_step_sums(categories: Mapping[int, ShmiCategorySums], shares: Mapping[int, float],
                    basket: Collection[int]) -> tuple[tuple[int, float], tuple[int, float], tuple[int, float]]:
    ordered = sorted(categories.items())
    s0 = (sum(s.died for _, s in ordered), math.fsum(s.expected for _, s in ordered))
    i1 = (sum(s.died_in_hospital for _, s in ordered), math.fsum(shares[c] * s.expected for c, s in ordered))
    in_basket = [(c, s) for c, s in ordered if c in basket]
    i2 = (sum(s.died_in_hospital for _, s in in_basket), math.fsum(shares[c] * s.expected for c, s in in_basket))
    return s0, i1, i2


def compare_shmi_and_hsmr(shmi: Mapping[str, Mapping[int, ShmiCategorySums]], hsmr: Mapping[str, HsmrTrustSums],
                          basket: Collection[int]) -> Comparison:
    """The comparison of hsmr.md §9 for every trust with SHMI spells and main-basket HSMR records, and England.

    ``shmi`` holds every acute trust's SHMI sums per HSMR category (§5.1 applied to the spell's primary
    diagnosis), ``hsmr`` every trust's main-basket HSMR sums, ``basket`` the main basket B. "National" is the
    sum over every trust of each mapping. England's I1, I2, I3 and H are 100 and its S0 is the national
    SHMI × 100.
    """
    basket_set = frozenset(basket)
    shares = in_hospital_shares(shmi)
    per_trust = {trust: _shmi_step_sums(categories, shares, basket_set) for trust, categories in shmi.items()}
    national_s0 = (sum(s[0][0] for s in per_trust.values()),
                   math.fsum(s.expected for c in shmi.values() for s in c.values()))
    national_i1 = (sum(s[1][0] for s in per_trust.values()),
                   math.fsum(shares[cat] * s.expected for c in shmi.values() for cat, s in c.items()))
    national_i2 = (sum(s[2][0] for s in per_trust.values()),
                   math.fsum(shares[cat] * s.expected for c in shmi.values() for cat, s in c.items()
                             if cat in basket_set))
    national_i3 = (sum(h.observed for h in hsmr.values()), math.fsum(h.expected_no_palliative for h in hsmr.values()))
    national_h = (sum(h.observed for h in hsmr.values()), math.fsum(h.expected for h in hsmr.values()))

    def counts(categories: Collection[ShmiCategorySums], in_basket: Collection[ShmiCategorySums],
               records: int, palliative: int) -> dict[str, int]:
        return {
            "shmi_spells": sum(s.spells for s in categories),
            "shmi_spells_in_basket": sum(s.spells for s in in_basket),
            "shmi_deaths": sum(s.died for s in categories),
            "shmi_deaths_outside_hospital": sum(s.died - s.died_in_hospital for s in categories),
            "hsmr_records": records, "hsmr_palliative_records": palliative,
        }

    rows: dict[str, ComparisonRow] = {}
    for trust in sorted(set(shmi) & set(hsmr)):
        s0, i1, i2 = per_trust[trust]
        h = hsmr[trust]
        if sum(s.spells for s in shmi[trust].values()) == 0 or h.records == 0:
            continue
        values = (
            HSMR_SCALE * s0[0] / s0[1] if s0[1] > 0 else None,
            rebased(*i1, *national_i1),
            rebased(*i2, *national_i2),
            rebased(h.observed, h.expected_no_palliative, *national_i3),
            rebased(h.observed, h.expected, *national_h),
        )
        steps = None if any(v is None for v in values) else ComparisonSteps(*values)  # type: ignore[arg-type]
        categories = list(shmi[trust].values())
        in_basket = [s for c, s in shmi[trust].items() if c in basket_set]
        rows[trust] = ComparisonRow(trust, steps, **counts(categories, in_basket, h.records,
                                                          h.palliative_records))
    all_categories = [s for c in shmi.values() for s in c.values()]
    all_in_basket = [s for c in shmi.values() for cat, s in c.items() if cat in basket_set]
    england_steps = (ComparisonSteps(HSMR_SCALE * national_s0[0] / national_s0[1], HSMR_SCALE, HSMR_SCALE,
                                     HSMR_SCALE, HSMR_SCALE) if national_s0[1] > 0 else None)
    england = ComparisonRow(NATIONAL_PROVIDER_CODE, england_steps, **counts(
        all_categories, all_in_basket, sum(h.records for h in hsmr.values()),
        sum(h.palliative_records for h in hsmr.values())))
    return Comparison(rows, england, shares)
