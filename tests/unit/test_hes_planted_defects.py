"""Every kind of defect the synthetic generator plants (``hospmort.synth.defects``), hand-built here, and what
reading, validation, spells and scope make of it (data contract §4, shmi.md §4, §5, §7.1)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hes_builders import WINDOWS, episode, load, measure, rows_of, spell, write_organisations

from hospmort.hes import InputReport
from hospmort.schema import ContractRule
from hospmort.shmi.scope import classify_shmi_scope
from hospmort.spells import derive_provider_spells


def _run(tmp_path: Path, episodes: list[dict[str, str]]) -> tuple[duckdb.DuckDBPyConnection, InputReport]:
    con, report = load(tmp_path, episodes, organisations=write_organisations(tmp_path / "orgs.csv"))
    derive_provider_spells(con)
    classify_shmi_scope(con, WINDOWS)
    return con, report


def _reason(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return rows_of(con, "SELECT SPELL_KEY, EXCLUSION_REASON FROM shmi_scope ORDER BY SPELL_KEY")


@pytest.mark.parametrize("sex", ["9", "0", "X"])
def test_unknown_sex_is_a_valid_code_and_the_spell_is_excluded(tmp_path: Path, sex: str) -> None:
    con, report = _run(tmp_path, [episode(SEX=sex, EPIORDER="1"), episode(SEX=sex, EPIORDER="2")])
    assert report.count(ContractRule.CODE_INVALID_SEX) == 0
    assert _reason(con) == [("P1|RAA|S1", "SEX_NOT_KNOWN")]


@pytest.mark.parametrize("age", ["999", ""])
def test_unknown_age_is_not_a_broken_number_and_the_spell_is_excluded(tmp_path: Path, age: str) -> None:
    con, report = _run(tmp_path, [episode(STARTAGE=age)])
    assert report.count(ContractRule.NUMBER_INVALID) == 0
    assert _reason(con) == [("P1|RAA|S1", "AGE_NOT_KNOWN")]


@pytest.mark.parametrize(("code", "malformed"), [("U999", 0), ("K3-9", 1), ("XX1X", 1), ("9999", 1)])
def test_an_invalid_primary_diagnosis_falls_back_to_the_second_episode(tmp_path: Path, code: str,
                                                                        malformed: int) -> None:
    con, report = _run(tmp_path, [
        episode(PROVSPNOPS="S1", EPIORDER="1", DIAG_4_01=code), episode(PROVSPNOPS="S1", EPIORDER="2"),
        episode(PROVSPNOPS="S2", DIAG_4_01=code),
    ])
    assert report.count(ContractRule.DIAG_CODE_MALFORMED) == 2 * malformed
    assert rows_of(con, "SELECT SPELL_KEY, DIAG_SECOND_EPISODE_USED, DIAG_4_01 = 'J189' FROM provider_spells "
                        "ORDER BY SPELL_KEY") == [("P1|RAA|S1", 1, True), ("P1|RAA|S2", 0, False)]


def test_a_blank_primary_diagnosis_falls_back_or_stays_empty(tmp_path: Path) -> None:
    con, report = _run(tmp_path, [
        episode(PROVSPNOPS="S1", EPIORDER="1", DIAG_4_01=""), episode(PROVSPNOPS="S1", EPIORDER="2"),
        episode(PROVSPNOPS="S2", DIAG_4_01=""),
    ])
    assert report.count(ContractRule.DIAG_CODE_MALFORMED) == 0
    assert rows_of(con, "SELECT SPELL_KEY, DIAG_4_01 FROM provider_spells ORDER BY SPELL_KEY") == [
        ("P1|RAA|S1", "J189"), ("P1|RAA|S2", None)]
    assert _reason(con) == [("P1|RAA|S1", None), ("P1|RAA|S2", None)]  # group 144 is decided later (§7.3)


@pytest.mark.parametrize("disdate", ["", "1800-01-01"])
def test_a_missing_discharge_date_is_not_a_broken_date_and_the_spell_is_not_finished(tmp_path: Path,
                                                                                     disdate: str) -> None:
    con, report = _run(tmp_path, [episode(EPIORDER="1", DISDATE=""), episode(EPIORDER="2", DISDATE=disdate)])
    assert report.count(ContractRule.DATE_INVALID) == 0
    assert _reason(con) == [("P1|RAA|S1", "NOT_FINISHED")]


def test_an_exact_copy_of_a_row_is_counted_dropped_and_changes_no_spell(tmp_path: Path) -> None:
    row = episode(EPIORDER="1")
    con, report = _run(tmp_path, [row, dict(row), episode(EPIORDER="2")])
    assert report.count(ContractRule.EPIKEY_DUPLICATE) == 1
    assert measure(report.rows, "EPISODES_READ") == 3
    assert rows_of(con, "SELECT EPISODES FROM provider_spells") == [(2,)]
    assert _reason(con) == [("P1|RAA|S1", None)]


def test_episode_dates_out_of_order_are_counted_and_change_no_spell(tmp_path: Path) -> None:
    con, report = _run(tmp_path, [
        spell(hesid="P1", procode="RAA", spell_number="S1", admidate="2024-01-01", disdate="2024-01-05",
              EPISTART="2024-01-05", EPIEND="2024-01-01"),
    ])
    assert report.count(ContractRule.EPISTART_AFTER_EPIEND) == 1
    assert _reason(con) == [("P1|RAA|S1", None)]
