"""Charts of a publication from record-level rows in the engine (statistics.md §3.1, §3.4, §4.4.5)."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import numpy as np
import pytest
from numpy.testing import assert_allclose

from hospmort import schema as col
from hospmort.monitoring.charts import brownian_maximum_quantile, compute_vlad_lines, run_cusum
from hospmort.monitoring.compute import (
    RECORD_COLUMNS,
    MonitoringSettings,
    compute_monitoring,
)
from hospmort.monitoring.publication import cusum_parameter_file_rows
from hospmort.monitoring.table import TableRow
from hospmort.monitoring.thresholds import ThresholdTable, compute_table_thresholds
from hospmort.monitoring.weights import compute_cusum_weights
from hospmort.store.tables import Indicator

RECORDS_SQL = "SELECT * FROM test_records"


def flat_table(value: float = 1.5) -> ThresholdTable:
    """A table whose every H is ``value`` (so that the charts' thresholds are min(value, M_max))."""
    rows = [TableRow(2.0, q, n, a, value) for q in (0.01, 0.99) for n in (1, 100000) for a in (0.0005, 0.1)]
    return ThresholdTable.from_rows(rows)


def make_records(rng: np.random.Generator, trusts: dict[str, list[int]], count: int) -> list[tuple[object, ...]]:
    """Random records: (trust, group, end date, admission date, key, risk, outcome)."""
    rows = []
    start = dt.date(2025, 1, 1)
    for trust, groups in trusts.items():
        for k in range(count):
            end = start + dt.timedelta(days=int(rng.integers(0, 365)))
            admitted = end - dt.timedelta(days=int(rng.integers(0, 10)))
            risk = float(rng.choice([0.01, 0.05, 0.2, 0.6]))
            died = int(rng.random() < risk * 1.5)
            rows.append((trust, int(rng.choice(groups)), end, admitted, f"{trust}|{k:05d}", risk, died))
    return rows


def load(rows: list[tuple[object, ...]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE test_records (PROVIDER_CODE VARCHAR, GROUP_UNIT INTEGER, END_DATE DATE, "
                "ADMISSION_DATE DATE, RECORD_KEY VARCHAR, RISK DOUBLE, OUTCOME INTEGER)")
    con.executemany("INSERT INTO test_records VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return con


def chart_order(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    return sorted(rows, key=lambda r: (r[2], r[3], r[4]))


def test_record_columns_are_the_documented_interface() -> None:
    assert RECORD_COLUMNS == ("PROVIDER_CODE", "GROUP_UNIT", "END_DATE", "ADMISSION_DATE", "RECORD_KEY", "RISK",
                              "OUTCOME")


def test_unit_charts_follow_chart_order_and_daily_points_hold_end_of_day_values() -> None:
    rng = np.random.default_rng(4)
    rows = make_records(rng, {"RAA": [1, 2], "RAB": [2]}, 600)
    shuffled = [rows[i] for i in rng.permutation(len(rows))]
    table = flat_table()
    result = compute_monitoring(load(shuffled), RECORDS_SQL, Indicator.SHMI, MonitoringSettings(), table)
    points = result.points.to_pylist()
    for trust, group in [("RAA", 1), ("RAA", 2), ("RAB", 2)]:
        unit_rows = chart_order([r for r in rows if r[0] == trust and r[1] == group])
        risks = np.array([r[5] for r in unit_rows])
        outcomes = np.array([r[6] for r in unit_rows])
        days = [r[2] for r in unit_rows]
        thresholds = compute_table_thresholds(risks, np.array([0]), 0.001, table)
        upper = run_cusum(compute_cusum_weights(risks, outcomes, 2.0), float(thresholds.threshold[0]), risks,
                          outcomes)
        lower_h = compute_table_thresholds(risks, np.array([0]), 0.001, table, lower=True).threshold[0]
        lower = run_cusum(compute_cusum_weights(risks, outcomes, 0.5), float(lower_h), risks, outcomes)
        last_of_day = [k for k in range(len(days)) if k == len(days) - 1 or days[k + 1] != days[k]]
        stored = [p for p in points if p[col.PROVIDER_CODE] == trust and p[col.UNIT] == str(group)]
        assert [p[col.DATE] for p in stored] == [days[k] for k in last_of_day]
        assert [p[col.CUM_RECORDS] for p in stored] == [k + 1 for k in last_of_day]
        assert sum(p[col.RECORDS] for p in stored) == len(unit_rows)
        assert_allclose([p[col.VLAD] for p in stored], np.cumsum(risks - outcomes)[last_of_day], atol=1e-9)
        assert_allclose([p[col.CUM_EXPECTED] for p in stored], np.cumsum(risks)[last_of_day], atol=1e-9)
        assert [p[col.CUM_OBSERVED] for p in stored] == list(np.cumsum(outcomes)[last_of_day])
        assert_allclose([p[col.CUSUM_UP] for p in stored], upper.values[last_of_day], atol=1e-9)
        assert_allclose([p[col.CUSUM_DOWN] for p in stored], lower.values[last_of_day], atol=1e-9)
        signals = [s for s in result.signals if s[col.PROVIDER_CODE] == trust and s[col.UNIT] == str(group)
                   and s[col.CHART] == "UP"]
        assert [s[col.DATE] for s in signals] == [days[s.position] for s in upper.signals]
        assert [s[col.OBSERVED] for s in signals] == [s.observed for s in upper.signals]
        assert [s[col.SIGNAL_NUMBER] for s in signals] == list(range(1, len(upper.signals) + 1))
    assert any(s[col.CHART] == "UP" for s in result.signals), "the planted excess should signal at h = 1.5"


def test_trust_vlad_is_over_all_its_records_with_lines_where_variance_reaches_75() -> None:
    rng = np.random.default_rng(5)
    rows = make_records(rng, {"RAA": [1, 2, 3]}, 2000)
    result = compute_monitoring(load(rows), RECORDS_SQL, Indicator.HSMR, MonitoringSettings(), flat_table())
    ordered = chart_order(rows)
    risks = np.array([r[5] for r in ordered])
    outcomes = np.array([r[6] for r in ordered])
    days = [r[2] for r in ordered]
    last_of_day = [k for k in range(len(days)) if k == len(days) - 1 or days[k + 1] != days[k]]
    trust_points = [p for p in result.points.to_pylist() if p[col.UNIT] == "TRUST"]
    assert all(p[col.INDICATOR] == "HSMR" for p in trust_points)
    assert all(p[col.CUSUM_UP] is None and p[col.CUSUM_DOWN] is None for p in trust_points)
    vlad = np.cumsum(risks - outcomes)
    assert_allclose([p[col.VLAD] for p in trust_points], vlad[last_of_day], atol=1e-9)
    variance = float(np.sum(risks * (1 - risks)))
    assert variance >= 75
    threshold = brownian_maximum_quantile(0.001) * math.sqrt(variance)
    lines = compute_vlad_lines(risks, outcomes, vlad, threshold)
    assert_allclose([p[col.VLAD_A] for p in trust_points], lines.line_a[last_of_day], atol=1e-9)
    assert_allclose([p[col.VLAD_B] for p in trust_points], lines.line_b[last_of_day], atol=1e-9)
    line_rows = [r for r in result.parameters if r[col.UNIT] == "TRUST"]
    assert sorted(r[col.CHART] for r in line_rows) == ["VLAD_DOWN", "VLAD_UP"]
    assert all(r[col.H] == pytest.approx(threshold) and r[col.MONITORABLE] == 1 for r in line_rows)
    assert all(r[col.ODDS_RATIO] is None and r[col.Q_EQ] is None for r in line_rows)


def test_every_unit_gets_charts_and_small_ones_are_reported_not_monitorable() -> None:
    rows = [("RAA", 7, dt.date(2025, 3, 1), dt.date(2025, 2, 27), "a", 0.5, 0),
            ("RAA", 9, dt.date(2025, 3, 2), dt.date(2025, 3, 1), "b", 0.001, 1)]
    result = compute_monitoring(load(rows), RECORDS_SQL, Indicator.SHMI, MonitoringSettings(alpha=0.1),
                                flat_table())
    by_chart = {(r[col.UNIT], r[col.CHART]): r for r in result.parameters}
    assert set(by_chart) == {("7", "UP"), ("7", "DOWN"), ("9", "UP"), ("9", "DOWN")}
    assert by_chart[("7", "UP")][col.MONITORABLE] == 0 and by_chart[("7", "UP")][col.H] is None
    assert by_chart[("9", "UP")][col.MONITORABLE] == 1  # one death at p = 0.001 has probability ≤ α
    assert by_chart[("9", "UP")][col.SIGNALS] == 1
    assert {p[col.UNIT] for p in result.points.to_pylist()} == {"TRUST", "7", "9"}
    file_rows = {(r[1], r[2]): r for r in cusum_parameter_file_rows(result.parameters)}
    assert file_rows[("7", "UP")][10:12] == ["0", "INF"]
    assert file_rows[("7", "UP")][8:10] == ["", ""]


def test_blocks_of_trusts_give_the_same_rows_as_one_block() -> None:
    rng = np.random.default_rng(6)
    rows = make_records(rng, {code: [1, 2, 3] for code in ("RAA", "RAB", "RAC", "RAD")}, 300)
    table = flat_table(2.5)
    whole = compute_monitoring(load(rows), RECORDS_SQL, Indicator.SHMI, MonitoringSettings(), table)
    blocked = compute_monitoring(load(rows), RECORDS_SQL, Indicator.SHMI, MonitoringSettings(block_records=250),
                                 table)

    def ordered_points(points: list[dict[str, object]]) -> list[dict[str, object]]:
        return sorted(points, key=lambda p: (str(p[col.UNIT]), str(p[col.PROVIDER_CODE]), str(p[col.DATE])))

    assert ordered_points(blocked.points.to_pylist()) == ordered_points(whole.points.to_pylist())
    assert sorted(blocked.signals, key=str) == sorted(whole.signals, key=str)
    assert sorted(blocked.parameters, key=str) == sorted(whole.parameters, key=str)


def test_the_working_table_is_dropped_and_no_record_level_column_comes_out() -> None:
    rng = np.random.default_rng(7)
    con = load(make_records(rng, {"RAA": [1]}, 50))
    result = compute_monitoring(con, RECORDS_SQL, Indicator.SHMI, MonitoringSettings(), flat_table())
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'monitoring_records'").fetchone() \
        == (0,)
    assert "RECORD_KEY" not in result.points.column_names
    assert all("RECORD_KEY" not in row for row in result.signals + result.parameters)
