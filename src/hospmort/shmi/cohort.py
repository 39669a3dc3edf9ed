"""The SHMI cohort: one row per spell with its diagnosis group, case-mix levels and outcome (shmi.md §7-§9).

:func:`build_shmi_cohort` joins ``provider_spells``, ``shmi_scope`` and ``shmi_outcome`` and creates table
``shmi_cohort``, one row per spell built (in scope or not), with:

* the spell: ``SPELL_KEY``, ``HESID``, ``PROCODE3``, ``PROVSPNOPS``, ``SITE_CODE`` (first episode's
  ``SITETRET``, ``NOT PROVIDED`` when empty), ``LAST_SITE_CODE``, ``ADMIDATE``, ``DISDATE``, ``LSOA11``,
  ``PALLIATIVE``, ``SECONDARY_DIAGNOSES``;
* scope: ``IN_SCOPE``, ``EXCLUSION_REASON``, ``IN_REPORTING_PERIOD``;
* for in-scope spells (NULL otherwise): ``DIAGNOSIS_GROUP``, ``DIAGNOSIS_CODE`` (the primary diagnosis),
  ``AGE_GROUP``, ``GENDER``, ``ADMIMETH`` (the level 1 or 3), ``ADMISSION_MONTH``, ``CHARLSON_SCORE``,
  ``CHARLSON_INDEX``, ``BIRTHWEIGHT``, ``YEAR_INDEX``, ``DIED``, ``DIED_IN_HOSPITAL``.

:func:`model_cells` and :func:`unit_cell_counts` then aggregate it into integer counts per covariate cell, the
only rows that leave the engine for the models and the expected deaths (shmi.md §2.2, §10.2).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import numpy.typing as npt

from hospmort import tables
from hospmort.config import Windows
from hospmort.schema import DIAGNOSIS_COLUMNS, PRIMARY_DIAGNOSIS
from hospmort.shmi.casemix import LOOKUP_TABLE as CASEMIX_LOOKUP
from hospmort.shmi.casemix import (
    PERINATAL_COVARIATES,
    admission_method_level_sql,
    admission_month_sql,
    age_group_sql,
    birthweight_level_sql,
    charlson_index_sql,
    charlson_scores_sql,
    diagnosis_group_sql,
    gender_sql,
    register_casemix_reference_tables,
)

SHMI_COHORT = "shmi_cohort"
NOT_PROVIDED = "NOT PROVIDED"
#: Every level column of the cohort, in the order cells are keyed and sorted (BIRTHWEIGHT last).
LEVEL_COLUMNS = PERINATAL_COVARIATES


def _year_index_sql(windows: Windows, discharge: str) -> str:
    """``YEAR_INDEX`` (shmi.md §3): 1 for M-11..M, 2 for M-23..M-12, 3 for M-35..M-24."""
    end = windows.period_end
    index = end.year * 12 + end.month
    months_back = f"({index} - (year({discharge}) * 12 + month({discharge})))"
    return f"CAST(floor({months_back} / 12) AS INTEGER) + 1"


def shmi_cohort_sql(windows: Windows) -> str:
    """The SELECT building ``shmi_cohort`` for one publication's windows."""
    age_group = age_group_sql("s.STARTAGE")
    group = diagnosis_group_sql(f"s.{PRIMARY_DIAGNOSIS}", "lk.shmi_diagnosis_group")
    in_scope = "sc.IN_SCOPE = 1"

    def scoped(expression: str) -> str:
        return f"CASE WHEN {in_scope} THEN {expression} END"

    return f"""
WITH secondary_codes AS (
    SELECT SPELL_KEY, code
    FROM {tables.PROVIDER_SPELLS}
    CROSS JOIN UNNEST([{', '.join(DIAGNOSIS_COLUMNS[1:])}]) AS t(code)
    WHERE code IS NOT NULL AND code <> ''
),
charlson AS ({charlson_scores_sql('secondary_codes', 'SPELL_KEY', 'code')}),
base AS (
    SELECT s.SPELL_KEY, s.HESID, s.PROCODE3, s.PROVSPNOPS,
           coalesce(nullif(s.SITE_CODE, ''), '{NOT_PROVIDED}') AS SITE_CODE,
           s.SITE_CODE AS FIRST_SITETRET, s.LAST_SITE_CODE, s.ADMIDATE, s.DISDATE, s.LSOA11,
           s.PALLIATIVE, s.SECONDARY_DIAGNOSES,
           sc.IN_SCOPE, sc.EXCLUSION_REASON, sc.IN_REPORTING_PERIOD,
           {scoped(f"coalesce(s.{PRIMARY_DIAGNOSIS}, '')")} AS DIAGNOSIS_CODE,
           {scoped(group)} AS DIAGNOSIS_GROUP,
           {scoped(age_group)} AS AGE_GROUP,
           {scoped(gender_sql('s.SEX'))} AS GENDER,
           {scoped(admission_method_level_sql('s.ADMIMETH'))} AS ADMIMETH,
           {scoped(admission_month_sql('s.ADMIDATE'))} AS ADMISSION_MONTH,
           {scoped('coalesce(ch.CHARLSON_SCORE, 0)')} AS CHARLSON_SCORE,
           {scoped(_year_index_sql(windows, 's.DISDATE'))} AS YEAR_INDEX,
           s.BIRTH_WEIGHT,
           {scoped('o.DIED')} AS DIED,
           {scoped('o.DIED_IN_HOSPITAL')} AS DIED_IN_HOSPITAL
    FROM {tables.PROVIDER_SPELLS} s
    JOIN {tables.SHMI_SCOPE} sc ON sc.SPELL_KEY = s.SPELL_KEY
    LEFT JOIN {tables.SHMI_OUTCOME} o ON o.SPELL_KEY = s.SPELL_KEY
    LEFT JOIN {CASEMIX_LOOKUP} lk ON lk.icd10_code = s.{PRIMARY_DIAGNOSIS}
    LEFT JOIN charlson ch ON ch.SPELL_KEY = s.SPELL_KEY
)
SELECT * EXCLUDE (BIRTH_WEIGHT),
       CASE WHEN IN_SCOPE = 1 THEN {charlson_index_sql('CHARLSON_SCORE')} END AS CHARLSON_INDEX,
       CASE WHEN IN_SCOPE = 1 THEN {birthweight_level_sql('DIAGNOSIS_GROUP', 'AGE_GROUP', 'BIRTH_WEIGHT')} END
           AS BIRTHWEIGHT
FROM base
"""


def build_shmi_cohort(con: duckdb.DuckDBPyConnection, windows: Windows) -> None:
    """Create ``shmi_cohort`` from ``provider_spells``, ``shmi_scope`` and ``shmi_outcome``."""
    register_casemix_reference_tables(con)
    con.execute(f"CREATE OR REPLACE TABLE {SHMI_COHORT} AS {shmi_cohort_sql(windows)}")


@dataclass(frozen=True)
class GroupCells:
    """Covariate cells of one diagnosis group: levels (one column per LEVEL_COLUMNS), spells, deaths."""

    diagnosis_group: int
    levels: npt.NDArray[np.int64]
    spells: npt.NDArray[np.int64]
    deaths: npt.NDArray[np.int64]


def model_cells(con: duckdb.DuckDBPyConnection) -> dict[int, GroupCells]:
    """Modelling-window cells of every group: (group, levels) -> spells, deaths, sorted by group then levels."""
    level_list = ", ".join(LEVEL_COLUMNS)
    table = con.sql(f"""
        SELECT DIAGNOSIS_GROUP, {level_list}, count(*) AS SPELLS, sum(DIED) AS DEATHS
        FROM {SHMI_COHORT} WHERE IN_SCOPE = 1
        GROUP BY DIAGNOSIS_GROUP, {level_list}
        ORDER BY DIAGNOSIS_GROUP, {level_list}
    """).to_arrow_table()
    groups = table.column("DIAGNOSIS_GROUP").to_numpy()
    levels = np.column_stack([table.column(name).to_numpy().astype(np.int64) for name in LEVEL_COLUMNS])
    spells = table.column("SPELLS").to_numpy().astype(np.int64)
    deaths = table.column("DEATHS").to_numpy().astype(np.int64)
    result: dict[int, GroupCells] = {}
    boundaries = np.flatnonzero(np.diff(groups)) + 1
    for chunk in np.split(np.arange(len(groups)), boundaries):
        if len(chunk) == 0:
            continue
        group = int(groups[chunk[0]])
        result[group] = GroupCells(group, levels[chunk], spells[chunk], deaths[chunk])
    return result
