"""The register in the results store: rebuilt from the published publications whatever the order they are
published in, drafts' previews left out of it (statistics.md §6.2 steps 6-7)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from hospmort import schema as col
from hospmort.cli import app
from hospmort.config import Month
from hospmort.monitoring.alerts_store import (
    evidence_from_tables,
    list_open_alerts_at,
    load_published_evidence,
    read_register,
)
from hospmort.monitoring.register import AlertStatus, AlertType, replay_register
from hospmort.store import Indicator, Publication, PublicationStatus, open_store, publish, write_publication
from hospmort.store.tables import SqlType, table_spec


def trust_row(code: str, banding: int) -> dict[str, Any]:
    """A ``shmi_trust`` row with the given banding (other columns filled with placeholders)."""
    row: dict[str, Any] = {}
    for column in table_spec("shmi_trust").value_columns:
        if column.nullable:
            row[column.name] = None
        elif column.sql_type is SqlType.VARCHAR:
            row[column.name] = code
        else:
            row[column.name] = 10
    row.update({col.PROVIDER_CODE: code, col.SHMI_BANDING: banding, col.SHMI_VALUE: 1.3 if banding == 1 else 1.0,
                col.OBSERVED: 130, col.EXPECTED_ROUNDED: 100.0})
    return row


def monitoring_tables(month: Month, signal_day: dt.date | None) -> dict[str, Any]:
    parameters = [{col.INDICATOR: "SHMI", col.PROVIDER_CODE: "RAB", col.UNIT: "101", col.CHART: chart,
                   col.RECORDS: 500, col.OBSERVED: 30, col.EXPECTED: 20.0, col.ALPHA: 0.001,
                   col.ODDS_RATIO: 2.0 if chart == "UP" else 0.5, col.Q_EQ: 0.04, col.N_EQ: 500.0,
                   col.MONITORABLE: 1, col.H: 4.5, col.SIGNALS: int(signal_day is not None and chart == "UP"),
                   col.LAST_SIGNAL_MONTH: None, col.FINAL_VALUE: 0.0} for chart in ("UP", "DOWN")]
    signals = [] if signal_day is None else [
        {col.INDICATOR: "SHMI", col.PROVIDER_CODE: "RAB", col.UNIT: "101", col.CHART: "UP", col.SIGNAL_NUMBER: 1,
         col.DATE: signal_day, col.VALUE: 4.7, col.OBSERVED: 12, col.EXPECTED: 5.5}]
    return {"cusum_parameters": parameters, "monitoring_signals": signals,
            "shmi_trust": [trust_row("RAA", 1 if month.month in (1, 2, 5) else 2), trust_row("RAB", 2)]}


def store_publications(location: Path) -> list[Month]:
    months = [Month(2025, m) for m in range(1, 7)]
    with open_store(location) as store:
        for month in months:
            day = dt.date(2025, 2, 14) if month.month in (2, 3, 4) else None
            write_publication(store, Publication(month, (Indicator.SHMI,), monitoring_tables(month, day)),
                              status=PublicationStatus.DRAFT)
    return months


def expected_register(months: list[Month]) -> list[Any]:
    evidence = [evidence_from_tables(m, (Indicator.SHMI,), monitoring_tables(
        m, dt.date(2025, 2, 14) if m.month in (2, 3, 4) else None)) for m in months]
    return sorted(replay_register(evidence).alerts, key=lambda a: a.alert_id)


def test_publishing_in_any_order_gives_the_replay_of_the_published_publications(tmp_path: Path) -> None:
    location = tmp_path / "store.duckdb"
    months = store_publications(location)
    published: list[Month] = []
    with open_store(location) as store:
        assert read_register(store) == []  # drafts never change the register
        for month in (months[3], months[0], months[4], months[1]):
            publish(store, month)
            published.append(month)
            stored = sorted(read_register(store), key=lambda a: a.alert_id)
            assert stored == expected_register(sorted(published))
            assert sorted(replay_register(load_published_evidence(store)).alerts,
                          key=lambda a: a.alert_id) == stored
    register = {a.alert_id: a for a in expected_register(sorted(published))}
    cusum = register["SHMI_CUSUM_HIGH-RAB-101-MAR24_FEB25"]
    assert (cusum.open_observed, cusum.open_expected, cusum.open_value, cusum.threshold) == (12, 5.5, 4.7, 4.5)
    banding = register["SHMI_HIGH-RAA-TRUST-FEB24_JAN25"]
    assert banding.status is AlertStatus.OPEN and banding.signal_count == 3


def test_alerts_command_lists_open_alerts_new_first_and_by_trust(tmp_path: Path) -> None:
    location = tmp_path / "store.duckdb"
    months = store_publications(location)
    with open_store(location) as store:
        for month in months[:2]:
            publish(store, month)
    alerts = list_open_alerts_at(location)
    assert [a.alert_type for a in alerts] == [AlertType.SHMI_CUSUM_HIGH, AlertType.SHMI_HIGH]
    assert alerts[0].status is AlertStatus.NEW
    result = CliRunner().invoke(app, ["alerts", "--db", str(location), "--trust", "RAB"])
    assert result.exit_code == 0, result.output
    assert "SHMI_CUSUM_HIGH" in result.output and "RAB" in result.output and "SHMI_HIGH " not in result.output
    empty = CliRunner().invoke(app, ["alerts", "--db", str(location), "--trust", "ZZZ"])
    assert "no open alerts" in empty.output
