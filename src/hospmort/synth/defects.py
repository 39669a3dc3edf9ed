"""Planted defects for the validation work, each at the rate asked (``--defect-rate``).

| kind | unit the rate applies to | what is written |
|---|---|---|
| ``sex_unknown`` | spells (every episode) | ``SEX`` 9, or 0 before April 2022 and X from then on |
| ``age_unknown`` | spells (every episode) | ``STARTAGE`` 999 or empty |
| ``invalid_diagnosis`` | episodes | ``DIAG_4_01`` a code absent from the lookup, some of them malformed |
| ``blank_diagnosis`` | episodes | ``DIAG_4_01`` empty |
| ``missing_discharge_date`` | spells (last episode) | ``DISDATE`` empty or the HES null date 1800-01-01 |
| ``duplicate_epikey`` | episodes | an exact copy of the row, so its ``EPIKEY`` appears twice |
| ``dates_out_of_order`` | episodes | ``EPISTART`` after ``EPIEND`` |

The defects are planted before outcomes are drawn, and the truth files judge every spell as the pipeline
will (shmi.md §5, §7): a spell with unknown sex or age or without a discharge date is out of scope; a spell whose
primary diagnosis is invalid or blank falls back to its second episode or into group 144. Duplicate rows and
swapped episode dates change no spell.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from hospmort.synth.activity import day_number
from hospmort.synth.codes import CodeBook
from hospmort.synth.columns import SEX_CODES, UNKNOWN_AGE, ColumnTable
from hospmort.synth.context import CARE_HOME_CODE_CHANGE

Array = npt.NDArray[Any]

#: ``startage_written`` value meaning an empty ``STARTAGE``.
EMPTY_AGE = -1
#: ``disdate_missing``: 0 present, 1 empty, 2 the HES null date.
DISDATE_EMPTY, DISDATE_NULL_DATE = 1, 2


class DefectKind(StrEnum):
    SEX_UNKNOWN = "sex_unknown"
    AGE_UNKNOWN = "age_unknown"
    INVALID_DIAGNOSIS = "invalid_diagnosis"
    BLANK_DIAGNOSIS = "blank_diagnosis"
    MISSING_DISCHARGE_DATE = "missing_discharge_date"
    DUPLICATE_EPIKEY = "duplicate_epikey"
    DATES_OUT_OF_ORDER = "dates_out_of_order"


def plant_spell_defects(spells: ColumnTable, rate: float, rng: np.random.Generator) -> ColumnTable:
    """Unknown sex, unknown age and missing discharge dates on a share ``rate`` of spells each."""
    n = len(spells)
    sex_written = np.where(spells["sex"] == 1, SEX_CODES.index("1"), SEX_CODES.index("2")).astype(np.int64)
    unknown_sex = rng.random(n) < rate
    late = spells["admit"] >= day_number(CARE_HOME_CODE_CHANGE)
    not_known = np.where(late, SEX_CODES.index("X"), SEX_CODES.index("0"))
    sex_written[unknown_sex] = np.where(rng.random(int(unknown_sex.sum())) < 0.5, SEX_CODES.index("9"),
                                        not_known[unknown_sex])
    startage_written = spells["startage"].copy()
    unknown_age = rng.random(n) < rate
    startage_written[unknown_age] = np.where(rng.random(int(unknown_age.sum())) < 0.7, UNKNOWN_AGE, EMPTY_AGE)
    missing = rng.random(n) < rate
    disdate_missing = np.zeros(n, dtype=np.int64)
    disdate_missing[missing] = np.where(rng.random(int(missing.sum())) < 0.7, DISDATE_EMPTY, DISDATE_NULL_DATE)
    return spells.with_columns(sex_written=sex_written, startage_written=startage_written,
                               disdate_missing=disdate_missing)


def plant_episode_defects(episodes: ColumnTable, codes: CodeBook, rate: float, rng: np.random.Generator
                          ) -> ColumnTable:
    """Invalid and blank primary diagnoses and episode dates out of order on a share ``rate`` of rows each."""
    e = len(episodes)
    primary = episodes["primary"].copy()
    invalid = rng.random(e) < rate
    primary[invalid] = codes.invalid_codes[rng.integers(0, len(codes.invalid_codes), int(invalid.sum()))]
    blank = rng.random(e) < rate
    primary[blank] = codes.index[""]
    out_of_order = rng.random(e) < rate
    return episodes.with_columns(primary=primary, dates_out_of_order=out_of_order)


def rows_to_duplicate(rows: int, rate: float, rng: np.random.Generator) -> Array:
    """Indices of the episode rows written twice (``EPIKEY`` duplicates), in row order."""
    chosen: Array = np.nonzero(rng.random(rows) < rate)[0]
    return chosen
