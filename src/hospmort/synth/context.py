"""Everything a month of generation reads but never changes: organisations, code book, risk model, and the
clinical tables turned into arrays and weighted-choice tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hospmort import refdata
from hospmort.synth import clinical
from hospmort.synth.clinical import (
    AGE_FAMILIES,
    AGE_FAMILY_NAMES,
    IN_SCOPE_SHARES,
    PROFILES,
    ActivityKind,
    FillerFamily,
)
from hospmort.synth.codes import CodeBook, build_code_book
from hospmort.synth.columns import (
    ADMIMETH_CODES,
    ADMISORC_CODES,
    CLASSPAT_CODES,
    SPECIALTY_INDEX,
)
from hospmort.synth.comorbidity import ADULT_FILLER_SCALE, CHARLSON_PREVALENCE, FILLER_PREVALENCE
from hospmort.synth.organisations import Organisations
from hospmort.synth.risk import RiskModel, build_risk_model
from hospmort.synth.settings import SynthSettings
from hospmort.synth.tables import SegmentedTable

Array = npt.NDArray[Any]

EPOCH = dt.date(1970, 1, 1)
#: Index spells are scaled down by this factor so that index spells plus readmissions and transfers give the
#: scale's in-scope spells a year.
FOLLOW_UP_FACTOR = 1.165
#: Pseudo admission source: a care home, coded by date (54/65/85 before April 2022, 56/66 from then on).
CARE_HOME = -1
CARE_HOME_CODE_CHANGE = dt.date(2022, 4, 1)
#: Length-of-stay multipliers of some diagnosis groups (longer for hip fracture and stroke, shorter for
#: symptoms such as chest pain).
GROUP_STAY_FACTOR: dict[int, float] = {
    120: 3.2, 66: 2.4, 2: 1.6, 73: 1.4, 65: 1.5, 99: 1.4, 42: 2.2, 30: 1.4, 15: 1.3, 124: 1.5, 125: 1.5,
    49: 2.0, 143: 1.3, 117: 6.0, 118: 2.0, 119: 2.0, 59: 0.4, 134: 0.6, 137: 0.5, 138: 0.5, 139: 0.8, 76: 0.6,
    132: 0.5, 50: 0.7, 107: 1.2,
}
#: Medical and surgical treatment specialties by supergroup (1-18).
MEDICAL_SPECIALTY = {1: "350", 2: "370", 3: "302", 4: "303", 5: "300", 6: "400", 7: "320", 8: "340", 9: "301",
                     10: "361", 11: "501", 12: "330", 13: "410", 14: "420", 15: "422", 16: "180", 17: "300",
                     18: "300"}
SURGICAL_SPECIALTY = {1: "100", 2: "100", 3: "100", 4: "100", 5: "100", 6: "150", 7: "107", 8: "120", 9: "100",
                      10: "101", 11: "501", 12: "160", 13: "110", 14: "171", 15: "171", 16: "110", 17: "100",
                      18: "100"}
SPECIALTY_MODES = ("medical", "surgical", "paediatric", "maternity", "newborn", "mental_health", "community")


@dataclass(frozen=True)
class GeneratorContext:
    """Static tables of one run."""

    settings: SynthSettings
    organisations: Organisations
    codes: CodeBook
    risk: RiskModel
    kinds: tuple[ActivityKind, ...]
    #: Index spells a year by (trust, profile); regular attenders by trust.
    annual_volume: Array
    regular_attenders: Array
    group_table: SegmentedTable
    admission_method_table: SegmentedTable
    admission_source_table: SegmentedTable
    patient_class_table: SegmentedTable
    age_table: SegmentedTable
    band_low: Array
    band_high: Array
    group_family: Array
    group_female_share: Array
    group_supergroup: Array
    group_transfer_rate: Array
    group_stay_factor: Array
    profile_family: Array
    profile_female_share: Array
    profile_filler_family: Array
    profile_comorbidity_scale: Array
    profile_same_day: Array
    profile_stay_median: Array
    profile_stay_sigma: Array
    profile_stay_age_slope: Array
    profile_multi_base: Array
    profile_multi_extra: Array
    profile_symptom_first: Array
    profile_transfers: Array
    profile_readmission: Array
    profile_specialty_mode: Array
    profile_in_scope: Array
    profile_risk_factor: Array
    profile_site_role: Array
    medical_specialty: Array
    surgical_specialty: Array
    charlson_prevalence: Array
    filler_prevalence: Array
    filler_code: Array
    filler_family_of_column: Array
    ethnos_table: SegmentedTable

    def kind_index(self, kind: ActivityKind) -> int:
        return self.kinds.index(kind)


def _profile_array(values: Sequence[Any], dtype: Any) -> Array:
    return np.asarray(values, dtype=dtype)


def build_context(settings: SynthSettings, organisations: Organisations) -> GeneratorContext:
    """Turn the clinical tables and the organisations into the arrays the generator indexes."""
    from hospmort.synth.columns import ETHNOS_WEIGHTS
    from hospmort.synth.organisations import ROLE_OF_KIND

    codes = build_code_book()
    kinds = tuple(profile.kind for profile in PROFILES)
    n_trusts = len(organisations.trusts)
    n_profiles = len(PROFILES)
    volume = np.zeros((n_trusts, n_profiles))
    regular = np.zeros(n_trusts)
    for t, trust in enumerate(organisations.trusts):
        if organisations.is_acute[t]:
            factors = {
                ActivityKind.EMERGENCY_MEDICAL: trust.emergency_factor * trust.age_factor ** 0.5,
                ActivityKind.EMERGENCY_SURGICAL: trust.emergency_factor,
                ActivityKind.EMERGENCY_PAEDIATRIC: trust.emergency_factor * trust.maternity_factor ** 0.5,
                ActivityKind.COVID: trust.emergency_factor,
                ActivityKind.ELECTIVE: trust.elective_factor * (1.3 if trust.tertiary else 1.0),
                ActivityKind.MATERNITY: trust.maternity_factor,
                ActivityKind.BIRTH: trust.maternity_factor,
            }
            weights = {kind: IN_SCOPE_SHARES[kind] * factors[kind] for kind in IN_SCOPE_SHARES}
            total = sum(weights.values())
            index_spells = trust.annual_spells / FOLLOW_UP_FACTOR
            for kind, weight in weights.items():
                volume[t, kinds.index(kind)] = index_spells * weight / total
            volume[t, kinds.index(ActivityKind.DAY_CASE)] = (
                index_spells * clinical.DAY_CASES_PER_IN_SCOPE_SPELL * trust.elective_factor)
            volume[t, kinds.index(ActivityKind.STILLBIRTH)] = (
                volume[t, kinds.index(ActivityKind.BIRTH)] * clinical.STILLBIRTHS_PER_BIRTH)
            regular[t] = trust.annual_spells * clinical.REGULAR_ATTENDERS_PER_1000_SPELLS / 1000.0
        else:
            kind = {"specialist": ActivityKind.SPECIALIST, "mental_health": ActivityKind.MENTAL_HEALTH,
                    "community": ActivityKind.COMMUNITY}[trust.trust_type.value]
            volume[t, kinds.index(kind)] = trust.annual_spells

    def code_segments(field: str, table: tuple[str, ...]) -> SegmentedTable:
        segments = []
        for profile in PROFILES:
            pairs = getattr(profile, field)
            segments.append([(CARE_HOME if code == "CARE_HOME" else table.index(code), weight)
                             for code, weight in pairs])
        return SegmentedTable.build(segments)

    n_groups = refdata.NUMBER_OF_GROUPS + 1
    family_names = list(AGE_FAMILY_NAMES)
    band_low: list[int] = []
    band_high: list[int] = []
    family_bands: list[list[int]] = []
    for name in family_names:
        ids = []
        for low, high, _ in AGE_FAMILIES[name]:
            ids.append(len(band_low))
            band_low.append(low)
            band_high.append(high)
        family_bands.append(ids)
    age_segments: list[list[tuple[int, float]]] = []
    for name, ids in zip(family_names, family_bands, strict=True):
        for trust in organisations.trusts:
            segment = []
            for band_id, (low, _, weight) in zip(ids, AGE_FAMILIES[name], strict=True):
                factor = trust.age_factor if low >= 75 else (trust.age_factor ** 0.5 if low >= 65 else 1.0)
                segment.append((band_id, weight * factor))
            age_segments.append(segment)

    group_family = np.full(n_groups, family_names.index("adult"), dtype=np.int16)
    for group, family in clinical.GROUP_AGE_FAMILY.items():
        group_family[group] = family_names.index(family)
    group_female = np.full(n_groups, 0.5)
    for group, share in clinical.GROUP_FEMALE_SHARE.items():
        group_female[group] = share
    supergroup = np.zeros(n_groups, dtype=np.int16)
    for group, (number, _) in refdata.supergroups().items():
        supergroup[group] = number
    transfer = np.full(n_groups, clinical.DEFAULT_TRANSFER_RATE)
    for group, rate in clinical.GROUP_TRANSFER_RATE.items():
        transfer[group] = rate
    stay = np.ones(n_groups)
    for group, factor in GROUP_STAY_FACTOR.items():
        stay[group] = factor

    families = list(FillerFamily)
    conditions = codes.conditions
    charlson = np.array([CHARLSON_PREVALENCE[name] for name in conditions])
    filler_code: list[int] = []
    filler_family: list[int] = []
    filler_prevalence: list[tuple[float, ...]] = []
    for family in families:
        for code, prevalence in FILLER_PREVALENCE[family].items():
            filler_code.append(codes.index[code])
            filler_family.append(families.index(family))
            scale = ADULT_FILLER_SCALE if family is FillerFamily.ADULT else 1.0
            filler_prevalence.append(tuple(min(0.9, value * scale) for value in prevalence))

    medical = np.zeros(19, dtype=np.int16)
    surgical = np.zeros(19, dtype=np.int16)
    for number in range(1, 19):
        medical[number] = SPECIALTY_INDEX[MEDICAL_SPECIALTY[number]]
        surgical[number] = SPECIALTY_INDEX[SURGICAL_SPECIALTY[number]]

    return GeneratorContext(
        settings=settings,
        organisations=organisations,
        codes=codes,
        risk=build_risk_model(),
        kinds=kinds,
        annual_volume=volume,
        regular_attenders=regular,
        group_table=SegmentedTable.build([list(p.groups) for p in PROFILES]),
        admission_method_table=code_segments("admission_methods", ADMIMETH_CODES),
        admission_source_table=code_segments("admission_sources", ADMISORC_CODES),
        patient_class_table=code_segments("patient_classes", CLASSPAT_CODES),
        age_table=SegmentedTable.build(age_segments),
        band_low=np.asarray(band_low, dtype=np.int64),
        band_high=np.asarray(band_high, dtype=np.int64),
        group_family=group_family,
        group_female_share=group_female,
        group_supergroup=supergroup,
        group_transfer_rate=transfer,
        group_stay_factor=stay,
        profile_family=_profile_array(
            [family_names.index(p.age_family) if p.age_family else -1 for p in PROFILES], np.int16),
        profile_female_share=_profile_array(
            [p.female_share if p.female_share is not None else -1.0 for p in PROFILES], float),
        profile_filler_family=_profile_array([families.index(p.filler_family) for p in PROFILES], np.int16),
        profile_comorbidity_scale=_profile_array([p.comorbidity_scale for p in PROFILES], float),
        profile_same_day=_profile_array([p.length_of_stay.p_same_day for p in PROFILES], float),
        profile_stay_median=_profile_array([p.length_of_stay.median for p in PROFILES], float),
        profile_stay_sigma=_profile_array([p.length_of_stay.sigma for p in PROFILES], float),
        profile_stay_age_slope=_profile_array([p.length_of_stay.age_slope for p in PROFILES], float),
        profile_multi_base=_profile_array([p.multi_episode_base for p in PROFILES], float),
        profile_multi_extra=_profile_array([p.multi_episode_extra for p in PROFILES], float),
        profile_symptom_first=_profile_array([p.symptom_first_rate for p in PROFILES], float),
        profile_transfers=_profile_array([p.transfers for p in PROFILES], bool),
        profile_readmission=_profile_array([p.readmission_rate for p in PROFILES], float),
        profile_specialty_mode=_profile_array(
            [SPECIALTY_MODES.index(p.specialty_mode) for p in PROFILES], np.int16),
        profile_in_scope=_profile_array([p.kind in IN_SCOPE_SHARES for p in PROFILES], bool),
        profile_risk_factor=_profile_array(
            [clinical.OUT_OF_SCOPE_RISK_FACTOR.get(p.kind, 1.0) for p in PROFILES], float),
        profile_site_role=_profile_array([ROLE_OF_KIND[p.kind] for p in PROFILES], np.int16),
        medical_specialty=medical,
        surgical_specialty=surgical,
        charlson_prevalence=charlson.astype(np.float32),
        filler_prevalence=np.asarray(filler_prevalence, dtype=np.float32),
        filler_code=np.asarray(filler_code, dtype=np.int32),
        filler_family_of_column=np.asarray(filler_family, dtype=np.int16),
        ethnos_table=SegmentedTable.build([list(enumerate(ETHNOS_WEIGHTS))]),
    )
