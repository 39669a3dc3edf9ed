"""End-to-end tests of ``hospmort check``, run as a real process on small CSV and Parquet files."""

from __future__ import annotations

import csv
import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hospmort.config import Month
from hospmort.schema import EPISODE_FIELDS

pytestmark = pytest.mark.e2e

HOSPMORT = [str(Path(sys.executable).with_name("hospmort"))]
ARTIFICIAL_HES = Path(__file__).parents[1] / "data" / "artificial_hes" / "artificial_hes_apc_0102_sample.csv"
DEFAULTS = {
    "HESID": "P1", "PROCODE3": "RAA", "SITETRET": "RAA01", "PROVSPNOPS": "S1", "EPIORDER": "1", "EPISTAT": "3",
    "EPISTART": "2024-01-01", "EPIEND": "2024-01-05", "ADMIDATE": "2024-01-01", "DISDATE": "2024-01-05",
    "ADMIMETH": "21", "ADMISORC": "19", "DISMETH": "1", "DISDEST": "19", "CLASSPAT": "1", "STARTAGE": "70",
    "SEX": "1", "DIAG_4_01": "J189", "TRETSPEF": "300", "MAINSPEF": "300",
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HOSPMORT, "check", *args], capture_output=True, text=True, check=False)


def write_csv(path: Path, rows: list[dict[str, str]], header: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([row.get(column, "") for column in header] for row in rows)
    return path


def episode(epikey: str, **fields: str) -> dict[str, str]:
    return {"EPIKEY": epikey, **DEFAULTS, **fields}


def read_report(path: Path) -> list[tuple[str, str, str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [tuple(row) for row in csv.reader(handle)]  # type: ignore[misc]


def test_check_reports_every_rule_per_trust_and_writes_the_csv(tmp_path: Path) -> None:
    folder = tmp_path / "episodes"
    write_csv(folder / "a.csv", [episode("1", HESID="P1", SEX="7"), episode("2", HESID="P2")], list(EPISODE_FIELDS))
    rows = [episode("3", HESID="P3", PROCODE3="RBB"), episode("4", HESID="P4", PROCODE3="")]
    pq.write_table(pa.table({c: [r.get(c, "") for r in rows] for c in EPISODE_FIELDS}), folder / "b.parquet")
    deaths = write_csv(tmp_path / "deaths.csv", [{"HESID": "P1", "DOD": "2024-02-30"}], ["HESID", "DOD"])
    out = tmp_path / "report" / "dq.csv"
    result = run("--episodes", str(folder), "--deaths", str(deaths), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert re.search(r"CONTRACT_CODE_INVALID_SEX\s+1\s+RAA: 1\s+\|\s+7", result.stdout)
    report = read_report(out)
    assert report[0] == ("TIME_PERIOD", "PROVIDER_CODE", "MEASURE", "VALUE")
    assert report[1:] == [
        ("", "ALL", "CONTRACT_CODE_INVALID_SEX", "1"),
        ("", "ALL", "CONTRACT_DATE_INVALID", "1"),
        ("", "ALL", "CONTRACT_DOD_MISSING", "1"),
        ("", "ALL", "CONTRACT_KEY_MISSING", "1"),
        ("", "ALL", "EPISODES_NOT_FINISHED", "0"),
        ("", "ALL", "EPISODES_READ", "4"),
        ("", "ALL", "SPELLS_BUILT", "3"),
        ("", "ALL", "SPELLS_KEYED_BY_ADMIDATE", "0"),
        ("", "RAA", "CONTRACT_CODE_INVALID_SEX", "1"),
        ("", "RAA", "CONTRACT_DATE_INVALID", "0"),
        ("", "RAA", "CONTRACT_KEY_MISSING", "0"),
        ("", "RAA", "EPISODES_NOT_FINISHED", "0"),
        ("", "RAA", "EPISODES_READ", "2"),
        ("", "RAA", "SPELLS_BUILT", "2"),
        ("", "RAA", "SPELLS_KEYED_BY_ADMIDATE", "0"),
        ("", "RBB", "CONTRACT_CODE_INVALID_SEX", "0"),
        ("", "RBB", "CONTRACT_DATE_INVALID", "0"),
        ("", "RBB", "CONTRACT_KEY_MISSING", "0"),
        ("", "RBB", "EPISODES_NOT_FINISHED", "0"),
        ("", "RBB", "EPISODES_READ", "1"),
        ("", "RBB", "SPELLS_BUILT", "1"),
        ("", "RBB", "SPELLS_KEYED_BY_ADMIDATE", "0"),
    ]


def test_a_missing_required_column_exits_2_with_one_line_naming_file_column_rule(tmp_path: Path) -> None:
    header = [c for c in EPISODE_FIELDS if c != "DISMETH"]
    episodes = write_csv(tmp_path / "episodes.csv", [episode("1", HESID="SECRET")], header)
    deaths = write_csv(tmp_path / "deaths.csv", [], ["HESID", "DOD"])
    out = tmp_path / "dq.csv"
    result = run("--episodes", str(episodes), "--deaths", str(deaths), "--out", str(out))
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("hospmort: error:")]
    assert len(errors) == 1
    assert str(episodes) in errors[0] and "DISMETH" in errors[0] and "REQUIRED_COLUMN_MISSING" in errors[0]
    assert "SECRET" not in result.stderr + result.stdout
    assert not out.exists()


def test_the_artificial_hes_sample_reads_validates_and_builds_spells(tmp_path: Path) -> None:
    deaths = write_csv(tmp_path / "deaths.csv", [{"PSEUDO_HESID": "X", "DOD": "2002-01-01"}], ["PSEUDO_HESID", "DOD"])
    out = tmp_path / "dq.csv"
    result = run("--episodes", str(ARTIFICIAL_HES), "--deaths", str(deaths), "--column-map", "PSEUDO_HESID=HESID",
                 "--out", str(out))
    assert result.returncode == 0, result.stderr
    values = {(code, measure): int(value) for _tp, code, measure, value in read_report(out)[1:]}
    with ARTIFICIAL_HES.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert values[("ALL", "EPISODES_READ")] == len(rows) == 2075

    def admission(text: str) -> str:
        try:
            return "" if text in ("1800-01-01", "1801-01-01") else dt.date.fromisoformat(text).isoformat()
        except ValueError:
            return ""

    finished = [r for r in rows if r["EPISTAT"].strip() == "3"]
    keys = {(r["PSEUDO_HESID"], r["PROCODE3"].strip().upper(), admission(r["ADMIDATE"].strip())) for r in finished}
    assert values[("ALL", "SPELLS_BUILT")] == len(keys)
    assert values[("ALL", "SPELLS_KEYED_BY_ADMIDATE")] == len(keys)  # the sample has no PROVSPNOPS
    assert values[("ALL", "EPISODES_NOT_FINISHED")] == len(rows) - len(finished)


def _monthly_spells(months: list[Month]) -> list[dict[str, str]]:
    return [episode(f"E{i}", HESID=f"P{i}", ADMIDATE=f"{m}-01", EPISTART=f"{m}-01", DISDATE=f"{m}-10",
                    EPIEND=f"{m}-10") for i, m in enumerate(months)]


def _organisations(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "orgs.csv", [{"org_code": "RAA", "org_type": "trust", "trust_type": "acute"}],
                     ["org_code", "org_type", "trust_type"])


def test_with_a_period_end_the_report_adds_exclusions_and_the_run_is_usable(tmp_path: Path) -> None:
    months = [Month(2022, 1).shift(i) for i in range(36)]  # the modelling window of 2024-12
    rows = [*_monthly_spells(months), episode("DC", HESID="DC", CLASSPAT="2", DISDATE="2024-06-10")]
    episodes = write_csv(tmp_path / "episodes.csv", rows, list(EPISODE_FIELDS))
    deaths = write_csv(tmp_path / "deaths.csv", [{"HESID": "P35", "DOD": "2024-12-12"}], ["HESID", "DOD"])
    out = tmp_path / "dq.csv"
    result = run("--episodes", str(episodes), "--deaths", str(deaths), "--organisations",
                 str(_organisations(tmp_path)), "--period-end", "2024-12", "--deaths-complete-to", "2025-01-30",
                 "--out", str(out))
    assert result.returncode == 0, result.stderr
    values = {(tp, code, measure): value for tp, code, measure, value in read_report(out)[1:]}
    assert values[("JAN24_DEC24", "ALL", "SPELLS_IN_SCOPE")] == "36"
    assert values[("JAN24_DEC24", "RAA", "SPELLS_IN_SCOPE_REPORTING")] == "12"
    assert values[("JAN24_DEC24", "ALL", "EXCL_3_PATIENT_CLASSIFICATION_REPORTING")] == "1"
    assert values[("JAN24_DEC24", "ALL", "DEATHS_MATCHED")] == "1"


def test_a_month_without_spells_exits_2_after_printing_the_report(tmp_path: Path) -> None:
    months = [Month(2022, 1).shift(i) for i in range(36) if i != 5]
    episodes = write_csv(tmp_path / "episodes.csv", _monthly_spells(months), list(EPISODE_FIELDS))
    deaths = write_csv(tmp_path / "deaths.csv", [{"HESID": "P1", "DOD": "2025-03-01"}], ["HESID", "DOD"])
    result = run("--episodes", str(episodes), "--deaths", str(deaths), "--organisations",
                 str(_organisations(tmp_path)), "--period-end", "2024-12")
    assert result.returncode == 2
    assert "SPELLS_IN_SCOPE" in result.stdout
    assert "2022-06" in result.stderr and "EPISODE_COVERAGE" in result.stderr


def test_without_organisations_a_period_end_run_says_they_are_needed(tmp_path: Path) -> None:
    episodes = write_csv(tmp_path / "episodes.csv", _monthly_spells([Month(2024, 6)]), list(EPISODE_FIELDS))
    deaths = write_csv(tmp_path / "deaths.csv", [], ["HESID", "DOD"])
    result = run("--episodes", str(episodes), "--deaths", str(deaths), "--period-end", "2024-12",
                 "--deaths-complete-to", "2025-02-01")
    assert result.returncode == 2
    assert "--organisations" in result.stderr and "NO_TRUST_IN_SCOPE" in result.stderr


def test_engine_options_can_come_from_a_config_file(tmp_path: Path) -> None:
    episodes = write_csv(tmp_path / "episodes.csv", [episode("1")], list(EPISODE_FIELDS))
    deaths = write_csv(tmp_path / "deaths.csv", [], ["HESID", "DOD"])
    config = tmp_path / "run.toml"
    config.write_text(f'memory-limit = "1GB"\nthreads = 1\ntemp-dir = "{tmp_path / "spill"}"\n'
                      f'episodes = "{episodes}"\ndeaths = "{deaths}"\n', encoding="utf-8")
    result = run("--config", str(config))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "spill").is_dir()
    assert re.search(r"SPELLS_BUILT\s+1", result.stdout)
