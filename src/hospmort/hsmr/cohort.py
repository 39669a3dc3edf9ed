"""The HSMR cohort: every CIPS with its scope, diagnosis category and case-mix levels, and its records per acute
trust (hsmr.md §3.4, §4, §5.1, §6.1).

:func:`build_hsmr_cohort` reads ``continuous_inpatient_spells`` and ``cips_acute_trusts``
(:func:`hospmort.spells.derive_continuous_inpatient_spells`) and creates two tables in the run's working
database:

``hsmr_cohort``, one row per CIPS built (in scope or not):

* the CIPS: ``CIPS_KEY``, ``HESID``, ``FIRST_PROCODE3``, ``FIRST_PROVSPNOPS``, ``KEYED_BY_ADMIDATE``,
  ``ADMIDATE`` (first spell), ``END_DATE`` (``DISDATE`` of the last spell), ``ACUTE_TRUSTS`` (number of distinct
  acute trusts), ``PALLIATIVE_FLAG`` (1/0, §3.3), ``DIED_IN_HOSPITAL``;
* scope (§4): ``IN_SCOPE``, ``EXCLUSION_STEP``, ``EXCLUSION_REASON`` (the first test failed, NULL in scope),
  ``IN_REPORTING_PERIOD`` (end date in M-11 ... M);
* for in-scope CIPS (NULL otherwise): ``HSMR_CATEGORY`` (§5.1) and the covariate levels of §6.1 in design
  order, ``AGE_GROUP`` ... ``ADMISSION_MONTH`` (``PALLIATIVE`` and ``PREV_EMERGENCY`` hold the levels 1-2 and
  1-4, not the flag and the count).

``hsmr_records``, one row per (in-scope CIPS of the reporting period, acute trust of the CIPS) (§3.4):
``PROCODE3``, ``CIPS_KEY``, ``HSMR_CATEGORY``, the levels, ``DIED_IN_HOSPITAL``, ``PALLIATIVE_FLAG``,
``ADMIDATE``, ``END_DATE``, ``WEEKEND_ADMISSION`` (1 when the CIPS ``ADMIDATE`` is a Saturday or Sunday, §8),
``ACUTE_TRUSTS``. These scored record-level rows exist only in the working database (§10.7).

Scope reuses the eight tests of shmi.md §5 (:func:`hospmort.shmi.scope.exclusion_tests_sql`) read on the CIPS:
steps 1 (not finished) and 4 (stillbirth) on its last spell, steps 3, 5, 6 and 7 on its first spell, step 2 on
its end date, step 8 on its acute trusts.
"""

from __future__ import annotations

import logging

import duckdb

from hospmort import tables
from hospmort.config import Windows
from hospmort.hes.quality import DataQualityRow, rows_from_counts
from hospmort.hsmr.casemix import (
    COVARIATE_NAMES,
    COVID_CATEGORY,
    INVALID_CATEGORY,
    UNKNOWN_QUINTILE_LEVEL,
    admission_method_level_sql,
    admission_source_level_sql,
    charlson_band_sql,
    financial_year_level_sql,
    hsmr_category_sql,
    imd_quintile_level_sql,
    palliative_level_sql,
    prev_emergency_level_sql,
)
from hospmort.schema import (
    ADMIDATE,
    ADMIMETH,
    ADMISORC,
    ADMISSION_METHOD,
    ADMISSION_MONTH,
    ADMISSION_SOURCE,
    AGE_GROUP,
    CHARLSON_BAND,
    CIPS_KEY,
    CLASSPAT,
    DIAGNOSIS_COLUMNS,
    DIED_IN_HOSPITAL,
    DISDATE,
    DISMETH,
    END_DATE,
    EXCLUSION_REASON,
    EXCLUSION_STEP,
    FINANCIAL_YEAR,
    GENDER,
    HESID,
    HSMR_CATEGORY,
    IMD_QUINTILE,
    IN_REPORTING_PERIOD,
    IN_SCOPE,
    KEYED_BY_ADMIDATE,
    LSOA11,
    ORG_CODE,
    PALLIATIVE,
    PREV_EMERGENCY,
    PRIMARY_DIAGNOSIS,
    PROCODE3,
    SEX,
    STARTAGE,
    ExclusionReason,
)
from hospmort.shmi.casemix import (
    LOOKUP_TABLE,
    age_group_sql,
    charlson_scores_sql,
    gender_sql,
    register_casemix_reference_tables,
)
from hospmort.shmi.casemix import admission_month_sql as shmi_admission_month_sql
from hospmort.shmi.contextual import IMD_TABLE, PSEUDO_LSOA, register_imd_quintiles
from hospmort.shmi.scope import exclusion_tests_sql
from hospmort.spells import FIRST_PROCODE3, FIRST_PROVSPNOPS, LAST_SPELL_ADMIDATE

log = logging.getLogger(__name__)

HSMR_COHORT = "hsmr_cohort"
HSMR_RECORDS = "hsmr_records"
ACUTE_TRUSTS = "ACUTE_TRUSTS"
PALLIATIVE_FLAG = "PALLIATIVE_FLAG"
WEEKEND_ADMISSION = "WEEKEND_ADMISSION"
#: Data-quality measures of hsmr.md §10.6 computed from the cohort.
CIPS_BUILT = "CIPS_BUILT"
CIPS_IN_SCOPE = "CIPS_IN_SCOPE"
CIPS_IN_SCOPE_REPORTING = "CIPS_IN_SCOPE_REPORTING"
CIPS_CATEGORY_999 = "CIPS_CATEGORY_999"
CIPS_CATEGORY_900 = "CIPS_CATEGORY_900"
RECORDS_REPORTING = "RECORDS_REPORTING"
LSOA_UNKNOWN = "LSOA_UNKNOWN"
#: ISO day of week (Monday 1 ... Sunday 7) of the weekend days (§8 ``EMERGENCY_DAY``).
WEEKEND_ISO_DAYS = (6, 7)


def hsmr_cohort_sql(windows: Windows) -> str:
    """The SELECT building ``hsmr_cohort`` for one publication's windows (hsmr.md §4, §5.1, §6.1)."""
    tests = exclusion_tests_sql(windows)
    reason = " ".join(f"WHEN {condition} THEN '{r.value}'" for r, condition in tests)
    step = " ".join(f"WHEN {condition} THEN {r.step}" for r, condition in tests)
    failed = " OR ".join(f"({condition})" for _r, condition in tests)

    def scoped(expression: str) -> str:
        return f"CASE WHEN IN_SCOPE = 1 THEN {expression} END"

    levels = {
        AGE_GROUP: age_group_sql(STARTAGE),
        GENDER: gender_sql(SEX),
        ADMISSION_METHOD: admission_method_level_sql(ADMIMETH),
        ADMISSION_SOURCE: admission_source_level_sql(ADMISORC),
        IMD_QUINTILE: imd_quintile_level_sql("QUINTILE"),
        CHARLSON_BAND: charlson_band_sql("CHARLSON_SCORE"),
        PALLIATIVE: palliative_level_sql(PALLIATIVE_FLAG),
        PREV_EMERGENCY: prev_emergency_level_sql("PREV_EMERGENCY_COUNT"),
        FINANCIAL_YEAR: financial_year_level_sql(END_DATE, windows.period_end),
        ADMISSION_MONTH: shmi_admission_month_sql("FIRST_ADMIDATE"),
    }
    assert tuple(levels) == COVARIATE_NAMES
    level_list = ",\n       ".join(f"CAST({scoped(sql)} AS INTEGER) AS {name}" for name, sql in levels.items())
    return f"""
WITH acute AS (
    SELECT {CIPS_KEY}, count(*) AS {ACUTE_TRUSTS}, {CIPS_KEY} AS {ORG_CODE}
    FROM {tables.CIPS_ACUTE_TRUSTS} GROUP BY {CIPS_KEY}
),
-- the shmi.md §5 tests read on the CIPS: DISDATE, DISMETH and ADMIDATE of its last spell (steps 1, 2, 4),
-- CLASSPAT, STARTAGE, SEX and ADMIMETH of its first spell (steps 3, 5-7); the first spell's ADMIDATE is kept
-- as FIRST_ADMIDATE for the covariates
read_on_cips AS (
    SELECT {CIPS_KEY}, {HESID}, {FIRST_PROCODE3}, {FIRST_PROVSPNOPS}, {KEYED_BY_ADMIDATE},
           {ADMIDATE} AS FIRST_ADMIDATE, {END_DATE}, {END_DATE} AS {DISDATE}, {DISMETH},
           {LAST_SPELL_ADMIDATE} AS {ADMIDATE}, {CLASSPAT}, {STARTAGE}, {SEX}, {ADMIMETH}, {ADMISORC}, {LSOA11},
           {PRIMARY_DIAGNOSIS}, {PALLIATIVE}, {DIED_IN_HOSPITAL}, {PREV_EMERGENCY}
    FROM {tables.CONTINUOUS_INPATIENT_SPELLS}
),
judged AS (
    SELECT s.{CIPS_KEY}, s.{HESID}, s.{FIRST_PROCODE3}, s.{FIRST_PROVSPNOPS}, s.{KEYED_BY_ADMIDATE},
           s.FIRST_ADMIDATE, s.{END_DATE}, s.{ADMIMETH}, s.{ADMISORC}, s.{STARTAGE}, s.{SEX},
           coalesce(acute.{ACUTE_TRUSTS}, 0) AS {ACUTE_TRUSTS},
           s.{PALLIATIVE} AS {PALLIATIVE_FLAG}, s.{DIED_IN_HOSPITAL},
           s.{PREV_EMERGENCY} AS PREV_EMERGENCY_COUNT,
           q.quintile AS QUINTILE,
           lk.ccs_category AS LOOKUP_CATEGORY, s.{PRIMARY_DIAGNOSIS},
           CASE {reason} END AS {EXCLUSION_REASON},
           CASE {step} END AS {EXCLUSION_STEP},
           CASE WHEN ({failed}) THEN 0 ELSE 1 END AS {IN_SCOPE},
           CASE WHEN s.{END_DATE} BETWEEN DATE '{windows.reporting_start}' AND DATE '{windows.reporting_end}'
                THEN 1 ELSE 0 END AS {IN_REPORTING_PERIOD}
    FROM read_on_cips s
    LEFT JOIN acute ON acute.{CIPS_KEY} = s.{CIPS_KEY}
    LEFT JOIN {IMD_TABLE} q ON q.lsoa11cd = upper(trim(s.{LSOA11})) AND s.{LSOA11} <> '{PSEUDO_LSOA}'
    LEFT JOIN {LOOKUP_TABLE} lk ON lk.icd10_code = s.{PRIMARY_DIAGNOSIS}
),
-- the Charlson score (shmi.md §9) of the in-scope CIPS only: the secondary diagnoses of its first spell
secondary_codes AS (
    SELECT c.{CIPS_KEY}, code
    FROM {tables.CONTINUOUS_INPATIENT_SPELLS} c
    JOIN judged j ON j.{CIPS_KEY} = c.{CIPS_KEY} AND j.{IN_SCOPE} = 1
    CROSS JOIN UNNEST([{', '.join(f'c.{name}' for name in DIAGNOSIS_COLUMNS[1:])}]) AS t(code)
    WHERE code IS NOT NULL AND code <> ''
),
charlson AS ({charlson_scores_sql('secondary_codes', CIPS_KEY, 'code')}),
scored AS (
    SELECT j.*, coalesce(ch.CHARLSON_SCORE, 0) AS CHARLSON_SCORE
    FROM judged j LEFT JOIN charlson ch ON ch.{CIPS_KEY} = j.{CIPS_KEY}
)
SELECT {CIPS_KEY}, {HESID}, {FIRST_PROCODE3}, {FIRST_PROVSPNOPS}, {KEYED_BY_ADMIDATE}, FIRST_ADMIDATE AS {ADMIDATE},
       {END_DATE}, {ACUTE_TRUSTS}, {PALLIATIVE_FLAG}, {DIED_IN_HOSPITAL},
       {IN_SCOPE}, {EXCLUSION_STEP}, {EXCLUSION_REASON}, {IN_REPORTING_PERIOD},
       CAST({scoped(hsmr_category_sql(PRIMARY_DIAGNOSIS, 'LOOKUP_CATEGORY'))} AS INTEGER) AS {HSMR_CATEGORY},
       {level_list}
FROM scored
"""


def hsmr_records_sql() -> str:
    """The SELECT building ``hsmr_records``: one row per (in-scope reporting-period CIPS, acute trust) (§3.4)."""
    return f"""
SELECT t.{PROCODE3}, c.{CIPS_KEY}, c.{HSMR_CATEGORY}, {', '.join(f'c.{name}' for name in COVARIATE_NAMES)},
       c.{DIED_IN_HOSPITAL}, c.{PALLIATIVE_FLAG}, c.{ADMIDATE}, c.{END_DATE}, c.{ACUTE_TRUSTS},
       CASE WHEN isodow(c.{ADMIDATE}) IN ({', '.join(str(d) for d in WEEKEND_ISO_DAYS)}) THEN 1 ELSE 0 END
           AS {WEEKEND_ADMISSION}
FROM {HSMR_COHORT} c
JOIN {tables.CIPS_ACUTE_TRUSTS} t ON t.{CIPS_KEY} = c.{CIPS_KEY}
WHERE c.{IN_SCOPE} = 1 AND c.{IN_REPORTING_PERIOD} = 1
"""


def build_hsmr_cohort(con: duckdb.DuckDBPyConnection, windows: Windows) -> tuple[DataQualityRow, ...]:
    """Create ``hsmr_cohort`` and ``hsmr_records`` for ``windows``; return their data-quality rows (§10.6).

    Needs ``continuous_inpatient_spells``, ``cips_acute_trusts`` and ``organisations``. The rows are counted per
    trust of the CIPS's first spell (``FIRST_PROCODE3``) and for ``ALL``: ``CIPS_BUILT``, the eight
    ``EXCL_<n>_<reason>``, ``CIPS_IN_SCOPE``, ``CIPS_IN_SCOPE_REPORTING``, ``CIPS_CATEGORY_999``,
    ``CIPS_CATEGORY_900`` and ``LSOA_UNKNOWN`` (in-scope CIPS); ``RECORDS_REPORTING`` per record trust.
    """
    register_casemix_reference_tables(con)
    register_imd_quintiles(con)
    con.execute(f"CREATE OR REPLACE TABLE {HSMR_COHORT} AS {hsmr_cohort_sql(windows)}")
    con.execute(f"CREATE OR REPLACE TABLE {HSMR_RECORDS} AS {hsmr_records_sql()}")
    return count_cohort(con)


def count_cohort(con: duckdb.DuckDBPyConnection) -> tuple[DataQualityRow, ...]:
    """The data-quality measures of ``hsmr_cohort`` and ``hsmr_records`` (hsmr.md §10.6)."""
    in_scope = f"{IN_SCOPE} = 1"
    measures = {
        CIPS_BUILT: "count(*)",
        **{reason.measure: f"sum(CASE WHEN {EXCLUSION_STEP} = {reason.step} THEN 1 ELSE 0 END)"
           for reason in ExclusionReason},
        CIPS_IN_SCOPE: f"sum(CASE WHEN {in_scope} THEN 1 ELSE 0 END)",
        CIPS_IN_SCOPE_REPORTING: f"sum(CASE WHEN {in_scope} AND {IN_REPORTING_PERIOD} = 1 THEN 1 ELSE 0 END)",
        CIPS_CATEGORY_999: f"sum(CASE WHEN {in_scope} AND {HSMR_CATEGORY} = {INVALID_CATEGORY} THEN 1 ELSE 0 END)",
        CIPS_CATEGORY_900: f"sum(CASE WHEN {in_scope} AND {HSMR_CATEGORY} = {COVID_CATEGORY} THEN 1 ELSE 0 END)",
        LSOA_UNKNOWN: f"sum(CASE WHEN {in_scope} AND {IMD_QUINTILE} = {UNKNOWN_QUINTILE_LEVEL} THEN 1 ELSE 0 END)",
    }
    rows = con.execute(
        f"SELECT {FIRST_PROCODE3}, GROUPING({FIRST_PROCODE3}), {', '.join(measures.values())} "
        f"FROM {HSMR_COHORT} GROUP BY GROUPING SETS (({FIRST_PROCODE3}), ())").fetchall()
    records = con.execute(
        f"SELECT {PROCODE3}, GROUPING({PROCODE3}), count(*) FROM {HSMR_RECORDS} "
        f"GROUP BY GROUPING SETS (({PROCODE3}), ())").fetchall()
    result = rows_from_counts(
        (None if row[1] else row[0], measure, value or 0)
        for row in rows
        for measure, value in zip(measures, row[2:], strict=True)
    )
    record_rows = rows_from_counts((None if total else code, RECORDS_REPORTING, count)
                                   for code, total, count in records)
    if not any(row.measure == RECORDS_REPORTING for row in record_rows):
        record_rows = rows_from_counts([(None, RECORDS_REPORTING, 0)])
    return (*result, *record_rows)
