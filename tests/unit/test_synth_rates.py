"""The realised rates of issue 3, measured on the written files with DuckDB (independently of the pipeline and
of the generator's own bookkeeping), on a regional run of six discharge months (about 470,000 in-scope
spells, so that each rate is known to a few hundredths of a percentage point)."""

from __future__ import annotations

import statistics
from pathlib import Path

import duckdb
import pytest
from synth_queries import build_spells, open_synth

from hospmort import refdata
from hospmort.config import Month
from hospmort.synth import Scale, SynthSettings, generate

DEFECT_RATE = 0.02


@pytest.fixture(scope="module")
def regional(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    out = tmp_path_factory.mktemp("synth") / "regional"
    generate(SynthSettings(out=out, scale=Scale.REGIONAL, start=Month(2023, 10), end=Month(2024, 3),
                           defect_rate=DEFECT_RATE))
    con = open_synth(out)
    build_spells(con)
    return con


def scalar(con: duckdb.DuckDBPyConnection, query: str) -> float:
    row = con.execute(query).fetchone()
    assert row is not None
    return float(row[0])


def test_about_3_percent_of_in_scope_spells_die_and_70_percent_of_them_in_hospital(
        regional: duckdb.DuckDBPyConnection) -> None:
    spells = scalar(regional, "select count(*) from outcome")
    assert spells > 400_000
    assert 0.028 <= scalar(regional, "select avg(died::int) from outcome") <= 0.035
    assert 0.65 <= scalar(regional, "select sum(died_in_hospital::int) / sum(died::int) from outcome") <= 0.75


def test_there_are_deaths_later_than_30_days_and_deaths_of_people_without_a_spell(
        regional: duckdb.DuckDBPyConnection) -> None:
    later = scalar(regional, """select count(*) from deaths d join (select HESID, max(disdate) as last
                                from spells group by 1) s using (HESID)
                                where date_diff('day', s.last::date, d.DOD::date) > 30""")
    without = scalar(regional, "select count(*) from deaths where HESID not in (select HESID from episodes)")
    deaths = scalar(regional, "select count(*) from deaths")
    assert later > 0.01 * deaths and without > 0.05 * deaths


def test_ten_to_twenty_percent_of_spells_have_several_episodes_and_2_to_4_percent_start_with_a_symptom(
        regional: duckdb.DuckDBPyConnection) -> None:
    assert 0.10 <= scalar(regional, "select avg((n_episodes > 1)::int) from outcome") <= 0.20
    symptom_first = scalar(regional, """select avg((n_episodes > 1 and first_diagnosis like 'R%')::int)
                                        from outcome""")
    assert 0.02 <= symptom_first <= 0.04


def test_one_to_three_percent_of_spells_are_transferred_to_another_trust(
        regional: duckdb.DuckDBPyConnection) -> None:
    assert 0.01 <= scalar(regional, "select avg(transferred_out::int) from outcome") <= 0.03


def test_day_cases_are_at_least_30_percent_of_elective_admissions(regional: duckdb.DuckDBPyConnection) -> None:
    share = scalar(regional, """select avg((classpat = '2')::int) from spells
                                where admimeth in ('11', '12', '13') and classpat in ('1', '2')""")
    assert share >= 0.30


def test_expected_deaths_per_spell_vary_between_trusts_with_a_cv_of_about_0_2(
        regional: duckdb.DuckDBPyConnection) -> None:
    per_trust = [row[0] for row in regional.execute(
        "select sum(EXPECTED_NO_TRUST_EFFECT) / sum(SPELLS) from truth group by PROCODE3").fetchall()]
    assert len(per_trust) == 25
    cv = statistics.pstdev(per_trust) / statistics.mean(per_trust)
    assert 0.14 <= cv <= 0.30


def test_trust_sizes_spread_about_tenfold(regional: duckdb.DuckDBPyConnection) -> None:
    sizes = [row[0] for row in regional.execute("select count(*) from outcome group by PROCODE3").fetchall()]
    assert 6 <= max(sizes) / min(sizes) <= 14


def observed_over_expected(con: duckdb.DuckDBPyConnection, kind: str, group: int | None = None) -> float:
    """Deaths counted from the written files over the truth's expected deaths without trust effect."""
    in_group = "" if group is None else f" and DIAGNOSIS_GROUP = {group}"
    trusts = f"select org_code from effects where effect_kind = '{kind}'"
    expected = scalar(con, f"select sum(EXPECTED_NO_TRUST_EFFECT) from truth where PROCODE3 in ({trusts})"
                           + in_group)
    if group is None:
        observed = scalar(con, f"select sum(died::int) from outcome where PROCODE3 in ({trusts})")
    else:
        observed = scalar(con, f"select sum(TRUE_DEATHS) from truth where PROCODE3 in ({trusts})" + in_group)
    return observed / expected


def test_planted_odds_ratios_are_recovered_by_a_crude_observed_over_expected(
        regional: duckdb.DuckDBPyConnection) -> None:
    assert observed_over_expected(regional, "higher") > 1.1
    assert observed_over_expected(regional, "lower") < 0.9
    assert 0.95 < observed_over_expected(regional, "null") < 1.05
    assert observed_over_expected(regional, "single_group", group=2) > 1.3


def test_deaths_match_the_risks_they_were_drawn_from_within_four_standard_deviations(
        regional: duckdb.DuckDBPyConnection) -> None:
    for kind, observed, expected in regional.execute("""
            select effect_kind, sum(TRUE_DEATHS), sum(EXPECTED_WITH_TRUST_EFFECT) from truth
            join effects on org_code = PROCODE3 group by 1""").fetchall():
        assert abs(observed - expected) <= 4 * expected ** 0.5 + 2, kind


def test_the_palliative_heavy_trust_codes_palliative_care_far_more_often(
        regional: duckdb.DuckDBPyConnection) -> None:
    heavy = "(select org_code from effects where effect_kind = 'palliative_heavy')"
    dying_heavy = scalar(regional, f"select avg(palliative::int) from outcome where died and PROCODE3 in {heavy}")
    dying_others = scalar(regional, f"select avg(palliative::int) from outcome where died "
                                    f"and PROCODE3 not in {heavy}")
    surviving = scalar(regional, f"select avg(palliative::int) from outcome where not died "
                                 f"and PROCODE3 not in {heavy}")
    assert dying_heavy > 0.55
    assert 0.2 < dying_others < 0.4
    assert 0.003 < surviving < 0.03


def measured_defect_rates(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """The share of rows or spells carrying each kind of planted defect, as defined in synth/defects.py."""
    lookup = refdata.refdata_path("shmi", "icd10_to_shmi_diagnosis_group.csv")
    con.execute(f"create or replace table lookup as select icd10_code from read_csv('{lookup}')")
    con.execute("create or replace table unique_episodes as select distinct * from episodes")
    return {
        "sex_unknown": scalar(con, """select avg((SEX not in ('1', '2'))::int) from
                                      unique_episodes where EPIORDER = '1'"""),
        "age_unknown": scalar(con, """select avg((STARTAGE is null or STARTAGE = '999')::int) from
                                      unique_episodes where EPIORDER = '1'"""),
        "invalid_diagnosis": scalar(con, """select avg((DIAG_4_01 <> '' and DIAG_4_01 not in
                                            (select icd10_code from lookup))::int)
                                            from unique_episodes"""),
        "blank_diagnosis": scalar(con, "select avg((DIAG_4_01 = '')::int) from unique_episodes"),
        "missing_discharge_date": scalar(con, """select avg((DISDATE is null or DISDATE = '1800-01-01')::int)
                                                 from unique_episodes
                                                 where DISMETH <> '8'"""),
        "duplicate_epikey": scalar(con, "select count(*) / count(distinct EPIKEY) - 1 from episodes"),
        "dates_out_of_order": scalar(con, """select avg((EPISTART > EPIEND)::int)
                                             from unique_episodes"""),
    }


def test_each_kind_of_defect_is_planted_at_the_rate_asked(regional: duckdb.DuckDBPyConnection) -> None:
    for kind, rate in measured_defect_rates(regional).items():
        assert DEFECT_RATE * 0.85 <= rate <= DEFECT_RATE * 1.15, (kind, rate)


def test_a_defect_rate_of_zero_plants_no_defect(tmp_path: Path) -> None:
    out = tmp_path / "clean"
    generate(SynthSettings(out=out, scale=Scale.TINY, start=Month(2025, 1), end=Month(2025, 6), defect_rate=0.0))
    con = open_synth(out)
    assert measured_defect_rates(con) == {
        "sex_unknown": 0.0, "age_unknown": 0.0, "invalid_diagnosis": 0.0, "blank_diagnosis": 0.0,
        "missing_discharge_date": 0.0, "duplicate_epikey": 0.0, "dates_out_of_order": 0.0,
    }
