"""The SHMI outcome (shmi.md §6): qualifying spells, the 30-day rule and the one-death-per-person attribution."""

from __future__ import annotations

from pathlib import Path

import pytest
from hes_builders import WINDOWS, load, measure, rows_of, spell, write_organisations

from hospmort.hes.quality import DataQualityRow
from hospmort.shmi.scope import classify_shmi_scope
from hospmort.spells import attribute_shmi_deaths, derive_provider_spells


def _outcome(tmp_path: Path, spells: list[dict[str, str]], deaths: list[tuple[str, str]]
             ) -> tuple[dict[str, tuple[int, int, int]], tuple[DataQualityRow, ...]]:
    """{SPELL_KEY: (QUALIFYING, DIED, DIED_IN_HOSPITAL)} of the in-scope spells, and the counts."""
    organisations = write_organisations(tmp_path / "orgs.csv", acute=("RAA", "RBB"), other={"RSP": "specialist"})
    con, _ = load(tmp_path, spells, deaths=deaths, organisations=organisations)
    derive_provider_spells(con)
    classify_shmi_scope(con, WINDOWS)
    counts = attribute_shmi_deaths(con)
    outcome = {str(key): (int(q), int(d), int(h)) for key, q, d, h in rows_of(
        con, "SELECT SPELL_KEY, QUALIFYING, DIED, DIED_IN_HOSPITAL FROM shmi_outcome")}
    return outcome, counts


def _one(hesid: str, disdate: str, procode: str = "RAA", number: str = "S1", admidate: str = "2024-03-01",
         **fields: str) -> dict[str, str]:
    return spell(hesid=hesid, procode=procode, spell_number=number, admidate=admidate, disdate=disdate, **fields)


def test_death_on_the_discharge_day_and_30_days_after_qualify_but_31_days_does_not(tmp_path: Path) -> None:
    outcome, _ = _outcome(tmp_path, [
        _one("P0", "2024-03-10"), _one("P30", "2024-03-10"), _one("P31", "2024-03-10"), _one("PM1", "2024-03-10"),
    ], deaths=[("P0", "2024-03-10"), ("P30", "2024-04-09"), ("P31", "2024-04-10"), ("PM1", "2024-03-09")])
    assert outcome == {
        "P0|RAA|S1": (1, 1, 0),
        "P30|RAA|S1": (1, 1, 0),
        "P31|RAA|S1": (0, 0, 0),
        "PM1|RAA|S1": (0, 0, 0),  # a death before the discharge does not qualify the spell
    }


def test_a_death_in_hospital_qualifies_without_a_date_of_death(tmp_path: Path) -> None:
    outcome, counts = _outcome(tmp_path, [_one("P1", "2024-03-10", DISMETH="4", DISDEST="79")], deaths=[])
    assert outcome == {"P1|RAA|S1": (1, 1, 1)}
    assert measure(counts, "DEATHS_MATCHED") == 0


def test_of_two_qualifying_spells_at_two_trusts_only_the_later_gets_the_death(tmp_path: Path) -> None:
    outcome, counts = _outcome(tmp_path, [
        _one("P1", "2024-05-05", procode="RAA", admidate="2024-05-01"),
        _one("P1", "2024-05-12", procode="RBB", admidate="2024-05-10"),
    ], deaths=[("P1", "2024-05-20")])
    assert outcome == {"P1|RAA|S1": (1, 0, 0), "P1|RBB|S1": (1, 1, 0)}
    assert [measure(counts, "QUALIFYING_SPELLS_NOT_ATTRIBUTED", code) for code in ("ALL", "RAA", "RBB")] == [1, 1, 0]
    assert [measure(counts, "DEATHS_MATCHED", code) for code in ("ALL", "RAA", "RBB")] == [1, 0, 1]


def test_a_later_spell_at_a_specialist_trust_does_not_take_the_death(tmp_path: Path) -> None:
    outcome, _ = _outcome(tmp_path, [
        _one("P1", "2024-06-05", procode="RAA", admidate="2024-06-01"),
        _one("P1", "2024-06-10", procode="RSP", admidate="2024-06-06"),
    ], deaths=[("P1", "2024-06-12")])
    assert outcome == {"P1|RAA|S1": (1, 1, 0)}


def test_a_later_spell_discharged_after_the_period_end_does_not_take_the_death(tmp_path: Path) -> None:
    outcome, _ = _outcome(tmp_path, [
        _one("P1", "2024-12-20", procode="RAA", admidate="2024-12-10"),
        _one("P1", "2025-01-03", procode="RBB", admidate="2024-12-28"),
    ], deaths=[("P1", "2025-01-05")])
    assert outcome == {"P1|RAA|S1": (1, 1, 0)}


def test_ties_on_discharge_date_go_to_the_later_admission_then_the_later_trust_code(tmp_path: Path) -> None:
    outcome, _ = _outcome(tmp_path, [
        _one("P1", "2024-07-05", procode="RBB", admidate="2024-07-01"),
        _one("P1", "2024-07-05", procode="RAA", admidate="2024-07-02"),
        _one("P2", "2024-07-05", procode="RBB", admidate="2024-07-01"),
        _one("P2", "2024-07-05", procode="RAA", admidate="2024-07-01"),
    ], deaths=[("P1", "2024-07-06"), ("P2", "2024-07-06")])
    assert outcome == {"P1|RBB|S1": (1, 0, 0), "P1|RAA|S1": (1, 1, 0), "P2|RBB|S1": (1, 1, 0),
                       "P2|RAA|S1": (1, 0, 0)}


def test_a_non_qualifying_later_spell_leaves_the_death_with_the_qualifying_one(tmp_path: Path) -> None:
    outcome, _ = _outcome(tmp_path, [
        _one("P1", "2024-01-05", number="S1", admidate="2024-01-01"),
        _one("P1", "2024-03-01", number="S2", admidate="2024-02-20"),
    ], deaths=[("P1", "2024-01-20")])
    assert outcome == {"P1|RAA|S1": (1, 1, 0), "P1|RAA|S2": (0, 0, 0)}


def test_deaths_with_no_spell_are_ignored(tmp_path: Path) -> None:
    outcome, counts = _outcome(tmp_path, [_one("P1", "2024-03-10")], deaths=[("P9", "2024-03-10")])
    assert outcome == {"P1|RAA|S1": (0, 0, 0)}
    assert measure(counts, "DEATHS_MATCHED") == 0


def test_each_person_has_at_most_one_death(tmp_path: Path) -> None:
    spells = [_one(f"P{i % 3}", f"2024-0{1 + i % 9}-1{i % 10}", procode=("RAA", "RBB")[i % 2], number=f"S{i}",
                   admidate=f"2024-0{1 + i % 9}-01", DISMETH="4" if i % 4 == 0 else "1") for i in range(24)]
    outcome, _ = _outcome(tmp_path, spells, deaths=[("P1", "2024-09-30")])
    died = {}
    for key, (_q, d, _h) in outcome.items():
        died[key.split("|")[0]] = died.get(key.split("|")[0], 0) + d
    assert died == {"P0": 1, "P1": 1, "P2": 1}


@pytest.mark.parametrize("numbers", [("S1", "S2"), ("S2", "S1")])
def test_full_ties_go_to_the_later_spell_key(tmp_path: Path, numbers: tuple[str, str]) -> None:
    outcome, _ = _outcome(tmp_path, [_one("P1", "2024-07-05", number=n, admidate="2024-07-01") for n in numbers],
                          deaths=[("P1", "2024-07-06")])
    assert outcome == {"P1|RAA|S1": (1, 0, 0), "P1|RAA|S2": (1, 1, 0)}
