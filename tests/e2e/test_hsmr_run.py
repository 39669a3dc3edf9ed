"""End-to-end tests of the HSMR in ``hospmort run`` (hsmr.md §2, §10, §11.9-§11.10) on synthetic data.

On ``tiny`` data: the files and their headers, the stored tables, national HSMR = 100, disclosure, the extract,
``--indicators``, a missing look-back, and an HSMR failure (a rejected basket file) that leaves the SHMI
publication intact with the finding ``HSMR_NOT_COMPUTED``. On ``regional`` data (slow): the trust planted with
heavy palliative care coding has a much lower HSMR than SHMI and the comparison puts the gap on palliative
care; CIPS that cross trusts give a record to every trust involved; national HSMR = 100.
"""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from hospmort.store import list_publications, open_store, read_table

pytestmark = pytest.mark.e2e

HOSPMORT = str(Path(sys.executable).with_name("hospmort"))
TP = "JAN25_DEC25"
HSMR_FILES = {f"HSMR_trust_level_{TP}.csv", f"HSMR_group_level_{TP}.csv", f"HSMR_SHMI_comparison_{TP}.csv",
              f"HSMR_model_predict_statistics_{TP}.csv", f"HSMR_model_fit_statistics_{TP}.csv",
              f"HSMR_calibration_{TP}.csv", f"HSMR_basket_{TP}.csv"}
HSMR_TABLES = ("hsmr_trust", "hsmr_group", "hsmr_comparison", "hsmr_model_predict", "hsmr_model_fit",
               "hsmr_calibration", "hsmr_basket", "hsmr_category_sums", "hsmr_data_quality")


def hospmort(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([HOSPMORT, *args], capture_output=True, text=True, check=False)
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def header(path: Path) -> str:
    return path.read_text(encoding="utf-8").splitlines()[0]


def run_args(data: Path, work: Path, *extra: str, period_end: str = "2025-12") -> list[str]:
    return ["run", "--data", str(data), "--period-end", period_end, "--db", str(work / "db.duckdb"),
            "--out", str(work / "out"), "--memory-limit", "4GB", *extra]


@pytest.fixture(scope="module")
def tiny_run(tiny_synth_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("hsmr_run")
    hospmort(*run_args(tiny_synth_dir, work, "--extract", str(work / "extract")))
    return work


def test_the_hsmr_files_are_written_beside_the_shmi_files_with_their_headers(tiny_run: Path) -> None:
    out = tiny_run / "out"
    names = {p.name for p in out.iterdir()}
    assert names >= HSMR_FILES and f"SHMI_trust_level_{TP}.csv" in names
    assert f"HSMR_data_quality_{TP}.csv" in {p.name for p in (out / "internal").iterdir()}
    assert header(out / f"HSMR_trust_level_{TP}.csv") == (
        "TIME_PERIOD,PROVIDER_CODE,PROVIDER_NAME,BASKET_ID,CIPS,OBSERVED,EXPECTED,HSMR_VALUE,HSMR_BANDING,"
        "HSMR_BANDING_95,LL_95,UL_95,LL_998,UL_998,CI_METHOD,REBASING_FACTOR,CIPS_UNIQUE,OBSERVED_UNIQUE")
    assert header(out / f"HSMR_group_level_{TP}.csv") == (
        "TIME_PERIOD,PROVIDER_CODE,PROVIDER_NAME,BREAKDOWN,BREAKDOWN_VALUE,BREAKDOWN_LABEL,REBASING,CIPS,OBSERVED,"
        "EXPECTED,HSMR_VALUE,HSMR_BANDING,HSMR_BANDING_95,LL_95,UL_95,LL_998,UL_998,CI_METHOD")
    assert header(out / f"HSMR_SHMI_comparison_{TP}.csv") == (
        "TIME_PERIOD,PROVIDER_CODE,PROVIDER_NAME,SHMI_VALUE,SHMI_BANDING,HSMR_VALUE,HSMR_BANDING,"
        "SHMI_X100_UNROUNDED_E,I1_IN_HOSPITAL_ONLY,I2_BASKET_ONLY,I3_NO_PALLIATIVE,HSMR_UNROUNDED_E,GAP,"
        "C_POST_DISCHARGE,C_OUTSIDE_BASKET,C_PALLIATIVE,C_OTHER_CASEMIX,PCT_SHMI_DEATHS_OUTSIDE_HOSPITAL,"
        "PCT_SHMI_SPELLS_IN_BASKET,PCT_HSMR_CIPS_PALLIATIVE")
    assert header(out / f"HSMR_model_predict_statistics_{TP}.csv") == (
        "INDICATOR_CODE,MODEL,CCS_CATEGORY,PREDICTOR,PARAMETER_ESTIMATE,STANDARD_ERROR,WALD_CHI_SQUARE,WALD_DF,"
        "WALD_P_VALUE")
    assert header(out / f"HSMR_model_fit_statistics_{TP}.csv") == (
        "MODEL,CCS_CATEGORY,CIPS,DEATHS,C_STATISTIC,CONVERGED,FIT_METHOD,ITERATIONS,ALIASED_PREDICTORS")
    assert header(out / f"HSMR_calibration_{TP}.csv") == "MODEL,CCS_CATEGORY,DECILE,CIPS,OBSERVED,EXPECTED,MEAN_RISK"
    assert header(out / f"HSMR_basket_{TP}.csv") == (
        "BASKET_ID,CCS_CATEGORY,CCS_LABEL,SOURCE,NATIONAL_DEATHS,CUMULATIVE_SHARE,RANK")
    assert header(out / "internal" / f"HSMR_data_quality_{TP}.csv") == "TIME_PERIOD,PROVIDER_CODE,MEASURE,VALUE"


def test_the_hsmr_is_stored_in_the_same_publication(tiny_run: Path) -> None:
    with open_store(tiny_run / "db.duckdb", read_only=True) as store:
        [publication] = list_publications(store)
        tables = {name: read_table(store, name) for name in HSMR_TABLES}
        checks = [r["CHECK"] for r in read_table(store, "quality_check")]
        shmi = read_table(store, "shmi_trust")
    assert [i.value for i in publication.indicators] == ["SHMI", "HSMR"]
    assert all(tables[name] for name in HSMR_TABLES)
    assert "HSMR_NOT_COMPUTED" not in checks
    england = next(r for r in tables["hsmr_trust"] if r["PROVIDER_CODE"] == "ENG")
    assert england["HSMR_VALUE"] == 100.0
    assert {r["PROVIDER_CODE"] for r in tables["hsmr_comparison"]} <= {*(r["PROVIDER_CODE"] for r in shmi), "ENG"}
    manifest = json.loads((tiny_run / "out" / "manifest.json").read_text())
    [stage] = [s for s in manifest["stages"] if s["stage"] == "publication" and s.get("period_end") == "2025-12"]
    assert stage["hsmr"]["computed"] is True and stage["hsmr"]["lookback_months_missing"] == []


def test_englands_published_hsmr_is_100(tiny_run: Path) -> None:
    rows = read_rows(tiny_run / "out" / f"HSMR_trust_level_{TP}.csv")
    assert rows[0]["PROVIDER_CODE"] == "ENG"
    assert rows[0]["HSMR_VALUE"] == "100.00" and rows[0]["EXPECTED"] == f"{int(rows[0]['OBSERVED'])}.00"
    assert int(rows[0]["CIPS"]) >= int(rows[0]["CIPS_UNIQUE"])
    comparison = read_rows(tiny_run / "out" / f"HSMR_SHMI_comparison_{TP}.csv")
    assert comparison[0]["PROVIDER_CODE"] == "ENG" and comparison[0]["I3_NO_PALLIATIVE"] == "100.00"


def test_published_hsmr_counts_are_disclosure_controlled(tiny_run: Path) -> None:
    checked = 0
    for name in (f"HSMR_trust_level_{TP}.csv", f"HSMR_group_level_{TP}.csv"):
        for row in read_rows(tiny_run / "out" / name):
            if row["PROVIDER_CODE"] == "ENG":
                continue
            for column in ("CIPS", "OBSERVED", "EXPECTED"):
                value = row[column]
                assert value == "*" or (int(value) % 5 == 0 and not 1 <= int(value) <= 7), (name, column, value)
                checked += 1
            if row["HSMR_VALUE"] == "*":
                assert row["LL_95"] == row["HSMR_BANDING"] == "*"
    assert checked > 100


def test_the_extract_has_one_hsmr_file_per_trust_with_records(tiny_run: Path) -> None:
    extract = tiny_run / "extract"
    files = sorted(p.name for p in extract.glob("HSMR_extract_*.csv"))
    trusts = [r["PROVIDER_CODE"] for r in read_rows(tiny_run / "out" / f"HSMR_trust_level_{TP}.csv")
              if r["PROVIDER_CODE"] != "ENG"]
    assert files == [f"HSMR_extract_{t}_{TP}.csv" for t in trusts]
    assert not list((tiny_run / "out").glob("HSMR_extract_*"))


def test_indicators_shmi_leaves_the_hsmr_out_and_a_list_without_shmi_is_refused(
        tiny_synth_dir: Path, tmp_path: Path) -> None:
    hospmort(*run_args(tiny_synth_dir, tmp_path, "--indicators", "shmi"))
    assert not list((tmp_path / "out").glob("HSMR_*"))
    with open_store(tmp_path / "db.duckdb", read_only=True) as store:
        [publication] = list_publications(store)
        assert not read_table(store, "hsmr_trust")
    assert [i.value for i in publication.indicators] == ["SHMI"]
    refused = hospmort(*run_args(tiny_synth_dir, tmp_path / "again", "--indicators", "hsmr"), check=False)
    assert refused.returncode == 2 and "always computes the SHMI" in refused.stderr


def test_a_rejected_basket_file_leaves_the_shmi_publication_intact(tiny_synth_dir: Path, tmp_path: Path) -> None:
    basket = tmp_path / "basket.csv"
    basket.write_text("BASKET_ID,CCS_CATEGORY\nHSMR,122\nHSMR,122\n", encoding="utf-8")
    work = tmp_path / "work"
    result = hospmort(*run_args(tiny_synth_dir, work, "--basket", str(basket), "--extract", str(work / "extract")))
    assert "HSMR JAN25_DEC25 not computed" in result.stderr and "row 3" in result.stderr
    out = work / "out"
    assert (out / f"SHMI_trust_level_{TP}.csv").is_file()
    assert not list(out.rglob("HSMR_*")) and not list((work / "extract").glob("HSMR_*"))
    assert list((work / "extract").glob("SHMI_extract_*"))
    with open_store(work / "db.duckdb", read_only=True) as store:
        [publication] = list_publications(store)
        assert all(not read_table(store, name) for name in HSMR_TABLES)
        assert read_table(store, "shmi_trust")
        findings = [r for r in read_table(store, "quality_check") if r["CHECK"] == "HSMR_NOT_COMPUTED"]
    assert [i.value for i in publication.indicators] == ["SHMI"]
    assert [(f["SEVERITY"], f["VALUE"], f["PROVIDER_CODE"]) for f in findings] == [("WARNING", None, None)]
    report = read_rows(out / "internal" / f"SHMI_quality_check_{TP}.csv")
    assert [(r["SEVERITY"], r["VALUE"]) for r in report if r["CHECK"] == "HSMR_NOT_COMPUTED"] == [("WARNING", "")]
    manifest = json.loads((out / "manifest.json").read_text())
    [stage] = [s for s in manifest["stages"] if s["stage"] == "publication"]
    assert stage["hsmr"]["computed"] is False and "BASKET_FILE" in stage["hsmr"]["reason"]


def test_a_run_whose_input_lacks_look_back_months_completes_and_counts_them(tiny_synth_dir: Path,
                                                                            tmp_path: Path) -> None:
    """hsmr.md §11.9: tiny data start in 2021, so the look-back of 2024-06 (2020-07 to 2021-06) is incomplete."""
    result = hospmort(*run_args(tiny_synth_dir, tmp_path, period_end="2024-06"))
    assert "look-back month 2020-07" in result.stderr
    quality = read_rows(tmp_path / "out" / "internal" / "HSMR_data_quality_JUL23_JUN24.csv")
    [missing] = [int(r["VALUE"]) for r in quality if r["MEASURE"] == "LOOKBACK_MONTHS_MISSING"]
    assert missing > 0
    assert (tmp_path / "out" / "HSMR_trust_level_JUL23_JUN24.csv").is_file()


# --- regional scale (slow) ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def regional_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Regional data for the 48 months one HSMR publication needs, and its run with an extract."""
    work = tmp_path_factory.mktemp("hsmr_regional")
    data = work / "data"
    hospmort("synth", "--out", str(data), "--scale", "regional", "--start", "2022-01", "--end", "2025-12")
    hospmort("run", "--data", str(data), "--period-end", "2025-12", "--db", str(work / "db.duckdb"),
             "--out", str(work / "out"), "--extract", str(work / "extract"), "--memory-limit", "6GB")
    return data, work


@pytest.mark.slow
def test_the_palliative_heavy_trust_has_a_much_lower_hsmr_than_shmi_because_of_palliative_care(
        regional_run: tuple[Path, Path]) -> None:
    data, work = regional_run
    with (data / "truth" / "trust_effects.csv").open(newline="") as handle:
        planted = [r["org_code"] for r in csv.DictReader(handle) if r["effect_kind"] == "palliative_heavy"]
    assert planted
    with open_store(work / "db.duckdb", read_only=True) as store:
        comparison = {r["PROVIDER_CODE"]: r for r in read_table(store, "hsmr_comparison")}
    others = [r for code, r in comparison.items() if code not in planted and code != "ENG"]
    for code in planted:
        row = comparison[code]
        assert row["HSMR_UNROUNDED_E"] < row["SHMI_X100_UNROUNDED_E"] - 10
        contributions = {name: row[name] for name in ("C_POST_DISCHARGE", "C_OUTSIDE_BASKET", "C_PALLIATIVE",
                                                      "C_OTHER_CASEMIX")}
        assert min(contributions, key=lambda name: contributions[name]) == "C_PALLIATIVE"
        assert row["C_PALLIATIVE"] < 0.5 * row["GAP"]
        assert row["C_PALLIATIVE"] < min(r["C_PALLIATIVE"] for r in others) - 5
    for row in comparison.values():
        total = row["C_POST_DISCHARGE"] + row["C_OUTSIDE_BASKET"] + row["C_PALLIATIVE"] + row["C_OTHER_CASEMIX"]
        assert abs(total - row["GAP"]) <= 1e-9


@pytest.mark.slow
def test_cips_that_cross_trusts_give_a_record_to_every_trust_involved(regional_run: tuple[Path, Path]) -> None:
    _, work = regional_run
    trusts_of: dict[str, set[str]] = {}
    declared: dict[str, int] = {}
    for path in sorted((work / "extract").glob(f"HSMR_extract_*_{TP}.csv")):
        trust = path.name.split("_")[2]
        for row in read_rows(path):
            trusts_of.setdefault(row["CIPS_KEY"], set()).add(trust)
            declared[row["CIPS_KEY"]] = int(row["TRUSTS_IN_CIPS"])
    crossing = [key for key, n in declared.items() if n > 1]
    assert len(crossing) > 100
    assert all(len(trusts_of[key]) == declared[key] for key in declared)
    assert Counter(len(t) for t in trusts_of.values())[2] == sum(1 for n in declared.values() if n == 2)


@pytest.mark.slow
def test_national_hsmr_is_100_and_the_trusts_rebased_expected_deaths_add_up(regional_run: tuple[Path, Path]) -> None:
    _, work = regional_run
    with open_store(work / "db.duckdb", read_only=True) as store:
        rows = read_table(store, "hsmr_trust")
        groups = read_table(store, "hsmr_group")
        fits = read_table(store, "hsmr_model_fit")
    england = next(r for r in rows if r["PROVIDER_CODE"] == "ENG")
    assert england["HSMR_VALUE"] == 100.0
    assert england["CIPS"] > england["CIPS_UNIQUE"]
    trusts = [r for r in rows if r["PROVIDER_CODE"] != "ENG"]
    assert len(trusts) == 25
    assert math.fsum(r["EXPECTED"] for r in trusts) == pytest.approx(england["OBSERVED"], rel=1e-12)
    assert all(r["HSMR_VALUE"] == 100.0 for r in groups
               if r["PROVIDER_CODE"] == "ENG" and r["REBASING"] == "CELL" and r["HSMR_VALUE"] is not None)
    assert all(r["CONVERGED"] == 1 for r in fits if r["DEATHS"] >= 100)
    published = read_rows(work / "out" / f"HSMR_trust_level_{TP}.csv")
    assert published[0]["HSMR_VALUE"] == "100.00"
