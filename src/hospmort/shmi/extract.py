"""Record-level files, written only when asked (shmi.md §16.9, §16.10).

* The diagnostic cohort listing (``hospmort cohort``): one row per spell built, why it is in or out.
* The record-level extract (``--extract DIR``): per trust, its in-scope reporting-period spells with the dates,
  the predicted risk and the palliative flag, so that a trust can audit the cases behind its figure.

Both are record-level by design: they never go into the publication folder or the results store. They are
written by the engine (``COPY``), never row by row in Python.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb

from hospmort.shmi.cohort import LEVEL_COLUMNS, SHMI_COHORT
from hospmort.shmi.compute import CELL_RISK_TABLE

log = logging.getLogger(__name__)

#: Columns of the cohort listing (§16.9) as SQL over ``shmi_cohort``, in order.
COHORT_LISTING_COLUMNS: tuple[tuple[str, str], ...] = (
    ("SPELL_KEY", "SPELL_KEY"),
    ("HESID", "HESID"),
    ("PROCODE3", "PROCODE3"),
    ("PROVSPNOPS", "PROVSPNOPS"),
    ("SITETRET", "FIRST_SITETRET"),
    ("IN_SCOPE", "IN_SCOPE"),
    ("EXCLUSION_REASON", "EXCLUSION_REASON"),
    ("DIAGNOSIS_GROUP", "DIAGNOSIS_GROUP"),
    ("DIAGNOSIS_CODE", "DIAGNOSIS_CODE"),
    ("AGE_GROUP", "AGE_GROUP"),
    ("GENDER", "GENDER"),
    ("ADMIMETH_GROUP", "ADMIMETH"),
    ("ADMISSION_MONTH", "ADMISSION_MONTH"),
    ("CHARLSON_SCORE", "CHARLSON_SCORE"),
    ("CHARLSON_INDEX", "CHARLSON_INDEX"),
    ("BIRTHWEIGHT_GROUP", "BIRTHWEIGHT"),
    ("YEAR_INDEX", "YEAR_INDEX"),
    ("DIED", "DIED"),
    ("DIED_IN_HOSPITAL", "DIED_IN_HOSPITAL"),
)


def _select_list(prefix: str = "c.") -> str:
    return ", ".join(f"{prefix}{source} AS {name}" for name, source in COHORT_LISTING_COLUMNS)


def _copy(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    escaped = str(path).replace("'", "''")
    con.execute(f"COPY ({query}) TO '{escaped}' (FORMAT CSV, HEADER, DELIMITER ',', NULLSTR '')")


def write_cohort_listing(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """The diagnostic cohort listing (§16.9) of ``shmi_cohort``, in spell-key order; returns the row count."""
    _copy(con, f"SELECT {_select_list()} FROM {SHMI_COHORT} c ORDER BY c.SPELL_KEY", path)
    row = con.execute(f"SELECT count(*) FROM {SHMI_COHORT}").fetchone()
    return int(row[0]) if row else 0


def write_shmi_extract(con: duckdb.DuckDBPyConnection, folder: Path, time_period: str) -> list[Path]:
    """One ``SHMI_extract_<PROVIDER_CODE>_<TP>.csv`` per trust with reporting-period in-scope spells (§16.10).

    Needs ``shmi_cohort`` and ``shmi_cell_risk`` of the publication.
    """
    levels = " AND ".join(f"r.{name} = c.{name}" for name in ("DIAGNOSIS_GROUP", *LEVEL_COLUMNS))
    trusts = [row[0] for row in con.execute(
        f"SELECT DISTINCT PROCODE3 FROM {SHMI_COHORT} WHERE IN_SCOPE = 1 AND IN_REPORTING_PERIOD = 1 "
        "ORDER BY PROCODE3").fetchall()]
    written = []
    for trust in trusts:
        path = folder / f"SHMI_extract_{trust}_{time_period}.csv"
        query = (
            f"SELECT {_select_list()}, strftime(c.ADMIDATE, '%Y-%m-%d') AS ADMIDATE, "
            f"strftime(c.DISDATE, '%Y-%m-%d') AS DISDATE, CAST(r.RISK AS VARCHAR) AS PREDICTED_RISK, "
            f"c.PALLIATIVE AS PALLIATIVE_FLAG "
            f"FROM {SHMI_COHORT} c JOIN {CELL_RISK_TABLE} r ON {levels} "
            f"WHERE c.IN_SCOPE = 1 AND c.IN_REPORTING_PERIOD = 1 AND c.PROCODE3 = '{_literal(trust)}' "
            "ORDER BY c.SPELL_KEY"
        )
        _copy(con, query, path)
        written.append(path)
    log.info("record-level extract: %d trust files for %s", len(written), time_period)
    return written


def _literal(text: str) -> str:
    return text.replace("'", "''")
