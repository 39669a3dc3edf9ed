"""End-to-end tests of ``hospmort synth``, run as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

HOSPMORT = [str(Path(sys.executable).with_name("hospmort"))]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HOSPMORT, *args], capture_output=True, text=True, check=False)


def test_synth_writes_the_data_set_layout_and_reports_what_it_wrote(tmp_path: Path) -> None:
    out = tmp_path / "data"
    result = run("synth", "--out", str(out), "--scale", "tiny", "--start", "2025-10", "--end", "2025-12",
                 "--seed", "5", "--defect-rate", "0.01")
    assert result.returncode == 0, result.stderr
    assert "episodes" in result.stdout and str(out) in result.stdout
    assert sorted(p.name for p in out.iterdir()) == ["deaths.parquet", "episodes", "organisations.csv", "truth"]
    assert list((out / "episodes").glob("part-*.parquet"))
    settings = json.loads((out / "truth" / "settings.json").read_text())
    assert (settings["scale"], settings["start"], settings["end"], settings["seed"], settings["defect_rate"]) == (
        "tiny", "2025-10", "2025-12", 5, 0.01)
    assert settings["deaths_complete_to"] == "2026-03-01"


def test_synth_defaults_to_the_60_months_ending_with_end(tmp_path: Path) -> None:
    out = tmp_path / "data"
    result = run("synth", "--out", str(out), "--scale", "tiny", "--end", "2024-06", "--defect-rate", "0")
    assert result.returncode == 0, result.stderr
    settings = json.loads((out / "truth" / "settings.json").read_text())
    assert (settings["start"], settings["end"]) == ("2019-07", "2024-06")


@pytest.mark.parametrize("arguments", [
    ("--scale", "galactic"),
    ("--start", "2025-12", "--end", "2025-01"),
    ("--defect-rate", "0.5"),
    ("--end", "2025-13"),
])
def test_synth_refuses_impossible_options_with_exit_code_2(tmp_path: Path, arguments: tuple[str, ...]) -> None:
    result = run("synth", "--out", str(tmp_path / "data"), *arguments)
    assert result.returncode == 2
    assert "error" in result.stderr.lower()
