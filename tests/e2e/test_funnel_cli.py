"""End-to-end tests of ``hospmort funnel``, run as a real process."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

HOSPMORT = [str(Path(sys.executable).with_name("hospmort"))]
TWELVE = """PROVIDER_CODE,OBSERVED,EXPECTED
T01,412,455.315
T02,1620,1402.774
T03,865,871.2049
T04,1985,2316.455
T05,298,251.9
T06,640,662.5
T07,1105,1098.3
T08,980,912.846
T09,745,801.1
T10,1890,1795.0
T11,505,532.25
T12,640,662.5
"""
HEADER = ["UNIT", "OBSERVED", "EXPECTED", "RATIO", "BANDING", "PO_LL", "PO_UL", "OD_LL", "OD_UL", "OD_LL_998",
          "OD_UL_998"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HOSPMORT, *args], capture_output=True, text=True, check=False)


def test_funnel_writes_the_worked_example_with_a_summary(tmp_path: Path) -> None:
    source = tmp_path / "trusts.csv"
    source.write_text("\ufeff" + TWELVE, encoding="utf-8")  # a byte-order mark is accepted
    out, summary = tmp_path / "limits.csv", tmp_path / "summary.json"
    result = run("funnel", "--input", str(source), "--output", str(out), "--summary", str(summary))
    assert result.returncode == 0, result.stderr
    with out.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == HEADER
    by_unit = {row[0]: dict(zip(HEADER, row, strict=True)) for row in rows[1:]}
    assert [by_unit[f"T{i:02d}"]["BANDING"] for i in range(1, 13)] == list("212312222222")
    t05 = by_unit["T05"]
    assert t05["EXPECTED"] == "251.9"
    assert float(t05["OD_UL"]) == pytest.approx(1.174390, abs=5e-7)
    assert float(t05["PO_UL"]) == pytest.approx(1.204182, abs=5e-7)
    assert float(t05["OD_UL_998"]) == pytest.approx(1.288463, abs=5e-7)
    assert len(t05["RATIO"].replace(".", "").lstrip("0")) >= 10  # unrounded, at least 10 significant digits
    assert float(by_unit["T04"]["EXPECTED"]) == 2316.46
    facts = json.loads(summary.read_text())
    assert facts["units"] == 12 and facts["units_kept"] == 10
    assert facts["tau2"] == pytest.approx(0.002756868851, abs=5e-13)
    assert "12 units, 10 kept" in result.stderr


def test_funnel_accepts_named_columns_and_a_config_file(tmp_path: Path) -> None:
    source = tmp_path / "peers.csv"
    source.write_text("trust,deaths,predicted,other\nA,100,108,x\nB,150,112,y\nC,180,165,z\n")
    out = tmp_path / "out.csv"
    config = tmp_path / "funnel.toml"
    config.write_text(f'input = "{source}"\nunit-column = "trust"\nobserved-column = "deaths"\n'
                      'expected-column = "predicted"\n')
    result = run("funnel", "--config", str(config), "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert [row[0] for row in csv.reader(out.open())][1:] == ["A", "B", "C"]


@pytest.mark.parametrize(
    ("content", "rule", "column", "count"),
    [
        ("unit,observed,expected\n", "INPUT_EMPTY", None, "0"),
        ("", "INPUT_EMPTY", None, "0"),
        ("unit,observed\nA,1\n", "REQUIRED_COLUMN_MISSING", "unit/observed/expected", "1"),
        ("unit,observed,expected\nA,1,2\nB,x,3\nC,?,4\n", "NUMBER_INVALID", "observed", "2"),
        ("unit,observed,expected\nA,-1,2\n", "VALUE_NEGATIVE", "observed", "1"),
        ("unit,observed,expected\nA,1,0\nB,2,0.001\n", "EXPECTED_NOT_POSITIVE", "expected", "2"),
        ("unit,observed,expected\nA,1,2\nA,3,4\nB,1,1\n", "UNIT_DUPLICATE", "unit", "2"),
    ],
)
def test_bad_input_gives_one_line_naming_file_column_rule_and_count_and_no_output(
        tmp_path: Path, content: str, rule: str, column: str | None, count: str) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(content)
    out = tmp_path / "out.csv"
    result = run("funnel", "--input", str(source), "--output", str(out))
    assert result.returncode == 2
    message = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(message) == 1
    assert str(source) in message[0] and rule in message[0] and f"by {count} row" in message[0]
    if column:
        assert f"column {column}" in message[0]
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [source]  # no temporary file left behind either


def test_a_missing_input_file_is_unreadable(tmp_path: Path) -> None:
    result = run("funnel", "--input", str(tmp_path / "none.csv"), "--output", str(tmp_path / "o.csv"))
    assert result.returncode == 2
    assert "FILE_UNREADABLE" in result.stderr
