"""SHMI scope and exclusions (shmi.md §5), their counts (§16.8) and the coverage checks of §3."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import duckdb
import pytest
from hes_builders import WINDOWS, load, measure, rows_of, spell, write_organisations

from hospmort.config import Month, Windows
from hospmort.errors import InputDataError
from hospmort.schema import ExclusionReason
from hospmort.shmi.scope import (
    ScopeReport,
    check_deaths_coverage,
    check_episode_coverage,
    check_spells_in_scope,
    classify_shmi_scope,
    latest_date_of_death,
    months_without_in_scope_spells,
)
from hospmort.spells import derive_provider_spells


def _scope(tmp_path: Path, spells: list[dict[str, str]], organisations: bool = True, windows: Windows = WINDOWS,
           deaths: list[tuple[str, str]] | None = None) -> tuple[duckdb.DuckDBPyConnection, ScopeReport]:
    orgs = write_organisations(tmp_path / "orgs.csv", acute=("RAA", "RBB"), other={"RSP": "specialist"})
    con, _ = load(tmp_path, spells, deaths=deaths or [], organisations=orgs if organisations else None)
    derive_provider_spells(con)
    return con, classify_shmi_scope(con, windows)


def _one(number: str, disdate: str = "2024-06-10", admidate: str = "2024-06-01", procode: str = "RAA",
         **fields: str) -> dict[str, str]:
    return spell(hesid="P1", procode=procode, spell_number=number, admidate=admidate, disdate=disdate, **fields)


def _reasons(con: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
    return {str(k): r for k, r in rows_of(con, "SELECT SPELL_KEY, EXCLUSION_REASON FROM shmi_scope")}


CASES = [
    # (spell number, fields, expected reason): each spell fails exactly the test named, or none
    ("IN", {}, None),
    ("NF_DISDATE", {"disdate": ""}, "NOT_FINISHED"),
    ("NF_DISMETH8", {"DISMETH": "8"}, "NOT_FINISHED"),
    ("NF_DISMETH9", {"DISMETH": "9"}, "NOT_FINISHED"),
    ("NF_DISMETH_EMPTY", {"DISMETH": ""}, "NOT_FINISHED"),
    ("NF_ADMIDATE", {"admidate": ""}, "NOT_FINISHED"),
    ("NF_ORDER", {"admidate": "2024-06-11"}, "NOT_FINISHED"),
    ("OW_BEFORE", {"admidate": "2021-12-20", "disdate": "2021-12-31"}, "OUTSIDE_WINDOW"),
    ("OW_FIRST_DAY", {"admidate": "2021-12-20", "disdate": "2022-01-01"}, None),
    ("OW_LAST_DAY", {"disdate": "2024-12-31", "admidate": "2024-12-30"}, None),
    ("OW_AFTER", {"disdate": "2025-01-01", "admidate": "2024-12-30"}, "OUTSIDE_WINDOW"),
    ("PC_DAY_CASE", {"CLASSPAT": "2"}, "PATIENT_CLASSIFICATION"),
    ("PC_3", {"CLASSPAT": "3"}, "PATIENT_CLASSIFICATION"),
    ("PC_4", {"CLASSPAT": "4"}, "PATIENT_CLASSIFICATION"),
    ("PC_8", {"CLASSPAT": "8"}, "PATIENT_CLASSIFICATION"),
    ("PC_EMPTY", {"CLASSPAT": ""}, "PATIENT_CLASSIFICATION"),
    ("PC_5", {"CLASSPAT": "5"}, None),
    ("SB", {"DISMETH": "5"}, "STILLBIRTH"),
    ("AGE_0", {"STARTAGE": "0"}, None),
    ("AGE_120", {"STARTAGE": "120"}, None),
    ("AGE_121", {"STARTAGE": "121"}, "AGE_NOT_KNOWN"),
    ("AGE_7001", {"STARTAGE": "7001"}, None),
    ("AGE_7007", {"STARTAGE": "7007"}, None),
    ("AGE_7008", {"STARTAGE": "7008"}, "AGE_NOT_KNOWN"),
    ("AGE_999", {"STARTAGE": "999"}, "AGE_NOT_KNOWN"),
    ("AGE_EMPTY", {"STARTAGE": ""}, "AGE_NOT_KNOWN"),
    ("AGE_MINUS", {"STARTAGE": "-1"}, "AGE_NOT_KNOWN"),
    ("SEX_2", {"SEX": "2"}, None),
    ("SEX_9", {"SEX": "9"}, "SEX_NOT_KNOWN"),
    ("SEX_X", {"SEX": "X"}, "SEX_NOT_KNOWN"),
    ("SEX_0", {"SEX": "0"}, "SEX_NOT_KNOWN"),
    ("AM_98", {"ADMIMETH": "98"}, "ADMIMETH_NOT_KNOWN"),
    ("AM_99", {"ADMIMETH": "99"}, "ADMIMETH_NOT_KNOWN"),
    ("AM_EMPTY", {"ADMIMETH": ""}, "ADMIMETH_NOT_KNOWN"),
    ("AM_BAD", {"ADMIMETH": "2E"}, "ADMIMETH_NOT_KNOWN"),
    ("AM_89", {"ADMIMETH": "89"}, None),
    ("PROV_SPECIALIST", {"procode": "RSP"}, "PROVIDER_NOT_IN_SCOPE"),
    ("PROV_UNKNOWN", {"procode": "RZZ"}, "PROVIDER_NOT_IN_SCOPE"),
]


def test_each_test_of_section_5_excludes_what_it_names(tmp_path: Path) -> None:
    spells = [_one(number, **fields) for number, fields, _ in CASES]
    con, _ = _scope(tmp_path, spells)
    found = {key.split("|")[2]: reason for key, reason in _reasons(con).items()}
    assert found == {number: reason for number, _, reason in CASES}


def test_a_spell_leaves_at_the_first_test_it_fails(tmp_path: Path) -> None:
    con, report = _scope(tmp_path, [
        _one("A", CLASSPAT="2", SEX="9", procode="RSP"),  # steps 3, 6, 8 -> 3
        _one("B", disdate="2025-02-01", DISMETH="5", STARTAGE="999"),  # steps 2, 4, 5 -> 2
        _one("C", DISMETH="9", CLASSPAT="9", disdate="2020-01-01", admidate="2020-01-01"),  # 1, 2, 3 -> 1
        _one("D", ADMIMETH="99", procode="RZZ"),  # 7, 8 -> 7
    ])
    assert rows_of(con, "SELECT SPELL_KEY, EXCLUSION_STEP, EXCLUSION_REASON, IN_SCOPE FROM shmi_scope "
                        "ORDER BY SPELL_KEY") == [
        ("P1|RAA|B", 2, "OUTSIDE_WINDOW", 0), ("P1|RAA|C", 1, "NOT_FINISHED", 0),
        ("P1|RSP|A", 3, "PATIENT_CLASSIFICATION", 0), ("P1|RZZ|D", 7, "ADMIMETH_NOT_KNOWN", 0)]
    assert report.spells_in_scope == 0


def test_exclusions_are_counted_per_trust_with_reporting_period_variants(tmp_path: Path) -> None:
    # reporting period of the 2024-12 publication: 2024-01-01 .. 2024-12-31
    _, report = _scope(tmp_path, [
        _one("R1"), _one("R2", procode="RBB"),
        _one("M1", admidate="2023-12-20", disdate="2023-12-31"),  # in scope, modelling window only
        _one("D1", CLASSPAT="2"), _one("D2", CLASSPAT="2", admidate="2023-05-01", disdate="2023-05-01"),
        _one("N1", disdate=""),
        _one("X1", procode="RZZ"),
    ])
    rows = report.rows
    assert measure(rows, "SPELLS_IN_SCOPE") == 3
    assert measure(rows, "SPELLS_IN_SCOPE_REPORTING") == 2
    assert measure(rows, "SPELLS_IN_SCOPE", "RBB") == 1
    assert measure(rows, "EXCL_3_PATIENT_CLASSIFICATION") == 2
    assert measure(rows, "EXCL_3_PATIENT_CLASSIFICATION_REPORTING") == 1
    assert measure(rows, "EXCL_1_NOT_FINISHED") == 1
    assert measure(rows, "EXCL_8_PROVIDER_NOT_IN_SCOPE", "RZZ") == 1
    assert {r.measure for r in rows if r.measure.startswith("EXCL_1") or r.measure.startswith("EXCL_2")} == {
        "EXCL_1_NOT_FINISHED", "EXCL_2_OUTSIDE_WINDOW"}  # no reporting variant for steps 1 and 2
    spells_built = 7
    exclusions = sum(measure(rows, reason.measure) for reason in ExclusionReason)
    assert exclusions + measure(rows, "SPELLS_IN_SCOPE") == spells_built
    assert report.codes_missing_from_organisations == ("RZZ",)


def test_second_episode_diagnoses_are_counted_on_in_scope_spells(tmp_path: Path) -> None:
    first = _one("S1", DIAG_4_01="R104", EPIORDER="1")
    second = {**_one("S1", DIAG_4_01="K359", EPIORDER="2")}
    out_of_scope = _one("S2", DIAG_4_01="R104", EPIORDER="1", CLASSPAT="2")
    out_second = {**_one("S2", DIAG_4_01="K359", EPIORDER="2", CLASSPAT="2")}
    _, report = _scope(tmp_path, [first, second, out_of_scope, out_second])
    assert measure(report.rows, "DIAG_SECOND_EPISODE_USED") == 1


def test_codes_missing_from_the_organisation_table_are_named_in_one_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="hospmort.shmi.scope"):
        _scope(tmp_path, [_one("S1", procode="RZZ"), _one("S2", procode="RYY"), _one("S3")])
    warnings = [r.getMessage() for r in caplog.records if r.name == "hospmort.shmi.scope"]
    assert len(warnings) == 1
    assert "RYY, RZZ" in warnings[0] and "P1" not in warnings[0]


def test_no_spell_in_scope_stops_and_asks_for_organisations_when_none_was_given(tmp_path: Path) -> None:
    _, report = _scope(tmp_path, [_one("S1")], organisations=False)
    with pytest.raises(InputDataError) as raised:
        check_spells_in_scope(report, organisations_given=False)
    assert "--organisations" in str(raised.value)
    assert raised.value.rule == "NO_TRUST_IN_SCOPE"
    _, report = _scope(tmp_path / "with", [_one("S1", CLASSPAT="2")])
    with pytest.raises(InputDataError) as raised:
        check_spells_in_scope(report, organisations_given=True)
    assert "--organisations" not in str(raised.value)


def test_episode_coverage_names_the_first_month_without_an_in_scope_spell(tmp_path: Path) -> None:
    windows = Windows(Month(2024, 3))  # modelling window 2021-04 .. 2024-03
    months = [Month(2021, 4).shift(i) for i in range(36)]
    spells = [_one(f"S{m}", admidate=f"{m}-01", disdate=f"{m}-02") for m in months
              if m not in (Month(2022, 7), Month(2023, 2))]
    spells.append(_one("DAYCASE", admidate="2022-07-01", disdate="2022-07-01", CLASSPAT="2"))
    con, _ = _scope(tmp_path, spells, windows=windows)
    assert months_without_in_scope_spells(con, windows) == (Month(2022, 7), Month(2023, 2))
    with pytest.raises(InputDataError) as raised:
        check_episode_coverage(con, windows)
    assert "2022-07" in str(raised.value) and raised.value.count == 2


def test_episode_coverage_passes_when_every_month_has_a_spell(tmp_path: Path) -> None:
    windows = Windows(Month(2024, 3))
    spells = [_one(f"S{m}", admidate=f"{m}-01", disdate=f"{m}-28") for m in (Month(2021, 4).shift(i)
                                                                             for i in range(36))]
    con, _ = _scope(tmp_path, spells, windows=windows)
    check_episode_coverage(con, windows)


def test_deaths_coverage_needs_the_last_day_of_the_period_plus_30_days(tmp_path: Path) -> None:
    windows = Windows(Month(2024, 12))
    check_deaths_coverage(windows, dt.date(2025, 1, 30))
    with pytest.raises(InputDataError) as raised:
        check_deaths_coverage(windows, dt.date(2025, 1, 29))
    assert "2025-01-29" in str(raised.value) and "2025-01-30" in str(raised.value)
    with pytest.raises(InputDataError):
        check_deaths_coverage(windows, None)


def test_the_latest_date_of_death_is_the_default_completeness_date(tmp_path: Path) -> None:
    con, _ = _scope(tmp_path, [_one("S1")], deaths=[("P1", "2024-07-01"), ("P2", "2025-02-03")])
    assert latest_date_of_death(con) == dt.date(2025, 2, 3)
