"""Properties of spells, CIPS, scope and outcome on random small inputs (shmi.md §2.2, §19.7-19.9; hsmr.md §11.1).

* The spells built do not depend on the order of input rows or on how the input is split into files (CSV and
  Parquet alike), nor do the CIPS, the scope or the outcome.
* The number of spells equals the number of distinct spell keys of the finished episodes, computed here in
  Python from the rule text of shmi.md §4.
* Bookkeeping: SPELLS_BUILT = Σ exclusions + SPELLS_IN_SCOPE; every spell is in exactly one CIPS; a CIPS never
  continues after a death; each person has at most one DIED = 1 spell, never at a non-acute trust.
"""

from __future__ import annotations

import csv
import random
import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hospmort.config import EngineOptions, Month, Windows
from hospmort.engine import connect_duckdb
from hospmort.hes import load_inputs
from hospmort.hes.quality import value_of
from hospmort.schema import EPISODE_FIELDS, ExclusionReason
from hospmort.shmi.scope import classify_shmi_scope
from hospmort.spells import attribute_shmi_deaths, derive_continuous_inpatient_spells, derive_provider_spells

WINDOWS = Windows(Month(2024, 6))
DAYS = [f"2024-0{m}-{d:02d}" for m in (5, 6, 7) for d in (1, 2, 3, 4, 6, 20)]

episode_rows = st.fixed_dictionaries({
    "HESID": st.sampled_from(["P0", "P1", "P2"]),
    "PROCODE3": st.sampled_from(["RAA", "RBB", "RSP"]),
    "PROVSPNOPS": st.sampled_from(["S1", "S2", "007", ""]),
    "EPIORDER": st.sampled_from(["1", "2", "3", "99", ""]),
    "EPISTAT": st.sampled_from(["3", "3", "3", "1"]),
    "ADMIDATE": st.sampled_from(DAYS),
    "DISDATE": st.sampled_from([*DAYS, ""]),
    "EPISTART": st.sampled_from(DAYS),
    "EPIEND": st.sampled_from(DAYS),
    "ADMIMETH": st.sampled_from(["21", "11", "81", "2B", "99"]),
    "ADMISORC": st.sampled_from(["19", "51"]),
    "DISMETH": st.sampled_from(["1", "4", "9"]),
    "DISDEST": st.sampled_from(["19", "51", "79"]),
    "CLASSPAT": st.sampled_from(["1", "2"]),
    "STARTAGE": st.sampled_from(["70", "999"]),
    "SEX": st.sampled_from(["1", "2", "9"]),
    "DIAG_4_01": st.sampled_from(["R104", "K359", "J189", ""]),
    "DIAG_4_02": st.sampled_from(["Z515", "I10X", ""]),
    "SITETRET": st.sampled_from(["RAA01", "RAA02"]),
    "TRETSPEF": st.sampled_from(["300", "315"]),
    "MAINSPEF": st.just("300"),
})
inputs = st.tuples(
    st.lists(episode_rows, min_size=1, max_size=25),
    st.lists(st.tuples(st.sampled_from(["P0", "P1", "P2", "P9"]), st.sampled_from(DAYS)), max_size=4),
    st.integers(min_value=0, max_value=2**32 - 1),
)


def _with_keys(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"EPIKEY": f"E{i:03d}", **row} for i, row in enumerate(rows)]


def _write_csv(path: Path, rows: list[dict[str, str]], header: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([row.get(column, "") for column in header] for row in rows)


def _write_split(folder: Path, rows: list[dict[str, str]], seed: int) -> None:
    """Shuffle the rows and write them to 1-3 files, CSV or Parquet, with columns in a shuffled order."""
    generator = random.Random(seed)
    shuffled = rows[:]
    generator.shuffle(shuffled)
    parts = generator.randint(1, 3)
    folder.mkdir()
    for part in range(parts):
        chunk = shuffled[part::parts]
        header = list(EPISODE_FIELDS)
        generator.shuffle(header)
        if generator.random() < 0.5:
            _write_csv(folder / f"part{part}.csv", chunk, header)
        else:
            pq.write_table(pa.table({c: pa.array([r.get(c, "") for r in chunk], pa.string()) for c in header}),
                           folder / f"part{part}.parquet")


def _run(episodes: Path, deaths: Path, organisations: Path) -> duckdb.DuckDBPyConnection:
    con = connect_duckdb(EngineOptions(threads=2))
    load_inputs(con, episodes, deaths, organisations)
    derive_provider_spells(con)
    derive_continuous_inpatient_spells(con)
    classify_shmi_scope(con, WINDOWS)
    attribute_shmi_deaths(con)
    return con


def _write_common(folder: Path, deaths: list[tuple[str, str]]) -> tuple[Path, Path]:
    _write_csv(folder / "deaths.csv", [{"HESID": h, "DOD": d} for h, d in deaths], ["HESID", "DOD"])
    _write_csv(folder / "orgs.csv", [
        {"org_code": "RAA", "org_type": "trust", "trust_type": "acute"},
        {"org_code": "RBB", "org_type": "trust", "trust_type": "acute"},
        {"org_code": "RSP", "org_type": "trust", "trust_type": "specialist"},
    ], ["org_code", "org_type", "trust_type"])
    return folder / "deaths.csv", folder / "orgs.csv"


def _table(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple[object, ...]]:
    return sorted(con.execute(f"SELECT * FROM {name}").fetchall(), key=repr)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs)
def test_results_do_not_depend_on_row_order_or_on_how_the_input_is_split(
        data: tuple[list[dict[str, str]], list[tuple[str, str]], int]) -> None:
    rows, deaths, seed = data
    rows = _with_keys(rows)
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        deaths_file, organisations = _write_common(folder, deaths)
        _write_csv(folder / "one.csv", rows, list(EPISODE_FIELDS))
        _write_split(folder / "split", rows, seed)
        whole = _run(folder / "one.csv", deaths_file, organisations)
        split = _run(folder / "split", deaths_file, organisations)
        for name in ("provider_spells", "spell_cips", "continuous_inpatient_spells", "cips_acute_trusts",
                     "shmi_scope", "shmi_outcome"):
            assert _table(whole, name) == _table(split, name), name


def _expected_spell_count(rows: list[dict[str, str]]) -> int:
    """shmi.md §4 steps 1-2 from the rule text: distinct keys of finished episodes."""
    return len({
        (r["HESID"], r["PROCODE3"], r["PROVSPNOPS"] or "ADM:" + r["ADMIDATE"]) for r in rows if r["EPISTAT"] == "3"
    })


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs)
def test_bookkeeping_identities_hold(data: tuple[list[dict[str, str]], list[tuple[str, str]], int]) -> None:
    rows, deaths, _seed = data
    rows = _with_keys(rows)
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        deaths_file, organisations = _write_common(folder, deaths)
        _write_csv(folder / "one.csv", rows, list(EPISODE_FIELDS))
        con = connect_duckdb(EngineOptions(threads=2))
        load_inputs(con, folder / "one.csv", deaths_file, organisations)
        built = derive_provider_spells(con)
        derive_continuous_inpatient_spells(con)
        scope = classify_shmi_scope(con, WINDOWS)
        attribute_shmi_deaths(con)

    spells = value_of(built, "SPELLS_BUILT")
    assert spells == _expected_spell_count(rows)
    excluded = sum(value_of(scope.rows, reason.measure) for reason in ExclusionReason)
    assert excluded + value_of(scope.rows, "SPELLS_IN_SCOPE") == spells
    assert con.execute("SELECT count(*), count(DISTINCT SPELL_KEY) FROM spell_cips").fetchall() == [
        (spells, spells)]
    assert con.execute(
        "SELECT count(*) FROM spell_cips m JOIN provider_spells s USING (SPELL_KEY) "
        "JOIN spell_cips n ON n.CIPS_KEY = m.CIPS_KEY AND n.SPELL_POSITION > m.SPELL_POSITION "
        "WHERE s.DISMETH IN ('4', '5')").fetchall() == [(0,)]
    assert con.execute("SELECT max(n) FROM (SELECT sum(o.DIED) AS n FROM shmi_outcome o "
                       "JOIN provider_spells s USING (SPELL_KEY) GROUP BY s.HESID)").fetchall()[0][0] in (None, 0, 1)
    assert con.execute("SELECT count(*) FROM shmi_outcome WHERE DIED = 1 AND PROCODE3 = 'RSP'").fetchall() == [(0,)]
