"""The diagnosis code book of the generator: every code it may write, and the weighted pools it draws from.

Code index 0 is the empty code (a blank diagnosis defect); then the 12,632 codes of the SHMI lookup in sorted
order; then a few codes that are not in the lookup (invalid-code defects). Each code carries the diagnosis group
the pipeline will give it as a primary diagnosis (shmi.md §7.3: the lookup's group, 143 for U071/U072, 144 when
not in the lookup).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from hospmort import refdata
from hospmort.synth.clinical import (
    FEMALE_ONLY_PREFIXES,
    GROUP_CODES,
    MALE_ONLY_PREFIXES,
    RESIDUAL_CODE_SHARE,
    SYMPTOM_CODES_BY_SUPERGROUP,
    FillerFamily,
)
from hospmort.synth.comorbidity import CHARLSON_CODES, FILLER_PREVALENCE
from hospmort.synth.tables import SegmentedTable

Array = npt.NDArray[Any]

#: Codes written as invalid primary diagnoses: well-formed codes absent from the lookup, and malformed text.
INVALID_CODES = ("U999", "R999", "A00", "XX1", "K3-9", "9999", "ZZZZ")
#: Sex restriction of a code: any, men only, women only (also the ``SEX`` codes 1 and 2 used to index pools).
ANY_SEX, MALE, FEMALE = 0, 1, 2
NUMBER_OF_GROUP_SLOTS = refdata.NUMBER_OF_GROUPS + 1
_UNUSUAL_PRIMARY_PREFIXES = ("V", "W", "X", "Y")


def sex_restriction(code: str) -> int:
    """``FEMALE`` for codes of women only (pregnancy, female genital organs), ``MALE`` for men only, else 0."""
    if code.startswith(FEMALE_ONLY_PREFIXES):
        return FEMALE
    if code.startswith(MALE_ONLY_PREFIXES):
        return MALE
    return ANY_SEX


def charlson_conditions_of(code: str) -> tuple[str, ...]:
    """The Charlson conditions (shmi.md §9) whose prefixes the code starts with."""
    return tuple(c.condition for c in refdata.charlson_conditions() if code.startswith(c.prefixes))


@dataclass(frozen=True)
class CodeBook:
    """All codes with their pipeline groups, and the pools the generator draws codes from."""

    codes: tuple[str, ...]
    index: dict[str, int]
    #: Group the pipeline gives the code as a primary diagnosis (1-144).
    group: Array
    in_lookup: Array
    starts_with_r: Array
    invalid_codes: Array
    #: Segment ``group * 3 + sex``: the codes of a group a patient of that sex may be given.
    group_pool: SegmentedTable
    #: Segment ``supergroup``: symptom codes for the first episode of a spell.
    symptom_pool: SegmentedTable
    #: Charlson conditions in a fixed order, their weights, and a pool per ``condition * 3 + sex``.
    conditions: tuple[str, ...]
    condition_weights: Array
    condition_pool: SegmentedTable
    #: Secondary codes that are not Charlson codes, per family; their code indices.
    filler_codes: dict[FillerFamily, Array]

    def code_index(self, code: str) -> int:
        return self.index[code]


def _weighted_pool(listed: tuple[tuple[str, float], ...], others: list[str]) -> list[tuple[str, float]]:
    listed_total = sum(weight for _, weight in listed)
    listed_codes = {code for code, _ in listed}
    rest = [code for code in others if code not in listed_codes]
    if listed_total <= 0:
        return [(code, 1.0) for code in rest]
    residual = RESIDUAL_CODE_SHARE if rest else 0.0
    pool = [(code, (1.0 - residual) * weight / listed_total) for code, weight in listed]
    pool += [(code, residual / len(rest)) for code in rest]
    return pool


@cache
def build_code_book() -> CodeBook:
    """The code book, built once from the shipped lookup and the clinical tables."""
    lookup = refdata.icd10_lookup()
    lookup_codes = sorted(lookup)
    codes = ("", *lookup_codes, *INVALID_CODES)
    index = {code: position for position, code in enumerate(codes)}
    if len(index) != len(codes) or any(code in lookup for code in INVALID_CODES):
        raise ValueError("invalid-code defects must be absent from the lookup and distinct")
    group = np.full(len(codes), refdata.INVALID_DIAGNOSIS_GROUP, dtype=np.int16)
    for code in lookup_codes:
        group[index[code]] = (refdata.COVID_GROUP if code in refdata.COVID_CODES
                              else lookup[code].shmi_diagnosis_group)
    in_lookup = np.array([code in lookup for code in codes], dtype=bool)
    starts_with_r = np.array([code.startswith("R") for code in codes], dtype=bool)

    by_group: dict[int, list[str]] = {}
    for code in lookup_codes:
        by_group.setdefault(int(group[index[code]]), []).append(code)
    segments: list[list[tuple[int, float]]] = []
    for slot in range(NUMBER_OF_GROUP_SLOTS):
        for sex in (ANY_SEX, MALE, FEMALE):
            members = by_group.get(slot, [])
            allowed = [c for c in members if sex_restriction(c) in (ANY_SEX, sex)] or members
            usual = [c for c in allowed if not c.startswith(_UNUSUAL_PRIMARY_PREFIXES)] or allowed
            listed = tuple((c, w) for c, w in GROUP_CODES.get(slot, ()) if c in allowed and w > 0)
            pool = _weighted_pool(listed, usual) if usual else [("", 1.0)]
            segments.append([(index[c], w) for c, w in pool])
    group_pool = SegmentedTable.build(segments)

    supergroup_count = max(number for number, _ in refdata.supergroups().values()) + 1
    symptom_segments = [
        [(index[c], 1.0) for c in SYMPTOM_CODES_BY_SUPERGROUP.get(s, ("R69X",))] for s in range(supergroup_count)
    ]

    conditions = tuple(c.condition for c in refdata.charlson_conditions())
    weights = np.array([c.weight for c in refdata.charlson_conditions()], dtype=np.int16)
    single_condition: dict[str, list[str]] = {name: [] for name in conditions}
    for code in lookup_codes:
        found = charlson_conditions_of(code)
        if len(found) == 1:
            single_condition[found[0]].append(code)
    condition_segments: list[list[tuple[int, float]]] = []
    for name in conditions:
        for sex in (ANY_SEX, MALE, FEMALE):
            allowed = [c for c in single_condition[name] if sex_restriction(c) in (ANY_SEX, sex)]
            listed = tuple((c, w) for c, w in CHARLSON_CODES[name] if c in allowed)
            condition_segments.append([(index[c], w) for c, w in _weighted_pool(listed, allowed)])

    filler_codes: dict[FillerFamily, Array] = {}
    for family, table in FILLER_PREVALENCE.items():
        for code in table:
            if code not in lookup or charlson_conditions_of(code):
                raise ValueError(f"filler code {code} must be a lookup code outside the Charlson list")
        filler_codes[family] = np.array([index[c] for c in table], dtype=np.int32)

    return CodeBook(
        codes=codes,
        index=index,
        group=group,
        in_lookup=in_lookup,
        starts_with_r=starts_with_r,
        invalid_codes=np.array([index[c] for c in INVALID_CODES], dtype=np.int32),
        group_pool=group_pool,
        symptom_pool=SegmentedTable.build(symptom_segments),
        conditions=conditions,
        condition_weights=weights,
        condition_pool=SegmentedTable.build(condition_segments),
        filler_codes=filler_codes,
    )
