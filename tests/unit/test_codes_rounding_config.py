"""Code normalisation, rounding and windows (shmi.md §2.2, §3, §19 item 23)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospmort.config import Month, Windows
from hospmort.errors import ConfigError
from hospmort.refdata.codes import (
    is_well_formed_diagnosis,
    normalise_code,
    normalise_diagnosis,
    normalise_diagnosis_sql,
)
from hospmort.rounding import format_fixed, format_significant, round_half_up

NORM_EXAMPLES = [("j18.9", "J189"), ("J18", "J18X"), ("E112D", "E112"), ("C61-", "C61X"), ("", ""),
                 (" k35 9 ", "K359"), ("A01*", "A01X"), ("A01†", "A01X"), ("J40X", "J40X")]


def sql_norm(raw: str) -> str:
    row = duckdb.connect().execute(
        f"SELECT {normalise_diagnosis_sql('c')} FROM (SELECT ?::VARCHAR AS c)", [raw]).fetchone()
    assert row is not None
    return str(row[0])


@pytest.mark.parametrize(("raw", "normalised"), NORM_EXAMPLES)
def test_norm_examples(raw: str, normalised: str) -> None:
    assert normalise_diagnosis(raw) == normalised


def test_sql_norm_agrees_with_python_on_the_examples() -> None:
    for raw, normalised in NORM_EXAMPLES:
        assert sql_norm(raw) == normalised
    con = duckdb.connect()
    assert con.execute(f"SELECT {normalise_diagnosis_sql('NULL')}").fetchone() == ("",)


@given(st.text(alphabet="abcJKXZ0123456789.-*+ †", max_size=8))
def test_sql_norm_agrees_with_python_on_any_text(raw: str) -> None:
    assert sql_norm(raw) == normalise_diagnosis(raw)


def test_codes_read_back_from_numbers() -> None:
    assert normalise_code("4.0") == "4"
    assert normalise_code(" 2a ") == "2A"
    assert normalise_code(None) == ""


def test_well_formed_diagnosis() -> None:
    assert is_well_formed_diagnosis("J189") and is_well_formed_diagnosis("J18X")
    assert not is_well_formed_diagnosis("1234") and not is_well_formed_diagnosis("J1")


def test_round_half_up_uses_the_shortest_decimal() -> None:
    assert round_half_up(2316.455, 2) == 2316.46
    assert round_half_up(455.315, 2) == 455.32
    assert round_half_up(-0.125, 2) == -0.13
    assert format_fixed(1.18300913, 4) == "1.1830"
    assert format_fixed(31.25, 0) == "31"
    assert format_significant(2.8398827437818666, 10) == "2.839882744"


def test_time_period_and_windows() -> None:
    w = Windows(Month.parse("2025-12"))
    assert w.time_period == "JAN25_DEC25"
    assert Windows(Month.parse("2026-01")).time_period == "FEB25_JAN26"
    assert (w.reporting_start, w.reporting_end) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert (w.modelling_start, w.modelling_end) == (dt.date(2023, 1, 1), dt.date(2025, 12, 31))
    assert w.deaths_needed_to == dt.date(2026, 1, 30)
    assert [w.year_index(dt.date(y, 6, 1)) for y in (2025, 2024, 2023, 2022)] == [1, 2, 3, None]
    assert w.year_index(dt.date(2025, 1, 1)) == 1 and w.year_index(dt.date(2024, 12, 31)) == 2


@pytest.mark.parametrize("text", ["2025-13", "25-01", "2025/01", ""])
def test_bad_months_are_config_errors(text: str) -> None:
    with pytest.raises(ConfigError):
        Month.parse(text)
