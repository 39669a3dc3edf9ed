"""The HSMR cohort (hsmr.md §3.4, §4, §5.1, §6.1, §10.6): records per acute trust, the scope tests read on the
CIPS, and the covariate levels of each CIPS (previous emergency admissions, palliative flag, deprivation quintile,
Charlson band, financial year) on hand-built spells."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from hes_builders import episode, load, measure, rows_of, spell, write_organisations

from hospmort.config import Month, Windows
from hospmort.hes.quality import DataQualityRow
from hospmort.hsmr.cohort import build_hsmr_cohort
from hospmort.spells import derive_continuous_inpatient_spells, derive_provider_spells

WINDOWS = Windows(Month(2024, 12))  # reporting period 2024; modelling window 2022-01-01 .. 2024-12-31


def _cohort(tmp_path: Path, episodes: list[dict[str, str]], windows: Windows = WINDOWS
            ) -> tuple[duckdb.DuckDBPyConnection, tuple[DataQualityRow, ...]]:
    organisations = write_organisations(tmp_path / "orgs.csv", acute=("RAA", "RBB"),
                                        other={"RSP": "specialist", "NT4": "independent"})
    con, _ = load(tmp_path, episodes, organisations=organisations)
    derive_provider_spells(con)
    derive_continuous_inpatient_spells(con)
    return con, build_hsmr_cohort(con, windows)


def _cips(con: duckdb.DuckDBPyConnection, columns: str, where: str = "TRUE") -> dict[str, tuple[Any, ...]]:
    return {row[0]: row[1:] for row in rows_of(con, f"SELECT CIPS_KEY, {columns} FROM hsmr_cohort WHERE {where}")}


def _records(con: duckdb.DuckDBPyConnection, columns: str = "DIED_IN_HOSPITAL") -> list[tuple[Any, ...]]:
    return rows_of(con, f"SELECT CIPS_KEY, PROCODE3, {columns} FROM hsmr_records ORDER BY CIPS_KEY, PROCODE3")


SECTION_3_5 = [
    spell(hesid="P1", procode="RAA", spell_number="A1", admidate="2024-03-01", disdate="2024-03-05", DISDEST="51",
          DIAG_4_01="I219"),
    spell(hesid="P1", procode="RBB", spell_number="B1", admidate="2024-03-05", disdate="2024-03-20", ADMISORC="51",
          ADMIMETH="2B", DISMETH="4", DISDEST="79", DIAG_4_01="J189"),
    spell(hesid="P5", procode="RAA", spell_number="A1", admidate="2024-10-01", disdate="2024-10-03", DISDEST="51"),
    spell(hesid="P5", procode="RBB", spell_number="B1", admidate="2024-10-03", disdate="2024-10-06", ADMISORC="51",
          DISDEST="51"),
    spell(hesid="P5", procode="RAA", spell_number="A2", admidate="2024-10-06", disdate="2024-10-10", ADMISORC="51"),
    spell(hesid="P6", procode="RSP", spell_number="S1", admidate="2024-08-01", disdate="2024-08-02", DISDEST="51",
          DIAG_4_01="C189"),
    spell(hesid="P6", procode="RAA", spell_number="A1", admidate="2024-08-02", disdate="2024-08-09", DISMETH="4",
          DIAG_4_01="J189"),
    spell(hesid="P7", procode="RAA", spell_number="A1", admidate="2024-09-01", disdate="2024-09-03", DISDEST="87"),
    spell(hesid="P7", procode="NT4", spell_number="N1", admidate="2024-09-03", disdate="2024-09-12", ADMISORC="19",
          ADMIMETH="11", DISMETH="4"),
]


def test_a_cips_gives_one_record_to_each_acute_trust_that_treated_it(tmp_path: Path) -> None:
    con, rows = _cohort(tmp_path, SECTION_3_5)
    assert _records(con) == [
        ("P1|RAA|A1", "RAA", 1), ("P1|RAA|A1", "RBB", 1),   # a transferred death counts at both trusts
        ("P5|RAA|A1", "RAA", 0), ("P5|RAA|A1", "RBB", 0),   # A -> B -> A: one record per trust
        ("P6|RSP|S1", "RAA", 1),                            # the specialist trust gets no record
        ("P7|RAA|A1", "RAA", 1),                            # died at the independent hospital
    ]
    assert measure(rows, "RECORDS_REPORTING") == 6
    assert measure(rows, "RECORDS_REPORTING", "RBB") == 2
    assert measure(rows, "CIPS_IN_SCOPE_REPORTING") == 4


def test_every_record_carries_the_covariates_and_category_of_the_first_spell(tmp_path: Path) -> None:
    con, _ = _cohort(tmp_path, SECTION_3_5)
    # P1 was admitted as an emergency from home at RAA with an AMI, then transferred (2B, source 51) to RBB
    assert _records(con, "HSMR_CATEGORY, ADMISSION_METHOD, ADMISSION_SOURCE") == [
        ("P1|RAA|A1", "RAA", 100, 2, 1), ("P1|RAA|A1", "RBB", 100, 2, 1),
        ("P5|RAA|A1", "RAA", 122, 2, 1), ("P5|RAA|A1", "RBB", 122, 2, 1),
        ("P6|RSP|S1", "RAA", 14, 2, 1),    # diagnosis from the specialist trust's spell (C189, colon cancer)
        ("P7|RAA|A1", "RAA", 122, 2, 1),
    ]


def _scope_case(hesid: str, *spells: dict[str, str]) -> list[dict[str, str]]:
    return [{**s, "HESID": hesid} for s in spells]


def test_each_scope_test_reads_the_first_or_the_last_spell_and_counts_once(tmp_path: Path) -> None:
    transfer_out = {"DISDEST": "51"}
    transfer_in = {"ADMISORC": "51", "ADMIMETH": "81"}
    cases = [
        # step 1 on the LAST spell: the receiving spell is not finished
        *_scope_case("S1", spell(hesid="", procode="RAA", spell_number="1", admidate="2024-02-01",
                                 disdate="2024-02-03", **transfer_out),
                     spell(hesid="", procode="RBB", spell_number="2", admidate="2024-02-03", disdate="2024-02-09",
                           DISMETH="8", **transfer_in)),
        # step 2 on the END DATE: started before the window, ends inside it -> in scope
        *_scope_case("S2", spell(hesid="", procode="RAA", spell_number="1", admidate="2021-12-28",
                                 disdate="2021-12-31", **transfer_out),
                     spell(hesid="", procode="RBB", spell_number="2", admidate="2021-12-31", disdate="2022-01-04",
                           **transfer_in)),
        # step 2: ends after M
        *_scope_case("S3", spell(hesid="", procode="RAA", spell_number="1", admidate="2024-12-30",
                                 disdate="2024-12-31", **transfer_out),
                     spell(hesid="", procode="RBB", spell_number="2", admidate="2024-12-31", disdate="2025-01-03",
                           **transfer_in)),
        # step 3 on the FIRST spell: a day case transferred to an ordinary admission
        *_scope_case("S4", spell(hesid="", procode="RAA", spell_number="1", admidate="2024-03-01",
                                 disdate="2024-03-01", CLASSPAT="2", **transfer_out),
                     spell(hesid="", procode="RBB", spell_number="2", admidate="2024-03-01", disdate="2024-03-05",
                           **transfer_in)),
        # ... and an ordinary admission whose receiving spell is a day case stays in scope
        *_scope_case("S5", spell(hesid="", procode="RAA", spell_number="1", admidate="2024-03-01",
                                 disdate="2024-03-02", **transfer_out),
                     spell(hesid="", procode="RBB", spell_number="2", admidate="2024-03-02", disdate="2024-03-02",
                           CLASSPAT="2", **transfer_in)),
        # step 4 on the last spell
        *_scope_case("S6", spell(hesid="", procode="RAA", spell_number="1", admidate="2024-04-01",
                                 disdate="2024-04-02", DISMETH="5")),
        # step 5 on the first spell (the receiving spell's age is irrelevant)
        *_scope_case("S7", spell(hesid="", procode="RAA", spell_number="1", admidate="2024-04-01",
                                 disdate="2024-04-02", STARTAGE="999", **transfer_out),
                     spell(hesid="", procode="RBB", spell_number="2", admidate="2024-04-02", disdate="2024-04-06",
                           **transfer_in)),
        *_scope_case("S8", spell(hesid="", procode="RAA", spell_number="1", admidate="2024-04-01",
                                 disdate="2024-04-02", SEX="9")),
        *_scope_case("S9", spell(hesid="", procode="RAA", spell_number="1", admidate="2024-04-01",
                                 disdate="2024-04-02", ADMIMETH="99")),
        # step 8: no acute trust in the CIPS; with one it is in scope
        *_scope_case("SA", spell(hesid="", procode="RSP", spell_number="1", admidate="2024-04-01",
                                 disdate="2024-04-02")),
        # several failures: counted once, at the first (step 3 before 5 and 6)
        *_scope_case("SB", spell(hesid="", procode="RAA", spell_number="1", admidate="2024-05-01",
                                 disdate="2024-05-02", CLASSPAT="2", STARTAGE="999", SEX="0")),
    ]
    cases = [{**c, "HESID": c["HESID"]} for c in cases]
    con, rows = _cohort(tmp_path, cases)
    found = {key.split("|")[0]: values for key, values in _cips(con, "IN_SCOPE, EXCLUSION_STEP, EXCLUSION_REASON"
                                                                ).items()}
    assert found == {
        "S1": (0, 1, "NOT_FINISHED"), "S2": (1, None, None), "S3": (0, 2, "OUTSIDE_WINDOW"),
        "S4": (0, 3, "PATIENT_CLASSIFICATION"), "S5": (1, None, None), "S6": (0, 4, "STILLBIRTH"),
        "S7": (0, 5, "AGE_NOT_KNOWN"), "S8": (0, 6, "SEX_NOT_KNOWN"), "S9": (0, 7, "ADMIMETH_NOT_KNOWN"),
        "SA": (0, 8, "PROVIDER_NOT_IN_SCOPE"), "SB": (0, 3, "PATIENT_CLASSIFICATION"),
    }
    excluded = sum(measure(rows, name) for name in (
        "EXCL_1_NOT_FINISHED", "EXCL_2_OUTSIDE_WINDOW", "EXCL_3_PATIENT_CLASSIFICATION", "EXCL_4_STILLBIRTH",
        "EXCL_5_AGE_NOT_KNOWN", "EXCL_6_SEX_NOT_KNOWN", "EXCL_7_ADMIMETH_NOT_KNOWN", "EXCL_8_PROVIDER_NOT_IN_SCOPE"))
    assert measure(rows, "CIPS_BUILT") == 11 == excluded + measure(rows, "CIPS_IN_SCOPE")
    assert measure(rows, "EXCL_3_PATIENT_CLASSIFICATION") == 2
    assert measure(rows, "CIPS_IN_SCOPE_REPORTING") == 1  # S5 (S2 ended in 2022)


def test_covariate_levels_are_empty_outside_scope(tmp_path: Path) -> None:
    con, _ = _cohort(tmp_path, [spell(hesid="P1", procode="RSP", spell_number="1", admidate="2024-04-01",
                                      disdate="2024-04-02")])
    assert rows_of(con, "SELECT HSMR_CATEGORY, AGE_GROUP, PALLIATIVE, FINANCIAL_YEAR FROM hsmr_cohort") == [
        (None, None, None, None)]


def test_previous_emergency_admissions_give_levels_1_to_4_counting_cips_out_of_scope_too(tmp_path: Path) -> None:
    def admission(number: str, admidate: str, disdate: str, **fields: str) -> dict[str, str]:
        return spell(hesid="P1", procode="RAA", spell_number=number, admidate=admidate, disdate=disdate, **fields)

    con, _ = _cohort(tmp_path, [
        admission("E0", "2023-01-01", "2023-01-02"),                # 366 days before X1: not counted for it
        admission("E1", "2023-06-01", "2023-06-02", CLASSPAT="2"),  # an emergency day case, out of scope: counts
        admission("L1", "2023-07-01", "2023-07-02", ADMIMETH="11"),  # elective: never counts
        admission("E2", "2023-09-01", "2023-09-02", ADMIMETH="2A"),
        admission("X1", "2024-01-02", "2024-01-05"),                 # E1, E2 (and E0 is 366 days back) -> 2 -> 3
        admission("X2", "2024-01-10", "2024-01-12"),                 # E1, E2, X1 -> 3 -> level 4
    ])
    levels = {key.split("|")[2]: v[0] for key, v in _cips(con, "PREV_EMERGENCY", "IN_SCOPE = 1").items()}
    assert levels == {"E0": 1, "L1": 3, "E2": 3, "X1": 3, "X2": 4}


def test_the_palliative_flag_comes_from_any_episode_of_any_spell_of_the_cips(tmp_path: Path) -> None:
    second_spell_second_episode = [
        spell(hesid="P1", procode="RAA", spell_number="1", admidate="2024-02-01", disdate="2024-02-03",
              DISDEST="51"),
        episode(HESID="P1", PROCODE3="RBB", SITETRET="RBB01", PROVSPNOPS="2", EPIORDER="1", ADMIDATE="2024-02-03",
                DISDATE="", EPISTART="2024-02-03", EPIEND="2024-02-05", ADMISORC="51", ADMIMETH="81"),
        episode(HESID="P1", PROCODE3="RBB", SITETRET="RBB01", PROVSPNOPS="2", EPIORDER="2", ADMIDATE="2024-02-03",
                DISDATE="2024-02-09", EPISTART="2024-02-05", EPIEND="2024-02-09", ADMISORC="51", ADMIMETH="81",
                TRETSPEF="315"),
    ]
    z515_in_a_secondary_position = [spell(hesid="P2", procode="RAA", spell_number="1", admidate="2024-02-01",
                                          disdate="2024-02-03", DIAG_4_04="Z51.5")]
    paediatric_palliative = [spell(hesid="P3", procode="RAA", spell_number="1", admidate="2024-02-01",
                                   disdate="2024-02-03", TRETSPEF="240")]
    not_palliative = [spell(hesid="P4", procode="RAA", spell_number="1", admidate="2024-02-01",
                            disdate="2024-02-03", MAINSPEF="315", DIAG_4_02="Z518")]
    con, _ = _cohort(tmp_path, [*second_spell_second_episode, *z515_in_a_secondary_position, *paediatric_palliative,
                                *not_palliative])
    found = {key.split("|")[0]: v for key, v in _cips(con, "PALLIATIVE_FLAG, PALLIATIVE").items()}
    assert found == {"P1": (1, 2), "P2": (1, 2), "P3": (1, 2), "P4": (0, 1)}


def test_the_deprivation_quintile_of_the_first_spell_lsoa(tmp_path: Path) -> None:
    lsoa = {"P1": "E01000048", "P2": "E01000008", "P3": "E01000001", "P4": "E01000002", "P5": " e01000003 ",
            "P6": "E99999999", "P7": "W01000001", "P8": "", "P9": "E01999999"}  # deciles 1, 2, 9, 10, 5
    episodes = [spell(hesid=h, procode="RAA", spell_number="1", admidate="2024-02-01", disdate="2024-02-03",
                      LSOA11=code) for h, code in lsoa.items()]
    # a transfer: the receiving spell's LSOA is ignored
    episodes[0]["DISDEST"] = "51"
    episodes.append(spell(hesid="P1", procode="RBB", spell_number="2", admidate="2024-02-03", disdate="2024-02-05",
                          ADMISORC="51", LSOA11="E01000001"))
    con, rows = _cohort(tmp_path, episodes)
    found = {key.split("|")[0]: v[0] for key, v in _cips(con, "IMD_QUINTILE").items()}
    assert found == {"P1": 1, "P2": 1, "P3": 5, "P4": 5, "P5": 3, "P6": 6, "P7": 6, "P8": 6, "P9": 6}
    assert measure(rows, "LSOA_UNKNOWN") == 4


def test_charlson_band_uses_the_secondary_diagnoses_of_the_first_spell(tmp_path: Path) -> None:
    con, _ = _cohort(tmp_path, [
        # I500 13 + C780 14 = 27 -> band 6; the receiving spell's dementia code is ignored
        spell(hesid="P1", procode="RAA", spell_number="1", admidate="2024-02-01", disdate="2024-02-03",
              DIAG_4_02="I500", DIAG_4_03="C780", DISDEST="51"),
        spell(hesid="P1", procode="RBB", spell_number="2", admidate="2024-02-03", disdate="2024-02-05",
              ADMISORC="51", DIAG_4_02="F03X"),
        # E112 (-1) -> 0 -> band 1; J449 4 -> band 2; I639 11 -> band 4; K721 18 -> band 5; I219+I252 5 -> 2
        spell(hesid="P2", procode="RAA", spell_number="1", admidate="2024-02-01", disdate="2024-02-03",
              DIAG_4_02="E112"),
        spell(hesid="P3", procode="RAA", spell_number="1", admidate="2024-02-01", disdate="2024-02-03",
              DIAG_4_02="J449"),
        spell(hesid="P4", procode="RAA", spell_number="1", admidate="2024-02-01", disdate="2024-02-03",
              DIAG_4_02="I639"),
        spell(hesid="P5", procode="RAA", spell_number="1", admidate="2024-02-01", disdate="2024-02-03",
              DIAG_4_02="K721"),
        spell(hesid="P6", procode="RAA", spell_number="1", admidate="2024-02-01", disdate="2024-02-03",
              DIAG_4_02="I219", DIAG_4_03="I252", DIAG_4_04="I679"),  # + cerebrovascular 11 = 16 -> band 5
    ])
    found = {key.split("|")[0]: v[0] for key, v in _cips(con, "CHARLSON_BAND").items()}
    assert found == {"P1": 6, "P2": 1, "P3": 2, "P4": 4, "P5": 5, "P6": 5}


@pytest.mark.parametrize(("admidate", "weekend"), [
    ("2024-06-07", 0), ("2024-06-08", 1), ("2024-06-09", 1), ("2024-06-10", 0), ("2024-12-25", 0)])
def test_weekend_admission_is_saturday_or_sunday_and_bank_holidays_are_weekdays(tmp_path: Path, admidate: str,
                                                                               weekend: int) -> None:
    con, _ = _cohort(tmp_path, [spell(hesid="P1", procode="RAA", spell_number="1", admidate=admidate,
                                      disdate="2024-12-27")])
    assert _records(con, "WEEKEND_ADMISSION") == [("P1|RAA|1", "RAA", weekend)]


def test_financial_year_and_category_999_and_900_are_counted(tmp_path: Path) -> None:
    con, rows = _cohort(tmp_path, [
        spell(hesid="P1", procode="RAA", spell_number="1", admidate="2024-03-25", disdate="2024-03-31",
              DIAG_4_01="U071"),
        spell(hesid="P2", procode="RAA", spell_number="1", admidate="2024-03-25", disdate="2024-04-01",
              DIAG_4_01="U999"),
        spell(hesid="P3", procode="RAA", spell_number="1", admidate="2022-01-01", disdate="2022-01-02",
              DIAG_4_01=""),
    ])
    found = {key.split("|")[0]: v for key, v in _cips(con, "HSMR_CATEGORY, FINANCIAL_YEAR").items()}
    assert found == {"P1": (900, 2), "P2": (999, 1), "P3": (999, 4)}  # Jan 2022 is in 2021-22
    assert (measure(rows, "CIPS_CATEGORY_900"), measure(rows, "CIPS_CATEGORY_999")) == (1, 2)
