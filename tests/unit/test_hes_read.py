"""Reading the record-level inputs: files, folders, globs, CSV and Parquet, column names, stop rules, cleaning.

Data contract preamble, §1, §2 and the stop rules of §4; shmi.md §2.2 for codes, dates and ``norm()``.
"""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hes_builders import episode, load, rows_of, write_csv, write_deaths, write_episodes
from hypothesis import given
from hypothesis import strategies as st

from hospmort.config import EngineOptions
from hospmort.engine import connect_duckdb
from hospmort.errors import ConfigError, InputDataError
from hospmort.hes import load_inputs, parse_column_map
from hospmort.hes.clean import code_sql, diagnosis_prefix_sql, diagnosis_sql, stripped_text_sql
from hospmort.refdata.codes import normalise_code, normalise_diagnosis
from hospmort.schema import REQUIRED_EPISODE_FIELDS, ContractRule


def _deaths(tmp_path: Path) -> Path:
    return write_deaths(tmp_path / "deaths.csv", [("P9", "2024-02-01")])


def _load_files(episodes: Path | str, deaths: Path, column_map: dict[str, str] | None = None
                ) -> duckdb.DuckDBPyConnection:
    con = connect_duckdb(EngineOptions())
    load_inputs(con, episodes, deaths, None, column_map or {})
    return con


def test_csv_with_byte_order_mark_extra_columns_and_lower_case_header_is_read(tmp_path: Path) -> None:
    row = {**episode(EPIKEY="0001"), "EXTRA": "ignored"}
    lower = {key.lower(): value for key, value in row.items()}
    source = write_csv(tmp_path / "episodes.csv", [lower], bom=True)
    con = _load_files(source, _deaths(tmp_path))
    assert rows_of(con, "SELECT EPIKEY, HESID, PROCODE3 FROM episodes") == [("0001", "P1", "RAA")]
    assert "EXTRA" not in [c[0] for c in rows_of(con, "DESCRIBE episodes")]


def test_optional_columns_may_be_absent_and_read_as_missing(tmp_path: Path) -> None:
    source = write_episodes(tmp_path / "e.csv", [episode()], columns=list(REQUIRED_EPISODE_FIELDS))
    con = _load_files(source, _deaths(tmp_path))
    assert rows_of(con, "SELECT PROVSPNOPS, DIAG_4_02, LSOA11, BIRWEIT_1, ETHNOS FROM episodes") == [
        (None, None, None, None, None)]


def test_a_folder_of_csv_gzip_and_parquet_files_and_a_glob_are_read(tmp_path: Path) -> None:
    folder = tmp_path / "extract"
    write_episodes(folder / "part1.csv", [episode(EPIKEY="1")])
    plain = write_episodes(tmp_path / "tmp.csv", [episode(EPIKEY="2")])
    (folder / "sub").mkdir()
    with gzip.open(folder / "sub" / "part2.csv.gz", "wb") as out:
        out.write(plain.read_bytes())
    pq.write_table(pa.table({k: [v] for k, v in episode(EPIKEY="3").items()}), folder / "part3.parquet")
    (folder / "_SUCCESS").write_text("")
    (folder / "notes.txt").write_text("not data")
    con = _load_files(folder, _deaths(tmp_path))
    assert rows_of(con, "SELECT EPIKEY FROM episodes ORDER BY EPIKEY") == [("1",), ("2",), ("3",)]
    con = _load_files(str(folder / "**" / "*.csv*"), _deaths(tmp_path))
    assert rows_of(con, "SELECT EPIKEY FROM episodes ORDER BY EPIKEY") == [("1",), ("2",)]


def test_parquet_numbers_are_read_back_as_codes_and_keys_keep_every_digit(tmp_path: Path) -> None:
    fields = episode()
    table = pa.table({
        **{k: [v] for k, v in fields.items() if k not in {"EPIKEY", "DISMETH", "STARTAGE", "EPIORDER",
                                                           "ADMIDATE", "DISDATE"}},
        "EPIKEY": pa.array([1234567890123456789], pa.int64()),
        "DISMETH": pa.array([4.0], pa.float64()),
        "STARTAGE": pa.array([70.0], pa.float64()),
        "EPIORDER": pa.array([1], pa.int32()),
        "ADMIDATE": pa.array([dt.date(2024, 1, 1)], pa.date32()),
        "DISDATE": pa.array([dt.datetime(2024, 1, 5)], pa.timestamp("us")),
    })
    pq.write_table(table, tmp_path / "episodes.parquet")
    con = _load_files(tmp_path / "episodes.parquet", _deaths(tmp_path))
    assert rows_of(con, "SELECT EPIKEY, DISMETH, STARTAGE, EPIORDER, ADMIDATE, DISDATE FROM episodes") == [
        ("1234567890123456789", "4", 70, 1, dt.date(2024, 1, 1), dt.date(2024, 1, 5))]


def test_column_map_renames_an_input_column_to_a_contract_field(tmp_path: Path) -> None:
    row = episode()
    row["PSEUDO_HESID"] = row.pop("HESID")
    source = write_csv(tmp_path / "e.csv", [row])
    deaths = write_csv(tmp_path / "d.csv", [{"pseudo_hesid": "P1", "DOD": "2024-01-05"}])
    con = _load_files(source, deaths, parse_column_map(["pseudo_hesid=hesid"]))
    assert rows_of(con, "SELECT HESID FROM episodes") == [("P1",)]
    assert rows_of(con, "SELECT HESID, DOD FROM deaths") == [("P1", dt.date(2024, 1, 5))]


@pytest.mark.parametrize("item", ["PSEUDO_HESID", "=HESID", "X=NOT_A_FIELD"])
def test_a_malformed_column_map_is_a_configuration_error(item: str) -> None:
    with pytest.raises(ConfigError):
        parse_column_map([item])


def test_a_missing_required_column_stops_naming_file_column_rule_and_count(tmp_path: Path) -> None:
    source = write_episodes(tmp_path / "e.csv", [episode()],
                            columns=[f for f in REQUIRED_EPISODE_FIELDS if f not in {"SEX", "CLASSPAT"}])
    with pytest.raises(InputDataError) as raised:
        _load_files(source, _deaths(tmp_path))
    error = raised.value
    assert (error.file, error.column, error.rule, error.count) == (str(source), "CLASSPAT",
                                                                   ContractRule.REQUIRED_COLUMN_MISSING, 2)
    assert "SEX" in str(error) and str(source) in str(error)


def test_a_deaths_file_without_dod_stops(tmp_path: Path) -> None:
    deaths = write_csv(tmp_path / "d.csv", [{"HESID": "P1"}])
    with pytest.raises(InputDataError) as raised:
        _load_files(write_episodes(tmp_path / "e.csv", [episode()]), deaths)
    assert (raised.value.rule, raised.value.column) == (ContractRule.REQUIRED_COLUMN_MISSING, "DOD")


def test_a_ragged_file_among_several_stops_naming_it_without_quoting_its_rows(tmp_path: Path) -> None:
    folder = tmp_path / "extract"
    write_episodes(folder / "a.csv", [episode(HESID="SECRET1")])
    bad = write_episodes(folder / "b.csv", [episode(HESID="SECRET2")])
    bad.write_text(bad.read_text() + "SECRET3,1,2\n")
    with pytest.raises(InputDataError) as raised:
        _load_files(folder, _deaths(tmp_path))
    assert (raised.value.file, raised.value.rule) == (str(bad), ContractRule.FILE_UNREADABLE)
    assert "SECRET" not in str(raised.value)


@pytest.mark.parametrize("defect", ["ragged", "not utf-8"])
def test_a_single_file_with_a_bad_row_far_from_the_header_stops_as_unreadable(tmp_path: Path, defect: str) -> None:
    source = write_episodes(tmp_path / "e.csv", [episode(HESID="SECRET") for _ in range(2000)])
    last_row = source.read_bytes().splitlines()[-1]
    tail = b"SECRET,1,2\n" if defect == "ragged" else last_row.replace(b"SECRET", b"S\xff") + b"\n"
    source.write_bytes(source.read_bytes() + tail)
    with pytest.raises(InputDataError) as raised:
        _load_files(source, _deaths(tmp_path))
    assert (raised.value.file, raised.value.rule) == (str(source), ContractRule.FILE_UNREADABLE)
    assert "SECRET" not in str(raised.value)


def test_a_file_that_is_not_utf8_stops(tmp_path: Path) -> None:
    source = write_episodes(tmp_path / "e.csv", [episode(HESID="P1")])
    source.write_bytes(source.read_bytes().replace(b"P1", b"P\xff"))
    with pytest.raises(InputDataError) as raised:
        _load_files(source, _deaths(tmp_path))
    assert raised.value.rule == ContractRule.FILE_UNREADABLE
    assert "UTF-8" in str(raised.value)


@pytest.mark.parametrize("name", ["absent.csv", "empty_folder"])
def test_a_missing_file_or_an_empty_folder_stops(tmp_path: Path, name: str) -> None:
    (tmp_path / "empty_folder").mkdir()
    with pytest.raises(InputDataError) as raised:
        _load_files(tmp_path / name, _deaths(tmp_path))
    assert raised.value.rule == ContractRule.FILE_UNREADABLE


def test_episodes_with_a_header_and_no_data_row_stop_as_input_empty(tmp_path: Path) -> None:
    with pytest.raises(InputDataError) as raised:
        _load_files(write_episodes(tmp_path / "e.csv", []), _deaths(tmp_path))
    assert (raised.value.rule, raised.value.count) == (ContractRule.INPUT_EMPTY, 0)


def test_an_empty_deaths_file_is_usable(tmp_path: Path) -> None:
    con, report = load(tmp_path, [episode()], deaths=[])
    assert rows_of(con, "SELECT count(*) FROM deaths") == [(0,)]
    assert report.validation.deaths_read == 0


def test_codes_are_stripped_and_upper_cased_and_keys_keep_leading_zeros(tmp_path: Path) -> None:
    con, _ = load(tmp_path, [episode(EPIKEY=" 007 ", PROVSPNOPS="000123", PROCODE3=" raa", SEX=" x ",
                                     ADMIMETH="2a", EPIORDER="1.0", DISMETH="4.0")])
    assert rows_of(con, "SELECT EPIKEY, PROVSPNOPS, PROCODE3, SEX, ADMIMETH, EPIORDER, DISMETH FROM episodes") == [
        ("007", "000123", "RAA", "X", "2A", 1, "4")]


def test_hes_null_and_invalid_dates_read_as_missing(tmp_path: Path) -> None:
    con, report = load(tmp_path, [
        episode(EPIKEY="1", DISDATE="1800-01-01"),
        episode(EPIKEY="2", DISDATE="1801-01-01"),
        episode(EPIKEY="3", DISDATE="2024-02-30"),
        episode(EPIKEY="4", DISDATE="2024-1-5"),
        episode(EPIKEY="5", DISDATE=""),
    ])
    assert rows_of(con, "SELECT count(*) FROM episodes WHERE DISDATE IS NULL") == [(5,)]
    assert report.count(ContractRule.DATE_INVALID) == 3  # 1801-01-01, 2024-02-30, 2024-1-5


@pytest.mark.parametrize(("given_code", "normalised"), [
    ("j18.9", "J189"), ("J18", "J18X"), ("E112D", "E112"), ("C61-", "C61X"), ("I21.40", "I214"),
    (" k35 9 ", "K359"), ("", None),
])
def test_diagnoses_are_normalised_before_any_test(tmp_path: Path, given_code: str, normalised: str | None) -> None:
    con, _ = load(tmp_path, [episode(DIAG_4_01=given_code, DIAG_4_05=given_code)])
    assert rows_of(con, "SELECT DIAG_4_01, DIAG_4_05 FROM episodes") == [(normalised, normalised)]


_CON = duckdb.connect()


@given(st.text(alphabet=" 0123456789.aAbXx\t", max_size=8))
def test_the_sql_code_cleaning_agrees_with_normalise_code(text: str) -> None:
    con = _CON
    result = con.execute(f"SELECT {code_sql(stripped_text_sql('v'))} FROM (SELECT ? AS v)", [text]).fetchall()[0][0]
    assert (result or "") == normalise_code(text.strip(" \t"))


@given(st.text(alphabet=" .\tabcjJKxX0123456789-*+†", max_size=9))
def test_the_layered_sql_diagnosis_normalisation_agrees_with_norm(text: str) -> None:
    sql = diagnosis_sql(diagnosis_prefix_sql("v"))
    result = _CON.execute(f"SELECT {sql} FROM (SELECT ? AS v)", [text]).fetchall()[0][0]
    assert (result or "") == normalise_diagnosis(text)
