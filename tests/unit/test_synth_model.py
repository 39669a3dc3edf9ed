"""The generator's building blocks: the true risk model, the SHMI levels it derives, death attribution, the
code book, the clinical tables, the organisations and the settings."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from hospmort import refdata
from hospmort.config import Month
from hospmort.errors import ConfigError
from hospmort.synth import Scale, SynthSettings, clinical
from hospmort.synth.codes import build_code_book, charlson_conditions_of
from hospmort.synth.comorbidity import CHARLSON_CODES, FILLER_PREVALENCE
from hospmort.synth.organisations import EffectKind, build_organisations
from hospmort.synth.outcomes import attribute_deaths, first_death_only, trust_log_odds_ratio
from hospmort.synth.risk import (
    BASELINE_RISK,
    age_group_of,
    birthweight_level_of,
    build_risk_model,
    charlson_index_of,
    logistic,
)
from hospmort.synth.tables import SegmentedTable

# --- the true model ----------------------------------------------------------------------------------------


def test_log_odds_add_the_published_coefficients_of_the_group_at_each_level() -> None:
    # Group 2 (septicaemia), published file: Intercept -1.8456, AGE_GROUP_19 0.5288, GENDER_2 0.1038,
    # ADMIMETH_3 0 (reference), ADMISSION_MONTH_1 0.3037, CHARLSON_INDEX_3 0.7448.
    model = build_risk_model()
    one = np.array([1])
    log_odds = model.log_odds(np.array([2]), np.array([19]), np.array([2]), np.array([3]), one, np.array([3]),
                              np.array([6]))
    assert_allclose(log_odds, [-1.8456 + 0.5288 + 0.1038 + 0.3037 + 0.7448], atol=1e-12)
    assert_allclose(logistic(log_odds), [1 / (1 + math.exp(0.1645))], atol=1e-12)


def test_birthweight_counts_only_in_the_perinatal_groups() -> None:
    # Group 141 (livebirths): Intercept -9.3252, GENDER_1 0.1217, BIRTHWEIGHT_1 8.5072, month 9 reference.
    model = build_risk_model()
    livebirth = model.log_odds(np.array([141]), np.array([1]), np.array([1]), np.array([3]), np.array([9]),
                               np.array([1]), np.array([1]))
    assert_allclose(livebirth, [-9.3252 + 0.1217 + 8.5072], atol=1e-12)
    pneumonia = model.log_odds(np.array([73, 73]), np.array([17, 17]), np.array([1, 1]), np.array([3, 3]),
                               np.array([8, 8]), np.array([1, 1]), np.array([1, 6]))
    assert pneumonia[0] == pneumonia[1]


def test_covid_and_invalid_diagnosis_groups_take_their_stated_baseline_risks() -> None:
    model = build_risk_model()
    groups = np.array([refdata.COVID_GROUP, refdata.INVALID_DIAGNOSIS_GROUP])
    risk = logistic(model.log_odds(groups, np.array([18, 5]), np.array([1, 2]), np.array([3, 1]),
                                   np.array([1, 7]), np.array([3, 1]), np.array([6, 6])))
    assert_allclose(risk, [BASELINE_RISK[143], BASELINE_RISK[144]], rtol=1e-12)


def test_age_groups_follow_the_methodology_vectors() -> None:
    ages = np.array([7001, 7007, 0, 4, 5, 84, 89, 90, 120, 999, 121, 7008, -1])
    assert_array_equal(age_group_of(ages), [1, 1, 1, 2, 3, 18, 19, 20, 20, 0, 0, 0, 0])


def test_birthweight_levels_follow_the_methodology_vectors() -> None:
    grams = np.array([999, 1000, 2499, 2500, 4499, 4500, 7000, 9999, -1])
    perinatal = birthweight_level_of(np.full(9, 141), np.ones(9, dtype=int), grams)
    assert_array_equal(perinatal, [1, 2, 2, 3, 3, 4, 5, 5, 5])
    assert_array_equal(birthweight_level_of(np.array([117, 73]), np.array([2, 1]), np.array([3000, 3000])), [6, 6])


def test_charlson_index_bands_the_score() -> None:
    assert_array_equal(charlson_index_of(np.array([0, 1, 5, 6, 37])), [1, 2, 2, 3, 3])


# --- outcome bookkeeping -------------------------------------------------------------------------------------


def test_a_person_dies_once_on_the_last_qualifying_in_scope_spell() -> None:
    person = np.array([1, 1, 1, 2, 2, 3])
    in_scope = np.array([True, True, True, True, False, True])
    qualifying = np.array([True, False, True, True, True, False])
    assert_array_equal(attribute_deaths(person, in_scope, qualifying), [False, False, True, True, False, False])


def test_spells_after_a_persons_first_death_are_removed() -> None:
    person = np.array([1, 1, 1, 2, 2, 3])
    died = np.array([False, True, False, True, False, False])
    assert_array_equal(first_death_only(person, died), [True, True, False, True, False, True])


# --- weighted choices ---------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=6)
                .filter(lambda weights: sum(weights) > 0), min_size=1, max_size=8),
       st.integers(min_value=0, max_value=2**32))
def test_weighted_choices_stay_in_their_segment_and_never_take_a_zero_weight(weights: list[list[int]],
                                                                             seed: int) -> None:
    segments = [[(10 * s + i, float(w)) for i, w in enumerate(segment)] for s, segment in enumerate(weights)]
    table = SegmentedTable.build(segments)
    rng = np.random.default_rng(seed)
    segment_of_row = rng.integers(0, len(weights), 500)
    drawn = table.draw(rng, segment_of_row)
    allowed = {(s, 10 * s + i) for s, segment in enumerate(weights) for i, w in enumerate(segment) if w > 0}
    assert {(int(s), int(d)) for s, d in zip(segment_of_row, drawn, strict=True)} <= allowed


def test_weighted_choices_follow_their_weights() -> None:
    table = SegmentedTable.build([[(0, 1.0), (1, 3.0)], [(2, 1.0)]])
    drawn = table.draw(np.random.default_rng(3), np.zeros(40_000, dtype=np.int64))
    assert abs(np.mean(drawn == 1) - 0.75) < 0.01


# --- code book and clinical tables ----------------------------------------------------------------------------


def test_every_listed_code_is_a_lookup_code_of_the_group_it_is_listed_under() -> None:
    lookup = refdata.icd10_lookup()
    for group, codes in clinical.GROUP_CODES.items():
        for code, _ in codes:
            expected = refdata.COVID_GROUP if code in refdata.COVID_CODES else lookup[code].shmi_diagnosis_group
            assert expected == group, (group, code)
    for codes in clinical.SYMPTOM_CODES_BY_SUPERGROUP.values():
        assert all(code in lookup and code.startswith("R") for code in codes)


def test_charlson_codes_mark_exactly_their_condition_and_other_secondary_codes_none() -> None:
    for condition, codes in CHARLSON_CODES.items():
        for code, _ in codes:
            assert charlson_conditions_of(code) == (condition,), code
    for table in FILLER_PREVALENCE.values():
        assert all(not charlson_conditions_of(code) and code in refdata.icd10_lookup() for code in table)


def test_code_book_gives_each_code_the_group_the_pipeline_will_give_it() -> None:
    book = build_code_book()
    lookup = refdata.icd10_lookup()
    assert book.codes[0] == "" and book.group[0] == refdata.INVALID_DIAGNOSIS_GROUP
    assert book.group[book.index["U071"]] == refdata.COVID_GROUP
    assert book.group[book.index["J189"]] == lookup["J189"].shmi_diagnosis_group
    assert all(book.group[i] == refdata.INVALID_DIAGNOSIS_GROUP for i in book.invalid_codes)
    assert not any(book.codes[i] in lookup for i in book.invalid_codes)


def test_women_are_never_given_a_male_only_code_and_men_never_a_pregnancy() -> None:
    book = build_code_book()
    rng = np.random.default_rng(5)
    male_cancer_for_women = book.group_pool.draw(rng, np.full(2000, 22 * 3 + 2))
    pregnancy_for_men = book.group_pool.draw(rng, np.full(2000, 106 * 3 + 1))
    pregnancy_for_women = book.group_pool.draw(rng, np.full(2000, 106 * 3 + 2))
    assert not any(book.codes[i].startswith("C61") for i in male_cancer_for_women)
    assert not any(book.codes[i].startswith("O") for i in pregnancy_for_men)
    assert all(book.group[i] == 106 for i in pregnancy_for_women)
    assert np.mean([book.codes[i].startswith("O") for i in pregnancy_for_women]) > 0.95


def test_in_scope_kinds_of_activity_share_the_whole() -> None:
    assert math.isclose(sum(clinical.IN_SCOPE_SHARES.values()), 1.0, abs_tol=0.01)
    assert {p.kind for p in clinical.PROFILES} == set(clinical.ActivityKind)


# --- organisations and settings -----------------------------------------------------------------------------


def test_national_organisations_are_fictional_spread_tenfold_and_cover_the_seven_regions() -> None:
    chosen = SynthSettings(out=Path("unused"), scale=Scale.NATIONAL)
    organisations = build_organisations(chosen, np.random.default_rng(11))
    acute = [t for t in organisations.trusts if t.trust_type.value == "acute"]
    assert len(acute) == 120
    assert {t.region_code for t in acute} == set(refdata.REGION_NAMES)
    assert not {t.code for t in organisations.trusts} & set(refdata.trusts())
    assert len({t.name for t in organisations.trusts}) == len(organisations.trusts)
    sizes = [t.annual_spells for t in acute]
    assert 8 <= max(sizes) / min(sizes) <= 10.5
    assert math.isclose(sum(sizes), 9_500_000, rel_tol=1e-9)
    deprivation = [t.mean_imd_decile for t in acute]
    assert max(deprivation) - min(deprivation) > 3
    kinds = [t.effect for t in acute]
    assert kinds.count(EffectKind.HIGHER) == 6 and kinds.count(EffectKind.LOWER) == 6
    assert kinds.count(EffectKind.NULL) == 120 - 15
    assert all(1.2 <= t.odds_ratio <= 1.5 for t in acute if t.effect is EffectKind.HIGHER)
    assert all(1 / 1.5 <= t.odds_ratio <= 1 / 1.2 for t in acute if t.effect is EffectKind.LOWER)


def test_trust_effects_apply_to_their_group_and_from_their_change_month() -> None:
    chosen = SynthSettings(out=Path("unused"), scale=Scale.TINY)
    organisations = build_organisations(chosen, np.random.default_rng(2))

    class Context:
        pass

    context = Context()
    context.organisations = organisations  # type: ignore[attr-defined]
    single = next(i for i, t in enumerate(organisations.trusts) if t.effect is EffectKind.SINGLE_GROUP)
    rising = next(i for i, t in enumerate(organisations.trusts) if t.effect is EffectKind.RISING)
    change = organisations.change_month_key[rising]
    effect = trust_log_odds_ratio(context,  # type: ignore[arg-type]
                                  np.array([single, single, rising, rising]), np.array([2, 73, 73, 73]),
                                  np.array([0, 0, change - 1, change]))
    assert_allclose(effect, [math.log(2.5), 0.0, 0.0, math.log(1.5)])


@pytest.mark.parametrize(("start", "end", "rate", "seed"), [
    (Month(2025, 6), Month(2025, 1), 0.0, 1),
    (Month(2025, 1), Month(2025, 6), 0.3, 1),
    (Month(2025, 1), Month(2025, 6), -0.1, 1),
    (Month(2025, 1), Month(2025, 6), 0.0, -1),
    (Month(1980, 1), Month(2025, 6), 0.0, 1),
])
def test_impossible_settings_are_refused(start: Month, end: Month, rate: float, seed: int) -> None:
    with pytest.raises(ConfigError):
        SynthSettings(out=Path("unused"), start=start, end=end, defect_rate=rate, seed=seed)


def test_default_settings_cover_the_60_months_to_2025_12_with_deaths_complete_60_days_after() -> None:
    chosen = SynthSettings(out=Path("unused"))
    assert (chosen.start, chosen.end, chosen.months, chosen.scale) == (Month(2021, 1), Month(2025, 12), 60,
                                                                        Scale.REGIONAL)
    assert chosen.deaths_complete_to.isoformat() == "2026-03-01"
