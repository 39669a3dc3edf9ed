"""Activity: who is admitted where, when, why and for how long; readmissions and transfers; episodes and their
diagnoses. Everything is drawn for a whole month at once with numpy (no loop over records).

A *person* here is a cluster of spells: an index admission and the readmissions and transfers that follow it
(at most ``MAX_LEGS`` spells, the *legs*), so that everything a person does is generated in the same month's
chunk. Regular day and night attenders are the exception: they come back every month under the same HESID.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import numpy.typing as npt

from hospmort.config import Month
from hospmort.synth import clinical
from hospmort.synth.clinical import (
    COVID_YEAR_FACTORS,
    INFANT_STARTAGE_WEIGHTS,
    MAX_LEGS,
    NEWBORN_STARTAGE,
    PROFILES,
    REPEAT_READMISSION_RATE,
    SEASONAL_FACTORS,
    ActivityKind,
    FillerFamily,
    Seasonality,
)
from hospmort.synth.codes import FEMALE, MALE
from hospmort.synth.columns import (
    ADMIMETH_CODES,
    ADMISORC_CODES,
    CLASSPAT_CODES,
    NON_ENGLISH_LSOAS,
    SPECIALTY_INDEX,
    ColumnTable,
)
from hospmort.synth.comorbidity import (
    AGE_BAND_STARTS,
    CHARLSON_SCALE_BY_FAMILY,
    DEPRIVATION_FACTOR,
    SECONDARY_POSITIONS,
)
from hospmort.synth.context import CARE_HOME, CARE_HOME_CODE_CHANGE, EPOCH, GeneratorContext
from hospmort.synth.settings import month_key
from hospmort.synth.tables import position_in_segment, segment_starts

Array = npt.NDArray[Any]

#: Person identifiers: cluster people are ``month_key * PEOPLE_PER_MONTH + i``; people who die with no spell
#: take the last block of a month; regular attenders live above ``REGULAR_ATTENDER_BASE``.
PEOPLE_PER_MONTH = 10_000_000
PEOPLE_WITHOUT_SPELL_BASE = 9_000_000
REGULAR_ATTENDER_BASE = 900_000_000_000
REGULAR_SLOTS_PER_TRUST = 100_000
BLOCK_ROWS = 200_000
_TRANSFER_GAP_DAYS = (0, 1, 2, 3)
_TRANSFER_GAP_WEIGHTS = (0.85, 0.10, 0.03, 0.02)
_CARE_HOME_BEFORE = ("54", "65", "85")
_CARE_HOME_FROM = ("56", "66")


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01."""
    return (day - EPOCH).days


def month_key_of_days(days: Array) -> Array:
    """Month key (months since January 1990) of day numbers."""
    months_since_1970 = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months_since_1970 - 240


def calendar_month_of_days(days: Array) -> Array:
    """Calendar month 1-12 of day numbers."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12 + 1


def _seasonal_factor(month: Month) -> Array:
    factors = np.array([SEASONAL_FACTORS[p.seasonality][month.month - 1] for p in PROFILES])
    covid = [i for i, p in enumerate(PROFILES) if p.seasonality is Seasonality.COVID]
    factors[covid] *= COVID_YEAR_FACTORS.get(month.year, 1.0)
    return factors


# --- people --------------------------------------------------------------------------------------------------
def draw_ages(ctx: GeneratorContext, trust: Array, kind: Array, group: Array, rng: np.random.Generator
              ) -> tuple[Array, Array]:
    """Age in years (0 = under one) and the ``STARTAGE`` value written, by the age family of kind or group."""
    family = np.where(ctx.profile_family[kind] >= 0, ctx.profile_family[kind], ctx.group_family[group])
    band = ctx.age_table.draw(rng, family.astype(np.int64) * len(ctx.organisations.trusts) + trust)
    low, high = ctx.band_low[band], ctx.band_high[band]
    age = low + np.floor(rng.random(len(band)) * (high - low + 1)).astype(np.int64)
    startage = age.copy()
    infant = age == 0
    newborn = (kind == ctx.kind_index(ActivityKind.BIRTH)) | (kind == ctx.kind_index(ActivityKind.STILLBIRTH))
    codes = np.array([code for code, _ in INFANT_STARTAGE_WEIGHTS])
    weights = np.array([weight for _, weight in INFANT_STARTAGE_WEIGHTS])
    startage[infant] = codes[rng.choice(len(codes), size=int(infant.sum()), p=weights / weights.sum())]
    startage[newborn] = NEWBORN_STARTAGE
    age[newborn] = 0
    return age, startage


def draw_sex(ctx: GeneratorContext, kind: Array, group: Array, rng: np.random.Generator) -> Array:
    """``SEX`` 1 or 2 by the share of women of the kind of activity or of the diagnosis group."""
    share = np.where(ctx.profile_female_share[kind] >= 0, ctx.profile_female_share[kind],
                     ctx.group_female_share[group])
    return np.where(rng.random(len(kind)) < share, FEMALE, MALE).astype(np.int8)


def draw_residence(ctx: GeneratorContext, trust: Array, rng: np.random.Generator) -> Array:
    """LSOA index of each patient: the trust's catchment, a few empty (-1) or outside England."""
    organisations = ctx.organisations
    lsoa = organisations.lsoa_pool.draw(rng, trust).astype(np.int64)
    u = rng.random(len(trust))
    lsoa[u < 0.006] = -1
    outside = (u >= 0.006) & (u < 0.009)
    lsoa[outside] = len(organisations.lsoa_codes) + rng.integers(0, len(NON_ENGLISH_LSOAS), int(outside.sum()))
    return lsoa


def draw_lengths_of_stay(ctx: GeneratorContext, kind: Array, group: Array, age: Array,
                         rng: np.random.Generator) -> Array:
    """Days between admission and discharge."""
    factor = ctx.group_stay_factor[group]
    same_day = ctx.profile_same_day[kind] / np.maximum(factor, 1.0) ** 0.5
    median = ctx.profile_stay_median[kind] * factor * np.exp(
        ctx.profile_stay_age_slope[kind] * (np.maximum(age, 18) - 50) / 10.0)
    days = 1 + np.floor(np.exp(np.log(median) + ctx.profile_stay_sigma[kind] * rng.standard_normal(len(kind))))
    days[rng.random(len(kind)) < same_day] = 0
    capped: Array = np.minimum(days, 365).astype(np.int64)
    return capped


def resolve_care_home_sources(source: Array, age: Array, admission_day: Array) -> Array:
    """The pseudo source "care home" becomes a real code by date, or usual residence (19) under 65."""
    result = source.copy()
    care_home = source == CARE_HOME
    young = care_home & (age < 65)
    result[young] = ADMISORC_CODES.index("19")
    old = care_home & ~young
    change = day_number(CARE_HOME_CODE_CHANGE)
    before = np.array([ADMISORC_CODES.index(c) for c in _CARE_HOME_BEFORE])
    after = np.array([ADMISORC_CODES.index(c) for c in _CARE_HOME_FROM])
    pick = np.arange(len(source))
    result[old & (admission_day < change)] = before[pick[old & (admission_day < change)] % len(before)]
    result[old & (admission_day >= change)] = after[pick[old & (admission_day >= change)] % len(after)]
    return result


def draw_birth_weights(ctx: GeneratorContext, kind: Array, group: Array, rng: np.random.Generator) -> Array:
    """``BIRWEIT_1`` in grams for births and stillbirths (-1 elsewhere); 2% unknown (9999 or 7000)."""
    n = len(kind)
    grams = np.full(n, -1, dtype=np.int64)
    births = (kind == ctx.kind_index(ActivityKind.BIRTH)) | (kind == ctx.kind_index(ActivityKind.STILLBIRTH))
    normal = np.clip(rng.normal(3400, 520, n), 1500, 5400)
    preterm = np.where(rng.random(n) < 0.16, rng.uniform(450, 999, n), rng.uniform(1000, 2499, n))
    unwell = np.clip(rng.normal(3000, 750, n), 600, 5000)
    stillborn = np.clip(rng.normal(1800, 900, n), 300, 4500)
    value = np.where(group == 117, preterm, np.where(group == 141, normal, unwell))
    value = np.where(kind == ctx.kind_index(ActivityKind.STILLBIRTH), stillborn, value)
    grams[births] = np.round(value[births]).astype(np.int64)
    unknown = births & (rng.random(n) < 0.02)
    grams[unknown] = np.where(rng.random(int(unknown.sum())) < 0.8, 9999, 7000)
    return grams


def _draw_spells(ctx: GeneratorContext, trust: Array, kind: Array, group: Array, admission_day: Array,
                 age: Array, startage: Array, sex: Array, rng: np.random.Generator) -> dict[str, Array]:
    """The attributes of new spells that do not depend on the person (code, method, stay, site)."""
    n = len(trust)
    code = ctx.codes.group_pool.draw(rng, group.astype(np.int64) * 3 + sex).astype(np.int64)
    method = ctx.admission_method_table.draw(rng, kind)
    source = resolve_care_home_sources(ctx.admission_source_table.draw(rng, kind), age, admission_day)
    patient_class = ctx.patient_class_table.draw(rng, kind)
    site = ctx.organisations.site_pool.draw(
        rng, trust.astype(np.int64) * 4 + ctx.profile_site_role[kind])
    return {
        "trust": trust.astype(np.int64), "kind": kind.astype(np.int64), "group": group.astype(np.int64),
        "code": code, "age": age, "startage": startage, "sex": sex.astype(np.int64), "admit": admission_day,
        "los": draw_lengths_of_stay(ctx, kind, group, age, rng), "site": site.astype(np.int64),
        "admimeth": method.astype(np.int64), "admisorc": source.astype(np.int64),
        "classpat": patient_class.astype(np.int64),
        "birthweight": draw_birth_weights(ctx, kind, group, rng),
        "transfer_out": np.zeros(n, dtype=bool),
        "transfer_marker_out": np.zeros(n, dtype=bool),
    }


def draw_index_spells(ctx: GeneratorContext, month: Month, rng: np.random.Generator) -> ColumnTable:
    """The month's index admissions of every trust and kind of activity (Poisson counts)."""
    n_trusts, n_kinds = ctx.annual_volume.shape
    expected = ctx.annual_volume * _seasonal_factor(month)[None, :] / 12.0
    counts = rng.poisson(expected).ravel()
    pair = np.repeat(np.arange(n_trusts * n_kinds), counts)
    trust, kind = pair // n_kinds, pair % n_kinds
    n = len(pair)
    if n >= PEOPLE_WITHOUT_SPELL_BASE:
        raise ValueError("too many index admissions in one month for the person numbering")
    group = ctx.group_table.draw(rng, kind)
    age, startage = draw_ages(ctx, trust, kind, group, rng)
    sex = draw_sex(ctx, kind, group, rng)
    first_day = day_number(month.first_day)
    days = month.last_day.day
    admission_day = first_day + np.floor(rng.random(n) * days).astype(np.int64)
    spells = _draw_spells(ctx, trust, kind, group, admission_day, age, startage, sex, rng)
    person = month_key(month) * PEOPLE_PER_MONTH + np.arange(n, dtype=np.int64)
    return ColumnTable({
        **spells,
        "person": person,
        "leg": np.zeros(n, dtype=np.int64),
        "lsoa": draw_residence(ctx, trust, rng),
        "ethnos": ctx.ethnos_table.draw(rng, np.zeros(n, dtype=np.int64)),
        "readmission": np.zeros(n, dtype=bool),
    })


def draw_regular_attendances(ctx: GeneratorContext, month: Month, rng: np.random.Generator) -> ColumnTable:
    """Regular day and night attenders: the same people (same HESID) each month, a few attendances each."""
    kind_index = ctx.kind_index(ActivityKind.REGULAR_ATTENDER)
    tables: list[ColumnTable] = []
    first_day = day_number(month.first_day)
    days = month.last_day.day
    low, high = clinical.REGULAR_ATTENDANCES_PER_MONTH
    for trust in np.nonzero(ctx.regular_attenders > 0)[0]:
        pool = min(int(np.rint(ctx.regular_attenders[trust])), REGULAR_SLOTS_PER_TRUST)
        if pool == 0:
            continue
        people_rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
            [ctx.settings.seed, 9, int(trust)])))
        trusts = np.full(pool, trust, dtype=np.int64)
        kinds = np.full(pool, kind_index, dtype=np.int64)
        group = ctx.group_table.draw(people_rng, kinds)
        age, startage = draw_ages(ctx, trusts, kinds, group, people_rng)
        sex = draw_sex(ctx, kinds, group, people_rng)
        code = ctx.codes.group_pool.draw(people_rng, group.astype(np.int64) * 3 + sex).astype(np.int64)
        lsoa = draw_residence(ctx, trusts, people_rng)
        ethnos = ctx.ethnos_table.draw(people_rng, np.zeros(pool, dtype=np.int64))
        patient_class = ctx.patient_class_table.draw(people_rng, kinds)
        site = ctx.organisations.site_pool.draw(people_rng, trusts * 4 + ctx.profile_site_role[kinds])
        active = rng.random(pool) < 0.8
        visits = np.where(active, rng.integers(low, high + 1, pool), 0)
        who = np.repeat(np.arange(pool), visits)
        visit_day = first_day + np.floor(rng.random(len(who)) * days).astype(np.int64)
        order = np.lexsort((visit_day, who))
        who, visit_day = who[order], visit_day[order]
        n = len(who)
        tables.append(ColumnTable({
            "trust": trusts[who], "kind": kinds[who], "group": group[who].astype(np.int64), "code": code[who],
            "age": age[who], "startage": startage[who], "sex": sex[who].astype(np.int64), "admit": visit_day,
            "los": np.zeros(n, dtype=np.int64), "site": site[who].astype(np.int64),
            "admimeth": ctx.admission_method_table.draw(rng, kinds[who]).astype(np.int64),
            "admisorc": np.full(n, ADMISORC_CODES.index("19"), dtype=np.int64),
            "classpat": patient_class[who].astype(np.int64), "birthweight": np.full(n, -1, dtype=np.int64),
            "transfer_out": np.zeros(n, dtype=bool), "transfer_marker_out": np.zeros(n, dtype=bool),
            "person": REGULAR_ATTENDER_BASE + trust * REGULAR_SLOTS_PER_TRUST + who.astype(np.int64),
            "leg": position_in_segment(np.bincount(who, minlength=pool)[np.unique(who)]) if n else who,
            "lsoa": lsoa[who], "ethnos": ethnos[who].astype(np.int64), "readmission": np.zeros(n, dtype=bool),
        }))
    return ColumnTable.concat(tables)


# --- readmissions and transfers --------------------------------------------------------------------------------
def add_follow_up_legs(ctx: GeneratorContext, index: ColumnTable, rng: np.random.Generator) -> ColumnTable:
    """Transfers to another acute trust (continuous inpatient spells, hsmr.md §3) and emergency readmissions.

    A transfer starts 0-2 days (a few 3) after the discharge with ``ADMIMETH`` 81 or 2B and ``ADMISORC`` 51,
    and the transferring spell is discharged to ``DISDEST`` 51 (most of the time). A readmission starts a few
    days to months later, usually at the same trust; readmitted people come back again with probability
    ``REPEAT_READMISSION_RATE`` (frequent attenders).
    """
    organisations = ctx.organisations
    emergency_medical = ctx.kind_index(ActivityKind.EMERGENCY_MEDICAL)
    emergency_paediatric = ctx.kind_index(ActivityKind.EMERGENCY_PAEDIATRIC)
    never_same_code = [ctx.kind_index(ActivityKind.BIRTH), ctx.kind_index(ActivityKind.MATERNITY)]
    legs = [index]
    current = index
    for _ in range(1, MAX_LEGS):
        n = len(current)
        if n == 0:
            break
        acute = organisations.is_acute[current["trust"]] & ctx.profile_in_scope[current["kind"]]
        transfer_rate = np.where(ctx.profile_transfers[current["kind"]] & acute,
                                 ctx.group_transfer_rate[current["group"]], 0.0)
        age_factor = np.where(current["age"] >= 65, 1.3, np.where(current["age"] >= 18, 0.8, 1.0))
        readmission_rate = np.where(current["readmission"], REPEAT_READMISSION_RATE,
                                    ctx.profile_readmission[current["kind"]] * age_factor)
        readmission_rate = np.where(acute, readmission_rate, 0.0)
        u = rng.random(n)
        transfer = u < transfer_rate
        readmit = ~transfer & (u < transfer_rate + readmission_rate)
        current["transfer_out"][:] = transfer
        follow = transfer | readmit
        if not follow.any():
            break
        parent = current.take(follow)
        is_transfer = transfer[follow]
        m = len(parent)
        child_age = parent["age"]
        child_startage = np.where(parent["startage"] == NEWBORN_STARTAGE,
                                  rng.choice([7002, 7003], size=m), parent["startage"])
        readmission_kind = np.where(child_age >= 18, emergency_medical, emergency_paediatric)
        kind = np.where(is_transfer, parent["kind"], readmission_kind)
        same_code = is_transfer | ((rng.random(m) < 0.35) & ~np.isin(parent["kind"], never_same_code))
        group = np.where(same_code, parent["group"], ctx.group_table.draw(rng, kind))
        elsewhere = is_transfer | (rng.random(m) < 0.10)
        trust = np.where(elsewhere, organisations.transfer_pool.draw(rng, parent["trust"]), parent["trust"])
        gap_transfer = np.asarray(_TRANSFER_GAP_DAYS)[rng.choice(
            len(_TRANSFER_GAP_DAYS), size=m, p=np.asarray(_TRANSFER_GAP_WEIGHTS))]
        gap_readmission = 1 + np.minimum(np.floor(rng.gamma(0.8, 25.0, m)), 363).astype(np.int64)
        admission_day = parent["admit"] + parent["los"] + np.where(is_transfer, gap_transfer, gap_readmission)
        child = _draw_spells(ctx, trust, kind, group, admission_day, child_age, child_startage,
                             parent["sex"], rng)
        child["code"] = np.where(same_code, parent["code"], child["code"])
        # A transferred patient stays at least a night, so that spells of a person never tie on both dates.
        child["los"] = np.where(is_transfer, np.maximum(child["los"], 1), child["los"])
        child["birthweight"] = np.full(m, -1, dtype=np.int64)
        marker = rng.random(m)
        transfer_method = np.where(marker < 0.6, ADMIMETH_CODES.index("81"),
                                   np.where(marker < 0.85, ADMIMETH_CODES.index("2B"),
                                            ADMIMETH_CODES.index("21")))
        child["admimeth"] = np.where(is_transfer, transfer_method, child["admimeth"])
        transfer_source = np.where(rng.random(m) < 0.85, ADMISORC_CODES.index("51"), ADMISORC_CODES.index("19"))
        child["admisorc"] = np.where(is_transfer, transfer_source, child["admisorc"])
        child["classpat"] = np.full(m, CLASSPAT_CODES.index("1"), dtype=np.int64)
        current["transfer_marker_out"][follow] = is_transfer & (rng.random(m) < 0.88)
        child_table = ColumnTable({
            **child,
            "person": parent["person"],
            "leg": parent["leg"] + 1,
            "lsoa": parent["lsoa"],
            "ethnos": parent["ethnos"],
            "readmission": ~is_transfer,
        })
        legs.append(child_table)
        current = child_table
    spells = ColumnTable.concat(legs)
    return spells.take(np.lexsort((spells["leg"], spells["person"])))


# --- episodes and diagnoses ---------------------------------------------------------------------------------
def draw_secondary_diagnoses(ctx: GeneratorContext, spells: ColumnTable, rng: np.random.Generator
                             ) -> tuple[Array, Array, Array]:
    """Each spell's list of secondary codes (Charlson codes first, then others), in blocks of rows.

    Each Charlson condition and each other common secondary code is present with its prevalence for the
    spell's age band, times the profile's comorbidity scale, the trust's coding depth and (Charlson only) the
    deprivation of the patient's LSOA. Returns the codes (spells x 19, -1 where empty), the running sum of
    Charlson weights along the list (so that the score of the first k codes is ``max(0, cumulative[k - 1])``)
    and the number of codes.
    """
    n = len(spells)
    codes = np.full((n, SECONDARY_POSITIONS), -1, dtype=np.int32)
    cumulative = np.zeros((n, SECONDARY_POSITIONS), dtype=np.int16)
    counts = np.zeros(n, dtype=np.int64)
    families = list(FillerFamily)
    charlson_family_scale = np.array([CHARLSON_SCALE_BY_FAMILY[f] for f in families])
    filler_uses_scale = np.array([f in (FillerFamily.ADULT, FillerFamily.CHILD) for f in families])
    deprivation = np.asarray(DEPRIVATION_FACTOR)
    organisations = ctx.organisations
    lsoa_decile = np.concatenate([organisations.lsoa_decile.astype(np.int64),
                                  np.zeros(len(NON_ENGLISH_LSOAS), dtype=np.int64)])
    n_conditions = len(ctx.codes.conditions)
    condition_weights = ctx.codes.condition_weights.astype(np.int16)
    family_columns = [np.nonzero(ctx.filler_family_of_column == f)[0] for f in range(len(families))]
    for start in range(0, n, BLOCK_ROWS):
        block = np.arange(start, min(n, start + BLOCK_ROWS))
        kind = spells["kind"][block]
        family = ctx.profile_filler_family[kind]
        for family_index, columns in enumerate(family_columns):
            rows = block[family == family_index]
            if len(rows) == 0:
                continue
            age = spells["age"][rows]
            lsoa = spells["lsoa"][rows]
            band = np.searchsorted(AGE_BAND_STARTS, age, side="right") - 1
            depth = organisations.coding_depth[spells["trust"][rows]]
            decile = np.where(lsoa >= 0, lsoa_decile[np.maximum(lsoa, 0)], 0)
            deprived = np.where(decile > 0, deprivation[np.maximum(decile, 1) - 1], 1.0)
            scale = ctx.profile_comorbidity_scale[spells["kind"][rows]]
            charlson_scale = (scale * charlson_family_scale[family_index] * depth * deprived).astype(np.float32)
            filler_scale = ((scale if filler_uses_scale[family_index] else 1.0) * depth).astype(np.float32)
            probability = np.concatenate([
                ctx.charlson_prevalence[:, band].T * charlson_scale[:, None],
                ctx.filler_prevalence[columns][:, band].T * filler_scale[:, None],
            ], axis=1)
            present = rng.random(probability.shape, dtype=np.float32) < probability
            hit_row, hit_column = np.nonzero(present)
            is_charlson = hit_column < n_conditions
            cell_code = np.empty(len(hit_row), dtype=np.int64)
            cell_code[~is_charlson] = ctx.filler_code[columns][hit_column[~is_charlson] - n_conditions]
            cell_code[is_charlson] = ctx.codes.condition_pool.draw(
                rng, hit_column[is_charlson].astype(np.int64) * 3 + spells["sex"][rows][hit_row[is_charlson]])
            cell_weight = np.where(is_charlson, condition_weights[np.minimum(hit_column, n_conditions - 1)], 0)
            distinct = cell_code != spells["code"][rows][hit_row]
            hit_row, cell_code, cell_weight = hit_row[distinct], cell_code[distinct], cell_weight[distinct]
            per_row = np.bincount(hit_row, minlength=len(rows))
            position = np.arange(len(hit_row)) - np.repeat(segment_starts(per_row), per_row)
            keep = position < SECONDARY_POSITIONS
            target = rows[hit_row[keep]]
            codes[target, position[keep]] = cell_code[keep]
            weights = np.zeros((len(rows), SECONDARY_POSITIONS), dtype=np.int16)
            weights[hit_row[keep], position[keep]] = cell_weight[keep]
            cumulative[rows] = np.cumsum(weights, axis=1, dtype=np.int16)
            counts[rows] = np.minimum(per_row, SECONDARY_POSITIONS)
    return codes, cumulative, counts


def draw_episodes(ctx: GeneratorContext, spells: ColumnTable, secondary_count: Array, rng: np.random.Generator
                  ) -> tuple[ColumnTable, ColumnTable]:
    """Split each spell into consultant episodes; code the first with a symptom (R) for some spells.

    Returns the spells with ``n_episodes``, ``symptom_first`` and ``first_episode`` added, and the episodes
    (``spell``, ``epiorder``, ``start``, ``end``, ``primary``, ``n_secondary``, ``specialty``, ``site``).
    """
    n = len(spells)
    kind, los, group = spells["kind"], spells["los"], spells["group"]
    multi_probability = ctx.profile_multi_base[kind] + ctx.profile_multi_extra[kind] * (1.0 - np.exp(-los / 6.0))
    multi = rng.random(n) < multi_probability
    extra = np.minimum(rng.geometric(0.62, n), 7)
    n_episodes = np.where(multi, 1 + extra, 1).astype(np.int64)
    main_is_symptom = ctx.codes.starts_with_r[spells["code"]]
    symptom_first = multi & ~main_is_symptom & (rng.random(n) < ctx.profile_symptom_first[kind])
    first_code = np.where(symptom_first,
                          ctx.codes.symptom_pool.draw(rng, ctx.group_supergroup[group].astype(np.int64)),
                          spells["code"])

    spell_of = np.repeat(np.arange(n, dtype=np.int64), n_episodes)
    order = position_in_segment(n_episodes)
    first_episode = segment_starts(n_episodes)
    e = len(spell_of)
    gaps = rng.exponential(1.0, e)
    running = np.cumsum(gaps)
    before_spell = np.concatenate([[0.0], running])[first_episode]
    totals = running[first_episode + n_episodes - 1] - before_spell
    fraction_end = (running - before_spell[spell_of]) / totals[spell_of]
    end_offset = np.round(fraction_end * los[spell_of]).astype(np.int64)
    end_offset[first_episode + n_episodes - 1] = los
    start_offset = np.zeros(e, dtype=np.int64)
    later = order > 0
    start_offset[later] = end_offset[np.nonzero(later)[0] - 1]
    admit = spells["admit"][spell_of]

    same_group_code = ctx.codes.group_pool.draw(
        rng, group[spell_of].astype(np.int64) * 3 + spells["sex"][spell_of])
    primary = np.where(order == 0, first_code[spell_of],
                       np.where(rng.random(e) < 0.8, spells["code"][spell_of], same_group_code))
    full_list = order == symptom_first[spell_of].astype(np.int64)
    n_secondary = np.where(full_list, secondary_count[spell_of],
                           rng.binomial(secondary_count[spell_of], 0.55)).astype(np.int64)

    supergroup = ctx.group_supergroup[group]
    mode = ctx.profile_specialty_mode[kind]
    age = spells["age"]
    medical_first = np.where(rng.random(n) < 0.45, SPECIALTY_INDEX["300"],
                             np.where(rng.random(n) < 0.18, SPECIALTY_INDEX["180"], ctx.medical_specialty[supergroup]))
    first_specialty = np.select(
        [mode == 0, mode == 1, mode == 2, mode == 3, mode == 4, mode == 5],
        [medical_first, ctx.surgical_specialty[supergroup], SPECIALTY_INDEX["420"], SPECIALTY_INDEX["501"],
         np.where(group == 141, SPECIALTY_INDEX["424"], SPECIALTY_INDEX["422"]),
         np.where(age >= 65, SPECIALTY_INDEX["715"], SPECIALTY_INDEX["710"])],
        default=np.where(rng.random(n) < 0.6, SPECIALTY_INDEX["430"], SPECIALTY_INDEX["314"]),
    )
    later_medical = np.where(age >= 75, SPECIALTY_INDEX["430"], ctx.medical_specialty[supergroup])
    later_specialty = np.where(mode == 0, later_medical,
                               np.where((mode == 4) & (group != 141), SPECIALTY_INDEX["422"], first_specialty))
    specialty = np.where(order == 0, first_specialty[spell_of], later_specialty[spell_of])

    site = spells["site"][spell_of].copy()
    to_community = later & (age[spell_of] >= 75) & (mode[spell_of] <= 1) & (rng.random(e) < 0.2)
    site[to_community] = ctx.organisations.community_site[spells["trust"][spell_of][to_community]]

    spells = spells.with_columns(n_episodes=n_episodes, symptom_first=symptom_first, first_episode=first_episode)
    episodes = ColumnTable({
        "spell": spell_of,
        "epiorder": order + 1,
        "start": admit + start_offset,
        "end": admit + end_offset,
        "primary": primary.astype(np.int64),
        "n_secondary": n_secondary,
        "specialty": specialty.astype(np.int64),
        "site": site.astype(np.int64),
    })
    return spells, episodes
