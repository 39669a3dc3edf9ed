"""The alert register: opening and persistence conditions, life cycle, replay and preview (statistics.md §6)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hospmort import schema as col
from hospmort.config import Month
from hospmort.monitoring.alerts_store import assemble_evidence
from hospmort.monitoring.charts import run_cusum
from hospmort.monitoring.register import (
    Alert,
    AlertAction,
    AlertStatus,
    AlertType,
    BandingEvidence,
    ChartEvidence,
    PublicationEvidence,
    RegisterState,
    SignalEvidence,
    alert_id,
    apply_publication,
    is_closed_alert_shown,
    period_end_of,
    preview_publication,
    qualifying_signals,
    replay_register,
    sort_open_alerts,
)
from hospmort.monitoring.weights import compute_cusum_weights
from hospmort.store.tables import Indicator

BOTH = frozenset({Indicator.SHMI, Indicator.HSMR})
SHMI_ONLY = frozenset({Indicator.SHMI})
HSMR_HIGH_RAA = (AlertType.HSMR_HIGH, "RAA", "TRUST")


def banding_publication(month: Month, banding: int, indicators: frozenset[Indicator] = BOTH) -> PublicationEvidence:
    bandings = {HSMR_HIGH_RAA: BandingEvidence(120, 100.0, 120.0)} if banding == 1 else {}
    return PublicationEvidence(month, indicators, {}, bandings)


def latest_alert(state: RegisterState, key: tuple[AlertType, str, str]) -> Alert:
    return [alert for alert in state.alerts if alert.key == key][-1]


def test_hsmr_high_example_of_section_6_5() -> None:
    bandings = [1, 1, 1, 2, 1, 2, 2, 2, 1]
    expected = [("NEW", 0, 1), ("OPEN", 0, 2), ("OPEN", 0, 3), ("OPEN", 1, 3), ("OPEN", 0, 4), ("OPEN", 1, 4),
                ("OPEN", 2, 4), ("CLOSED", 3, 4), ("NEW", 0, 1)]
    state = RegisterState()
    for number, (banding, (status, misses, count)) in enumerate(zip(bandings, expected, strict=True), start=1):
        apply_publication(state, banding_publication(Month(2025, number), banding))
        alert = latest_alert(state, HSMR_HIGH_RAA)
        assert (alert.status.value, alert.misses, alert.signal_count) == (status, misses, count), number
    first, second = [a for a in state.alerts if a.key == HSMR_HIGH_RAA]
    assert first.alert_id == "HSMR_HIGH-RAA-TRUST-FEB24_JAN25"
    assert first.alert_id == alert_id(AlertType.HSMR_HIGH, "RAA", "TRUST", "FEB24_JAN25")
    assert first.closed_period == "SEP24_AUG25"
    assert first.close_reason == "CONDITION_ABSENT_3_RUNS"
    assert first.last_condition_period == "JUN24_MAY25"
    assert first.last_signal_month == "2025-05"
    assert second.alert_id == "HSMR_HIGH-RAA-TRUST-OCT24_SEP25"
    assert (first.open_observed, first.open_expected, first.open_value) == (120, 100.0, 120.0)
    assert first.category.value == "ALERT"


def cusum_rows(indicator: str, provider: str, unit: str, chart: str, days: list[dt.date], path_signals: list[
        tuple[int, float, int, float]], *, monitorable: int = 1, threshold: float | None = 1.5) -> tuple[
        list[dict[str, object]], list[dict[str, object]]]:
    """Stored-table rows (cusum_parameters, monitoring_signals) of one chart."""
    parameters = [{col.INDICATOR: indicator, col.PROVIDER_CODE: provider, col.UNIT: unit, col.CHART: chart,
                   col.MONITORABLE: monitorable, col.H: threshold, col.ALPHA: 0.001,
                   col.ODDS_RATIO: 2.0 if chart == "UP" else 0.5}]
    signals = [{col.INDICATOR: indicator, col.PROVIDER_CODE: provider, col.UNIT: unit, col.CHART: chart,
                col.SIGNAL_NUMBER: number, col.DATE: days[position], col.VALUE: value, col.OBSERVED: observed,
                col.EXPECTED: expected}
               for number, (position, value, observed, expected) in enumerate(path_signals, start=1)]
    return parameters, signals


def test_cusum_alert_opened_by_vector_5_carries_its_signal_evidence() -> None:
    risks = np.array([0.05, 0.10, 0.20, 0.05, 0.30, 0.10, 0.05, 0.15, 0.02, 0.02])
    outcomes = np.array([0, 1, 0, 1, 1, 0, 1, 0, 0, 0])
    path = run_cusum(compute_cusum_weights(risks, outcomes, 2.0), 1.5, risks, outcomes)
    days = [dt.date(2025, 3, 1) + dt.timedelta(days=10 * k) for k in range(10)]
    parameters, signals = cusum_rows("HSMR", "RAA", "122", "UP", days,
                                     [(s.position, s.value, s.observed, s.expected) for s in path.signals])
    evidence = assemble_evidence(Month(2025, 12), BOTH, parameters, signals, {})
    state = replay_register([evidence])
    (alert,) = state.alerts
    assert alert.alert_id == "HSMR_CUSUM_HIGH-RAA-122-JAN25_DEC25"
    assert alert.signal_count == 1
    assert alert.open_observed == 4
    assert alert.open_expected == pytest.approx(0.85, rel=1e-12)
    assert alert.open_value == pytest.approx(2.03970, rel=1e-5)
    assert (alert.threshold, alert.alpha, alert.odds_ratio) == (1.5, 0.001, 2.0)
    assert alert.last_signal_month == "2025-04"  # record 7 ends on 2025-04-30
    assert alert.status is AlertStatus.NEW


def chart_publication(month: Month, signal_days: list[dt.date], *, monitorable: bool = True,
                      indicators: frozenset[Indicator] = BOTH,
                      key: tuple[AlertType, str, str] = (AlertType.SHMI_CUSUM_HIGH, "RAB", "101")
                      ) -> PublicationEvidence:
    signals = tuple(SignalEvidence(day, 2.0 + k, 5 + k, 1.0 + k) for k, day in enumerate(signal_days))
    return PublicationEvidence(month, indicators, {key: ChartEvidence(monitorable, 2.0 if monitorable else None,
                                                                      0.001, 2.0, signals)})


def test_only_signals_after_the_previous_publication_qualify() -> None:
    key = (AlertType.SHMI_CUSUM_HIGH, "RAB", "101")
    previous = chart_publication(Month(2025, 1), [])
    current = chart_publication(Month(2025, 2), [dt.date(2025, 1, 31), dt.date(2025, 2, 1)])
    assert [s.date for s in qualifying_signals(key, current, previous)] == [dt.date(2025, 2, 1)]
    not_monitorable = chart_publication(Month(2025, 1), [], monitorable=False)
    assert len(qualifying_signals(key, current, not_monitorable)) == 2
    assert len(qualifying_signals(key, current, None)) == 2
    other_unit = PublicationEvidence(Month(2025, 1), BOTH, {})
    assert len(qualifying_signals(key, current, other_unit)) == 2


def test_a_signal_seen_again_in_later_windows_keeps_the_alert_open_without_counting_twice() -> None:
    key = (AlertType.SHMI_CUSUM_HIGH, "RAB", "101")
    day = dt.date(2025, 1, 15)
    state = RegisterState()
    apply_publication(state, chart_publication(Month(2025, 1), [day]))
    for month in range(2, 13):  # the same signal stays in the 12-month window
        changes = apply_publication(state, chart_publication(Month(2025, month), [day]))
        assert [c.action for c in changes] == [AlertAction.PERSISTED]
    alert = latest_alert(state, key)
    assert (alert.status, alert.signal_count, alert.misses) == (AlertStatus.OPEN, 1, 0)
    for month, misses in [(1, 1), (2, 2)]:  # the signal has left the window
        apply_publication(state, chart_publication(Month(2026, month), []))
        assert (latest_alert(state, key).status, latest_alert(state, key).misses) == (AlertStatus.OPEN, misses)
    changes = apply_publication(state, chart_publication(Month(2026, 3), []))
    assert [c.action for c in changes] == [AlertAction.CLOSED]
    alert = latest_alert(state, key)
    assert (alert.status, alert.closed_period, alert.last_condition_period) == (
        AlertStatus.CLOSED, "APR25_MAR26", "JAN25_DEC25")


def test_new_signals_after_the_previous_period_end_repeat_the_alert() -> None:
    key = (AlertType.SHMI_CUSUM_HIGH, "RAB", "101")
    state = RegisterState()
    apply_publication(state, chart_publication(Month(2025, 1), [dt.date(2025, 1, 10)]))
    changes = apply_publication(state, chart_publication(Month(2025, 2), [dt.date(2025, 1, 10),
                                                                          dt.date(2025, 2, 3),
                                                                          dt.date(2025, 2, 20)]))
    assert [c.action for c in changes] == [AlertAction.REPEATED]
    alert = latest_alert(state, key)
    assert (alert.signal_count, alert.last_signal_month, alert.status) == (3, "2025-02", AlertStatus.OPEN)


def test_publications_without_the_hsmr_change_nothing_in_hsmr_alerts() -> None:
    state = RegisterState()
    apply_publication(state, banding_publication(Month(2025, 1), 1))
    for month in (2, 3, 4, 5):
        assert apply_publication(state, banding_publication(Month(2025, month), 2, SHMI_ONLY)) == []
    alert = latest_alert(state, HSMR_HIGH_RAA)
    assert (alert.status, alert.misses) == (AlertStatus.NEW, 0)
    apply_publication(state, banding_publication(Month(2025, 6), 2))
    alert = latest_alert(state, HSMR_HIGH_RAA)
    assert (alert.status, alert.misses) == (AlertStatus.OPEN, 1)


def test_the_previous_publication_for_hsmr_types_is_the_latest_carrying_the_hsmr() -> None:
    key = (AlertType.HSMR_CUSUM_HIGH, "RAB", "122")
    state = RegisterState()
    apply_publication(state, chart_publication(Month(2025, 1), [], key=key))
    apply_publication(state, chart_publication(Month(2025, 2), [], key=key, indicators=SHMI_ONLY))
    changes = apply_publication(state, chart_publication(Month(2025, 3), [dt.date(2025, 2, 10)], key=key))
    assert len(changes) == 1
    assert changes[0].action is AlertAction.OPENED  # after JAN's period end, so it qualifies


def test_preview_changes_nothing_and_ignores_later_publications() -> None:
    published = [banding_publication(Month(2025, m), b) for m, b in [(1, 1), (2, 2), (4, 1)]]
    draft = banding_publication(Month(2025, 3), 2)
    changes = preview_publication(published, draft)
    assert [(c.action, c.alert.misses) for c in changes] == [(AlertAction.MISSED, 2)]
    assert replay_register(published).alerts == replay_register(list(published)).alerts


def evidence_strategy() -> st.SearchStrategy[list[PublicationEvidence]]:
    keys = [(AlertType.SHMI_HIGH, "RAA", "TRUST"), (AlertType.SHMI_LOW, "RAB", "TRUST")]
    chart_key = (AlertType.SHMI_CUSUM_HIGH, "RAC", "5")

    @st.composite
    def publications(draw: st.DrawFn) -> list[PublicationEvidence]:
        months = sorted(draw(st.sets(st.integers(0, 30), min_size=1, max_size=12)))
        result = []
        for index in months:
            month = Month(2024, 1).shift(index)
            bandings = {k: BandingEvidence(10, 8.0, 1.25) for k in keys if draw(st.booleans())}
            day_offsets = draw(st.lists(st.integers(0, 364), max_size=3))
            days = sorted(month.shift(-11).first_day + dt.timedelta(days=d) for d in day_offsets)
            charts = {chart_key: ChartEvidence(draw(st.booleans()) or bool(days), 2.0, 0.001, 2.0,
                                               tuple(SignalEvidence(d, 2.5, 3, 1.0) for d in days))}
            result.append(PublicationEvidence(month, BOTH, charts, bandings))
        return result

    return publications()


@settings(max_examples=60, deadline=None)
@given(evidence_strategy(), st.randoms())
def test_replay_does_not_depend_on_the_order_publications_are_given(publications: list[PublicationEvidence],
                                                                    shuffler: object) -> None:
    shuffled = list(publications)
    shuffler.shuffle(shuffled)  # type: ignore[attr-defined]
    assert replay_register(shuffled).alerts == replay_register(publications).alerts


@settings(max_examples=60, deadline=None)
@given(evidence_strategy())
def test_register_invariants_hold_after_every_publication(publications: list[PublicationEvidence]) -> None:
    state = RegisterState()
    for publication in publications:
        previews = preview_publication(publications, publication)
        changes = apply_publication(state, publication)
        assert changes == previews  # a draft's preview is what publishing it after P⁻ does
        open_keys = [a.key for a in state.alerts if a.status.is_open]
        assert len(open_keys) == len(set(open_keys))  # one open alert per key
        assert all(a.misses < 3 for a in state.alerts if a.status.is_open)
        assert all(a.status is AlertStatus.OPEN for a in state.alerts
                   if a.status.is_open and a.opened_period != publication.time_period)


def test_open_alerts_are_listed_new_first_then_newest_first() -> None:
    def alert(kind: AlertType, status: AlertStatus, period: str, unit: str = "TRUST") -> Alert:
        return Alert(alert_id(kind, "RAA", unit, period), kind, "RAA", unit, status, period, period, None, 1, 0)

    alerts = [alert(AlertType.SHMI_HIGH, AlertStatus.OPEN, "JAN24_DEC24"),
              alert(AlertType.SHMI_CUSUM_HIGH, AlertStatus.OPEN, "FEB24_JAN25", "12"),
              alert(AlertType.HSMR_HIGH, AlertStatus.NEW, "MAR24_FEB25"),
              alert(AlertType.HSMR_LOW, AlertStatus.CLOSED, "MAR24_FEB25")]
    assert [a.alert_type for a in sort_open_alerts(alerts)] == [AlertType.HSMR_HIGH, AlertType.SHMI_CUSUM_HIGH,
                                                              AlertType.SHMI_HIGH]


def test_closed_alerts_stay_visible_for_12_months_after_their_closing_period() -> None:
    closed = Alert("x", AlertType.SHMI_HIGH, "RAA", "TRUST", AlertStatus.CLOSED, "JAN24_DEC24", None, None, 1, 3,
                   closed_period="JAN25_DEC25")
    assert period_end_of("JAN25_DEC25") == Month(2025, 12)
    assert period_end_of("FEB25_JAN26") == Month(2026, 1)
    assert is_closed_alert_shown(closed, Month(2026, 12))
    assert not is_closed_alert_shown(closed, Month(2027, 1))


def test_alert_types_know_their_indicator_category_chart_and_banding() -> None:
    assert AlertType.HSMR_CUSUM_LOW.indicator is Indicator.HSMR
    assert AlertType.HSMR_CUSUM_LOW.category.value == "POSITIVE"
    assert AlertType.SHMI_CUSUM_HIGH.chart is not None and AlertType.SHMI_CUSUM_HIGH.chart.value == "UP"
    assert AlertType.SHMI_LOW.banding == 3
    assert AlertType.SHMI_HIGH.chart is None
