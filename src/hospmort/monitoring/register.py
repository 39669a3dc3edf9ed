"""The alert register: alert types, their conditions, the life cycle, replay and drafts' preview (statistics.md §6).

The register is a function of the **published** publications taken in period-end order (§6.2 step 6): this
module computes it from each publication's *evidence* (its CUSUM charts and signals, and its trusts' bandings)
with pure functions, :func:`replay_register` and :func:`preview_publication`. Reading the evidence from the
results store and writing the register back are in :mod:`hospmort.monitoring.alerts_store`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from hospmort import schema as col
from hospmort.config import Month, Windows
from hospmort.monitoring.compute import Chart
from hospmort.store.tables import Indicator

MISSES_TO_CLOSE = 3
"""An open alert closes when its persistence condition has been absent in 3 publications in a row (§6.2 step 5)."""
CLOSE_REASON_ABSENT = "CONDITION_ABSENT_3_RUNS"


class AlertCategory(StrEnum):
    """``ALERT`` rows are mortality alerts; ``POSITIVE`` rows possible improvements (§6.1)."""

    ALERT = "ALERT"
    POSITIVE = "POSITIVE"


class AlertStatus(StrEnum):
    """``NEW`` (raised by the latest publication), ``OPEN``, ``CLOSED``; open means NEW or OPEN (§6.2)."""

    NEW = "NEW"
    OPEN = "OPEN"
    CLOSED = "CLOSED"

    @property
    def is_open(self) -> bool:
        return self is not AlertStatus.CLOSED


class AlertAction(StrEnum):
    """What one publication did to an alert (the ``ACTION`` of a preview row)."""

    OPENED = "OPENED"
    REPEATED = "REPEATED"
    """The condition held and qualifying signals (or the banding) were added to ``SIGNAL_COUNT``."""
    PERSISTED = "PERSISTED"
    """The persistence condition held, with no new qualifying signal."""
    MISSED = "MISSED"
    CLOSED = "CLOSED"


class AlertType(StrEnum):
    """The alert types of statistics.md §6.1."""

    SHMI_CUSUM_HIGH = "SHMI_CUSUM_HIGH"
    SHMI_CUSUM_LOW = "SHMI_CUSUM_LOW"
    HSMR_CUSUM_HIGH = "HSMR_CUSUM_HIGH"
    HSMR_CUSUM_LOW = "HSMR_CUSUM_LOW"
    HSMR_HIGH = "HSMR_HIGH"
    HSMR_LOW = "HSMR_LOW"
    SHMI_HIGH = "SHMI_HIGH"
    SHMI_LOW = "SHMI_LOW"

    @property
    def indicator(self) -> Indicator:
        return Indicator.SHMI if self.value.startswith("SHMI") else Indicator.HSMR

    @property
    def category(self) -> AlertCategory:
        return AlertCategory.ALERT if self.value.endswith("HIGH") else AlertCategory.POSITIVE

    @property
    def chart(self) -> Chart | None:
        """The CUSUM chart of a CUSUM type (``UP`` for HIGH, ``DOWN`` for LOW), None for a banding type."""
        if "_CUSUM_" not in self.value:
            return None
        return Chart.UP if self.value.endswith("HIGH") else Chart.DOWN

    @property
    def banding(self) -> int | None:
        """The banding of a banding type's condition: 1 for HIGH, 3 for LOW (§6.1)."""
        if self.chart is not None:
            return None
        return 1 if self.value.endswith("HIGH") else 3

    @classmethod
    def of_chart(cls, indicator: Indicator, chart: Chart) -> AlertType:
        return cls(f"{indicator.value}_CUSUM_{'HIGH' if chart is Chart.UP else 'LOW'}")

    @classmethod
    def of_banding(cls, indicator: Indicator, banding: int) -> AlertType:
        return cls(f"{indicator.value}_{'HIGH' if banding == 1 else 'LOW'}")


AlertKey = tuple[AlertType, str, str]
"""(``TYPE``, ``PROVIDER_CODE``, ``UNIT``): one alert per key at a time (§6.2)."""


@dataclass(frozen=True)
class SignalEvidence:
    """A stored signal (§3.4): end date of the signalling record, chart value before the reset, O and Σ p since
    the chart's previous reset."""

    date: dt.date
    value: float
    observed: int
    expected: float


@dataclass(frozen=True)
class ChartEvidence:
    """A CUSUM chart of one publication: monitorable, its h, α and R, and its signals in chart order."""

    monitorable: bool
    threshold: float | None
    alpha: float
    odds_ratio: float
    signals: tuple[SignalEvidence, ...] = ()


@dataclass(frozen=True)
class BandingEvidence:
    """A trust whose banding meets a banding type's condition: O, E2 (SHMI) or E2* (HSMR), and the value."""

    observed: int
    expected: float
    value: float


@dataclass(frozen=True)
class PublicationEvidence:
    """What the register needs of one publication: period end, indicators carried, its CUSUM charts (every
    monitorable chart, and every chart with a signal) and the trusts meeting a banding condition."""

    period_end: Month
    indicators: frozenset[Indicator]
    charts: Mapping[AlertKey, ChartEvidence] = field(default_factory=dict)
    bandings: Mapping[AlertKey, BandingEvidence] = field(default_factory=dict)

    @property
    def time_period(self) -> str:
        return Windows(self.period_end).time_period


@dataclass(frozen=True)
class Alert:
    """One row of the register (statistics.md §6.3)."""

    alert_id: str
    alert_type: AlertType
    provider_code: str
    unit: str
    status: AlertStatus
    opened_period: str
    last_condition_period: str | None
    last_signal_month: str | None
    signal_count: int
    misses: int
    closed_period: str | None = None
    close_reason: str | None = None
    open_observed: int | None = None
    open_expected: float | None = None
    open_value: float | None = None
    threshold: float | None = None
    alpha: float | None = None
    odds_ratio: float | None = None

    @property
    def key(self) -> AlertKey:
        return (self.alert_type, self.provider_code, self.unit)

    @property
    def category(self) -> AlertCategory:
        return self.alert_type.category

    def as_row(self) -> dict[str, Any]:
        """The register row, keyed by the §6.3 field names."""
        return {
            col.ALERT_ID: self.alert_id, col.ALERT_TYPE: self.alert_type.value, col.CATEGORY: self.category.value,
            col.PROVIDER_CODE: self.provider_code, col.UNIT: self.unit, col.STATUS: self.status.value,
            col.OPENED_PERIOD: self.opened_period, col.LAST_CONDITION_PERIOD: self.last_condition_period,
            col.LAST_SIGNAL_MONTH: self.last_signal_month, col.SIGNAL_COUNT: self.signal_count,
            col.MISSES: self.misses, col.CLOSED_PERIOD: self.closed_period, col.CLOSE_REASON: self.close_reason,
            col.OPEN_OBSERVED: self.open_observed, col.OPEN_EXPECTED: self.open_expected,
            col.OPEN_VALUE: self.open_value, col.H: self.threshold, col.ALPHA: self.alpha,
            col.ODDS_RATIO: self.odds_ratio,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Alert:
        return cls(
            alert_id=row[col.ALERT_ID], alert_type=AlertType(row[col.ALERT_TYPE]),
            provider_code=row[col.PROVIDER_CODE], unit=row[col.UNIT], status=AlertStatus(row[col.STATUS]),
            opened_period=row[col.OPENED_PERIOD], last_condition_period=row[col.LAST_CONDITION_PERIOD],
            last_signal_month=row[col.LAST_SIGNAL_MONTH], signal_count=int(row[col.SIGNAL_COUNT]),
            misses=int(row[col.MISSES]), closed_period=row[col.CLOSED_PERIOD], close_reason=row[col.CLOSE_REASON],
            open_observed=row[col.OPEN_OBSERVED], open_expected=row[col.OPEN_EXPECTED],
            open_value=row[col.OPEN_VALUE], threshold=row[col.H], alpha=row[col.ALPHA],
            odds_ratio=row[col.ODDS_RATIO],
        )


@dataclass(frozen=True)
class AlertChange:
    """An alert after a publication, and what that publication did to it."""

    alert: Alert
    action: AlertAction


def alert_id(alert_type: AlertType, provider_code: str, unit: str, time_period: str) -> str:
    """``<TYPE>-<PROVIDER_CODE>-<UNIT>-<TIME_PERIOD>`` (§6.2 step 1)."""
    return f"{alert_type.value}-{provider_code}-{unit}-{time_period}"


def qualifying_signals(key: AlertKey, publication: PublicationEvidence,
                       previous: PublicationEvidence | None) -> tuple[SignalEvidence, ...]:
    """The signals of a CUSUM type that meet its opening condition in P (§6.1).

    A signal on a record whose end date is later than P⁻'s period end; every signal of P's reporting period
    when there is no P⁻ or P⁻ has no monitorable chart of that kind for the unit.
    """
    chart = publication.charts.get(key)
    if chart is None or not chart.signals:
        return ()
    before = previous.charts.get(key) if previous is not None else None
    if previous is None or before is None or not before.monitorable:
        return chart.signals
    cutoff = previous.period_end.last_day
    return tuple(signal for signal in chart.signals if signal.date > cutoff)


def persistence_holds(key: AlertKey, publication: PublicationEvidence) -> bool:
    """The persistence condition of §6.1 in P: a signal anywhere in P's chart, or the banding condition."""
    if key[0].chart is not None:
        chart = publication.charts.get(key)
        return chart is not None and bool(chart.signals)
    return key in publication.bandings


def _month(day: dt.date) -> str:
    return str(Month.of(day))


def _open_alert(key: AlertKey, publication: PublicationEvidence,
                qualifying: Sequence[SignalEvidence]) -> Alert | None:
    """A new alert when the opening condition holds in P (§6.2 step 1), else None."""
    alert_type, provider, unit = key
    period = publication.time_period
    identity = alert_id(alert_type, provider, unit, period)
    if alert_type.chart is not None:
        if not qualifying:
            return None
        chart = publication.charts[key]
        first = qualifying[0]
        return Alert(identity, alert_type, provider, unit, AlertStatus.NEW, period, period,
                     _month(qualifying[-1].date), len(qualifying), 0, open_observed=first.observed,
                     open_expected=first.expected, open_value=first.value, threshold=chart.threshold,
                     alpha=chart.alpha, odds_ratio=chart.odds_ratio)
    banding = publication.bandings.get(key)
    if banding is None:
        return None
    return Alert(identity, alert_type, provider, unit, AlertStatus.NEW, period, period, str(publication.period_end),
                 1, 0, open_observed=banding.observed, open_expected=banding.expected, open_value=banding.value)


def _update_open_alert(alert: Alert, publication: PublicationEvidence,
                       qualifying: Sequence[SignalEvidence]) -> AlertChange:
    """Age, repeat, count misses and close an open alert with publication P (§6.2 steps 2-5)."""
    period = publication.time_period
    held = persistence_holds(alert.key, publication)
    if alert.alert_type.chart is not None:
        added = len(qualifying)
        last_signal = _month(qualifying[-1].date) if qualifying else alert.last_signal_month
    else:
        added = 1 if held else 0
        last_signal = str(publication.period_end) if held else alert.last_signal_month
    misses = 0 if held else alert.misses + 1
    updated = replace(
        alert, status=AlertStatus.OPEN, signal_count=alert.signal_count + added, misses=misses,
        last_signal_month=last_signal, last_condition_period=period if held else alert.last_condition_period,
    )
    if misses >= MISSES_TO_CLOSE:
        return AlertChange(replace(updated, status=AlertStatus.CLOSED, closed_period=period,
                                   close_reason=CLOSE_REASON_ABSENT), AlertAction.CLOSED)
    if added:
        return AlertChange(updated, AlertAction.REPEATED)
    return AlertChange(updated, AlertAction.PERSISTED if held else AlertAction.MISSED)


@dataclass
class RegisterState:
    """The register after a sequence of published publications: every alert (open and closed), and per
    indicator the latest publication carrying it (P⁻ of the next publication, §6.1)."""

    alerts: list[Alert] = field(default_factory=list)
    previous: dict[Indicator, PublicationEvidence] = field(default_factory=dict)

    def open_alerts(self) -> dict[AlertKey, int]:
        """Position in :attr:`alerts` of the open alert of each key."""
        return {alert.key: index for index, alert in enumerate(self.alerts) if alert.status.is_open}


def changes_of_publication(state: RegisterState, publication: PublicationEvidence) -> list[AlertChange]:
    """What publishing P after the state's publications does (§6.2 steps 1-5): every alert it opens, and every
    open alert of an indicator P carries, updated. Alerts of an indicator P does not carry are untouched
    (a publication stored without the HSMR changes nothing in the HSMR alerts; §6.1)."""
    open_positions = state.open_alerts()
    keys: set[AlertKey] = {key for key in open_positions if key[0].indicator in publication.indicators}
    keys.update(key for key, chart in publication.charts.items() if chart.signals)
    keys.update(publication.bandings)
    changes: list[AlertChange] = []
    for key in sorted(keys):
        indicator = key[0].indicator
        if indicator not in publication.indicators:
            continue
        qualifying = (qualifying_signals(key, publication, state.previous.get(indicator))
                      if key[0].chart is not None else ())
        if key in open_positions:
            changes.append(_update_open_alert(state.alerts[open_positions[key]], publication, qualifying))
            continue
        opened = _open_alert(key, publication, qualifying)
        if opened is not None:
            changes.append(AlertChange(opened, AlertAction.OPENED))
    return changes


def apply_publication(state: RegisterState, publication: PublicationEvidence) -> list[AlertChange]:
    """Update ``state`` with published publication P; returns P's changes."""
    changes = changes_of_publication(state, publication)
    open_positions = state.open_alerts()
    for change in changes:
        position = open_positions.get(change.alert.key)
        if position is not None and change.action is not AlertAction.OPENED:
            state.alerts[position] = change.alert
        else:
            state.alerts.append(change.alert)
    for indicator in publication.indicators:
        state.previous[indicator] = publication
    return changes


def replay_register(publications: Iterable[PublicationEvidence]) -> RegisterState:
    """The register from the published publications, taken in period-end order from the first (§6.2 step 6)."""
    state = RegisterState()
    for publication in sorted(publications, key=lambda p: p.period_end):
        apply_publication(state, publication)
    return state


def preview_publication(published: Iterable[PublicationEvidence],
                        draft: PublicationEvidence) -> list[AlertChange]:
    """The alerts a publication would open, repeat, age or close if it were published after P⁻, by the same
    rules, without changing the register (§6.2 step 7). ``published`` are the published publications; those
    from the draft's period end on are ignored."""
    state = replay_register(p for p in published if p.period_end < draft.period_end)
    return changes_of_publication(state, draft)


def sort_open_alerts(alerts: Iterable[Alert]) -> list[Alert]:
    """Open alerts, ``NEW`` then ``OPEN``, newest first (§6.4), then by type, trust and unit."""
    chosen = [alert for alert in alerts if alert.status.is_open]
    return sorted(chosen, key=lambda a: (a.status is not AlertStatus.NEW, -_period_index(a.opened_period),
                                         a.alert_type.value, a.provider_code, _unit_order(a.unit)))


def _unit_order(unit: str) -> tuple[int, str]:
    return (int(unit), "") if unit.isdigit() else (-1, unit)


_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def period_end_of(time_period: str) -> Month:
    """The period-end month of a ``TIME_PERIOD`` label: ``JAN25_DEC25`` → 2025-12."""
    last = time_period.split("_")[-1]
    return Month(2000 + int(last[3:]), _MONTHS.index(last[:3]) + 1)


def _period_index(time_period: str) -> int:
    month = period_end_of(time_period)
    return month.year * 12 + month.month


def is_closed_alert_shown(alert: Alert, shown_period_end: Month) -> bool:
    """A closed alert stays visible while the publication shown ends at most 12 months after the last month
    of its ``CLOSED_PERIOD`` (§6.4)."""
    if alert.closed_period is None:
        return True
    return period_end_of(alert.closed_period).months_until(shown_period_end) <= 12
