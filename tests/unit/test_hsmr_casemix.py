"""HSMR diagnosis category and case-mix levels (hsmr.md §5.1, §6.1, §6.2): each derivation on fixed vectors
taken from the rule text."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from hospmort.config import Month
from hospmort.hsmr.basket import category_labels
from hospmort.hsmr.casemix import (
    COVARIATE_NAMES,
    admission_method_level_sql,
    admission_source_level_sql,
    charlson_band_sql,
    financial_year_level_sql,
    hsmr_category_sql,
    hsmr_covariates,
    imd_quintile_level_sql,
    palliative_level_sql,
    prev_emergency_level_sql,
)
from hospmort.riskmodel import FixedReference, ModalReference


def _levels(expression_of: str, values: list[object], sql_type: str = "VARCHAR") -> list[object]:
    """Apply a level expression over column ``x`` to each value, in order."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t (i INTEGER, x {sql_type})")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(values)))
    return [row[0] for row in con.execute(f"SELECT {expression_of} FROM t ORDER BY i").fetchall()]


def test_the_covariates_are_in_the_design_order_of_section_6_1() -> None:
    assert COVARIATE_NAMES == ("AGE_GROUP", "GENDER", "ADMISSION_METHOD", "ADMISSION_SOURCE", "IMD_QUINTILE",
                               "CHARLSON_BAND", "PALLIATIVE", "PREV_EMERGENCY", "FINANCIAL_YEAR", "ADMISSION_MONTH")


def test_reference_levels_are_level_1_for_charlson_palliative_previous_emergencies_and_year_else_modal() -> None:
    rules = {c.name: c.reference for c in hsmr_covariates()}
    for name in ("CHARLSON_BAND", "PALLIATIVE", "PREV_EMERGENCY", "FINANCIAL_YEAR"):
        assert rules[name] == FixedReference(1), name
    for name in ("AGE_GROUP", "GENDER", "ADMISSION_METHOD", "ADMISSION_SOURCE", "IMD_QUINTILE", "ADMISSION_MONTH"):
        assert isinstance(rules[name], ModalReference), name


def test_the_companion_model_leaves_out_only_palliative() -> None:
    names = [c.name for c in hsmr_covariates(with_palliative=False)]
    assert names == [n for n in COVARIATE_NAMES if n != "PALLIATIVE"]


def test_the_category_is_the_ccs_category_with_covid_900_and_invalid_999() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE lk AS SELECT * FROM (VALUES ('J189', 122), ('U071', 259), ('I219', 100)) t(code, ccs)")
    rows = con.execute(f"""
        SELECT x, {hsmr_category_sql('x', 'lk.ccs')}
        FROM (VALUES (1, 'J189'), (2, 'U071'), (3, 'U072'), (4, 'I219'), (5, 'Q999'), (6, ''), (7, NULL)) v(i, x)
        LEFT JOIN lk ON lk.code = v.x ORDER BY i""").fetchall()
    assert [r[1] for r in rows] == [122, 900, 900, 100, 999, 999, 999]


@pytest.mark.parametrize(("codes", "level"), [
    (["11", "12", "13"], 1),
    (["21", "22", "23", "24", "25", "28", "2A", "2B", "2C", "2D"], 2),
    (["31", "32", "81", "82", "83", "84", "89"], 3),
])
def test_admission_method_levels(codes: list[str], level: int) -> None:
    assert _levels(admission_method_level_sql("x"), list(codes)) == [level] * len(codes)


@pytest.mark.parametrize(("codes", "level"), [
    (["19", "29"], 1),
    (["49", "50", "51", "52", "53", "87"], 2),
    (["54", "55", "56", "65", "66", "85", "86", "88"], 3),
    (["30", "37", "48", "69", "79", "89", "98", "99", "", None], 4),
])
def test_admission_source_levels_put_hospices_with_care_homes_and_anything_else_in_4(codes: list[object],
                                                                                  level: int) -> None:
    assert _levels(admission_source_level_sql("x"), codes) == [level] * len(codes)


def test_charlson_bands_follow_the_score_boundaries() -> None:
    scores = [0, 1, 5, 6, 10, 11, 15, 16, 20, 21, 37]
    assert _levels(charlson_band_sql("x"), scores, "INTEGER") == [1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]


def test_palliative_flag_0_is_level_1_and_1_is_level_2() -> None:
    assert _levels(palliative_level_sql("x"), [0, 1], "INTEGER") == [1, 2]


def test_previous_emergency_admissions_are_banded_0_1_2_and_3_or_more() -> None:
    assert _levels(prev_emergency_level_sql("x"), [0, 1, 2, 3, 4, 17, None], "INTEGER") == [1, 2, 3, 4, 4, 4, 1]


def test_a_known_quintile_is_its_level_and_an_unknown_one_is_6() -> None:
    assert _levels(imd_quintile_level_sql("x"), ["1", "3", "5", None]) == [1, 3, 5, 6]


@pytest.mark.parametrize(("period_end", "end_dates", "levels"), [
    # M = 2025-12: financial year 1 is April 2025 - March 2026
    (Month(2025, 12), ["2025-12-31", "2025-04-01", "2025-03-31", "2024-04-01", "2024-03-31", "2023-01-01"],
     [1, 1, 2, 2, 3, 4]),
    # M = 2026-03: the reporting period is one financial year; the window touches three
    (Month(2026, 3), ["2026-03-31", "2025-04-01", "2025-03-31", "2023-04-01"], [1, 1, 2, 3]),
])
def test_financial_year_counts_back_from_the_year_holding_the_last_day_of_m(
        period_end: Month, end_dates: list[str], levels: list[int]) -> None:
    days = [dt.date.fromisoformat(d) for d in end_dates]
    assert _levels(financial_year_level_sql("x", period_end), days, "DATE") == levels


def test_category_labels_come_from_the_2015_ccs_list_then_the_shmi_group_description() -> None:
    labels = category_labels()
    assert labels[2] == "Septicemia (except in labor)"
    assert labels[122].startswith("Pneumonia")
    assert labels[150] == "Liver disease; alcohol-related"     # not in the 2015 list: SHMI group 93
    assert labels[65] == "Organic mental disorders"            # SHMI group 42 holds 65 and 68
    assert labels[260] == "Allergic reactions, aftercare & screening, R codes"
    assert labels[900] == "COVID-19"
    assert labels[999] == "Invalid primary diagnosis"
    assert set(range(1, 261)) <= set(labels)
