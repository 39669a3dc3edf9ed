"""Case-mix levels and Charlson scores (shmi.md §8, §9; fixed vectors of §19 items 19-21)."""

from __future__ import annotations

import duckdb
import pytest

from hospmort.shmi.casemix import (
    admission_method_level_sql,
    age_group_sql,
    birthweight_level_sql,
    charlson_index_sql,
    charlson_scores_sql,
    diagnosis_group_sql,
    gender_sql,
    register_casemix_reference_tables,
)


def value(expression: str) -> object:
    row = duckdb.connect().execute(f"SELECT {expression}").fetchone()
    assert row is not None
    return row[0]


@pytest.mark.parametrize(
    ("age", "group"),
    [(7001, 1), (7007, 1), (0, 1), (1, 2), (4, 2), (5, 3), (9, 3), (10, 4), (84, 18), (85, 19), (89, 19),
     (90, 20), (120, 20), (999, None), (121, None), (7008, None)],
)
def test_age_groups(age: int, group: int | None) -> None:
    assert value(age_group_sql(str(age))) == group


def test_age_group_of_an_unknown_age_is_null() -> None:
    assert value(age_group_sql("CAST(NULL AS INTEGER)")) is None


@pytest.mark.parametrize(
    ("weight", "level"),
    [(999, 1), (1000, 2), (2499, 2), (2500, 3), (4499, 3), (4500, 4), (None, 5)],
)
def test_birthweight_levels_in_a_perinatal_group_under_one(weight: int | None, level: int) -> None:
    grams = "CAST(NULL AS INTEGER)" if weight is None else str(weight)
    for group in (115, 116, 117, 118, 119, 141):
        assert value(birthweight_level_sql(str(group), "1", grams)) == level


def test_birthweight_is_not_applicable_from_age_one_and_outside_perinatal_groups() -> None:
    assert value(birthweight_level_sql("141", "2", "3000")) == 6
    assert value(birthweight_level_sql("73", "1", "3000")) == 6


def test_gender_and_admission_method_levels() -> None:
    assert [value(gender_sql(f"'{s}'")) for s in ("1", "2", "9", "0", "X")] == [1, 2, None, None, None]
    elective = [value(admission_method_level_sql(f"'{m}'")) for m in ("11", "12", "13")]
    non_elective = [value(admission_method_level_sql(f"'{m}'")) for m in
                    ("21", "25", "28", "2A", "2D", "31", "32", "81", "82", "83", "84", "89")]
    assert elective == [1, 1, 1]
    assert set(non_elective) == {3}
    assert [value(admission_method_level_sql(f"'{m}'")) for m in ("98", "99", "")] == [None, None, None]


def test_diagnosis_groups_for_covid_lookup_and_invalid_codes() -> None:
    assert value(diagnosis_group_sql("'U071'", "140")) == 143
    assert value(diagnosis_group_sql("'U072'", "140")) == 143
    assert value(diagnosis_group_sql("'J189'", "73")) == 73
    assert value(diagnosis_group_sql("'U999'", "NULL")) == 144


def charlson(*codes: str) -> tuple[int, int]:
    con = duckdb.connect()
    register_casemix_reference_tables(con)
    con.execute("CREATE TABLE codes (k INTEGER, code VARCHAR)")
    if codes:
        con.executemany("INSERT INTO codes VALUES (1, ?)", [[c] for c in codes])
    row = con.execute(f"SELECT coalesce(max(CHARLSON_SCORE), 0) FROM ({charlson_scores_sql('codes', 'k', 'code')})"
                      ).fetchone()
    assert row is not None
    score = int(row[0])
    index = value(charlson_index_sql(str(score)))
    assert isinstance(index, int)
    return score, index


@pytest.mark.parametrize(
    ("codes", "score", "index"),
    [
        (("I500", "E112", "E119", "C780", "C189", "I10X"), 37, 3),
        (("E112",), 0, 1),
        (("J449", "J440"), 4, 2),
        (("I219", "I252"), 5, 2),
        (("C449",), 0, 1),
        ((), 0, 1),
        (("I639", "G450"), 11, 3),
        (("N053",), 10, 3),
        (("N051",), 0, 1),
        (("E110",), 0, 1),
        (("M351",), 0, 1),
    ],
)
def test_charlson_examples(codes: tuple[str, ...], score: int, index: int) -> None:
    assert charlson(*codes) == (score, index)


def test_charlson_ignores_order_and_duplicates() -> None:
    assert charlson("C780", "I500", "C189") == charlson("C189", "C189", "I500", "C780", "I500")
