"""The true risk of death of a synthetic spell: the published SHMI model, plus a planted trust effect.

true risk = logistic(published coefficients of the spell's diagnosis group at its case-mix levels
                     + log(trust odds ratio))

The levels are those the pipeline derives from the written data (shmi.md §7-§9). ``YEAR_INDEX`` always takes
level 1 (coefficient 0: no secular trend), since the published model's year levels are relative to one
publication. A level a published group lacks has coefficient 0 (its reference). Groups 143 (COVID-19) and 144
(invalid primary diagnosis) are not in the published file and take the stated baseline risks below.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from hospmort import refdata

Array = npt.NDArray[Any]

YEAR_INDEX_CONVENTION = "YEAR_INDEX level 1 for every spell (coefficient 0): no secular trend"
#: Baseline risks of the two groups without published coefficients.
BASELINE_RISK: dict[int, float] = {refdata.COVID_GROUP: 0.10, refdata.INVALID_DIAGNOSIS_GROUP: 0.03}
GROUP_SLOTS = refdata.NUMBER_OF_GROUPS + 1
_LEVELS = {"AGE_GROUP": 21, "GENDER": 3, "ADMIMETH": 3, "ADMISSION_MONTH": 12, "CHARLSON_INDEX": 3,
           "BIRTHWEIGHT": 6}


@dataclass(frozen=True)
class RiskModel:
    """Coefficients by (group, level): ``age[g, level]`` and so on; level 0 is never used."""

    intercept: Array
    age: Array
    gender: Array
    admission_method: Array
    admission_month: Array
    charlson: Array
    birthweight: Array

    def log_odds(self, group: Array, age_group: Array, gender: Array, admission_method: Array,
                 admission_month: Array, charlson_index: Array, birthweight: Array) -> Array:
        """Log odds of death of each spell under the published model, with no trust effect."""
        return (self.intercept[group] + self.age[group, age_group] + self.gender[group, gender]
                + self.admission_method[group, admission_method] + self.admission_month[group, admission_month]
                + self.charlson[group, charlson_index] + self.birthweight[group, birthweight])


@cache
def build_risk_model() -> RiskModel:
    """Coefficient arrays from ``refdata.published_model_coefficients()`` and the baseline risks."""
    arrays = {name: np.zeros((GROUP_SLOTS, levels + 1)) for name, levels in _LEVELS.items()}
    intercept = np.zeros(GROUP_SLOTS)
    for group, predictors in refdata.published_model_coefficients().items():
        for name, coefficient in predictors.items():
            if name == "Intercept":
                intercept[group] = coefficient.estimate
                continue
            variable, _, level = name.rpartition("_")
            if variable in arrays and level.isdigit() and int(level) <= _LEVELS[variable]:
                arrays[variable][group, int(level)] = coefficient.estimate
    for group, risk in BASELINE_RISK.items():
        intercept[group] = np.log(risk / (1.0 - risk))
    for group in range(GROUP_SLOTS):
        if group not in refdata.PERINATAL_GROUPS:
            arrays["BIRTHWEIGHT"][group, :] = 0.0
    return RiskModel(
        intercept=intercept, age=arrays["AGE_GROUP"], gender=arrays["GENDER"],
        admission_method=arrays["ADMIMETH"], admission_month=arrays["ADMISSION_MONTH"],
        charlson=arrays["CHARLSON_INDEX"], birthweight=arrays["BIRTHWEIGHT"],
    )


def logistic(log_odds: Array) -> Array:
    """1 / (1 + exp(-x)), computed without overflow."""
    result: Array = np.exp(-np.logaddexp(0.0, -log_odds))
    return result


def age_group_of(startage: Array) -> Array:
    """``AGE_GROUP`` 1-20 of shmi.md §8 from ``STARTAGE`` values; 0 where the age is not known."""
    age = np.asarray(startage, dtype=np.int64)
    level = np.zeros(age.shape, dtype=np.int64)
    level[((age >= 7001) & (age <= 7007)) | (age == 0)] = 1
    level[(age >= 1) & (age <= 4)] = 2
    adult = (age >= 5) & (age <= 89)
    level[adult] = age[adult] // 5 + 2
    level[(age >= 90) & (age <= 120)] = 20
    return level


def charlson_index_of(score: Array) -> Array:
    """``CHARLSON_INDEX``: score 0 -> 1, 1-5 -> 2, 6 or more -> 3 (shmi.md §8)."""
    return np.where(score <= 0, 1, np.where(score <= 5, 2, 3))


def birthweight_level_of(group: Array, age_group: Array, grams: Array) -> Array:
    """``BIRTHWEIGHT`` 1-6 of shmi.md §8; ``grams`` is the first ``BIRWEIT_1`` in episode order, -1 if empty."""
    perinatal = np.isin(group, sorted(refdata.PERINATAL_GROUPS))
    valid = (grams >= 1) & (grams <= 6999)
    weight_level = np.where(~valid, 5, np.where(grams < 1000, 1, np.where(grams < 2500, 2,
                                                                          np.where(grams < 4500, 3, 4))))
    return np.where(perinatal & (age_group == 1), weight_level, 6)
