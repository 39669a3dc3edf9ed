"""Continuous inpatient spells (hsmr.md §3): the linking rule, the examples of §3.5, CIPS attributes, acute
trusts, the link counts of §10.6 and PREV_EMERGENCY (hsmr.md §6.1)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from hes_builders import load, measure, rows_of, spell, write_organisations

from hospmort.hes.quality import DataQualityRow
from hospmort.spells import derive_continuous_inpatient_spells, derive_provider_spells


def _cips(tmp_path: Path, spells: list[dict[str, str]]) -> tuple[duckdb.DuckDBPyConnection, tuple[DataQualityRow, ...]]:
    organisations = write_organisations(tmp_path / "orgs.csv", acute=("RAA", "RBB"),
                                        other={"RSP": "specialist", "NT4": "independent"})
    con, _ = load(tmp_path, spells, organisations=organisations)
    derive_provider_spells(con)
    return con, derive_continuous_inpatient_spells(con)


def _groups(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    """(CIPS_KEY, its spell keys in CIPS order) for every CIPS."""
    return rows_of(con, "SELECT CIPS_KEY, list(SPELL_KEY ORDER BY SPELL_POSITION) FROM spell_cips "
                        "GROUP BY CIPS_KEY ORDER BY CIPS_KEY")


def _acute(con: duckdb.DuckDBPyConnection, cips_key: str) -> list[str]:
    return [row[0] for row in rows_of(con, f"SELECT PROCODE3 FROM cips_acute_trusts WHERE CIPS_KEY = '{cips_key}' "
                                           "ORDER BY PROCODE3")]


SECTION_3_5 = [
    # P1: transfer out (DISDEST 51), in (ADMISORC 51, ADMIMETH 2B), died at the second trust
    spell(hesid="P1", procode="RAA", spell_number="A1", admidate="2024-03-01", disdate="2024-03-05", DISDEST="51",
          DIAG_4_01="I219", DIAG_4_02="I500", TRETSPEF="315"),
    spell(hesid="P1", procode="RBB", spell_number="B1", admidate="2024-03-05", disdate="2024-03-20", ADMISORC="51",
          ADMIMETH="2B", DISMETH="4", DISDEST="79", DIAG_4_01="J189"),
    # P2: no transfer marker
    spell(hesid="P2", procode="RAA", spell_number="A1", admidate="2024-05-01", disdate="2024-05-10"),
    spell(hesid="P2", procode="RAA", spell_number="A2", admidate="2024-05-11", disdate="2024-05-15"),
    # P3: marker but a gap of 3 days
    spell(hesid="P3", procode="RAA", spell_number="A1", admidate="2024-06-01", disdate="2024-06-01", DISDEST="51"),
    spell(hesid="P3", procode="RBB", spell_number="B1", admidate="2024-06-04", disdate="2024-06-09", ADMISORC="51"),
    # P4: marker on the second spell only
    spell(hesid="P4", procode="RAA", spell_number="A1", admidate="2024-07-01", disdate="2024-07-03"),
    spell(hesid="P4", procode="RBB", spell_number="B1", admidate="2024-07-03", disdate="2024-07-08", ADMIMETH="81"),
    # P5: RAA -> RBB -> RAA
    spell(hesid="P5", procode="RAA", spell_number="A1", admidate="2024-10-01", disdate="2024-10-03", DISDEST="51"),
    spell(hesid="P5", procode="RBB", spell_number="B1", admidate="2024-10-03", disdate="2024-10-06", ADMISORC="51",
          DISDEST="51"),
    spell(hesid="P5", procode="RAA", spell_number="A2", admidate="2024-10-06", disdate="2024-10-10", ADMISORC="51"),
    # P6: specialist trust first, died at an acute trust
    spell(hesid="P6", procode="RSP", spell_number="S1", admidate="2024-08-01", disdate="2024-08-02", DISDEST="51",
          DIAG_4_01="C189"),
    spell(hesid="P6", procode="RAA", spell_number="A1", admidate="2024-08-02", disdate="2024-08-09", DISMETH="4",
          DIAG_4_01="J189"),
    # P7: marker on the first spell only; died at an independent hospital
    spell(hesid="P7", procode="RAA", spell_number="A1", admidate="2024-09-01", disdate="2024-09-03", DISDEST="87"),
    spell(hesid="P7", procode="NT4", spell_number="N1", admidate="2024-09-03", disdate="2024-09-12", ADMISORC="19",
          ADMIMETH="11", DISMETH="4"),
]


def test_the_linking_examples_of_section_3_5(tmp_path: Path) -> None:
    con, counts = _cips(tmp_path, SECTION_3_5)
    assert _groups(con) == [
        ("P1|RAA|A1", ["P1|RAA|A1", "P1|RBB|B1"]),
        ("P2|RAA|A1", ["P2|RAA|A1"]), ("P2|RAA|A2", ["P2|RAA|A2"]),
        ("P3|RAA|A1", ["P3|RAA|A1"]), ("P3|RBB|B1", ["P3|RBB|B1"]),
        ("P4|RAA|A1", ["P4|RAA|A1", "P4|RBB|B1"]),
        ("P5|RAA|A1", ["P5|RAA|A1", "P5|RBB|B1", "P5|RAA|A2"]),
        ("P6|RSP|S1", ["P6|RSP|S1", "P6|RAA|A1"]),
        ("P7|RAA|A1", ["P7|RAA|A1", "P7|NT4|N1"]),
    ]
    assert _acute(con, "P1|RAA|A1") == ["RAA", "RBB"]
    assert _acute(con, "P5|RAA|A1") == ["RAA", "RBB"]  # one row per trust, though RAA appears twice
    assert _acute(con, "P6|RSP|S1") == ["RAA"]
    assert _acute(con, "P7|RAA|A1") == ["RAA"]
    assert rows_of(con, "SELECT CIPS_KEY, DIED_IN_HOSPITAL FROM continuous_inpatient_spells "
                        "WHERE DIED_IN_HOSPITAL = 1 ORDER BY CIPS_KEY") == [
        ("P1|RAA|A1", 1), ("P6|RSP|S1", 1), ("P7|RAA|A1", 1)]
    assert [measure(counts, name) for name in ("SPELLS_NOT_LINKABLE", "LINKS_MADE", "LINK_REJECTED_GAP",
                                               "CIPS_BUILT", "CIPS_MULTI_SPELL", "CIPS_MULTI_TRUST")] == [
        0, 6, 1, 9, 5, 5]


def test_a_cips_takes_covariates_and_diagnosis_from_its_first_spell_and_the_end_from_its_last(
        tmp_path: Path) -> None:
    con, _ = _cips(tmp_path, SECTION_3_5)
    assert rows_of(con, "SELECT HESID, FIRST_PROCODE3, FIRST_PROVSPNOPS, SPELLS, TRUSTS, ADMIDATE, ADMIMETH, "
                        "ADMISORC, DIAG_4_01, DIAG_4_02, LAST_SPELL_ADMIDATE, END_DATE, DISMETH, PALLIATIVE "
                        "FROM continuous_inpatient_spells WHERE CIPS_KEY = 'P1|RAA|A1'") == [
        ("P1", "RAA", "A1", 2, 2, dt.date(2024, 3, 1), "21", "19", "I219", "I500", dt.date(2024, 3, 5),
         dt.date(2024, 3, 20), "4", 1)]
    assert rows_of(con, "SELECT DIAG_4_01 FROM continuous_inpatient_spells WHERE CIPS_KEY = 'P6|RSP|S1'") == [
        ("C189",)]


@pytest.mark.parametrize(("gap_days", "marker", "linked", "rejected"), [
    (0, "DISDEST", 1, 0), (2, "DISDEST", 1, 0), (3, "DISDEST", 0, 1),
    (0, "ADMISORC", 1, 0), (2, "ADMIMETH", 1, 0), (3, "ADMIMETH", 0, 1),
    (0, "", 0, 0), (2, "", 0, 0), (3, "", 0, 0),
    (-1, "DISDEST", 0, 1),
])
def test_a_pair_links_only_with_a_marker_and_a_gap_of_0_to_2_days(tmp_path: Path, gap_days: int, marker: str,
                                                                 linked: int, rejected: int) -> None:
    discharge = dt.date(2024, 4, 10)
    second_admission = discharge + dt.timedelta(days=gap_days)
    first_fields = {"DISDEST": "49"} if marker == "DISDEST" else {}
    second_fields = {"ADMISORC": "53"} if marker == "ADMISORC" else {"ADMIMETH": "2B"} if marker == "ADMIMETH" else {}
    con, counts = _cips(tmp_path, [
        spell(hesid="P1", procode="RAA", spell_number="A1", admidate="2024-04-01", disdate=str(discharge),
              **first_fields),
        spell(hesid="P1", procode="RBB", spell_number="B1", admidate=str(second_admission), disdate="2024-04-20",
              **second_fields),
    ])
    assert rows_of(con, "SELECT LINKED_TO_PREVIOUS, LINK_REJECTED_GAP FROM spell_cips WHERE SPELL_KEY = 'P1|RBB|B1'"
                   ) == [(linked, rejected)]
    assert measure(counts, "CIPS_BUILT") == 2 - linked
    assert measure(counts, "LINK_REJECTED_GAP") == rejected


def test_a_cips_never_continues_after_a_death_or_a_stillbirth(tmp_path: Path) -> None:
    con, _ = _cips(tmp_path, [
        spell(hesid="P1", procode="RAA", spell_number="A1", admidate="2024-04-01", disdate="2024-04-10",
              DISMETH="4", DISDEST="51"),
        spell(hesid="P1", procode="RBB", spell_number="B1", admidate="2024-04-10", disdate="2024-04-12",
              ADMISORC="51", DISMETH="5", DISDEST="51"),
        spell(hesid="P1", procode="RAA", spell_number="A2", admidate="2024-04-12", disdate="2024-04-14",
              ADMISORC="51"),
    ])
    assert rows_of(con, "SELECT count(DISTINCT CIPS_KEY), sum(LINK_REJECTED_GAP) FROM spell_cips") == [(3, 0)]


def test_a_spell_without_an_admission_date_or_admitted_after_discharge_forms_a_cips_alone(tmp_path: Path) -> None:
    con, counts = _cips(tmp_path, [
        spell(hesid="P1", procode="RAA", spell_number="A1", admidate="2024-04-01", disdate="2024-04-10",
              DISDEST="51"),
        spell(hesid="P1", procode="RBB", spell_number="X1", admidate="2024-04-11", disdate="2024-04-10",
              ADMISORC="51"),
        spell(hesid="P1", procode="RBB", spell_number="X2", admidate="", disdate="2024-04-10", ADMISORC="51"),
        spell(hesid="P1", procode="RBB", spell_number="B1", admidate="2024-04-12", disdate="2024-04-15",
              ADMISORC="51"),
    ])
    assert _groups(con) == [("P1|RAA|A1", ["P1|RAA|A1", "P1|RBB|B1"]), ("P1|RBB|X1", ["P1|RBB|X1"]),
                            ("P1|RBB|X2", ["P1|RBB|X2"])]
    assert measure(counts, "SPELLS_NOT_LINKABLE") == 2


def test_a_spell_without_a_discharge_date_sorts_after_a_same_day_spell_and_ends_a_chain(tmp_path: Path) -> None:
    con, _ = _cips(tmp_path, [
        spell(hesid="P1", procode="RBB", spell_number="B1", admidate="2024-04-01", disdate="", DISMETH="8",
              ADMISORC="51"),
        spell(hesid="P1", procode="RAA", spell_number="A1", admidate="2024-04-01", disdate="2024-04-01",
              DISDEST="51"),
    ])
    # order: A1 (DISDATE present) then B1 (missing last); B1 links to A1 and the CIPS has no end date
    assert _groups(con) == [("P1|RAA|A1", ["P1|RAA|A1", "P1|RBB|B1"])]
    assert rows_of(con, "SELECT END_DATE, DISMETH FROM continuous_inpatient_spells") == [(None, "8")]


def test_prev_emergency_counts_other_emergency_cips_admitted_365_to_1_days_before(tmp_path: Path) -> None:
    con, _ = _cips(tmp_path, [
        spell(hesid="P1", procode="RAA", spell_number="C0", admidate="2022-12-31", disdate="2023-01-01"),
        spell(hesid="P1", procode="RAA", spell_number="C1", admidate="2023-01-01", disdate="2023-01-02",
              ADMIMETH="28"),
        spell(hesid="P1", procode="RAA", spell_number="C2", admidate="2023-06-01", disdate="2023-06-02",
              ADMIMETH="11"),
        # one emergency CIPS of two spells: counts once
        spell(hesid="P1", procode="RAA", spell_number="C3", admidate="2023-12-31", disdate="2023-12-31",
              ADMIMETH="2A", DISDEST="51"),
        spell(hesid="P1", procode="RBB", spell_number="C3B", admidate="2023-12-31", disdate="2023-12-31",
              ADMISORC="51", ADMIMETH="81"),
        spell(hesid="P1", procode="RAA", spell_number="T", admidate="2024-01-01", disdate="2024-01-05"),
        spell(hesid="P2", procode="RAA", spell_number="Q", admidate="2023-12-01", disdate="2023-12-02"),
    ])
    assert rows_of(con, "SELECT CIPS_KEY, PREV_EMERGENCY FROM continuous_inpatient_spells ORDER BY CIPS_KEY") == [
        ("P1|RAA|C0", 0), ("P1|RAA|C1", 1), ("P1|RAA|C2", 2), ("P1|RAA|C3", 2), ("P1|RAA|T", 2), ("P2|RAA|Q", 0)]
