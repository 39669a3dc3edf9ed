"""The worked examples of hsmr.md (§5.2 basket, §7.4 HSMR, §8.1 peer group, §9.4 SHMI-versus-HSMR chain) and the
PHEindicatormethods interval values of statistics.md §1.3 on the HSMR's ×100 scale, reproduced to the digits the
specification prints."""

from __future__ import annotations

import pytest

from hospmort.hes.organisations import Organisation
from hospmort.hsmr.basket import derive_basket
from hospmort.hsmr.compare import HsmrTrustSums, ShmiCategorySums, compare_shmi_and_hsmr
from hospmort.hsmr.compute import ProviderNames, trust_level_rows
from hospmort.hsmr.files import TRUST_COLUMNS
from hospmort.hsmr.files import trust_level_rows as published_trust_rows
from hospmort.hsmr.indicator import (
    CiMethod,
    RecordSums,
    compute_hsmr,
    compute_peer_group,
    hsmr_interval,
    rebasing_factor,
)
from hospmort.limits import ALPHA95, ALPHA998
from hospmort.rounding import round_half_up
from hospmort.schema import OrgType, TrustType

SIX_FIGURES = 5e-6  # relative: the specification prints 6 significant figures

# --- §7.4 -----------------------------------------------------------------------------------------------------

SECTION_7_4 = {"A": RecordSums(9000, 480, 430.0), "B": RecordSums(3500, 150, 170.0), "C": RecordSums(400, 8, 4.2)}
ENGLAND_7_4 = RecordSums(12900, 638, 604.2)


def test_the_rebasing_factor_of_section_7_4() -> None:
    assert rebasing_factor(ENGLAND_7_4.observed, ENGLAND_7_4.expected) == pytest.approx(1.055941741145316, rel=1e-15)


@pytest.mark.parametrize(("trust", "rebased", "rounded", "value", "ci95", "ci998", "method", "bands"), [
    ("A", 454.0549, 454.05, 105.72, (96.47, 115.61), (91.43, 121.49), CiMethod.BYAR, (2, 2)),
    ("B", 179.5101, 179.51, 83.56, (70.72, 98.05), (64.04, 106.88), CiMethod.BYAR, (2, 3)),
])
def test_the_eligible_trusts_of_section_7_4(trust: str, rebased: float, rounded: float, value: float,
                                            ci95: tuple[float, float], ci998: tuple[float, float], method: CiMethod,
                                            bands: tuple[int, int]) -> None:
    factor = rebasing_factor(ENGLAND_7_4.observed, ENGLAND_7_4.expected)
    figures = compute_hsmr(SECTION_7_4[trust], factor)
    assert figures.expected_rebased == pytest.approx(rebased, abs=5e-5)
    assert figures.expected_rounded == rounded
    assert figures.eligible
    assert figures.value is not None and round_half_up(figures.value, 2) == value
    assert (round_half_up(figures.ll_95 or 0, 2), round_half_up(figures.ul_95 or 0, 2)) == ci95
    assert (round_half_up(figures.ll_998 or 0, 2), round_half_up(figures.ul_998 or 0, 2)) == ci998
    assert figures.ci_method is method
    assert (figures.banding, figures.banding_95) == bands


def test_trust_c_of_section_7_4_is_ineligible_and_its_bracketed_values_are_not_published() -> None:
    factor = rebasing_factor(ENGLAND_7_4.observed, ENGLAND_7_4.expected)
    figures = compute_hsmr(SECTION_7_4["C"], factor)
    assert figures.expected_rebased == pytest.approx(4.434955, abs=5e-7)
    assert figures.expected_rounded == 4.43
    assert not figures.eligible
    assert figures.value is None and figures.banding is None and figures.ll_95 is None
    # the bracketed values of the table, computed but never published
    assert round_half_up(100 * 8 / 4.43, 2) == 180.59
    assert tuple(round_half_up(x, 2) for x in hsmr_interval(8, 4.43, ALPHA95)) == (77.96, 355.83)
    assert tuple(round_half_up(x, 2) for x in hsmr_interval(8, 4.43, ALPHA998)) == (44.49, 477.57)


def test_england_of_section_7_4_scores_exactly_100() -> None:
    factor = rebasing_factor(ENGLAND_7_4.observed, ENGLAND_7_4.expected)
    england = compute_hsmr(ENGLAND_7_4, factor)
    assert england.expected_rounded == 638.00
    assert england.value == 100.0


def test_the_published_trust_level_rows_of_section_7_4() -> None:
    """The same example through the store rows and the disclosed file rows (hsmr.md §10.1)."""
    organisations = {code: Organisation(code, f"Trust {code}", OrgType.TRUST, "", "", "", TrustType.ACUTE, None)
                     for code in SECTION_7_4}
    factor = rebasing_factor(ENGLAND_7_4.observed, ENGLAND_7_4.expected)
    rows = trust_level_rows(SECTION_7_4, ENGLAND_7_4, factor, (12850, 630), ProviderNames(organisations), "HSMR")
    published = {row[1]: dict(zip(TRUST_COLUMNS, row, strict=True))
                 for row in published_trust_rows(rows, "JAN25_DEC25")}
    a, b, c, england = published["A"], published["B"], published["C"], published["ENG"]
    assert (a["CIPS"], a["OBSERVED"], a["EXPECTED"], a["HSMR_VALUE"], a["LL_95"], a["UL_95"], a["LL_998"],
            a["UL_998"], a["CI_METHOD"], a["HSMR_BANDING"], a["HSMR_BANDING_95"]) == (
        "9000", "480", "455", "105.72", "96.47", "115.61", "91.43", "121.49", "BYAR", "2", "2")
    assert (b["HSMR_VALUE"], b["LL_95"], b["UL_95"], b["HSMR_BANDING"], b["HSMR_BANDING_95"]) == (
        "83.56", "70.72", "98.05", "2", "3")
    assert (c["OBSERVED"], c["EXPECTED"], c["HSMR_VALUE"], c["HSMR_BANDING"], c["LL_95"], c["CI_METHOD"]) == (
        "10", "*", "*", "*", "*", "*")
    assert (england["CIPS"], england["OBSERVED"], england["EXPECTED"], england["HSMR_VALUE"],
            england["HSMR_BANDING"], england["LL_95"], england["REBASING_FACTOR"], england["CIPS_UNIQUE"],
            england["OBSERVED_UNIQUE"]) == ("12900", "638", "638.00", "100.00", "", "", "1.055942", "12850", "630")


# --- §8.1 ---------------------------------------------------------------------------------------------------------


def test_the_peer_group_example_of_section_8_1() -> None:
    values = compute_peer_group({"A", "B"}, SECTION_7_4)
    assert set(values) == {"A", "B"}
    a, b = values["A"], values["B"]
    assert a.rebasing_factor == pytest.approx(1.05, rel=1e-15)
    assert a.expected_rounded == 451.50 and b.expected_rounded == 178.50
    assert round_half_up(a.value or 0, 2) == 106.31 and round_half_up(b.value or 0, 2) == 84.03
    assert tuple(round_half_up(x or 0, 2) for x in (a.ll_95, a.ul_95, a.ll_998, a.ul_998)) == (
        97.01, 116.26, 91.94, 122.18)
    assert tuple(round_half_up(x or 0, 2) for x in (b.ll_95, b.ul_95, b.ll_998, b.ul_998)) == (
        71.12, 98.61, 64.41, 107.48)
    assert (a.banding, a.banding_95, b.banding, b.banding_95) == (2, 2, 2, 3)


# --- §5.2 ---------------------------------------------------------------------------------------------------------


def test_the_basket_example_of_section_5_2() -> None:
    deaths = {122: 400, 2: 300, 108: 250, 109: 200, 19: 150, 127: 150, 42: 100, 159: 100, 999: 40,
              # the remaining 310 deaths, in categories after 159 in the sorted list
              50: 90, 60: 80, 70: 70, 80: 40, 90: 30}
    assert sum(deaths.values()) == 2000
    basket = derive_basket(deaths)
    assert basket.categories == (122, 2, 108, 109, 19, 127, 42, 159)
    assert basket.total_deaths == 2000
    assert [r.rank for r in basket.ranked] == list(range(1, 9))
    assert basket.ranked[-1].cumulative_share == pytest.approx(0.825, rel=1e-15)
    assert basket.ranked[-2].cumulative_share == pytest.approx(1550 / 2000, rel=1e-15)


# --- statistics.md §1.3 on the ×100 scale -------------------------------------------------------------------------


@pytest.mark.parametrize(("observed", "expected", "value", "ci95", "ci998"), [
    (895, 835.883561, 107.072, (100.171, 114.323), (96.3516, 118.601)),
    (895, 808.321740, 110.723, (103.587, 118.221), (99.6369, 122.645)),
    (91, 835.883561, 10.8867, (8.76504, 13.3666), (7.69543, 14.8979)),
    (9, 835.883561, 1.07670, (0.492338, 2.04392), (0.293393, 2.71059)),
    (3, 2.5, 120.0, (24.7469, 350.691), (7.62134, 522.490)),
    (0, 5.0, 0.0, (0.0, 73.7776), (0.0, 138.155)),
    (12, 0.4, 3000.0, (1548.38, 5240.71), (1000.09, 6770.24)),
])
def test_hsmr_limits_match_the_pheindicatormethods_values(observed: int, expected: float, value: float,
                                                          ci95: tuple[float, float],
                                                          ci998: tuple[float, float]) -> None:
    assert 100 * observed / expected == pytest.approx(value, rel=SIX_FIGURES)
    for (lower, upper), (want_lower, want_upper) in ((hsmr_interval(observed, expected, ALPHA95), ci95),
                                                     (hsmr_interval(observed, expected, ALPHA998), ci998)):
        assert lower == pytest.approx(want_lower, rel=SIX_FIGURES, abs=1e-12)
        assert upper == pytest.approx(want_upper, rel=SIX_FIGURES)


# --- §9.4 ---------------------------------------------------------------------------------------------------------

SHMI_9_4 = {
    "A": {1: ShmiCategorySums(1000, 300, 240, 280.0), 2: ShmiCategorySums(500, 100, 50, 110.0)},
    "B": {1: ShmiCategorySums(1000, 200, 170, 210.0), 2: ShmiCategorySums(500, 60, 36, 55.0)},
    "C": {1: ShmiCategorySums(1000, 150, 100, 160.0), 2: ShmiCategorySums(500, 40, 14, 35.0)},
}
HSMR_9_4 = {
    "A": HsmrTrustSums(900, 250, 225.0, 235.0, 90),
    "B": HsmrTrustSums(900, 175, 180.0, 172.0, 90),
    "C": HsmrTrustSums(900, 105, 110.0, 108.0, 90),
}
TABLE_9_4 = {  # S0, I1, I2, I3, H, GAP, C_a, C_b, C_c, C_d
    "A": (102.564, 105.573, 109.244, 103.372, 107.966, 5.40235, 3.00857, 3.67103, 4.59432, -5.87156),
    "B": (98.1132, 107.141, 103.175, 98.8646, 94.4706, -3.64256, 9.02822, -3.96683, -4.39398, -4.30997),
    "C": (97.4359, 79.6988, 79.6569, 94.4706, 92.7530, -4.68290, -17.7371, -0.0419810, -1.71765, 14.8138),
}


def test_the_in_hospital_shares_of_section_9_4() -> None:
    comparison = compare_shmi_and_hsmr(SHMI_9_4, HSMR_9_4, {1})
    assert comparison.in_hospital_share[1] == pytest.approx(510 / 650, rel=1e-15)
    assert comparison.in_hospital_share[2] == 0.5


@pytest.mark.parametrize("trust", sorted(TABLE_9_4))
def test_the_chain_and_contributions_of_section_9_4(trust: str) -> None:
    steps = compare_shmi_and_hsmr(SHMI_9_4, HSMR_9_4, {1}).trusts[trust].steps
    assert steps is not None
    got = (steps.shmi_x100, steps.in_hospital_only, steps.basket_only, steps.no_palliative, steps.hsmr, steps.gap,
           steps.post_discharge, steps.outside_basket, steps.palliative, steps.other_casemix)
    for value, want in zip(got, TABLE_9_4[trust], strict=True):
        assert value == pytest.approx(want, rel=SIX_FIGURES)
    assert (steps.post_discharge + steps.outside_basket + steps.palliative + steps.other_casemix
            == pytest.approx(steps.gap, abs=1e-9))


def test_england_of_section_9_4_is_100_in_every_rebased_step() -> None:
    england = compare_shmi_and_hsmr(SHMI_9_4, HSMR_9_4, {1}).england.steps
    assert england is not None
    assert (england.in_hospital_only, england.basket_only, england.no_palliative, england.hsmr) == (100, 100, 100,
                                                                                                       100)
    assert england.shmi_x100 == pytest.approx(100 * 850 / 850)
