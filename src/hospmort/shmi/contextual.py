"""Contextual indicators (shmi.md §14): numerators and denominators per trust and for England, in one pass.

Computed over the in-scope spells of the reporting period in ``shmi_cohort``. Values are unrounded here:
VALUE = 100 × numerator / denominator for percentages and numerator / denominator for the mean; disclosure
applies when the files are written (§15, :mod:`hospmort.publish`).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from hospmort import refdata
from hospmort.disclosure import NATIONAL_PROVIDER_CODE

IMD_TABLE = "ref_imd_quintile"
PSEUDO_LSOA = "E99999999"


@dataclass(frozen=True)
class ContextualIndicator:
    """One row of a contextual file: (file key, trust or ENG, measure, category) with its counts."""

    file_key: str
    provider_code: str
    measure: str
    category: str
    numerator: int
    denominator: int
    is_mean: bool = False

    @property
    def value(self) -> float | None:
        """100·n/d for a percentage, n/d for a mean; None when the denominator is 0."""
        if self.denominator == 0:
            return None
        return (1.0 if self.is_mean else 100.0) * self.numerator / self.denominator


#: (file key, measure, category, numerator SQL, denominator SQL, is mean), over reporting-period spells.
INDICATORS: tuple[tuple[str, str, str, str, str, bool], ...] = (
    ("palliative_care", "SPELLS", "PALLIATIVE", "PALLIATIVE", "1", False),
    ("palliative_care", "DEATHS", "PALLIATIVE", "PALLIATIVE * DIED", "DIED", False),
    *(("deprivation", "SPELLS", q, f"CASE WHEN QUINTILE = '{q}' THEN 1 ELSE 0 END", "1", False)
      for q in ("1", "2", "3", "4", "5", "UNKNOWN")),
    *(("deprivation", "DEATHS", q, f"CASE WHEN QUINTILE = '{q}' THEN DIED ELSE 0 END", "DIED", False)
      for q in ("1", "2", "3", "4", "5", "UNKNOWN")),
    ("admission_method", "CRUDE_MORTALITY", "ELECTIVE", "CASE WHEN ADMIMETH = 1 THEN DIED ELSE 0 END",
     "CASE WHEN ADMIMETH = 1 THEN 1 ELSE 0 END", False),
    ("admission_method", "CRUDE_MORTALITY", "NON_ELECTIVE", "CASE WHEN ADMIMETH = 3 THEN DIED ELSE 0 END",
     "CASE WHEN ADMIMETH = 3 THEN 1 ELSE 0 END", False),
    ("depth_of_coding", "MEAN_SECONDARY_DIAGNOSES", "ELECTIVE",
     "CASE WHEN ADMIMETH = 1 THEN SECONDARY_DIAGNOSES ELSE 0 END", "CASE WHEN ADMIMETH = 1 THEN 1 ELSE 0 END", True),
    ("depth_of_coding", "MEAN_SECONDARY_DIAGNOSES", "NON_ELECTIVE",
     "CASE WHEN ADMIMETH = 3 THEN SECONDARY_DIAGNOSES ELSE 0 END", "CASE WHEN ADMIMETH = 3 THEN 1 ELSE 0 END", True),
    ("place_of_death", "DEATHS", "IN_HOSPITAL", "DIED_IN_HOSPITAL", "DIED", False),
    ("place_of_death", "DEATHS", "OUTSIDE_HOSPITAL", "DIED - DIED_IN_HOSPITAL", "DIED", False),
    ("site_change", "SPELLS", "SITE_CHANGED",
     "CASE WHEN coalesce(FIRST_SITETRET, '') <> '' AND coalesce(LAST_SITE_CODE, '') <> '' "
     "AND FIRST_SITETRET <> LAST_SITE_CODE THEN 1 ELSE 0 END", "1", False),
    ("symptom_diagnosis", "SPELLS", "R_CODE_PRIMARY",
     "CASE WHEN DIAGNOSIS_CODE LIKE 'R%' THEN 1 ELSE 0 END", "1", False),
)


def register_imd_quintiles(con: duckdb.DuckDBPyConnection) -> None:
    """Load LSOA (2011) -> IMD 2019 quintile into the engine (idempotent)."""
    deciles = refdata.imd_decile_by_lsoa()
    con.register("_imd_arrow", pa.table({
        "lsoa11cd": list(deciles),
        "quintile": [str(refdata.imd_quintile(d)) for d in deciles.values()],
    }))
    con.execute(f"CREATE OR REPLACE TABLE {IMD_TABLE} AS SELECT * FROM _imd_arrow")
    con.unregister("_imd_arrow")


def compute_contextual_indicators(con: duckdb.DuckDBPyConnection, cohort: str) -> list[ContextualIndicator]:
    """Every contextual indicator for every trust with reporting-period spells and for England (``ENG``)."""
    register_imd_quintiles(con)
    sums = ",\n".join(f"sum({numerator}) AS n{i}, sum({denominator}) AS d{i}"
                      for i, (_, _, _, numerator, denominator, _) in enumerate(INDICATORS))
    rows = con.execute(f"""
        WITH spells AS (
            SELECT c.*, coalesce(q.quintile, 'UNKNOWN') AS QUINTILE
            FROM {cohort} c
            LEFT JOIN {IMD_TABLE} q ON q.lsoa11cd = upper(trim(c.LSOA11)) AND c.LSOA11 <> '{PSEUDO_LSOA}'
            WHERE c.IN_SCOPE = 1 AND c.IN_REPORTING_PERIOD = 1
        )
        SELECT PROCODE3, GROUPING(PROCODE3) AS NATIONAL, {sums}
        FROM spells
        GROUP BY GROUPING SETS ((PROCODE3), ())
    """).fetchall()
    result: list[ContextualIndicator] = []
    for row in rows:
        code = NATIONAL_PROVIDER_CODE if row[1] else str(row[0])
        for i, (key, measure, category, _, _, is_mean) in enumerate(INDICATORS):
            numerator, denominator = row[2 + 2 * i], row[3 + 2 * i]
            if denominator is None:  # GROUPING SETS over no rows
                continue
            result.append(ContextualIndicator(key, code, measure, category, int(numerator), int(denominator),
                                              is_mean))
    return result
