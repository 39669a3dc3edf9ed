"""Provider spells (shmi.md §4): grouping, episode order, attributes, diagnosis episode (§7.1-7.2), birth weight
(§8), palliative flag and secondary diagnoses (§14), and the spell counts of §16.8."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
from hes_builders import episode, load, measure, rows_of, write_deaths, write_episodes

from hospmort.config import EngineOptions
from hospmort.engine import connect_duckdb
from hospmort.hes import load_inputs
from hospmort.schema import EPISODE_FIELDS, PROVSPNOPS
from hospmort.spells import derive_provider_spells


def _spells(tmp_path: Path, episodes: list[dict[str, str]]) -> duckdb.DuckDBPyConnection:
    con, _ = load(tmp_path, episodes)
    derive_provider_spells(con)
    return con


def test_episodes_sharing_hesid_procode_and_provspnops_form_one_spell(tmp_path: Path) -> None:
    con = _spells(tmp_path, [
        episode(PROVSPNOPS="001", EPIORDER="1"),
        episode(PROVSPNOPS="001", EPIORDER="2"),
        episode(PROVSPNOPS="1"),  # leading zeros are significant: another spell
        episode(PROVSPNOPS="001", PROCODE3="RBB"),  # another trust
        episode(PROVSPNOPS="001", HESID="P2"),  # another person
    ])
    assert rows_of(con, "SELECT SPELL_KEY, EPISODES, KEYED_BY_ADMIDATE FROM provider_spells ORDER BY SPELL_KEY") == [
        ("P1|RAA|001", 2, 0), ("P1|RAA|1", 1, 0), ("P1|RBB|001", 1, 0), ("P2|RAA|001", 1, 0)]


def test_without_provspnops_episodes_are_grouped_by_admission_date(tmp_path: Path) -> None:
    rows = [episode(ADMIDATE="2024-01-01"), episode(ADMIDATE="2024-01-01", EPIORDER="2"),
            episode(ADMIDATE="2024-01-03")]
    con = connect_duckdb(EngineOptions())
    source = write_episodes(tmp_path / "e.csv", rows, columns=[f for f in EPISODE_FIELDS if f != PROVSPNOPS])
    load_inputs(con, source, write_deaths(tmp_path / "d.csv", []), None)
    rows_built = derive_provider_spells(con)
    assert rows_of(con, "SELECT SPELL_KEY, PROVSPNOPS, EPISODES, KEYED_BY_ADMIDATE FROM provider_spells "
                        "ORDER BY SPELL_KEY") == [
        ("P1|RAA|ADM:2024-01-01", None, 2, 1), ("P1|RAA|ADM:2024-01-03", None, 1, 1)]
    assert measure(rows_built, "SPELLS_BUILT") == 2
    assert measure(rows_built, "SPELLS_KEYED_BY_ADMIDATE", "RAA") == 2


def test_an_episode_with_empty_provspnops_is_keyed_by_its_admission_date(tmp_path: Path) -> None:
    con = _spells(tmp_path, [episode(PROVSPNOPS="S1"), episode(PROVSPNOPS="", EPIORDER="2")])
    assert rows_of(con, "SELECT SPELL_KEY FROM provider_spells ORDER BY SPELL_KEY") == [
        ("P1|RAA|ADM:2024-01-01",), ("P1|RAA|S1",)]


def test_unfinished_episodes_are_ignored(tmp_path: Path) -> None:
    con = _spells(tmp_path, [episode(EPIORDER="1"), episode(EPIORDER="2", EPISTAT="1", DISDATE="2024-02-01"),
                             episode(PROVSPNOPS="S9", EPISTAT="9")])
    assert rows_of(con, "SELECT SPELL_KEY, EPISODES, DISDATE FROM provider_spells") == [
        ("P1|RAA|S1", 1, dt.date(2024, 1, 5))]


def test_episode_order_puts_invalid_epiorder_last_then_sorts_by_dates_and_epikey(tmp_path: Path) -> None:
    # Expected order: EPIORDER 1, EPIORDER 2 (A then B by EPISTART), then 99 / missing / 0 ordered by
    # EPISTART, EPIEND, EPIKEY.
    con = _spells(tmp_path, [
        episode(EPIKEY="E6", EPIORDER="99", EPISTART="2024-01-01", EPIEND="2024-01-09", SITETRET="RAA06",
                DISDATE="2024-01-30", DISMETH="4"),
        episode(EPIKEY="E5", EPIORDER="", EPISTART="2024-01-01", EPIEND="2024-01-08", SITETRET="RAA05"),
        episode(EPIKEY="E3", EPIORDER="2", EPISTART="2024-01-03", SITETRET="RAA03"),
        episode(EPIKEY="E2", EPIORDER="2", EPISTART="2024-01-02", SITETRET="RAA02"),
        episode(EPIKEY="E1", EPIORDER="1", EPISTART="2024-01-04", SITETRET="RAA01", ADMIMETH="11", STARTAGE="64",
                SEX="2", CLASSPAT="5", ADMISORC="51", LSOA11="E01000001"),
        episode(EPIKEY="E7", EPIORDER="0", EPISTART="2024-01-01", EPIEND="2024-01-09", SITETRET="RAA07",
                DISDATE="", DISMETH="8", DISDEST="98"),
    ])
    # E6 and E7 tie on EPISTART and EPIEND; EPIKEY E6 < E7, so E7 is the last episode.
    assert rows_of(con, "SELECT EPISODES, ADMIMETH, STARTAGE, SEX, CLASSPAT, ADMISORC, LSOA11, SITE_CODE, "
                        "LAST_SITE_CODE, DISDATE, DISMETH, DISDEST FROM provider_spells") == [
        (6, "11", 64, "2", "5", "51", "E01000001", "RAA01", "RAA07", None, "8", "98")]


def test_first_and_last_episode_attributes_follow_episode_order_not_row_order(tmp_path: Path) -> None:
    con = _spells(tmp_path, [
        episode(EPIORDER="2", SITETRET="RAA02", DISDATE="2024-01-10", DISMETH="4", DISDEST="79",
                ADMIDATE="2024-01-01"),
        episode(EPIORDER="1", SITETRET="RAA01", DISDATE="", DISMETH="8", DISDEST="98", ADMIDATE="2024-01-01",
                ADMIMETH="22"),
    ])
    assert rows_of(con, "SELECT ADMIMETH, SITE_CODE, LAST_SITE_CODE, DISDATE, DISMETH, DISDEST "
                        "FROM provider_spells") == [("22", "RAA01", "RAA02", dt.date(2024, 1, 10), "4", "79")]


def _diagnosis(tmp_path: Path, episodes: list[dict[str, str]]) -> list[tuple[object, ...]]:
    con = _spells(tmp_path, episodes)
    return rows_of(con, "SELECT DIAG_4_01, DIAG_4_02, DIAG_4_03, DIAG_SECOND_EPISODE_USED, SECONDARY_DIAGNOSES "
                        "FROM provider_spells")


def test_a_symptom_code_first_uses_the_second_episode_and_its_secondaries(tmp_path: Path) -> None:
    assert _diagnosis(tmp_path, [
        episode(EPIORDER="1", DIAG_4_01="R104", DIAG_4_02="I500"),
        episode(EPIORDER="2", DIAG_4_01="K359", DIAG_4_02="E112", DIAG_4_03="C780"),
        episode(EPIORDER="3", DIAG_4_01="I219"),
    ]) == [("K359", "E112", "C780", 1, 2)]


def test_a_symptom_code_in_a_single_episode_spell_stays(tmp_path: Path) -> None:
    assert _diagnosis(tmp_path, [episode(DIAG_4_01="R104")]) == [("R104", None, None, 0, 0)]


def test_a_code_not_in_the_lookup_without_a_second_episode_stays(tmp_path: Path) -> None:
    assert _diagnosis(tmp_path, [episode(DIAG_4_01="U999", DIAG_4_03="I10X")]) == [("U999", None, "I10X", 0, 1)]


def test_an_empty_first_code_uses_a_second_episode_even_with_a_symptom_code(tmp_path: Path) -> None:
    assert _diagnosis(tmp_path, [episode(EPIORDER="1", DIAG_4_01=""), episode(EPIORDER="2", DIAG_4_01="R69X")]
                      ) == [("R69X", None, None, 1, 0)]


def test_a_code_not_in_the_lookup_first_uses_the_second_episode(tmp_path: Path) -> None:
    assert _diagnosis(tmp_path, [episode(EPIORDER="1", DIAG_4_01="U999"), episode(EPIORDER="2", DIAG_4_01="J189")]
                      ) == [("J189", None, None, 1, 0)]


def test_a_valid_first_code_is_kept_whatever_the_second_episode(tmp_path: Path) -> None:
    assert _diagnosis(tmp_path, [
        episode(EPIORDER="1", DIAG_4_01="J18.9", DIAG_4_02="", DIAG_4_03="I10"),
        episode(EPIORDER="2", DIAG_4_01="K359", DIAG_4_02="E112"),
    ]) == [("J189", None, "I10X", 0, 1)]


def test_birth_weight_is_the_first_valid_value_in_episode_order(tmp_path: Path) -> None:
    con = _spells(tmp_path, [
        episode(EPIORDER="1", BIRWEIT_1="7000"),
        episode(EPIORDER="2", BIRWEIT_1="0"),
        episode(EPIORDER="4", BIRWEIT_1="2500"),
        episode(EPIORDER="3", BIRWEIT_1="6999"),
        episode(PROVSPNOPS="S2", BIRWEIT_1="9999"),
    ])
    assert rows_of(con, "SELECT SPELL_KEY, BIRTH_WEIGHT FROM provider_spells ORDER BY SPELL_KEY") == [
        ("P1|RAA|S1", 6999), ("P1|RAA|S2", None)]


def test_palliative_flag_comes_from_any_episode_any_position_or_the_specialty(tmp_path: Path) -> None:
    con = _spells(tmp_path, [
        episode(PROVSPNOPS="S1", EPIORDER="1"),
        episode(PROVSPNOPS="S1", EPIORDER="2", DIAG_4_20="z51.5"),
        episode(PROVSPNOPS="S2", TRETSPEF="240"),
        episode(PROVSPNOPS="S3", TRETSPEF="315"),
        episode(PROVSPNOPS="S4", MAINSPEF="315", DIAG_4_01="Z518"),
    ])
    assert rows_of(con, "SELECT SPELL_KEY, PALLIATIVE FROM provider_spells ORDER BY SPELL_KEY") == [
        ("P1|RAA|S1", 1), ("P1|RAA|S2", 1), ("P1|RAA|S3", 1), ("P1|RAA|S4", 0)]


def test_spells_are_counted_per_trust_and_for_all(tmp_path: Path) -> None:
    con, _ = load(tmp_path, [episode(PROCODE3="RAA"), episode(PROCODE3="RBB"), episode(PROCODE3="RBB", HESID="P2",
                                                                                        PROVSPNOPS="")])
    rows = derive_provider_spells(con)
    assert [(measure(rows, "SPELLS_BUILT", code), measure(rows, "SPELLS_KEYED_BY_ADMIDATE", code))
            for code in ("ALL", "RAA", "RBB")] == [(3, 1), (1, 0), (2, 1)]

