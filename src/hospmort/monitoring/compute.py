"""The monitoring charts of one publication, from its record-level rows (statistics.md §3, §4).

Input: the records of one indicator as SQL over the run's working tables, with the columns of
:data:`RECORD_COLUMNS` (unit keys, end date, admission date, record key, risk p, outcome y). Output: the
aggregate rows the results store keeps (§3.4, §4.4.5): daily points, signals and chart parameters. No row per
record leaves this module.

The records are materialised once in the engine, then read back in chart order (§3.1: end date, then admission
date, then record key), a block of trusts at a time, so that memory stays bounded by the block size whatever the
national volume. Per block, thresholds are computed for every chart at once (:mod:`.thresholds`); each chart is
then a few numpy running sums and minima over its records (:mod:`.charts`), the only loops being over charts
and their signals, never over records.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from hospmort import schema as col
from hospmort.config import Month
from hospmort.monitoring.charts import (
    VLAD_LINES_MINIMUM_VARIANCE,
    ChartPath,
    brownian_maximum_quantile,
    compute_vlad_lines,
    run_cusum,
)
from hospmort.monitoring.thresholds import (
    DEFAULT_ALPHA,
    ChartThresholds,
    ThresholdTable,
    check_alpha,
    compute_table_thresholds,
    load_threshold_table,
)
from hospmort.monitoring.weights import DEFAULT_ODDS_RATIO, FloatArray, compute_cusum_weights
from hospmort.store.tables import Indicator

log = logging.getLogger(__name__)

Row = dict[str, Any]
IntArray = npt.NDArray[np.int64]

TRUST_UNIT = "TRUST"
"""The ``UNIT`` token of a trust's own VLAD (statistics.md §3.1)."""
RECORDS_TABLE = "monitoring_records"
"""Working table of the records of the indicator being charted (dropped when the charts are done)."""

# Columns the records query must give (statistics.md §3.1 "Records"); one row per record.
PROVIDER_COLUMN = "PROVIDER_CODE"
GROUP_COLUMN = "GROUP_UNIT"
END_DATE_COLUMN = "END_DATE"
ADMISSION_DATE_COLUMN = "ADMISSION_DATE"
RECORD_KEY_COLUMN = "RECORD_KEY"
RISK_COLUMN = "RISK"
OUTCOME_COLUMN = "OUTCOME"
RECORD_COLUMNS = (PROVIDER_COLUMN, GROUP_COLUMN, END_DATE_COLUMN, ADMISSION_DATE_COLUMN, RECORD_KEY_COLUMN,
                  RISK_COLUMN, OUTCOME_COLUMN)


class Chart(StrEnum):
    """``CHART`` of the signal and parameter rows (statistics.md §3.4, §4.4.5)."""

    UP = "UP"
    DOWN = "DOWN"
    VLAD_UP = "VLAD_UP"
    VLAD_DOWN = "VLAD_DOWN"


@dataclass(frozen=True)
class MonitoringSettings:
    """α per unit and chart (default 0.001), R_A (default 2; the lower chart uses 1/R_A), an optional
    threshold-table file instead of the packaged one, and the records read back per block of trusts."""

    alpha: float = DEFAULT_ALPHA
    odds_ratio: float = DEFAULT_ODDS_RATIO
    table_path: Path | None = None
    block_records: int = 1_000_000


@dataclass(frozen=True)
class MonitoringResult:
    """The stored rows of one indicator's charts in one publication (without ``PERIOD_END``)."""

    points: pa.Table
    signals: list[Row] = field(default_factory=list)
    parameters: list[Row] = field(default_factory=list)


POINT_COLUMNS = (col.INDICATOR, col.PROVIDER_CODE, col.UNIT, col.DATE, col.RECORDS, col.CUM_RECORDS,
                 col.CUM_OBSERVED, col.CUM_EXPECTED, col.VLAD, col.CUSUM_UP, col.CUSUM_DOWN, col.VLAD_A, col.VLAD_B)
SIGNAL_COLUMNS = (col.INDICATOR, col.PROVIDER_CODE, col.UNIT, col.CHART, col.SIGNAL_NUMBER, col.DATE, col.VALUE,
                  col.OBSERVED, col.EXPECTED)
PARAMETER_COLUMNS = (col.INDICATOR, col.PROVIDER_CODE, col.UNIT, col.CHART, col.RECORDS, col.OBSERVED,
                     col.EXPECTED, col.ALPHA, col.ODDS_RATIO, col.Q_EQ, col.N_EQ, col.MONITORABLE, col.H,
                     col.SIGNALS, col.LAST_SIGNAL_MONTH, col.FINAL_VALUE)
POINTS_SCHEMA = pa.schema([
    (col.INDICATOR, pa.string()), (col.PROVIDER_CODE, pa.string()), (col.UNIT, pa.string()),
    (col.DATE, pa.date32()), (col.RECORDS, pa.int64()), (col.CUM_RECORDS, pa.int64()),
    (col.CUM_OBSERVED, pa.int64()), (col.CUM_EXPECTED, pa.float64()), (col.VLAD, pa.float64()),
    (col.CUSUM_UP, pa.float64()), (col.CUSUM_DOWN, pa.float64()), (col.VLAD_A, pa.float64()),
    (col.VLAD_B, pa.float64()),
])
EPOCH = np.datetime64("1970-01-01", "D")


@dataclass(frozen=True)
class RecordBlock:
    """Records of a block of trusts in chart order: provider index, group, end day (days since 1970-01-01),
    risk, outcome; ``providers`` names the provider indexes."""

    providers: tuple[str, ...]
    provider: IntArray
    group: IntArray
    end_day: IntArray
    risk: FloatArray
    outcome: IntArray


def _day_month(day: int) -> str:
    return str(Month.of((EPOCH + np.timedelta64(int(day), "D")).astype(object)))


def _day(day: int) -> Any:
    return (EPOCH + np.timedelta64(int(day), "D")).astype(object)


def materialise_records(con: duckdb.DuckDBPyConnection, records_sql: str) -> int:
    """Working table ``monitoring_records`` from the indicator's records query; returns its row count."""
    select = ", ".join(RECORD_COLUMNS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {RECORDS_TABLE} AS SELECT {select} FROM ({records_sql})")
    row = con.execute(f"SELECT count(*) FROM {RECORDS_TABLE}").fetchone()
    return int(row[0]) if row else 0


def plan_trust_blocks(con: duckdb.DuckDBPyConnection, block_records: int) -> list[tuple[str, str]]:
    """Consecutive ranges of trust codes holding about ``block_records`` records each (a trust is never split)."""
    counts = con.execute(
        f"SELECT {PROVIDER_COLUMN}, count(*) FROM {RECORDS_TABLE} GROUP BY 1 ORDER BY 1").fetchall()
    blocks: list[tuple[str, str]] = []
    first: str | None = None
    size = 0
    for code, records in counts:
        if first is None:
            first = code
        size += int(records)
        if size >= block_records:
            blocks.append((first, code))
            first, size = None, 0
    if first is not None:
        blocks.append((first, counts[-1][0]))
    return blocks


def read_record_block(con: duckdb.DuckDBPyConnection, first: str, last: str, *, by_group: bool) -> RecordBlock:
    """The records of trusts ``first`` … ``last`` in chart order (§3.1), per (trust, group) when ``by_group``,
    else per trust (the trust's own VLAD)."""
    group = GROUP_COLUMN if by_group else "0"
    order = f"{PROVIDER_COLUMN}, {GROUP_COLUMN}" if by_group else PROVIDER_COLUMN
    table = con.sql(
        f"SELECT {PROVIDER_COLUMN}, CAST({group} AS BIGINT) AS G, "
        f"CAST(date_diff('day', DATE '1970-01-01', {END_DATE_COLUMN}) AS BIGINT) AS D, "
        f"CAST({RISK_COLUMN} AS DOUBLE) AS P, CAST({OUTCOME_COLUMN} AS BIGINT) AS Y "
        f"FROM {RECORDS_TABLE} WHERE {PROVIDER_COLUMN} BETWEEN ? AND ? "
        f"ORDER BY {order}, {END_DATE_COLUMN}, {ADMISSION_DATE_COLUMN}, {RECORD_KEY_COLUMN}",
        params=[first, last],
    ).to_arrow_table()
    assert table is not None
    encoded = table.column(PROVIDER_COLUMN).combine_chunks().dictionary_encode()
    return RecordBlock(
        providers=tuple(encoded.dictionary.to_pylist()),
        provider=encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64),
        group=table.column("G").to_numpy().astype(np.int64),
        end_day=table.column("D").to_numpy().astype(np.int64),
        risk=table.column("P").to_numpy().astype(np.float64),
        outcome=table.column("Y").to_numpy().astype(np.int64),
    )


@dataclass
class _BlockCharts:
    """Per-record chart values of a block (filled unit by unit), and the signal and parameter rows."""

    vlad: FloatArray
    cum_expected: FloatArray
    cum_observed: IntArray
    cusum_up: FloatArray
    cusum_down: FloatArray
    line_a: FloatArray
    line_b: FloatArray
    signals: list[Row]
    parameters: list[Row]


def _parameter_row(indicator: Indicator, provider: str, unit: str, chart: Chart, risks: FloatArray,
                   outcomes: IntArray, alpha: float, odds_ratio: float | None, q_eq: float | None,
                   n_eq: float | None, threshold: float, path: ChartPath, end_days: IntArray) -> Row:
    last = _day_month(int(end_days[path.signals[-1].position])) if path.signals else None
    return {
        col.INDICATOR: indicator.value, col.PROVIDER_CODE: provider, col.UNIT: unit, col.CHART: chart.value,
        col.RECORDS: int(risks.size), col.OBSERVED: int(outcomes.sum()), col.EXPECTED: float(risks.sum()),
        col.ALPHA: alpha, col.ODDS_RATIO: odds_ratio, col.Q_EQ: q_eq, col.N_EQ: n_eq,
        col.MONITORABLE: int(not math.isinf(threshold)), col.H: None if math.isinf(threshold) else threshold,
        col.SIGNALS: len(path.signals), col.LAST_SIGNAL_MONTH: last, col.FINAL_VALUE: path.final_value,
    }


def _signal_rows(indicator: Indicator, provider: str, unit: str, chart: Chart, path: ChartPath,
                 end_days: IntArray) -> list[Row]:
    return [
        {col.INDICATOR: indicator.value, col.PROVIDER_CODE: provider, col.UNIT: unit, col.CHART: chart.value,
         col.SIGNAL_NUMBER: number, col.DATE: _day(int(end_days[signal.position])), col.VALUE: signal.value,
         col.OBSERVED: signal.observed, col.EXPECTED: signal.expected}
        for number, signal in enumerate(path.signals, start=1)
    ]


def _optional(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def chart_block(block: RecordBlock, indicator: Indicator, settings: MonitoringSettings, table: ThresholdTable,
                *, cusum: bool) -> tuple[pa.Table, list[Row], list[Row]]:
    """Every chart of the units of a block: VLAD (and its lines where σ² ≥ 75) for each unit, and with
    ``cusum`` the upper and lower CUSUM with table-method thresholds (statistics.md §3-§4).

    Returns the block's daily points (§3.4), signal rows and parameter rows (§4.4.5).
    """
    count = block.risk.size
    boundary = np.ones(count, dtype=bool)
    boundary[1:] = (block.provider[1:] != block.provider[:-1]) | (block.group[1:] != block.group[:-1])
    starts = np.flatnonzero(boundary).astype(np.int64)
    ends = np.append(starts[1:], count)
    upper: ChartThresholds | None = None
    lower: ChartThresholds | None = None
    if cusum:
        upper = compute_table_thresholds(block.risk, starts, settings.alpha, table)
        lower = compute_table_thresholds(block.risk, starts, settings.alpha, table, lower=True)
    variance = np.add.reduceat(block.risk * (1.0 - block.risk), starts)
    line_quantile = brownian_maximum_quantile(settings.alpha)
    charts = _BlockCharts(
        vlad=np.empty(count), cum_expected=np.empty(count), cum_observed=np.empty(count, dtype=np.int64),
        cusum_up=np.full(count, math.nan), cusum_down=np.full(count, math.nan),
        line_a=np.full(count, math.nan), line_b=np.full(count, math.nan), signals=[], parameters=[],
    )
    odds_up = settings.odds_ratio
    odds_down = 1.0 / settings.odds_ratio
    for index, (start, end) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        provider = block.providers[int(block.provider[start])]
        unit = str(int(block.group[start])) if cusum else TRUST_UNIT
        risks = block.risk[start:end]
        outcomes = block.outcome[start:end]
        days = block.end_day[start:end]
        charts.cum_expected[start:end] = np.cumsum(risks)
        charts.cum_observed[start:end] = np.cumsum(outcomes)
        vlad = np.cumsum(risks - outcomes)
        charts.vlad[start:end] = vlad
        if upper is not None and lower is not None:
            for chart, odds, thresholds, values in ((Chart.UP, odds_up, upper, charts.cusum_up),
                                                    (Chart.DOWN, odds_down, lower, charts.cusum_down)):
                threshold = float(thresholds.threshold[index])
                path = run_cusum(compute_cusum_weights(risks, outcomes, odds), threshold, risks, outcomes)
                values[start:end] = path.values
                charts.signals.extend(_signal_rows(indicator, provider, unit, chart, path, days))
                charts.parameters.append(_parameter_row(
                    indicator, provider, unit, chart, risks, outcomes, settings.alpha, odds,
                    _optional(float(thresholds.q_eq[index])), _optional(float(thresholds.n_eq[index])),
                    threshold, path, days))
        if variance[index] >= VLAD_LINES_MINIMUM_VARIANCE:
            threshold = line_quantile * math.sqrt(float(variance[index]))
            lines = compute_vlad_lines(risks, outcomes, vlad, threshold)
            charts.line_a[start:end] = lines.line_a
            charts.line_b[start:end] = lines.line_b
            for chart, path in ((Chart.VLAD_UP, lines.deterioration), (Chart.VLAD_DOWN, lines.improvement)):
                charts.parameters.append(_parameter_row(
                    indicator, provider, unit, chart, risks, outcomes, settings.alpha, None, None, None,
                    threshold, path, days))
    return _daily_points(block, indicator, boundary, starts, ends, charts, cusum=cusum), charts.signals, \
        charts.parameters


def _nullable(values: FloatArray) -> pa.Array:
    return pa.array(values, type=pa.float64(), mask=np.isnan(values))


def _daily_points(block: RecordBlock, indicator: Indicator, boundary: npt.NDArray[np.bool_], starts: IntArray,
                  ends: IntArray, charts: _BlockCharts, *, cusum: bool) -> pa.Table:
    """One row per unit and day with at least one record: values after the day's last record (§3.4)."""
    count = block.risk.size
    last_of_day = np.ones(count, dtype=bool)
    last_of_day[:-1] = (block.end_day[1:] != block.end_day[:-1]) | boundary[1:]
    chosen = np.flatnonzero(last_of_day)
    unit_start = np.repeat(starts, ends - starts)[chosen]
    cumulative = chosen - unit_start + 1
    previous = np.concatenate(([0], cumulative[:-1]))
    first_of_unit = np.concatenate(([True], unit_start[1:] != unit_start[:-1]))
    records = cumulative - np.where(first_of_unit, 0, previous)
    provider_names = pa.array(block.providers, type=pa.string())
    providers = provider_names.take(pa.array(block.provider[chosen]))
    units = (pa.array(block.group[chosen]).cast(pa.string()) if cusum
             else pa.array([TRUST_UNIT] * chosen.size, type=pa.string()))
    dates = pa.array(block.end_day[chosen].astype(np.int32), type=pa.int32()).cast(pa.date32())
    return pa.Table.from_arrays([
        pa.array([indicator.value] * chosen.size, type=pa.string()), providers, units, dates,
        pa.array(records, type=pa.int64()), pa.array(cumulative, type=pa.int64()),
        pa.array(charts.cum_observed[chosen], type=pa.int64()), pa.array(charts.cum_expected[chosen]),
        pa.array(charts.vlad[chosen]), _nullable(charts.cusum_up[chosen]), _nullable(charts.cusum_down[chosen]),
        _nullable(charts.line_a[chosen]), _nullable(charts.line_b[chosen]),
    ], schema=POINTS_SCHEMA)


def _iterate_blocks(con: duckdb.DuckDBPyConnection, blocks: Sequence[tuple[str, str]],
                    by_group: bool) -> Iterator[RecordBlock]:
    for first, last in blocks:
        yield read_record_block(con, first, last, by_group=by_group)


def compute_monitoring(con: duckdb.DuckDBPyConnection, records_sql: str, indicator: Indicator,
                       settings: MonitoringSettings, table: ThresholdTable | None = None) -> MonitoringResult:
    """VLAD and CUSUM charts of every unit of one indicator in one publication (statistics.md §3.1, §4).

    ``records_sql`` selects the publication's records (reporting period, in scope) with the columns of
    :data:`RECORD_COLUMNS`: ``PROVIDER_CODE``, ``GROUP_UNIT`` (the SHMI diagnosis group or HSMR CCS category
    of the unit), ``END_DATE``, ``ADMISSION_DATE``, ``RECORD_KEY`` (the chart-order tie-breaker), ``RISK`` (p)
    and ``OUTCOME`` (y). Units: every trust (VLAD) and every trust × group (VLAD and both CUSUMs) with at
    least one record; none is skipped.
    """
    check_alpha(settings.alpha)
    threshold_table = table if table is not None else load_threshold_table(settings.odds_ratio,
                                                                           settings.table_path)
    records = materialise_records(con, records_sql)
    points: list[pa.Table] = []
    signals: list[Row] = []
    parameters: list[Row] = []
    try:
        blocks = plan_trust_blocks(con, settings.block_records)
        for by_group in (False, True):
            for block in _iterate_blocks(con, blocks, by_group):
                if block.risk.size == 0:
                    continue
                block_points, block_signals, block_parameters = chart_block(
                    block, indicator, settings, threshold_table, cusum=by_group)
                points.append(block_points)
                signals.extend(block_signals)
                parameters.extend(block_parameters)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {RECORDS_TABLE}")
    log.info("%s monitoring: %d records, %d charts, %d daily points, %d signals", indicator.value, records,
             len(parameters), sum(t.num_rows for t in points), len(signals))
    merged = pa.concat_tables(points) if points else POINTS_SCHEMA.empty_table()
    return MonitoringResult(merged, signals, parameters)
