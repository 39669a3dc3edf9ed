"""End-to-end tests of ``hospmort run`` and ``hospmort cohort`` on synthetic data (shmi.md §16, §17, §19)."""

from __future__ import annotations

import csv
import hashlib
import math
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hospmort.rounding import round_half_up
from hospmort.store import list_publications, open_store, read_table

pytestmark = pytest.mark.e2e

HOSPMORT = str(Path(sys.executable).with_name("hospmort"))
TP = "JAN25_DEC25"


def hospmort(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([HOSPMORT, *args], capture_output=True, text=True, check=False)
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


def file_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "manifest.json"}


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def tiny_run(tiny_synth_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One publication for 2025-12 with an extract; returns the work folder (db.duckdb, out/, extract/)."""
    work = tmp_path_factory.mktemp("run")
    hospmort("run", "--data", str(tiny_synth_dir), "--period-end", "2025-12", "--db", str(work / "db.duckdb"),
             "--out", str(work / "out"), "--extract", str(work / "extract"))
    return work


def test_a_run_writes_every_publication_file_with_the_published_headers(tiny_run: Path) -> None:
    out = tiny_run / "out"
    names = {p.name for p in out.iterdir()}
    expected = {f"SHMI_trust_level_{TP}.csv", f"SHMI_site_level_{TP}.csv",
                f"SHMI_diagnosis_group_breakdown_{TP}.csv", f"SHMI_model_predict_statistics_{TP}.csv",
                f"SHMI_model_fit_statistics_{TP}.csv", f"SHMI_limits_parameters_{TP}.csv", "manifest.json",
                "internal", *(f"SHMI_contextual_{key}_{TP}.csv" for key in (
                    "palliative_care", "deprivation", "admission_method", "depth_of_coding", "place_of_death",
                    "site_change", "symptom_diagnosis"))}
    assert expected <= names
    header = (out / f"SHMI_trust_level_{TP}.csv").read_text().splitlines()[0]
    assert header == ("TIME_PERIOD,PROVIDER_CODE,PROVIDER_NAME,SHMI_VALUE,SHMI_BANDING,SPELLS,OBSERVED,EXPECTED,"
                      "PO_LL,PO_UL,OD_LL,OD_UL,OD_LL_998,OD_UL_998,PO_LL_95,PO_UL_95")
    fit = read_rows(out / f"SHMI_model_fit_statistics_{TP}.csv")
    assert [int(r["DIAGNOSIS_GROUP"]) for r in fit] == list(range(1, 145))
    assert {p.name for p in (out / "internal").iterdir()} >= {f"SHMI_data_quality_{TP}.csv",
                                                               f"SHMI_quality_check_{TP}.csv"}
    raw = (out / f"SHMI_trust_level_{TP}.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw


def test_published_counts_are_disclosure_controlled(tiny_run: Path) -> None:
    """shmi.md §19.24: no published count lies in 1-7 or is other than a multiple of 5."""
    out = tiny_run / "out"
    checked = 0
    for name, columns in ((f"SHMI_trust_level_{TP}.csv", ("SPELLS", "OBSERVED", "EXPECTED")),
                          (f"SHMI_site_level_{TP}.csv", ("SPELLS", "OBSERVED", "EXPECTED")),
                          (f"SHMI_diagnosis_group_breakdown_{TP}.csv", ("SPELLS", "OBSERVED", "EXPECTED"))):
        for row in read_rows(out / name):
            for column in columns:
                value = row[column]
                assert value == "*" or int(value) % 5 == 0, (name, column, value)
                checked += 1
    for path in out.glob("SHMI_contextual_*.csv"):
        for row in read_rows(path):
            if row["PROVIDER_CODE"] == "ENG":
                continue
            for column in ("NUMERATOR", "DENOMINATOR"):
                assert row[column] == "*" or int(row[column]) % 5 == 0
            if row["VALUE"] != "*":
                assert int(row["DENOMINATOR"]) >= 400
    assert checked > 0


def test_the_store_keeps_the_publication_unsuppressed_as_a_draft(tiny_run: Path) -> None:
    with open_store(tiny_run / "db.duckdb", read_only=True) as store:
        [publication] = list_publications(store)
        trusts = read_table(store, "shmi_trust", publication.period_end)
        groups = read_table(store, "shmi_diagnosis_group", publication.period_end)
        sites = read_table(store, "shmi_site", publication.period_end)
    assert publication.status.value == "draft"
    assert str(publication.period_end) == "2025-12"
    # §19.6: sums over groups and over sites equal the trust's S, O and E.
    for trust in trusts:
        mine = [g for g in groups if g["PROVIDER_CODE"] == trust["PROVIDER_CODE"]]
        assert sum(g["SPELLS"] for g in mine) == trust["SPELLS"]
        assert sum(g["OBSERVED"] for g in mine) == trust["OBSERVED"]
        assert math.isclose(math.fsum(g["EXPECTED"] for g in mine), trust["EXPECTED"], rel_tol=1e-12, abs_tol=1e-12)
        on_sites = [s for s in sites if s["PROVIDER_CODE"] == trust["PROVIDER_CODE"]]
        assert sum(s["SPELLS"] for s in on_sites) == trust["SPELLS"]
        assert math.isclose(math.fsum(s["EXPECTED"] for s in on_sites), trust["EXPECTED"], rel_tol=1e-12,
                            abs_tol=1e-12)
        assert trust["EXPECTED_ROUNDED"] == round_half_up(trust["EXPECTED"], 2)


def test_the_extract_has_one_file_per_trust_and_never_goes_into_out(tiny_run: Path) -> None:
    extract = sorted((tiny_run / "extract").glob("SHMI_extract_*"))
    with open_store(tiny_run / "db.duckdb", read_only=True) as store:
        trusts = read_table(store, "shmi_trust")
    assert [p.name for p in extract] == [f"SHMI_extract_{t['PROVIDER_CODE']}_{TP}.csv" for t in trusts]
    rows = read_rows(extract[0])
    assert list(rows[0])[-4:] == ["ADMIDATE", "DISDATE", "PREDICTED_RISK", "PALLIATIVE_FLAG"]
    assert {r["IN_SCOPE"] for r in rows} == {"1"} and {r["YEAR_INDEX"] for r in rows} == {"1"}
    spells = {t["PROVIDER_CODE"]: t["SPELLS"] for t in trusts}
    code = extract[0].name.split("_")[2]
    assert len(rows) == spells[code]
    for row in rows:  # risks are written as the shortest decimal that reads back as the same double
        assert repr(float(row["PREDICTED_RISK"])) == row["PREDICTED_RISK"] or float(row["PREDICTED_RISK"]) == 0
    assert not any("extract" in p.name for p in (tiny_run / "out").rglob("*"))


def test_an_extract_inside_out_is_refused(tiny_synth_dir: Path, tmp_path: Path) -> None:
    result = hospmort("run", "--data", str(tiny_synth_dir), "--period-end", "2025-12", "--db",
                      str(tmp_path / "db.duckdb"), "--out", str(tmp_path / "out"), "--extract",
                      str(tmp_path / "out" / "x"), check=False)
    assert result.returncode == 2 and "inside --out" in result.stderr


def test_the_expected_deaths_of_the_extract_sum_to_the_trust_expected(tiny_run: Path) -> None:
    with open_store(tiny_run / "db.duckdb", read_only=True) as store:
        trusts = {t["PROVIDER_CODE"]: t for t in read_table(store, "shmi_trust")}
    for path in (tiny_run / "extract").glob("SHMI_extract_*"):
        rows = read_rows(path)
        trust = trusts[rows[0]["PROCODE3"]]
        assert math.isclose(math.fsum(float(r["PREDICTED_RISK"]) for r in rows), trust["EXPECTED"], rel_tol=1e-12,
                            abs_tol=1e-12)
        assert sum(int(r["DIED"]) for r in rows) == trust["OBSERVED"]


def _shuffled_copy(source: Path, target: Path) -> None:
    """The same data with every input's rows shuffled and the episodes split into a different number of parts."""
    rng = np.random.default_rng(7)
    target.mkdir()
    episodes = pa.concat_tables(pq.read_table(p) for p in sorted((source / "episodes").glob("*.parquet")))
    episodes = episodes.take(rng.permutation(episodes.num_rows))
    (target / "episodes").mkdir()
    for i, chunk in enumerate(np.array_split(np.arange(episodes.num_rows), 3)):
        pq.write_table(episodes.take(chunk), target / "episodes" / f"shuffled-{i}.parquet")
    deaths = pq.read_table(source / "deaths.parquet")
    pq.write_table(deaths.take(rng.permutation(deaths.num_rows)), target / "deaths.parquet")
    lines = (source / "organisations.csv").read_text().splitlines()
    body = lines[1:]
    order = rng.permutation(len(body))
    (target / "organisations.csv").write_text("\n".join([lines[0], *(body[i] for i in order)]) + "\n")
    (target / "truth").mkdir()
    (target / "truth" / "settings.json").write_bytes((source / "truth" / "settings.json").read_bytes())


def test_shuffled_input_gives_identical_files(tiny_run: Path, tiny_synth_dir: Path, tmp_path: Path) -> None:
    """shmi.md §19.7: shuffling input rows changes no output byte outside manifest.json."""
    shuffled = tmp_path / "shuffled"
    _shuffled_copy(tiny_synth_dir, shuffled)
    hospmort("run", "--data", str(shuffled), "--period-end", "2025-12", "--db", str(tmp_path / "db.duckdb"),
             "--out", str(tmp_path / "out"), "--extract", str(tmp_path / "extract"))
    assert file_hashes(tmp_path / "out") == file_hashes(tiny_run / "out")
    assert file_hashes(tmp_path / "extract") == file_hashes(tiny_run / "extract")


def test_a_history_publication_equals_the_same_month_produced_alone(tiny_synth_dir: Path, tmp_path: Path) -> None:
    """shmi.md §19.10, with the previous month stored in both stores so that the quality check agrees."""
    data = str(tiny_synth_dir)
    hospmort("run", "--data", data, "--period-end", "2025-12", "--history", "2", "--db", str(tmp_path / "h.duckdb"),
             "--out", str(tmp_path / "history"))
    hospmort("run", "--data", data, "--period-end", "2025-11", "--db", str(tmp_path / "a.duckdb"),
             "--out", str(tmp_path / "alone"))
    hospmort("run", "--data", data, "--period-end", "2025-12", "--db", str(tmp_path / "a.duckdb"),
             "--out", str(tmp_path / "alone"))
    history, alone = file_hashes(tmp_path / "history"), file_hashes(tmp_path / "alone")
    historical = history.pop(f"SHMI_historical_trust_level_{TP}.csv")
    assert historical and history == alone
    rows = read_rows(tmp_path / "history" / f"SHMI_historical_trust_level_{TP}.csv")
    periods = [r["TIME_PERIOD"] for r in rows]
    assert periods == sorted(periods, key=lambda t: t == TP) and set(periods) == {"DEC24_NOV25", TP}


def test_a_failed_run_leaves_the_store_and_the_files_as_they_were(tiny_run: Path, tiny_synth_dir: Path,
                                                                   tmp_path: Path) -> None:
    db, out = tmp_path / "db.duckdb", tmp_path / "out"
    hospmort("run", "--data", str(tiny_synth_dir), "--period-end", "2025-12", "--db", str(db), "--out", str(out))
    before_files = file_hashes(out)
    with open_store(db, read_only=True) as store:
        before = [(p.period_end, p.created_at) for p in list_publications(store)]
        before_rows = read_table(store, "shmi_trust")
    # The period needs deaths to 30 days after 2026-12, which the data do not have: nothing may change.
    result = hospmort("run", "--data", str(tiny_synth_dir), "--period-end", "2026-12", "--history", "13",
                      "--db", str(db), "--out", str(out), check=False)
    assert result.returncode == 2 and "DEATHS_COVERAGE" in result.stderr
    # A run whose store cannot be written (another process holds the DuckDB file) changes nothing either.
    locked = duckdb.connect(str(db))
    try:
        failed = hospmort("run", "--data", str(tiny_synth_dir), "--period-end", "2025-11", "--db", str(db),
                          "--out", str(out), check=False)
    finally:
        locked.close()
    assert failed.returncode != 0
    assert file_hashes(out) == before_files
    with open_store(db, read_only=True) as store:
        assert [(p.period_end, p.created_at) for p in list_publications(store)] == before
        assert read_table(store, "shmi_trust") == before_rows
    assert not [p for p in tmp_path.iterdir() if "staging" in p.name]


def test_publish_marks_the_publication_published(tiny_synth_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    result = hospmort("run", "--data", str(tiny_synth_dir), "--period-end", "2025-12", "--db", str(db), "--out",
                      str(tmp_path / "out"), "--publish")
    with open_store(db, read_only=True) as store:
        [publication] = list_publications(store)
        blocking = [r for r in read_table(store, "quality_check") if r["SEVERITY"] == "BLOCKING"]
    assert publication.status.value == ("draft" if blocking else "published")
    assert f"{TP}: {publication.status.value}" in result.stdout


def test_cohort_listing_explains_every_spell(tiny_synth_dir: Path, tiny_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "cohort.csv"
    hospmort("cohort", "--data", str(tiny_synth_dir), "--period-end", "2025-12", "--out", str(out))
    rows = read_rows(out)
    assert list(rows[0]) == ["SPELL_KEY", "HESID", "PROCODE3", "PROVSPNOPS", "SITETRET", "IN_SCOPE",
                             "EXCLUSION_REASON", "DIAGNOSIS_GROUP", "DIAGNOSIS_CODE", "AGE_GROUP", "GENDER",
                             "ADMIMETH_GROUP", "ADMISSION_MONTH", "CHARLSON_SCORE", "CHARLSON_INDEX",
                             "BIRTHWEIGHT_GROUP", "YEAR_INDEX", "DIED", "DIED_IN_HOSPITAL"]
    keys = [r["SPELL_KEY"] for r in rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    excluded = [r for r in rows if r["IN_SCOPE"] == "0"]
    assert excluded and all(r["EXCLUSION_REASON"] for r in excluded)
    assert all(not any(r[c] for c in list(r)[7:]) for r in excluded)
    reasons = {r["EXCLUSION_REASON"] for r in excluded}
    assert {"OUTSIDE_WINDOW", "PATIENT_CLASSIFICATION", "PROVIDER_NOT_IN_SCOPE"} <= reasons
    in_scope = [r for r in rows if r["IN_SCOPE"] == "1"]
    assert all(r["BIRTHWEIGHT_GROUP"] == "6" for r in in_scope
               if int(r["DIAGNOSIS_GROUP"]) not in (115, 116, 117, 118, 119, 141))
    with open_store(tiny_run / "db.duckdb", read_only=True) as store:
        data_quality = {(r["PROVIDER_CODE"], r["MEASURE"]): r["VALUE"] for r in read_table(store, "data_quality")}
    assert len(rows) == data_quality[("ALL", "SPELLS_BUILT")]
    assert len(in_scope) == data_quality[("ALL", "SPELLS_IN_SCOPE")]
    reporting_deaths = sum(int(r["DIED"]) for r in in_scope if r["YEAR_INDEX"] == "1")
    with open_store(tiny_run / "db.duckdb", read_only=True) as store:
        assert reporting_deaths == sum(t["OBSERVED"] for t in read_table(store, "shmi_trust"))
