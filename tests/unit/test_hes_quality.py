"""The data-quality report (shmi.md §16.8): assembly, CSV layout and the terminal renderings."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from hospmort.hes.quality import (
    DataQualityRow,
    assemble_quality_report,
    format_quality_report_text,
    quality_report_table,
    write_quality_report_csv,
)

ROWS = (
    DataQualityRow("ALL", "CONTRACT_CODE_INVALID_SEX", 3),
    DataQualityRow("RBB", "CONTRACT_CODE_INVALID_SEX", 3),
    DataQualityRow("ALL", "CONTRACT_DOD_MISSING", 2),
    DataQualityRow("ALL", "SPELLS_BUILT", 10),
    DataQualityRow("RAA", "SPELLS_BUILT", 4),
)


def test_every_trust_gets_every_per_trust_measure_and_all_only_measures_stay_on_all() -> None:
    report = assemble_quality_report(["RBB", "RAA"], ROWS[:2], ROWS[2:], [DataQualityRow("RBB", "SPELLS_BUILT", 6)])
    assert report == (
        DataQualityRow("ALL", "CONTRACT_CODE_INVALID_SEX", 3),
        DataQualityRow("ALL", "CONTRACT_DOD_MISSING", 2),
        DataQualityRow("ALL", "SPELLS_BUILT", 10),
        DataQualityRow("RAA", "CONTRACT_CODE_INVALID_SEX", 0),
        DataQualityRow("RAA", "SPELLS_BUILT", 4),
        DataQualityRow("RBB", "CONTRACT_CODE_INVALID_SEX", 3),
        DataQualityRow("RBB", "SPELLS_BUILT", 6),
    )


def test_the_csv_has_the_layout_of_16_8(tmp_path: Path) -> None:
    path = tmp_path / "internal" / "SHMI_data_quality_JAN24_DEC24.csv"
    write_quality_report_csv(path, list(reversed(ROWS)), "JAN24_DEC24")
    assert path.read_bytes().decode("utf-8").splitlines() == [
        "TIME_PERIOD,PROVIDER_CODE,MEASURE,VALUE",
        "JAN24_DEC24,ALL,CONTRACT_CODE_INVALID_SEX,3",
        "JAN24_DEC24,ALL,CONTRACT_DOD_MISSING,2",
        "JAN24_DEC24,ALL,SPELLS_BUILT,10",
        "JAN24_DEC24,RAA,SPELLS_BUILT,4",
        "JAN24_DEC24,RBB,CONTRACT_CODE_INVALID_SEX,3",
    ]
    assert b"\r" not in path.read_bytes()


def test_the_renderings_show_all_values_contract_trusts_and_examples() -> None:
    examples = {"CONTRACT_CODE_INVALID_SEX": ("4", "7")}
    text = format_quality_report_text(ROWS, examples)
    lines = text.splitlines()
    assert lines[1].split() == ["CONTRACT_CODE_INVALID_SEX", "3", "RBB:", "3", "|", "4,", "7"]
    assert lines[3].split() == ["SPELLS_BUILT", "10"]  # no per-trust detail outside contract and exclusions
    console = Console(record=True, width=120)
    console.print(quality_report_table(ROWS, examples))
    rendered = console.export_text()
    assert "CONTRACT_CODE_INVALID_SEX" in rendered and "RBB: 3" in rendered and "4, 7" in rendered
