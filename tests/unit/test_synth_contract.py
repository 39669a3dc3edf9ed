"""The synthetic data follow the data contract (design/data-contract.md) exactly, so the pipeline cannot tell
them from real extracts; and the truth files agree with what was written."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from synth_queries import build_spells, open_synth

from hospmort import refdata, schema
from hospmort.schema import TrustType

Connection = duckdb.DuckDBPyConnection
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.fixture(scope="module")
def con(tiny_synth_dir: Path) -> duckdb.DuckDBPyConnection:
    connection = open_synth(tiny_synth_dir)
    build_spells(connection)
    return connection


def values(con: duckdb.DuckDBPyConnection, query: str) -> list[Any]:
    return [row[0] for row in con.execute(query).fetchall()]


def test_every_episode_part_has_exactly_the_contract_columns_all_written_as_text(tiny_synth_dir: Path) -> None:
    parts = sorted((tiny_synth_dir / "episodes").glob("part-*.parquet"))
    assert len(parts) >= 60
    for part in parts:
        read = pq.read_schema(part)
        assert read.names == list(schema.EPISODE_FIELDS)
        assert all(field.type == pa.string() for field in read)
        assert pq.read_metadata(part).metadata is None or b"ARROW:schema" not in pq.read_metadata(part).metadata


def test_deaths_file_has_one_text_row_per_person(tiny_synth_dir: Path, con: Connection) -> None:
    read = pq.read_schema(tiny_synth_dir / "deaths.parquet")
    assert read.names == list(schema.DEATH_FIELDS)
    assert all(field.type == pa.string() for field in read)
    total, people = con.execute("select count(*), count(distinct HESID) from deaths").fetchone()
    assert total == people > 0
    assert values(con, "select count(*) from deaths where DOD is null or HESID is null or HESID = ''") == [0]


def test_organisation_table_has_fictional_trusts_with_their_sites_and_real_regions(
        tiny_synth_dir: Path, con: Connection) -> None:
    header = (tiny_synth_dir / "organisations.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == list(schema.ORGANISATION_FIELDS)
    trusts = con.execute("select org_code, trust_type, region_code, region_name, org_name from orgs "
                         "where org_type = 'trust'").fetchall()
    sites = con.execute("select org_code, parent_code, site_type from orgs where org_type = 'site'").fetchall()
    real_codes = set(refdata.trusts())
    real_names = {t.name.upper() for t in refdata.trusts().values()}
    types = [trust_type for _, trust_type, _, _, _ in trusts]
    assert types.count("acute") >= 6 and types.count("specialist") >= 1
    assert any(t not in ("acute", "specialist") for t in types)
    assert {t for t in types} <= {t.value for t in TrustType}
    for code, _, region, region_name, name in trusts:
        assert len(code) == 3 and code.startswith("Z") and code not in real_codes
        assert refdata.REGION_NAMES[region] == region_name
        assert name.upper() not in real_names
    trust_codes = {code for code, *_ in trusts}
    assert all(len(code) == 5 and code[:3] == parent and parent in trust_codes for code, parent, _ in sites)
    assert {site_type for *_, site_type in sites} <= {"acute", "community", "specialist", "maternity", "other"}
    per_trust = {code: sum(1 for _, parent, _ in sites if parent == code) for code in trust_codes}
    assert min(per_trust.values()) >= 1 and max(per_trust.values()) <= 5


def test_coded_fields_hold_only_codes_of_the_contract(con: Connection) -> None:
    for field, codes in schema.VALID_CODES.items():
        found = set(values(con, f"select distinct {field} from episodes"))
        assert found <= set(codes), (field, found - set(codes))
    assert set(values(con, "select distinct EPISTAT from episodes")) <= {"1", "3", "9"}
    assert values(con, "select avg((EPISTAT = '3')::int) > 0.99 from episodes") == [True]
    ages = set(values(con, "select distinct STARTAGE from episodes where STARTAGE is not null"))
    allowed = {str(a) for a in range(121)} | {str(a) for a in range(7001, 7008)} | {"999"}
    assert ages <= allowed


def test_dates_are_iso_text_and_discharge_dates_sit_on_last_episodes(con: Connection) -> None:
    for field in (*schema.DATE_FIELDS, "DOD"):
        table = "deaths" if field == "DOD" else "episodes"
        for text in values(con, f"select distinct {field} from {table} where {field} is not null"):
            assert DATE.match(text) and dt.date.fromisoformat(text)
    assert values(con, """select count(*) from (select distinct * from episodes) e
                          where DISDATE is not null and DISMETH = '8'""") == [0]
    assert values(con, "select count(*) from episodes where ADMIDATE is null or EPISTART is null") == [0]


def test_epikeys_are_unique_apart_from_planted_duplicates_which_are_exact_copies(
        tiny_synth_dir: Path, con: Connection) -> None:
    counts = json.loads((tiny_synth_dir / "truth" / "counts.json").read_text())
    rows, keys, distinct_rows, longest = con.execute(
        "select count(*), count(distinct EPIKEY), (select count(*) from (select distinct * from episodes)), "
        "max(length(EPIKEY)) from episodes").fetchone()
    assert rows - keys == counts["duplicate_rows"] > 0
    assert distinct_rows == keys
    assert longest <= 19
    assert values(con, "select min(length(PROVSPNOPS)) = 14 and bool_and(PROVSPNOPS like '00%') from episodes") \
        == [True]


def test_diagnoses_are_real_lookup_codes_apart_from_planted_invalid_and_blank_primaries(con: Connection) -> None:
    lookup = set(refdata.icd10_lookup())
    secondary = set()
    for column in schema.DIAGNOSIS_COLUMNS[1:]:
        secondary |= set(values(con, f"select distinct {column} from episodes where {column} is not null"))
    assert secondary <= lookup
    primary = values(con, "select DIAG_4_01 from episodes")
    outside = [code for code in primary if code not in lookup]
    assert 0 < len(outside) < 0.01 * len(primary)
    assert all(len(code) == 4 for code in primary if code in lookup)
    assert "U071" in set(primary)


def test_every_site_of_treatment_belongs_to_the_episode_trust(con: Connection) -> None:
    assert values(con, """select count(*) from episodes e left join orgs o
                          on o.org_code = e.SITETRET and o.org_type = 'site'
                          where o.parent_code is distinct from e.PROCODE3""") == [0]


def test_births_carry_birth_weights_and_pregnancies_are_women_of_15_to_49(con: Connection) -> None:
    assert values(con, """select count(*) from episodes where BIRWEIT_1 is not null
                          and (ADMIMETH not in ('82', '83') or EPIORDER <> '1')""") == [0]
    weighed, births = con.execute("""select count(BIRWEIT_1), count(*) from episodes
                                     where ADMIMETH in ('82', '83') and EPIORDER = '1'""").fetchone()
    assert births > 100 and weighed > 0.95 * births
    assert values(con, "select count(*) from episodes where ADMIMETH = '82' and STARTAGE not in ('7001', '999')") == [0]
    assert values(con, """select count(*) from episodes where DIAG_4_01 like 'O%' and (SEX = '1'
                          or (STARTAGE <> '999' and try_cast(STARTAGE as integer) not between 15 and 49))""") \
        == [0]
    old_hips = con.execute("""select avg((try_cast(STARTAGE as integer) >= 65)::int) from episodes
                              where DIAG_4_01 like 'S72%'""").fetchone()[0]
    assert old_hips > 0.8


def test_every_month_has_in_scope_spells_at_several_acute_trusts(con: Connection) -> None:
    months = con.execute("""select substr(disdate, 1, 7) as month, count(distinct PROCODE3) from scope
                            where in_scope group by 1 order by 1""").fetchall()
    assert len(months) == 60
    assert months[0][0] == "2021-01" and months[-1][0] == "2025-12"
    assert min(trusts for _, trusts in months) >= 3


def test_activity_of_non_acute_trusts_is_written_but_never_in_scope(con: Connection) -> None:
    non_acute = values(con, "select count(*) from spells where PROCODE3 in (select org_code from orgs "
                            "where org_type = 'trust' and trust_type <> 'acute')")[0]
    assert non_acute > 0
    assert values(con, "select count(*) from scope where in_scope and PROCODE3 in (select org_code from orgs "
                       "where trust_type <> 'acute')") == [0]
    day_cases, stillbirths = con.execute(
        "select sum((classpat = '2')::int), sum((dismeth = '5')::int) from spells").fetchone()
    assert day_cases > 1000 and stillbirths >= 1


def test_truth_counts_equal_an_independent_reading_of_the_written_files(tiny_synth_dir: Path, con: Connection) -> None:
    spells, deaths, in_hospital = con.execute(
        "select count(*), sum(died::int), sum(died_in_hospital::int) from outcome").fetchone()
    truth = con.execute("select sum(SPELLS), sum(TRUE_DEATHS), sum(TRUE_DEATHS_IN_HOSPITAL) from truth").fetchone()
    assert (spells, deaths, in_hospital) == tuple(int(v) for v in truth)
    per_trust = con.execute("""select PROCODE3, count(*) from outcome group by 1
                               except select PROCODE3, sum(SPELLS) from truth group by 1""").fetchall()
    assert per_trust == []


def test_settings_record_deaths_complete_to_at_least_30_days_after_the_last_month(
        tiny_synth_dir: Path, con: Connection) -> None:
    settings = json.loads((tiny_synth_dir / "truth" / "settings.json").read_text())
    complete_to = dt.date.fromisoformat(settings["deaths_complete_to"])
    assert complete_to >= dt.date(2025, 12, 31) + dt.timedelta(days=30)
    assert settings["start"] == "2021-01" and settings["end"] == "2025-12" and settings["scale"] == "tiny"
    assert "YEAR_INDEX" in settings["year_index_convention"]
    latest = dt.date.fromisoformat(values(con, "select max(DOD) from deaths")[0])
    assert dt.date(2025, 12, 31) < latest <= dt.date.fromisoformat(settings["last_death_date"])
    kinds = set(values(con, "select effect_kind from effects"))
    assert kinds == {"null", "higher", "lower", "single_group", "rising", "palliative_heavy"}
