"""Outcomes: the pipeline's view of each spell (group and case-mix levels), its true risk, death or survival,
place and date of death, palliative care coding, later deaths, and the SHMI outcome of the written spells.

Deaths are drawn spell by spell in each person's order: the first spell whose draw is a death ends the person's
story (later spells of the cluster are removed), so every written spell has its own Bernoulli(true risk) outcome.
A death is in hospital (``DISMETH`` 4, death on the discharge date) with probability 0.70, otherwise within 30
days of discharge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hospmort.schema import ELECTIVE_ADMISSION_METHODS
from hospmort.synth import clinical
from hospmort.synth.activity import (
    PEOPLE_PER_MONTH,
    PEOPLE_WITHOUT_SPELL_BASE,
    REGULAR_ATTENDER_BASE,
    calendar_month_of_days,
    month_key_of_days,
)
from hospmort.synth.clinical import ActivityKind
from hospmort.synth.columns import (
    ADMIMETH_CODES,
    DISDEST_CODES,
    DISMETH_CODES,
    SEX_CODES,
    SPECIALTY_INDEX,
    UNKNOWN_AGE,
    ColumnTable,
)
from hospmort.synth.context import CARE_HOME_CODE_CHANGE, GeneratorContext
from hospmort.synth.defects import EMPTY_AGE
from hospmort.synth.risk import age_group_of, birthweight_level_of, charlson_index_of, logistic

Array = npt.NDArray[Any]

#: Days from discharge to a death outside hospital: 0-30, more of them early.
_DAYS_TO_DEATH = np.arange(31)
_DAYS_TO_DEATH_WEIGHTS = np.exp(-_DAYS_TO_DEATH / 14.0)
_COMMON_CAUSES = ("I219", "J189", "C349", "F03X", "I64X", "J449", "C189", "I251", "C61X", "C509", "I500", "G309")
NO_DEATH = np.iinfo(np.int64).min
PEOPLE_WITHOUT_SPELL_PER_BATCH = 100_000


@dataclass(frozen=True)
class SpellLevels:
    """What the pipeline will derive for each spell from the written data (shmi.md §7-§9)."""

    diagnosis_episode: Array
    group: Array
    charlson_index: Array
    age_group: Array
    gender: Array
    admission_method: Array
    admission_month: Array
    birthweight: Array


def derive_levels(ctx: GeneratorContext, spells: ColumnTable, episodes: ColumnTable, cumulative: Array
                  ) -> SpellLevels:
    """Diagnosis episode with the second-episode fallback (§7.1), group (§7.3), levels (§8) and Charlson (§9)."""
    codes = ctx.codes
    first = spells["first_episode"]
    first_primary = episodes["primary"][first]
    fallback = (codes.starts_with_r[first_primary] | ~codes.in_lookup[first_primary]) & (spells["n_episodes"] >= 2)
    diagnosis_episode = first + fallback
    group = codes.group[episodes["primary"][diagnosis_episode]].astype(np.int64)
    secondary = episodes["n_secondary"][diagnosis_episode]
    rows = np.arange(len(spells))
    score = np.where(secondary > 0, cumulative[rows, np.maximum(secondary - 1, 0)], 0)
    written_age = spells["startage_written"]
    known_age = (written_age != UNKNOWN_AGE) & (written_age != EMPTY_AGE)
    age_group = age_group_of(np.where(known_age, written_age, spells["startage"]))
    elective = np.isin(spells["admimeth"], [ADMIMETH_CODES.index(c) for c in ELECTIVE_ADMISSION_METHODS])
    return SpellLevels(
        diagnosis_episode=diagnosis_episode,
        group=group,
        charlson_index=charlson_index_of(np.maximum(score, 0)),
        age_group=age_group,
        gender=spells["sex"],
        admission_method=np.where(elective, 1, 3),
        admission_month=calendar_month_of_days(spells["admit"]),
        birthweight=birthweight_level_of(group, age_group, spells["birthweight"]),
    )


def trust_log_odds_ratio(ctx: GeneratorContext, trust: Array, group: Array, discharge_month_key: Array) -> Array:
    """log(trust odds ratio) of each spell: higher/lower trusts always, the single-group trust in its group,
    the rising trust from its change month (by discharge month)."""
    organisations = ctx.organisations
    effect_group = organisations.effect_group[trust]
    change = organisations.change_month_key[trust]
    applies = ((effect_group == 0) | (group == effect_group)) & ((change < 0) | (discharge_month_key >= change))
    result: Array = organisations.log_odds_ratio[trust] + np.where(
        applies, organisations.changed_log_odds_ratio[trust], 0.0)
    return result


def true_risks(ctx: GeneratorContext, spells: ColumnTable, levels: SpellLevels) -> tuple[Array, Array]:
    """True risk with no trust effect, and with the trust effect (acute trusts only carry effects)."""
    log_odds = ctx.risk.log_odds(levels.group, levels.age_group, levels.gender, levels.admission_method,
                                 levels.admission_month, levels.charlson_index, levels.birthweight)
    discharge_key = month_key_of_days(spells["admit"] + spells["los"])
    effect = trust_log_odds_ratio(ctx, spells["trust"], levels.group, discharge_key)
    return logistic(log_odds), logistic(log_odds + effect)


def first_death_only(person: Array, died: Array) -> Array:
    """Rows to keep: each person's rows up to and including their first death (rows sorted by person, leg)."""
    deaths_so_far = np.cumsum(died) - died
    start = np.concatenate([[True], person[1:] != person[:-1]])
    first_row = np.maximum.accumulate(np.where(start, np.arange(len(person)), 0))
    kept: Array = (deaths_so_far - deaths_so_far[first_row]) == 0
    return kept


@dataclass(frozen=True)
class Outcomes:
    """Per kept spell: died (drawn), in hospital, discharge method and destination, date of death."""

    died: Array
    in_hospital: Array
    discharge_method: Array
    discharge_destination: Array
    date_of_death: Array


def draw_outcomes(ctx: GeneratorContext, spells: ColumnTable, died: Array, rng: np.random.Generator) -> Outcomes:
    """Place and date of death for the dying spells; discharge method and destination for all."""
    n = len(spells)
    discharge = spells["admit"] + spells["los"]
    kind = spells["kind"]
    stillbirth = kind == ctx.kind_index(ActivityKind.STILLBIRTH)
    in_hospital = died & (rng.random(n) < clinical.IN_HOSPITAL_DEATH_SHARE)
    days_after = _DAYS_TO_DEATH[rng.choice(len(_DAYS_TO_DEATH), size=n,
                                           p=_DAYS_TO_DEATH_WEIGHTS / _DAYS_TO_DEATH_WEIGHTS.sum())]
    date_of_death = np.where(died, np.where(in_hospital, discharge, discharge + days_after), NO_DEATH)

    late = spells["admit"] >= _day(CARE_HOME_CODE_CHANGE)
    u = rng.random(n)
    self_discharge = np.where(late, np.where(u < 0.5, DISMETH_CODES.index("6"), DISMETH_CODES.index("7")),
                              DISMETH_CODES.index("2"))
    method = np.where(rng.random(n) < 0.02, self_discharge, DISMETH_CODES.index("1"))
    method = np.where(in_hospital, DISMETH_CODES.index("4"), method)
    method = np.where(stillbirth, DISMETH_CODES.index("5"), method)

    care_home = np.where(late, DISDEST_CODES.index("56"), DISDEST_CODES.index("54"))
    destination = np.where((spells["age"] >= 75) & (rng.random(n) < 0.08), care_home, DISDEST_CODES.index("19"))
    destination = np.where(rng.random(n) < 0.01, DISDEST_CODES.index("29"), destination)
    hospice = DISDEST_CODES.index("88")
    dying_outside = died & ~in_hospital
    destination = np.where(dying_outside & (rng.random(n) < 0.15), hospice, destination)
    transfer = spells["transfer_out"] & spells["transfer_marker_out"] & ~died
    destination = np.where(transfer, DISDEST_CODES.index("51"), destination)
    destination = np.where(in_hospital | stillbirth, DISDEST_CODES.index("79"), destination)
    return Outcomes(died=died, in_hospital=in_hospital, discharge_method=method.astype(np.int64),
                    discharge_destination=destination.astype(np.int64), date_of_death=date_of_death)


def _day(day: Any) -> int:
    from hospmort.synth.activity import day_number

    return day_number(day)


def code_palliative_care(ctx: GeneratorContext, spells: ColumnTable, episodes: ColumnTable, died: Array,
                         rng: np.random.Generator) -> ColumnTable:
    """Z51.5 and/or treatment specialty 315 on the last episode, far more often for dying spells, at each
    trust's own rates (shmi.md §14 palliative flag)."""
    n = len(spells)
    organisations = ctx.organisations
    eligible = ~np.isin(spells["kind"], [ctx.kind_index(k) for k in (
        ActivityKind.BIRTH, ActivityKind.MATERNITY, ActivityKind.DAY_CASE, ActivityKind.REGULAR_ATTENDER,
        ActivityKind.STILLBIRTH)])
    rate = np.where(died, organisations.palliative_dying_rate[spells["trust"]],
                    organisations.palliative_surviving_rate[spells["trust"]])
    flagged = eligible & (rng.random(n) < rate)
    u = rng.random(n)
    with_code = flagged & (u < 0.85)
    with_specialty = flagged & (u >= 0.60)
    last = spells["first_episode"] + spells["n_episodes"] - 1
    z515 = np.zeros(len(episodes), dtype=bool)
    z515[last[with_code]] = True
    specialty = episodes["specialty"].copy()
    specialty[last[with_specialty]] = SPECIALTY_INDEX["315"]
    return episodes.with_columns(z515=z515, specialty=specialty)


def draw_later_deaths(ctx: GeneratorContext, spells: ColumnTable, date_of_death: Array, rng: np.random.Generator
                      ) -> tuple[Array, Array]:
    """People who survive their spells but die 31-400 days after their last discharge: (person, day)."""
    person = spells["person"]
    last = np.concatenate([person[1:] != person[:-1], [True]]) if len(person) else np.zeros(0, dtype=bool)
    survived = np.zeros(len(person), dtype=bool)
    if len(person):
        any_death = np.maximum.reduceat((date_of_death != NO_DEATH).astype(np.int8),
                                        np.nonzero(np.concatenate([[True], person[1:] != person[:-1]]))[0])
        survived[last] = any_death == 0
    candidates = last & survived & (person < REGULAR_ATTENDER_BASE)
    age = spells["age"]
    rate = clinical.LATER_DEATH_RATE * np.where(age >= 75, 2.0, np.where(age >= 45, 0.8, 0.15))
    dies = candidates & (rng.random(len(person)) < rate)
    days = 31 + np.minimum(np.floor(rng.exponential(120.0, int(dies.sum()))), 369).astype(np.int64)
    return person[dies], spells["admit"][dies] + spells["los"][dies] + days


def draw_deaths_without_spells(month_first_day: int, days: int, key: int, batch: int, count_of_spell_deaths: int,
                               rng: np.random.Generator) -> tuple[Array, Array]:
    """Deaths of people with no spell in the data (a share of the batch's spell deaths): (person, day)."""
    count = min(int(rng.poisson(clinical.DEATHS_WITHOUT_SPELL_SHARE * count_of_spell_deaths)),
                PEOPLE_WITHOUT_SPELL_PER_BATCH - 1)
    person = (key * PEOPLE_PER_MONTH + PEOPLE_WITHOUT_SPELL_BASE + batch * PEOPLE_WITHOUT_SPELL_PER_BATCH
              + np.arange(count, dtype=np.int64))
    day = month_first_day + np.floor(rng.random(count) * days).astype(np.int64)
    return person, day


def common_causes_of_death(ctx: GeneratorContext, count: int, rng: np.random.Generator) -> Array:
    causes = np.array([ctx.codes.index[c] for c in _COMMON_CAUSES], dtype=np.int64)
    drawn: Array = causes[rng.integers(0, len(causes), count)]
    return drawn


def attribute_deaths(person: Array, in_scope: Array, qualifying: Array) -> Array:
    """``DIED`` of shmi.md §6.3: the last qualifying in-scope spell of each person (rows sorted by person and
    leg, which is the order of discharge) gets 1."""
    candidates = np.nonzero(qualifying & in_scope)[0]
    died = np.zeros(len(person), dtype=bool)
    if len(candidates):
        owner = person[candidates]
        last_of_person = np.concatenate([owner[1:] != owner[:-1], [True]])
        died[candidates[last_of_person]] = True
    return died


def is_known_sex(sex_written: Array) -> Array:
    result: Array = np.isin(sex_written, [SEX_CODES.index("1"), SEX_CODES.index("2")])
    return result
