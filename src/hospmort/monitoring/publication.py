"""Monitoring inside a publication run: the charts of each indicator, their stored tables and internal file.

The run calls :func:`compute_publication_monitoring` once per publication, after the indicators: it charts the
SHMI records (and the HSMR records when the publication has them), writes
``internal/<INDICATOR>_cusum_parameters_<TP>.csv`` (statistics.md §4.4.5) into the run's staging folder, and
returns the tables ``monitoring_points``, ``monitoring_signals`` and ``cusum_parameters`` to store with the
publication.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from hospmort import schema as col
from hospmort.config import Windows
from hospmort.monitoring.compute import (
    ADMISSION_DATE_COLUMN,
    END_DATE_COLUMN,
    GROUP_COLUMN,
    OUTCOME_COLUMN,
    PARAMETER_COLUMNS,
    PROVIDER_COLUMN,
    RECORD_KEY_COLUMN,
    RISK_COLUMN,
    TRUST_UNIT,
    MonitoringResult,
    MonitoringSettings,
    compute_monitoring,
)
from hospmort.monitoring.simulation import MAXIMUM_DECIMALS
from hospmort.monitoring.table import format_threshold
from hospmort.monitoring.thresholds import ThresholdTable, load_threshold_table
from hospmort.publish import INTERNAL, write_csv
from hospmort.rounding import format_significant
from hospmort.shmi.cohort import LEVEL_COLUMNS, SHMI_COHORT
from hospmort.shmi.compute import CELL_RISK_TABLE
from hospmort.store.tables import CUSUM_PARAMETERS, MONITORING_POINTS, MONITORING_SIGNALS, Indicator

log = logging.getLogger(__name__)

#: Columns of ``internal/<INDICATOR>_cusum_parameters_<TP>.csv`` (statistics.md §4.4.5), in order.
PARAMETER_FILE_COLUMNS = PARAMETER_COLUMNS[1:]
SIGNIFICANT_DIGITS = 6
H_DECIMALS = 6


def shmi_monitoring_records_sql() -> str:
    """The SHMI records of a publication (statistics.md §3.1): the in-scope spells of the reporting period with
    their cell's risk p (shmi.md §10.5) and y = ``DIED``; chart order by ``DISDATE``, ``ADMIDATE``, spell key.

    Needs ``shmi_cohort`` and ``shmi_cell_risk`` of the publication (:func:`hospmort.shmi.compute.compute_shmi`).
    """
    levels = ", ".join(("DIAGNOSIS_GROUP", *LEVEL_COLUMNS))
    return (
        f"SELECT c.PROCODE3 AS {PROVIDER_COLUMN}, c.DIAGNOSIS_GROUP AS {GROUP_COLUMN}, "
        f"c.DISDATE AS {END_DATE_COLUMN}, c.ADMIDATE AS {ADMISSION_DATE_COLUMN}, c.SPELL_KEY AS {RECORD_KEY_COLUMN}, "
        f"r.RISK AS {RISK_COLUMN}, c.DIED AS {OUTCOME_COLUMN} "
        f"FROM {SHMI_COHORT} c JOIN {CELL_RISK_TABLE} r USING ({levels}) "
        "WHERE c.IN_SCOPE = 1 AND c.IN_REPORTING_PERIOD = 1"
    )


def _unit_order(unit: str) -> tuple[int, int]:
    return (0, 0) if unit == TRUST_UNIT else (1, int(unit))


def _significant(value: float | None) -> str:
    """6 significant digits of a value rounded to 10 decimals first (as chart maxima are, §4.4.1 step 4), so that
    floating-point residues of a chart at its floor print as 0."""
    if value is None:
        return ""
    rounded = round(float(value), MAXIMUM_DECIMALS)
    return "0" if rounded == 0 else format_significant(rounded, SIGNIFICANT_DIGITS)


def cusum_parameter_file_rows(rows: Iterable[Mapping[str, Any]]) -> list[list[str]]:
    """The rows of the internal parameters file (§4.4.5): ``Q_EQ``, ``N_EQ`` to 6 significant digits (empty
    when not monitorable), ``H`` to 6 decimals or ``INF``; sorted by trust, unit (``TRUST`` first, then groups
    in number order) and chart."""
    ordered = sorted(rows, key=lambda r: (r[col.PROVIDER_CODE], _unit_order(r[col.UNIT]), r[col.CHART]))
    return [[
        row[col.PROVIDER_CODE], row[col.UNIT], row[col.CHART], str(row[col.RECORDS]), str(row[col.OBSERVED]),
        _significant(row[col.EXPECTED]), repr(float(row[col.ALPHA])),
        "" if row[col.ODDS_RATIO] is None else repr(float(row[col.ODDS_RATIO])),
        _significant(row[col.Q_EQ]), _significant(row[col.N_EQ]), str(row[col.MONITORABLE]),
        format_threshold(math.inf if row[col.H] is None else float(row[col.H])), str(row[col.SIGNALS]),
        row[col.LAST_SIGNAL_MONTH] or "", _significant(row[col.FINAL_VALUE]),
    ] for row in ordered]


def write_cusum_parameters_file(folder: Path, indicator: Indicator, time_period: str,
                                rows: Iterable[Mapping[str, Any]]) -> Path:
    """``internal/<INDICATOR>_cusum_parameters_<TP>.csv`` (statistics.md §4.4.5)."""
    path = folder / INTERNAL / f"{indicator.value}_cusum_parameters_{time_period}.csv"
    write_csv(path, PARAMETER_FILE_COLUMNS, cusum_parameter_file_rows(rows))
    return path


def monitoring_tables(results: Sequence[MonitoringResult]) -> dict[str, Any]:
    """The store tables of one publication's monitoring (all indicators together)."""
    points = [result.points for result in results]
    return {
        MONITORING_POINTS.name: pa.concat_tables(points) if points else [],
        MONITORING_SIGNALS.name: [row for result in results for row in result.signals],
        CUSUM_PARAMETERS.name: [row for result in results for row in result.parameters],
    }


def compute_publication_monitoring(con: duckdb.DuckDBPyConnection, windows: Windows, staging: Path,
                                   settings: MonitoringSettings | None = None, *,
                                   hsmr_records_sql: str | None = None,
                                   table: ThresholdTable | None = None) -> dict[str, Any]:
    """VLAD and CUSUM charts of one publication (statistics.md §3-§4): the SHMI's, and the HSMR's when
    ``hsmr_records_sql`` selects its records (main-basket records of the reporting period with the full
    model's p, y = ``DIED_IN_HOSPITAL``, the CIPS key as record key; columns of
    :data:`hospmort.monitoring.compute.RECORD_COLUMNS`). Writes each indicator's internal parameters file into
    ``staging`` and returns the tables to store."""
    settings = settings if settings is not None else MonitoringSettings()
    threshold_table = table if table is not None else load_threshold_table(settings.odds_ratio,
                                                                           settings.table_path)
    sources = [(Indicator.SHMI, shmi_monitoring_records_sql())]
    if hsmr_records_sql is not None:
        sources.append((Indicator.HSMR, hsmr_records_sql))
    results = []
    for indicator, records_sql in sources:
        result = compute_monitoring(con, records_sql, indicator, settings, threshold_table)
        write_cusum_parameters_file(staging, indicator, windows.time_period, result.parameters)
        results.append(result)
    return monitoring_tables(results)


def hsmr_monitoring_records_sql(computation: Any) -> str:
    """The HSMR records of a publication (statistics.md §3.1): the main-basket records of the reporting period
    (hsmr.md §3.4) with the full model's p (not re-based) and y = ``DIED_IN_HOSPITAL``; chart order by CIPS end
    date, ``ADMIDATE``, CIPS key. ``computation`` is the publication's
    :class:`hospmort.hsmr.compute.HsmrComputation` (its main basket names the categories).

    Needs ``hsmr_records`` and ``hsmr_cell_risk`` of the publication.
    """
    from hospmort.hsmr.casemix import COVARIATE_NAMES
    from hospmort.hsmr.cohort import HSMR_RECORDS
    from hospmort.hsmr.compute import HSMR_CELL_RISK, RISK

    categories = ", ".join(str(int(c)) for c in computation.main_basket.categories) or "NULL"
    levels = ", ".join((col.HSMR_CATEGORY, *COVARIATE_NAMES))
    return (
        f"SELECT r.PROCODE3 AS {PROVIDER_COLUMN}, r.{col.HSMR_CATEGORY} AS {GROUP_COLUMN}, "
        f"r.END_DATE AS {END_DATE_COLUMN}, r.ADMIDATE AS {ADMISSION_DATE_COLUMN}, r.CIPS_KEY AS {RECORD_KEY_COLUMN}, "
        f"k.{RISK} AS {RISK_COLUMN}, r.DIED_IN_HOSPITAL AS {OUTCOME_COLUMN} "
        f"FROM {HSMR_RECORDS} r JOIN {HSMR_CELL_RISK} k USING ({levels}) "
        f"WHERE r.{col.HSMR_CATEGORY} IN ({categories})"
    )
