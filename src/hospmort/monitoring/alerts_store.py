"""The alert register in the results store: evidence of stored publications, rebuilding the register, the drafts'
preview, the open-alert listing (statistics.md §6).

The rules themselves are pure functions in :mod:`hospmort.monitoring.register`; this module reads the evidence
they need (signals, monitorable charts, bandings) from the store or from a run's in-memory tables, and writes
the register (``alert_register``, rebuilt from the published publications in period-end order).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from hospmort import schema as col
from hospmort.config import Month
from hospmort.monitoring.compute import TRUST_UNIT, Chart
from hospmort.monitoring.register import (
    Alert,
    AlertChange,
    AlertKey,
    AlertType,
    BandingEvidence,
    ChartEvidence,
    PublicationEvidence,
    SignalEvidence,
    preview_publication,
    replay_register,
    sort_open_alerts,
)
from hospmort.store.catalog import PublicationStatus, list_publications
from hospmort.store.connection import ResultsStore, open_store
from hospmort.store.tables import (
    ALERT_REGISTER,
    CUSUM_PARAMETERS,
    MONITORING_SIGNALS,
    Indicator,
    quote_identifier,
)

log = logging.getLogger(__name__)

Row = Mapping[str, Any]
NATIONAL_CODE = "ENG"
#: The trust tables whose banding opens the banding types (§6.1), per indicator: table, banding, value column.
BANDING_TABLES: dict[Indicator, tuple[str, str, str]] = {
    Indicator.SHMI: ("shmi_trust", col.SHMI_BANDING, col.SHMI_VALUE),
    Indicator.HSMR: ("hsmr_trust", col.HSMR_BANDING, col.HSMR_VALUE),
}
BANDINGS_WITH_ALERTS = (1, 3)


def _as_rows(rows: Any) -> list[dict[str, Any]]:
    if rows is None:
        return []
    if isinstance(rows, pa.Table):
        return list(rows.to_pylist())
    return [dict(row) for row in rows]


def _signal(row: Row) -> SignalEvidence:
    day = row[col.DATE]
    return SignalEvidence(day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)),
                          float(row[col.VALUE]), int(row[col.OBSERVED]), float(row[col.EXPECTED]))


def _chart_key(row: Row) -> AlertKey:
    return (AlertType.of_chart(Indicator(row[col.INDICATOR]), Chart(row[col.CHART])), str(row[col.PROVIDER_CODE]),
            str(row[col.UNIT]))


def assemble_evidence(period_end: Month, indicators: Iterable[Indicator], parameters: Iterable[Row],
                      signals: Iterable[Row], trust_rows: Mapping[Indicator, Iterable[Row]]) -> PublicationEvidence:
    """A publication's evidence from its ``cusum_parameters`` rows (charts ``UP`` and ``DOWN``), its
    ``monitoring_signals`` rows and its trust rows per indicator (``shmi_trust``, ``hsmr_trust``)."""
    by_chart: dict[AlertKey, list[SignalEvidence]] = {}
    for row in sorted(signals, key=lambda r: (_chart_key(r), int(r[col.SIGNAL_NUMBER]))):
        by_chart.setdefault(_chart_key(row), []).append(_signal(row))
    charts: dict[AlertKey, ChartEvidence] = {}
    for row in parameters:
        if row[col.CHART] not in (Chart.UP.value, Chart.DOWN.value):
            continue
        key = _chart_key(row)
        charts[key] = ChartEvidence(bool(row[col.MONITORABLE]), row[col.H], float(row[col.ALPHA]),
                                    float(row[col.ODDS_RATIO]), tuple(by_chart.get(key, ())))
    bandings: dict[AlertKey, BandingEvidence] = {}
    for indicator, rows in trust_rows.items():
        _, banding_column, value_column = BANDING_TABLES[indicator]
        for row in rows:
            banding = row.get(banding_column)
            if banding not in BANDINGS_WITH_ALERTS or row[col.PROVIDER_CODE] == NATIONAL_CODE:
                continue
            key = (AlertType.of_banding(indicator, int(banding)), str(row[col.PROVIDER_CODE]), TRUST_UNIT)
            bandings[key] = BandingEvidence(int(row[col.OBSERVED]), float(row[col.EXPECTED_ROUNDED]),
                                            float(row[value_column]))
    return PublicationEvidence(period_end, frozenset(indicators), charts, bandings)


def evidence_from_tables(period_end: Month, indicators: Iterable[Indicator],
                         tables: Mapping[str, Any]) -> PublicationEvidence:
    """The evidence of a publication computed by this run, from its tables before they are stored."""
    chosen = tuple(indicators)
    trust_rows = {indicator: _as_rows(tables.get(BANDING_TABLES[indicator][0])) for indicator in chosen}
    return assemble_evidence(period_end, chosen, _as_rows(tables.get(CUSUM_PARAMETERS.name)),
                             _as_rows(tables.get(MONITORING_SIGNALS.name)), trust_rows)


def _q(name: str) -> str:
    return quote_identifier(name)


def load_published_evidence(store: ResultsStore, *, exclude: Iterable[Month] = ()) -> list[PublicationEvidence]:
    """The evidence of every published publication in the store (but those of ``exclude``), in period-end
    order. Only the charts the rules can use are read: every chart with a signal in some published publication
    (the rest can neither open nor continue an alert, nor serve as P⁻'s monitorable chart of a unit that signals)."""
    skipped = {str(month) for month in exclude}
    published = [p for p in list_publications(store) if p.status is PublicationStatus.PUBLISHED
                 and str(p.period_end) not in skipped]
    if not published:
        return []
    periods = [str(p.period_end) for p in published]
    marks = ", ".join("?" for _ in periods)
    key = (col.INDICATOR, col.PROVIDER_CODE, col.UNIT, col.CHART)
    signal_columns = (col.PERIOD_END, *key, col.SIGNAL_NUMBER, col.DATE, col.VALUE, col.OBSERVED, col.EXPECTED)
    signals = _select(store, MONITORING_SIGNALS.name, signal_columns, f"{_q(col.PERIOD_END)} IN ({marks})", periods)
    parameter_columns = (col.PERIOD_END, *key, col.MONITORABLE, col.H, col.ALPHA, col.ODDS_RATIO)
    matching = " AND ".join(f"s.{_q(name)} = p.{_q(name)}" for name in key)
    parameters = _select(
        store, CUSUM_PARAMETERS.name, parameter_columns,
        f"p.{_q(col.PERIOD_END)} IN ({marks}) AND p.{_q(col.CHART)} IN ('UP', 'DOWN') AND EXISTS (SELECT 1 FROM "
        f"{_q(MONITORING_SIGNALS.name)} s WHERE {matching} AND s.{_q(col.PERIOD_END)} IN ({marks}))",
        periods + periods, alias="p",
    )
    trust_rows: dict[Indicator, list[dict[str, Any]]] = {}
    for indicator, (table, banding, value) in BANDING_TABLES.items():
        columns = (col.PERIOD_END, col.PROVIDER_CODE, banding, value, col.OBSERVED, col.EXPECTED_ROUNDED)
        trust_rows[indicator] = _select(store, table, columns,
                                        f"{_q(col.PERIOD_END)} IN ({marks}) AND {_q(banding)} IN (1, 3)", periods)
    evidence = []
    for publication in published:
        period = str(publication.period_end)
        evidence.append(assemble_evidence(
            publication.period_end, publication.indicators,
            [r for r in parameters if r[col.PERIOD_END] == period], [r for r in signals if r[col.PERIOD_END] == period],
            {indicator: [r for r in rows if r[col.PERIOD_END] == period]
             for indicator, rows in trust_rows.items() if indicator in publication.indicators},
        ))
    return evidence


def _select(store: ResultsStore, table: str, columns: Sequence[str], where: str, parameters: Sequence[Any],
            alias: str = "") -> list[dict[str, Any]]:
    prefix = f"{alias}." if alias else ""
    sql = (f"SELECT {', '.join(prefix + _q(c) for c in columns)} FROM {_q(table)} {alias} WHERE {where}")
    return [dict(zip(columns, row, strict=True)) for row in store.backend.execute(sql, parameters)]


def rebuild_alert_register(store: ResultsStore) -> list[Alert]:
    """Recompute ``alert_register`` from the published publications in period-end order (§6.2 step 6) and
    replace its rows in one transaction; returns the register."""
    state = replay_register(load_published_evidence(store))
    rows = [alert.as_row() for alert in state.alerts]
    table = pa.Table.from_pylist(rows, schema=ALERT_REGISTER.arrow_schema())
    with store.backend.transaction():
        store.backend.execute(f"DELETE FROM {_q(ALERT_REGISTER.name)}")
        if rows:
            store.backend.insert_rows(ALERT_REGISTER, table)
    log.info("alert register: %d alerts, %d open", len(state.alerts),
             sum(1 for alert in state.alerts if alert.status.is_open))
    return state.alerts


def preview_rows(changes: Iterable[AlertChange]) -> list[dict[str, Any]]:
    """``alert_preview`` rows (without ``PERIOD_END``) of a publication's changes."""
    return [{**change.alert.as_row(), col.ACTION: change.action.value} for change in changes]


class AlertPreviewer:
    """The previews of a run's publications (§6.2 step 7), each computed as if it were published after its P⁻:
    the store's published publications (except those the run replaces) and the run's own publications that
    the run publishes, before it."""

    def __init__(self, published: Sequence[PublicationEvidence]) -> None:
        self._published = list(published)

    @classmethod
    def from_store(cls, location: str | Path, run_months: Iterable[Month]) -> AlertPreviewer:
        months = tuple(run_months)
        if isinstance(location, Path) and not location.exists():
            return cls([])
        with open_store(location) as store:
            return cls(load_published_evidence(store, exclude=months))

    def preview(self, period_end: Month, indicators: Iterable[Indicator], tables: Mapping[str, Any], *,
                published: bool) -> list[dict[str, Any]]:
        """The ``alert_preview`` rows of the publication; ``published`` adds it to the history of later ones."""
        evidence = evidence_from_tables(period_end, indicators, tables)
        changes = preview_publication(self._published, evidence)
        if published:
            self._published.append(evidence)
        return preview_rows(changes)


def read_register(store: ResultsStore) -> list[Alert]:
    """Every alert of the register."""
    columns = ALERT_REGISTER.column_names
    rows = store.backend.execute(f"SELECT {', '.join(_q(c) for c in columns)} FROM {_q(ALERT_REGISTER.name)}")
    return [Alert.from_row(dict(zip(columns, row, strict=True))) for row in rows]


def list_open_alerts_at(location: str | Path, trust: str | None = None) -> list[Alert]:
    """The open (``NEW`` and ``OPEN``) alerts of the register, ``NEW`` first, newest first (§6.2, §6.4)."""
    with open_store(location, read_only=True) as store:
        alerts = read_register(store)
    chosen = [alert for alert in alerts if trust is None or alert.provider_code == trust.strip().upper()]
    return sort_open_alerts(chosen)


def format_open_alerts(alerts: Sequence[Alert]) -> list[str]:
    """Lines of the ``hospmort alerts`` listing: mortality alerts, then positive signals (§6.1)."""
    if not alerts:
        return ["no open alerts"]
    lines = []
    for category in ("ALERT", "POSITIVE"):
        chosen = [a for a in alerts if a.category.value == category]
        if not chosen:
            continue
        lines.append("mortality alerts:" if category == "ALERT" else "positive signals (possible improvements):")
        for alert in chosen:
            expected = "" if alert.open_expected is None else f"{alert.open_expected:.2f}"
            value = "" if alert.open_value is None else f"{alert.open_value:.4g}"
            lines.append(
                f"  {alert.status.value:<4} {alert.alert_type.value:<16} {alert.provider_code:<5} {alert.unit:>5}  "
                f"opened {alert.opened_period}  last signal {alert.last_signal_month or '-'}  "
                f"signals {alert.signal_count}  misses {alert.misses}  O {alert.open_observed} E {expected}  "
                f"value {value}"
            )
    return lines

