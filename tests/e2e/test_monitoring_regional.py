"""Monitoring on synthetic regional data with planted effects (statistics.md §3-§6; truth/trust_effects.csv).

A history run of three monthly publications (published) on ``hospmort synth --scale regional`` data:

* the trust planted with a rise part-way through (effect ``rising``, ``change_month``) signals on its upper
  charts within a few months of the rise, and holds an open ``SHMI_CUSUM_HIGH`` alert;
* the trust planted with a single-group problem (``single_group``) alerts in that group;
* false alarms among the null trusts' trust × group charts stay near the configured rate (printed; the note
  in the report gives the measured numbers);
* the register equals the replay of the stored published publications, and ``hospmort alerts`` lists it.
"""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from hospmort.config import Month, Windows
from hospmort.monitoring.alerts_store import load_published_evidence, read_register, rebuild_alert_register
from hospmort.monitoring.register import AlertStatus, replay_register
from hospmort.store import open_store, read_table

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

PERIOD_END = Month(2024, 12)
HISTORY = 3
ALPHA = 0.001
MONTHS_TO_ALERT = 3
"""The rising trust's first upper signal after the change (in any publication of the history) must come within
this many months of it, counting the change month."""


HOSPMORT = str(Path(sys.executable).with_name("hospmort"))


def hospmort(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HOSPMORT, *arguments], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def regional_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    base = tmp_path_factory.mktemp("monitoring-regional")
    data = base / "regional"
    made = hospmort("synth", "--out", str(data), "--scale", "regional")
    assert made.returncode == 0, made.stderr
    db = base / "results.duckdb"
    out = base / "out"
    run = hospmort("run", "--data", str(data), "--period-end", str(PERIOD_END), "--history", str(HISTORY),
                   "--db", str(db), "--out", str(out), "--publish", "--indicators", "shmi")
    assert run.returncode == 0, run.stderr[-3000:]
    return data, db, out


def planted(data: Path, kind: str) -> dict[str, str]:
    with (data / "truth" / "trust_effects.csv").open(newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["effect_kind"] == kind]
    assert rows, f"no {kind} trust in the synthetic truth"
    return rows[0]


def test_rising_trust_alerts_within_a_few_months_of_the_rise(regional_run: tuple[Path, Path, Path]) -> None:
    data, db, _ = regional_run
    rising = planted(data, "rising")
    code = rising["org_code"]
    change = Month.parse(rising["change_month"])
    with open_store(db, read_only=True) as store:
        signals = read_table(store, "monitoring_signals", where={"PROVIDER_CODE": code, "CHART": "UP",
                                                                  "INDICATOR": "SHMI"})
        register = read_register(store)
    after = sorted(s["DATE"] for s in signals if s["DATE"] >= change.first_day)
    assert after, f"{code}: no upper signal after the rise in {change}"
    print(f"{code}: rise in {change}, first upper signal {after[0]} (over the history's publications)")
    assert after[0] <= change.shift(MONTHS_TO_ALERT - 1).last_day, f"{code}: first signal {after[0]}"
    alerts = [a for a in register if a.provider_code == code and a.alert_type.value == "SHMI_CUSUM_HIGH"]
    assert any(a.status.is_open for a in alerts)
    first_period = Windows(PERIOD_END.shift(1 - HISTORY)).time_period
    assert any(a.opened_period == first_period for a in alerts), "the first publication after the rise alerts"


def test_single_group_trust_alerts_in_its_group(regional_run: tuple[Path, Path, Path]) -> None:
    data, db, _ = regional_run
    single = planted(data, "single_group")
    with open_store(db, read_only=True) as store:
        register = read_register(store)
    groups = {a.unit for a in register if a.provider_code == single["org_code"]
              and a.alert_type.value == "SHMI_CUSUM_HIGH"}
    assert single["diagnosis_group"] in groups


def test_false_alarms_among_null_trust_group_pairs_stay_near_alpha(regional_run: tuple[Path, Path, Path]) -> None:
    data, db, _ = regional_run
    with (data / "truth" / "trust_effects.csv").open(newline="") as handle:
        null_trusts = {row["org_code"] for row in csv.DictReader(handle) if row["effect_kind"] == "null"}
    with open_store(db, read_only=True) as store:
        charts = [r for r in read_table(store, "cusum_parameters", PERIOD_END, where={"INDICATOR": "SHMI"})
                  if r["PROVIDER_CODE"] in null_trusts and r["CHART"] in ("UP", "DOWN")]
    monitorable = [r for r in charts if r["MONITORABLE"] == 1]
    signalling = [r for r in monitorable if r["SIGNALS"] > 0]
    expected = ALPHA * len(monitorable)
    print(f"null trust x group charts: {len(charts)}, monitorable {len(monitorable)}, with a signal "
          f"{len(signalling)} (α·monitorable = {expected:.2f}): "
          + ", ".join(f"{r['PROVIDER_CODE']}/{r['UNIT']}/{r['CHART']}" for r in signalling))
    assert len(monitorable) > 500
    # The model is refitted on data that include the planted trusts, so null units are close to, not exactly,
    # in control; allow the Poisson spread of a count with mean 3α·monitorable.
    assert len(signalling) <= 3 * expected + 3 * (3 * expected) ** 0.5 + 1


def test_register_is_the_replay_of_the_published_publications_and_is_listed(
        regional_run: tuple[Path, Path, Path]) -> None:
    _, db, out = regional_run
    with open_store(db, read_only=True) as store:
        stored = read_register(store)
        replayed = replay_register(load_published_evidence(store)).alerts
        previews = read_table(store, "alert_preview", PERIOD_END)
        points = read_table(store, "monitoring_points", PERIOD_END, where={"UNIT": "TRUST"})
    assert sorted(stored, key=lambda a: a.alert_id) == sorted(replayed, key=lambda a: a.alert_id)
    new_in_last = {a.alert_id for a in stored if a.status is AlertStatus.NEW}
    assert new_in_last == {p["ALERT_ID"] for p in previews if p["ACTION"] == "OPENED"}
    assert all(p["DATE"] >= dt.date(2024, 1, 1) for p in points)
    listing = hospmort("alerts", "--db", str(db))
    assert listing.returncode == 0, listing.stderr
    for alert in stored:
        if alert.status.is_open:
            assert alert.alert_id.split("-")[0] in listing.stdout
    with open_store(db) as store:
        assert sorted(rebuild_alert_register(store), key=lambda a: a.alert_id) == sorted(
            stored, key=lambda a: a.alert_id)
    internal = out / "internal"
    assert (internal / "SHMI_cusum_parameters_JAN24_DEC24.csv").is_file()
