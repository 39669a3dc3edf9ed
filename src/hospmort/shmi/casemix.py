"""SHMI diagnosis groups and case-mix levels (shmi.md §7.3, §8, §9) as portable SQL.

Each derivation is a function returning a SQL expression over named columns, so that one definition serves
every engine; the reference tables they need (the ICD-10 lookup and the Charlson prefixes) are loaded into the
engine by :func:`register_casemix_reference_tables`.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from hospmort import refdata, tables
from hospmort.schema import ELECTIVE_ADMISSION_METHODS
from hospmort.spells import register_icd10_lookup

#: Design order of the covariates of every group's model (shmi.md §10.1).
COVARIATES = ("AGE_GROUP", "GENDER", "ADMIMETH", "ADMISSION_MONTH", "CHARLSON_INDEX", "YEAR_INDEX")
PERINATAL_COVARIATES = (*COVARIATES, "BIRTHWEIGHT")
#: Non-elective admission methods that get ``ADMIMETH`` level 3 (shmi.md §8).
NON_ELECTIVE_ADMISSION_METHODS = (
    "21", "22", "23", "24", "25", "28", "2A", "2B", "2C", "2D", "31", "32", "81", "82", "83", "84", "89",
)
#: The ICD-10 lookup in the engine (made by :func:`hospmort.spells.register_icd10_lookup`).
LOOKUP_TABLE = tables.ICD10_LOOKUP
CHARLSON_TABLE = "ref_charlson_prefix"


def _quoted(codes: tuple[str, ...] | frozenset[str]) -> str:
    return ", ".join(f"'{code}'" for code in sorted(codes))


def register_casemix_reference_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Load the ICD-10 lookup (shared with the spells stage) and the Charlson prefix table (idempotent)."""
    register_icd10_lookup(con)
    conditions = refdata.charlson_conditions()
    con.register("_charlson_arrow", pa.table({
        "prefix": [p for c in conditions for p in c.prefixes],
        "prefix_length": [len(p) for c in conditions for p in c.prefixes],
        "condition": [c.condition for c in conditions for _ in c.prefixes],
        "weight": [c.weight for c in conditions for _ in c.prefixes],
    }))
    con.execute(f"CREATE OR REPLACE TABLE {CHARLSON_TABLE} AS SELECT * FROM _charlson_arrow")
    con.unregister("_charlson_arrow")


def diagnosis_group_sql(primary: str, lookup_group: str) -> str:
    """``DIAGNOSIS_GROUP`` (shmi.md §7.3): 143 for U071/U072, the lookup's group, else 144.

    ``lookup_group`` is the lookup's ``shmi_diagnosis_group`` joined on the primary diagnosis (NULL when the
    code is not in the lookup).
    """
    return (f"CASE WHEN {primary} IN ({_quoted(refdata.COVID_CODES)}) THEN {refdata.COVID_GROUP} "
            f"WHEN {lookup_group} IS NOT NULL THEN {lookup_group} "
            f"ELSE {refdata.INVALID_DIAGNOSIS_GROUP} END")


def age_group_sql(startage: str) -> str:
    """``AGE_GROUP`` 1-20 from ``STARTAGE`` (shmi.md §8); NULL for ages §5 excludes."""
    return (f"CASE WHEN {startage} BETWEEN 7001 AND 7007 OR {startage} = 0 THEN 1 "
            f"WHEN {startage} BETWEEN 1 AND 4 THEN 2 "
            f"WHEN {startage} BETWEEN 5 AND 89 THEN CAST(floor({startage} / 5) AS INTEGER) + 2 "
            f"WHEN {startage} BETWEEN 90 AND 120 THEN 20 END")


def gender_sql(sex: str) -> str:
    """``GENDER`` 1 male, 2 female (shmi.md §8); NULL otherwise (excluded by §5)."""
    return f"CASE WHEN {sex} = '1' THEN 1 WHEN {sex} = '2' THEN 2 END"


def admission_method_level_sql(admimeth: str) -> str:
    """``ADMIMETH`` level: 1 elective, 3 non-elective (shmi.md §8); NULL otherwise (excluded by §5)."""
    return (f"CASE WHEN {admimeth} IN ({_quoted(ELECTIVE_ADMISSION_METHODS)}) THEN 1 "
            f"WHEN {admimeth} IN ({_quoted(NON_ELECTIVE_ADMISSION_METHODS)}) THEN 3 END")


def admission_month_sql(admidate: str) -> str:
    """``ADMISSION_MONTH`` 1-12: calendar month of ``ADMIDATE``."""
    return f"CAST(month({admidate}) AS INTEGER)"


def charlson_index_sql(score: str) -> str:
    """``CHARLSON_INDEX`` from the Charlson score: 0 -> 1, 1-5 -> 2, 6+ -> 3 (shmi.md §8)."""
    return f"CASE WHEN {score} <= 0 THEN 1 WHEN {score} <= 5 THEN 2 ELSE 3 END"


def birthweight_level_sql(group: str, age_group: str, birth_weight: str) -> str:
    """``BIRTHWEIGHT`` 1-6 (shmi.md §8). ``birth_weight`` is the first valid weight (1-6999 g) or NULL."""
    return (f"CASE WHEN {group} NOT IN ({', '.join(str(g) for g in sorted(refdata.PERINATAL_GROUPS))}) THEN 6 "
            f"WHEN {age_group} >= 2 THEN 6 "
            f"WHEN {birth_weight} IS NULL THEN 5 "
            f"WHEN {birth_weight} < 1000 THEN 1 WHEN {birth_weight} < 2500 THEN 2 "
            f"WHEN {birth_weight} < 4500 THEN 3 ELSE 4 END")


def charlson_scores_sql(codes_relation: str, key: str, code: str) -> str:
    """A query of (key, CHARLSON_SCORE) over a relation of one row per (key, secondary diagnosis code).

    A condition counts once however many codes match; the score is the sum of the weights of the conditions
    present, floored at 0 (shmi.md §9). Keys without a matching code are absent (score 0).
    """
    return f"""
        SELECT {key}, greatest(0, sum(weight)) AS CHARLSON_SCORE
        FROM (
            SELECT DISTINCT c.{key}, p.condition, p.weight
            FROM {codes_relation} AS c
            JOIN {CHARLSON_TABLE} AS p
              ON p.prefix_length = 3 AND substr(c.{code}, 1, 3) = p.prefix
            UNION
            SELECT DISTINCT c.{key}, p.condition, p.weight
            FROM {codes_relation} AS c
            JOIN {CHARLSON_TABLE} AS p
              ON p.prefix_length = 4 AND substr(c.{code}, 1, 4) = p.prefix
        ) AS present
        GROUP BY {key}
    """
