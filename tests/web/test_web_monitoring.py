"""Alerts and monitoring charts on the trust page (statistics.md §3, §6.4; shmi.md §15)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from store_builder import DEC25, publication_rows

from hospmort.config import Month
from hospmort.store import Indicator, Publication, PublicationStatus, open_store, table_spec, write_publication
from hospmort.store.tables import quote_identifier
from hospmort.web import create_app
from hospmort.web.analysis import alert_is_visible
from hospmort.web.viewer import Viewer


def row_of(table: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {c.name: None for c in table_spec(table).value_columns}
    row.update(values)
    return row


def alert(alert_id: str, status: str, category: str, last_signal: str, closed: str | None = None) -> dict[str, Any]:
    return row_of("alert_register", ALERT_ID=alert_id, TYPE="SHMI_CUSUM_HIGH" if category == "ALERT" else
                  "SHMI_CUSUM_LOW", CATEGORY=category, PROVIDER_CODE="T05", UNIT="73", STATUS=status,
                  OPENED_PERIOD="JAN25_DEC25", LAST_SIGNAL_MONTH=last_signal, SIGNAL_COUNT=1, MISSES=0,
                  CLOSED_PERIOD=closed)


@pytest.fixture(scope="module")
def monitored_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("monitoring") / "monitoring.duckdb"
    points = [row_of("monitoring_points", INDICATOR="SHMI", PROVIDER_CODE="T05", UNIT="TRUST",
                     DATE=dt.date(2025, 1, day), RECORDS=10, CUM_RECORDS=10 * day, CUM_OBSERVED=day,
                     CUM_EXPECTED=0.9 * day, VLAD=-0.1 * day) for day in (3, 1, 2)]
    signals = [row_of("monitoring_signals", INDICATOR="SHMI", PROVIDER_CODE="T05", UNIT="73", CHART="UP",
                      SIGNAL_NUMBER=1, DATE=dt.date(2025, 1, 2), VALUE=2.1, OBSERVED=4, EXPECTED=0.9)]
    parameters = [row_of("cusum_parameters", INDICATOR="SHMI", PROVIDER_CODE="T05", UNIT="120", CHART="DOWN",
                         RECORDS=12, OBSERVED=1, EXPECTED=0.8, ALPHA=0.05, MONITORABLE=0, SIGNALS=0,
                         FINAL_VALUE=0.0)]
    tables = {**publication_rows(1.0), "monitoring_points": points, "monitoring_signals": signals,
              "cusum_parameters": parameters}
    with open_store(path) as store:
        write_publication(store, Publication(DEC25, (Indicator.SHMI,), tables), status=PublicationStatus.PUBLISHED)
        register = [alert("A-OLD", "OPEN", "ALERT", "2025-03"), alert("A-NEW", "NEW", "ALERT", "2025-11"),
                    alert("P-1", "OPEN", "POSITIVE", "2025-06"),
                    alert("A-CLOSED-RECENT", "CLOSED", "ALERT", "2024-10", closed="JAN25_DEC25"),
                    alert("A-CLOSED-LONG-AGO", "CLOSED", "ALERT", "2023-01", closed="JAN23_DEC23")]
        columns = [c.name for c in table_spec("alert_register").columns]
        for entry in register:
            store.backend.execute(
                f"INSERT INTO {quote_identifier('alert_register')} ({', '.join(quote_identifier(c) for c in columns)}) "
                f"VALUES ({', '.join('?' for _ in columns)})", [entry[c] for c in columns])
    return path


def test_alert_lists_open_alerts_new_first_and_positive_signals_apart(monitored_store: Path) -> None:
    with TestClient(create_app(monitored_store)) as api:
        alerts = api.get("/api/trusts/T05").json()["alerts"]
    assert [a["alert_id"] for a in alerts["alerts"]] == ["A-NEW", "A-OLD", "A-CLOSED-RECENT"]
    assert [a["alert_id"] for a in alerts["positive"]] == ["P-1"]
    assert alerts["not_monitorable"] == ["SHMI 120 (DOWN)"]


def test_a_closed_alert_stays_visible_for_12_months_after_its_closing_publication() -> None:
    closed = {"STATUS": "CLOSED", "CLOSED_PERIOD": "JAN25_DEC25"}  # statistics.md §6.4: shown up to 2026-12
    assert alert_is_visible(closed, Month(2026, 12))
    assert not alert_is_visible(closed, Month(2027, 1))
    assert alert_is_visible({"STATUS": "OPEN"}, Month(2030, 1))


def test_vlad_charts_are_not_shown_to_an_anonymous_viewer(monitored_store: Path) -> None:
    with TestClient(create_app(monitored_store)) as api:
        assert api.get("/api/trusts/T05/monitoring").status_code == 403
        page = api.get("/trusts/T05").text
    assert 'id="vlad-not-shown"' in page and 'id="vlad-chart"' not in page


def test_a_trusts_own_staff_see_its_vlad_with_the_signals_of_its_units(monitored_store: Path) -> None:
    staff = Viewer("T05")
    with TestClient(create_app(monitored_store, viewer_resolver=lambda _request: staff)) as api:
        chart = api.get("/api/trusts/T05/monitoring").json()
        page = api.get("/trusts/T05").text
        assert api.get("/api/trusts/T06/monitoring").status_code == 403  # another trust's charts
    assert chart["dates"] == ["2025-01-01", "2025-01-02", "2025-01-03"]
    assert chart["vlad"] == pytest.approx([-0.1, -0.2, -0.3])
    assert chart["signals"] == [{"date": "2025-01-02", "chart": "UP", "unit": "73", "value": 2.1}]
    assert 'id="vlad-chart"' in page
