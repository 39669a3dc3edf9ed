"""HSMR diagnosis category and case-mix covariates (hsmr.md §5.1, §6.1, §6.2) as portable SQL.

Each derivation is a function returning a SQL expression over named columns (the CIPS attributes of hsmr.md
§3.3), so that one definition serves every engine. The covariates shared with the SHMI (``AGE_GROUP``,
``GENDER``, ``ADMISSION_MONTH``, the Charlson score) reuse :mod:`hospmort.shmi.casemix` unchanged ("as shmi.md
§8", "as shmi.md §9").
"""

from __future__ import annotations

from hospmort import refdata
from hospmort.config import Month
from hospmort.riskmodel import Covariate, FixedReference
from hospmort.schema import (
    ADMISSION_METHOD,
    ADMISSION_MONTH,
    ADMISSION_SOURCE,
    AGE_GROUP,
    CHARLSON_BAND,
    ELECTIVE_ADMISSION_METHODS,
    EMERGENCY_ADMISSION_METHODS,
    FINANCIAL_YEAR,
    GENDER,
    IMD_QUINTILE,
    PALLIATIVE,
    PREV_EMERGENCY,
)
from hospmort.sqltext import quoted_list

#: Tool-defined categories (hsmr.md §5.1): COVID-19 and invalid primary diagnosis.
COVID_CATEGORY = 900
INVALID_CATEGORY = 999
#: CCS categories of the lookup.
FIRST_CCS_CATEGORY = 1
LAST_CCS_CATEGORY = 260

#: Design order of the covariates of every HSMR model (hsmr.md §6.1).
COVARIATE_NAMES = (AGE_GROUP, GENDER, ADMISSION_METHOD, ADMISSION_SOURCE, IMD_QUINTILE, CHARLSON_BAND, PALLIATIVE,
                   PREV_EMERGENCY, FINANCIAL_YEAR, ADMISSION_MONTH)

#: Levels of ADMISSION_METHOD (hsmr.md §6.1).
ELECTIVE_LEVEL = 1
EMERGENCY_LEVEL = 2
OTHER_ADMISSION_LEVEL = 3
#: ADMISORC codes of ADMISSION_SOURCE levels 1-3 (hsmr.md §6.1); every other value is level 4.
USUAL_RESIDENCE_SOURCES = ("19", "29")
OTHER_HOSPITAL_SOURCES = ("49", "50", "51", "52", "53", "87")
CARE_HOME_OR_HOSPICE_SOURCES = ("54", "55", "56", "65", "66", "85", "86", "88")
#: IMD_QUINTILE level of an unknown deprivation quintile (hsmr.md §6.1).
UNKNOWN_QUINTILE_LEVEL = 6
#: Upper bounds of CHARLSON_BAND levels 1-5 (score 0; 1-5; 6-10; 11-15; 16-20); 21 or more is level 6.
CHARLSON_BAND_UPPER_BOUNDS = (0, 5, 10, 15, 20)
#: PREV_EMERGENCY: 3 or more previous emergency admissions share the top level 4.
PREV_EMERGENCY_TOP_COUNT = 3
#: First month of the financial year (April).
FINANCIAL_YEAR_FIRST_MONTH = 4


def hsmr_covariates(*, with_palliative: bool = True) -> tuple[Covariate, ...]:
    """The covariates of an HSMR model in design order, with their reference rules (hsmr.md §6.1, §6.2).

    ``CHARLSON_BAND``, ``PALLIATIVE``, ``PREV_EMERGENCY`` and ``FINANCIAL_YEAR`` take level 1 as reference (the
    lowest level present when it is absent); every other covariate its modal level. The companion model
    (``with_palliative=False``, ``MODEL = 'NO_PALLIATIVE'``) leaves ``PALLIATIVE`` out.
    """
    fixed_first = {CHARLSON_BAND, PALLIATIVE, PREV_EMERGENCY, FINANCIAL_YEAR}
    return tuple(
        Covariate(name, FixedReference(1)) if name in fixed_first else Covariate(name)
        for name in COVARIATE_NAMES
        if with_palliative or name != PALLIATIVE
    )


def category_label(category: int, ccs_names: dict[int, str], group_descriptions: dict[int, str]) -> str:
    """Label of an HSMR category (hsmr.md §5.1): the 2015 CCS name, else the description of the SHMI group
    holding the category; ``COVID-19`` for 900 and ``Invalid primary diagnosis`` for 999."""
    if category == COVID_CATEGORY:
        return "COVID-19"
    if category == INVALID_CATEGORY:
        return "Invalid primary diagnosis"
    if category in ccs_names:
        return ccs_names[category]
    if category in group_descriptions:
        return group_descriptions[category]
    raise KeyError(f"CCS category {category} has no label")


def hsmr_category_sql(primary: str, lookup_category: str) -> str:
    """``HSMR_CATEGORY`` (hsmr.md §5.1): 900 for ``U071``/``U072``, the lookup's CCS category, else 999.

    ``lookup_category`` is the lookup's ``ccs_category`` joined on the primary diagnosis (NULL when the code is
    not in the lookup, or empty).
    """
    return (f"CASE WHEN {primary} IN ({quoted_list(refdata.COVID_CODES)}) THEN {COVID_CATEGORY} "
            f"WHEN {lookup_category} IS NOT NULL THEN {lookup_category} ELSE {INVALID_CATEGORY} END")


def admission_method_level_sql(admimeth: str) -> str:
    """``ADMISSION_METHOD`` (hsmr.md §6.1): 1 elective (11-13), 2 emergency (21-25, 28, 2A-2D), 3 any other code
    left after §4 (31, 32, 81-84, 89)."""
    return (f"CASE WHEN {admimeth} IN ({quoted_list(ELECTIVE_ADMISSION_METHODS)}) THEN {ELECTIVE_LEVEL} "
            f"WHEN {admimeth} IN ({quoted_list(EMERGENCY_ADMISSION_METHODS)}) THEN {EMERGENCY_LEVEL} "
            f"ELSE {OTHER_ADMISSION_LEVEL} END")


def admission_source_level_sql(admisorc: str) -> str:
    """``ADMISSION_SOURCE`` (hsmr.md §6.1): 1 usual residence (19, 29), 2 other hospital (49-53, 87), 3 care home
    or hospice (54-56, 65, 66, 85, 86, 88), 4 anything else, empty included."""
    return (f"CASE WHEN {admisorc} IN ({quoted_list(USUAL_RESIDENCE_SOURCES)}) THEN 1 "
            f"WHEN {admisorc} IN ({quoted_list(OTHER_HOSPITAL_SOURCES)}) THEN 2 "
            f"WHEN {admisorc} IN ({quoted_list(CARE_HOME_OR_HOSPICE_SOURCES)}) THEN 3 ELSE 4 END")


def imd_quintile_level_sql(quintile: str) -> str:
    """``IMD_QUINTILE`` (hsmr.md §6.1): the deprivation quintile 1-5 of shmi.md §14, 6 when unknown.

    ``quintile`` is the quintile joined on the LSOA as :mod:`hospmort.shmi.contextual` joins it (text, NULL when
    the LSOA is empty, pseudo, non-English or unmatched).
    """
    return f"coalesce(CAST({quintile} AS INTEGER), {UNKNOWN_QUINTILE_LEVEL})"


def charlson_band_sql(score: str) -> str:
    """``CHARLSON_BAND`` (hsmr.md §6.1) from the Charlson score of shmi.md §9 (negative already 0): 0 -> 1,
    1-5 -> 2, 6-10 -> 3, 11-15 -> 4, 16-20 -> 5, 21 or more -> 6."""
    whens = " ".join(f"WHEN {score} <= {bound} THEN {level}"
                     for level, bound in enumerate(CHARLSON_BAND_UPPER_BOUNDS, start=1))
    return f"CASE {whens} ELSE {len(CHARLSON_BAND_UPPER_BOUNDS) + 1} END"


def palliative_level_sql(flag: str) -> str:
    """``PALLIATIVE`` level (hsmr.md §6.1): flag 0 -> 1, flag 1 -> 2."""
    return f"CASE WHEN {flag} = 1 THEN 2 ELSE 1 END"


def prev_emergency_level_sql(count: str) -> str:
    """``PREV_EMERGENCY`` level (hsmr.md §6.1) from the count of the person's other emergency CIPS admitted in the
    365 days before: 0 -> 1, 1 -> 2, 2 -> 3, 3 or more -> 4."""
    return f"least(coalesce({count}, 0), {PREV_EMERGENCY_TOP_COUNT}) + 1"


def financial_year_start_sql(day: str) -> str:
    """The calendar year in which the financial year (1 April - 31 March) of ``day`` starts."""
    return f"(year({day}) - CASE WHEN month({day}) < {FINANCIAL_YEAR_FIRST_MONTH} THEN 1 ELSE 0 END)"


def financial_year_level_sql(end_date: str, period_end: Month) -> str:
    """``FINANCIAL_YEAR`` (hsmr.md §6.1): 1 for the financial year holding the last day of M, 2 the year before,
    and so on, from the CIPS end date."""
    return f"({financial_year_start(period_end)} - {financial_year_start_sql(end_date)} + 1)"


def financial_year_start(month: Month) -> int:
    """The calendar year in which the financial year of ``month`` starts (April 2025 - March 2026 -> 2025)."""
    return month.year - (1 if month.month < FINANCIAL_YEAR_FIRST_MONTH else 0)
