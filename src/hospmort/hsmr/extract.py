"""The record-level HSMR extract (hsmr.md §10.8), written only when a run is given ``--extract DIR``.

One file per acute trust with at least one reporting-period record, ``HSMR_extract_<PROVIDER_CODE>_<TP>.csv``:
one row per record of the trust whose CIPS ended in the reporting period and whose category is modelled,
sorted by ``CIPS_KEY``, so that the trust can audit the cases behind its figure. Record-level by design: never
in the publication folder, never in the results store, no disclosure control (shmi.md §16.10). Written by the
engine (``COPY``), never row by row in Python.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import duckdb

from hospmort import tables
from hospmort.hsmr.casemix import COVARIATE_NAMES
from hospmort.hsmr.cohort import ACUTE_TRUSTS, HSMR_COHORT, HSMR_RECORDS
from hospmort.hsmr.compute import HSMR_CELL_RISK, RISK, RISK_NO_PALLIATIVE
from hospmort.schema import (
    ADMIDATE,
    CIPS_KEY,
    DIED_IN_HOSPITAL,
    END_DATE,
    HSMR_CATEGORY,
    PROCODE3,
    PROVSPNOPS,
    SPELL_KEY,
)
from hospmort.spells import FIRST_PROCODE3, FIRST_PROVSPNOPS, SPELL_POSITION

log = logging.getLogger(__name__)

EXTRACT_COLUMNS = ("CIPS_KEY", "PROVSPNOPS", "TRUSTS_IN_CIPS", "ADMIDATE", "END_DATE", "HSMR_CATEGORY",
                   "IN_MAIN_BASKET", *COVARIATE_NAMES, "DIED_IN_HOSPITAL", "PREDICTED_RISK",
                   "PREDICTED_RISK_NO_PALLIATIVE")


def extract_sql(trust: str, main_basket: Sequence[int]) -> str:
    """The SELECT of one trust's extract rows, in the column order of hsmr.md §10.8."""
    levels = " AND ".join(f"k.{name} = r.{name}" for name in (HSMR_CATEGORY, *COVARIATE_NAMES))
    main = ", ".join(str(c) for c in main_basket) or "NULL"
    escaped = trust.replace("'", "''")
    return f"""
WITH own_first_spell AS (
    SELECT m.{CIPS_KEY}, s.{PROVSPNOPS},
           row_number() OVER (PARTITION BY m.{CIPS_KEY} ORDER BY m.{SPELL_POSITION}) AS POSITION_AT_TRUST
    FROM {tables.SPELL_CIPS} m JOIN {tables.PROVIDER_SPELLS} s ON s.{SPELL_KEY} = m.{SPELL_KEY}
    WHERE s.{PROCODE3} = '{escaped}'
)
SELECT CASE WHEN c.{FIRST_PROVSPNOPS} IS NULL THEN c.{CIPS_KEY}
            ELSE c.{FIRST_PROCODE3} || '|' || c.{FIRST_PROVSPNOPS} END AS CIPS_KEY,
       own.{PROVSPNOPS} AS PROVSPNOPS,
       r.{ACUTE_TRUSTS} AS TRUSTS_IN_CIPS,
       strftime(r.{ADMIDATE}, '%Y-%m-%d') AS ADMIDATE,
       strftime(r.{END_DATE}, '%Y-%m-%d') AS END_DATE,
       r.{HSMR_CATEGORY},
       CASE WHEN r.{HSMR_CATEGORY} IN ({main}) THEN 1 ELSE 0 END AS IN_MAIN_BASKET,
       {', '.join(f'r.{name}' for name in COVARIATE_NAMES)},
       r.{DIED_IN_HOSPITAL},
       CAST(k.{RISK} AS VARCHAR) AS PREDICTED_RISK,
       CASE WHEN r.{HSMR_CATEGORY} IN ({main}) THEN CAST(k.{RISK_NO_PALLIATIVE} AS VARCHAR) END
           AS PREDICTED_RISK_NO_PALLIATIVE
FROM {HSMR_RECORDS} r
JOIN {HSMR_CELL_RISK} k ON {levels}
JOIN {HSMR_COHORT} c ON c.{CIPS_KEY} = r.{CIPS_KEY}
LEFT JOIN own_first_spell own ON own.{CIPS_KEY} = r.{CIPS_KEY} AND own.POSITION_AT_TRUST = 1
WHERE r.{PROCODE3} = '{escaped}'
ORDER BY 1
"""


def write_hsmr_extract(con: duckdb.DuckDBPyConnection, folder: Path, time_period: str,
                       main_basket: Sequence[int]) -> list[Path]:
    """One ``HSMR_extract_<PROVIDER_CODE>_<TP>.csv`` per acute trust with reporting-period records of a
    modelled category (hsmr.md §10.8). Needs ``hsmr_records``, ``hsmr_cohort`` and ``hsmr_cell_risk``."""
    trusts = [str(row[0]) for row in con.execute(
        f"SELECT DISTINCT r.{PROCODE3} FROM {HSMR_RECORDS} r "
        f"JOIN (SELECT DISTINCT {HSMR_CATEGORY} FROM {HSMR_CELL_RISK}) k USING ({HSMR_CATEGORY}) "
        f"ORDER BY r.{PROCODE3}").fetchall()]
    written = []
    folder.mkdir(parents=True, exist_ok=True)
    for trust in trusts:
        path = folder / f"HSMR_extract_{trust}_{time_period}.csv"
        escaped = str(path).replace("'", "''")
        con.execute(f"COPY ({extract_sql(trust, main_basket)}) TO '{escaped}' "
                    "(FORMAT CSV, HEADER, DELIMITER ',', NULLSTR '')")
        written.append(path)
    log.info("record-level HSMR extract: %d trust files for %s", len(written), time_period)
    return written
