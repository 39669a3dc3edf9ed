"""Find, open and register the record-level inputs as all-text DuckDB views (data contract, preamble and §4).

An input is a file, a folder (searched recursively for ``.csv``, ``.csv.gz`` and ``.parquet`` files) or a glob.
Every column is read as text, from CSV and Parquet alike: CSV files are read without type inference (their
header row is read here, then DuckDB reads the rows with every column ``VARCHAR``, UTF-8, comma separated,
``"`` quoted; a UTF-8 byte-order mark is accepted); Parquet columns are cast to text, a floating-point number
losing a trailing ``.0`` (``4.0`` -> ``4``, shmi.md §2.2) and a timestamp becoming its date.

Header names are matched case-insensitively after ``--column-map`` (``NAME=FIELD``: input column ``NAME`` is
read as contract field ``FIELD``). The view registered for an input has exactly the contract fields of that
input, in contract order, as ``VARCHAR``; an optional field that is absent is ``NULL``. Extra columns are
ignored. The stop rules ``FILE_UNREADABLE`` and ``REQUIRED_COLUMN_MISSING`` are raised here, as
:class:`~hospmort.errors.InputDataError` naming the file, the column, the rule and the count; no message quotes
a value read from a file.
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO

import duckdb

from hospmort.errors import ConfigError, InputDataError
from hospmort.schema import DEATH_FIELDS, EPISODE_FIELDS, ContractRule

log = logging.getLogger(__name__)

CSV_SUFFIXES = (".csv", ".csv.gz")
PARQUET_SUFFIXES = (".parquet", ".parq", ".pq")
PARQUET_MAGIC = b"PAR1"
GLOB_CHARACTERS = frozenset("*?[")
_CONTRACT_FIELDS = frozenset(EPISODE_FIELDS) | frozenset(DEATH_FIELDS)
_FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL", "DECIMAL")
_TIMESTAMP_PREFIX = "TIMESTAMP"


class InputFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"


@dataclass(frozen=True)
class InputFile:
    """One file of an input, with its format and its column names (as in the file, in file order)."""

    path: Path
    format: InputFormat
    columns: tuple[str, ...]
    column_types: tuple[str, ...]


def parse_column_map(items: Iterable[str]) -> dict[str, str]:
    """``--column-map NAME=FIELD`` values as {input column name (upper case): contract field}.

    ``FIELD`` must be a field of the data contract (episodes or deaths); names are matched case-insensitively.
    """
    mapping: dict[str, str] = {}
    for item in items:
        name, separator, field = item.partition("=")
        name, field = name.strip().upper(), field.strip().upper()
        if not separator or not name or not field:
            raise ConfigError(f"--column-map {item!r}: write it NAME=FIELD, e.g. PSEUDO_HESID=HESID")
        if field not in _CONTRACT_FIELDS:
            raise ConfigError(f"--column-map {item!r}: {field} is not a field of the data contract")
        if name in mapping and mapping[name] != field:
            raise ConfigError(f"--column-map names column {name} twice")
        mapping[name] = field
    return mapping


def resolve_input_files(source: Path | str) -> tuple[Path, ...]:
    """The data files of an input given as a file, a folder or a glob, sorted by path.

    A folder is searched recursively for CSV (``.csv``, ``.csv.gz``) and Parquet files, skipping hidden files
    and files starting with ``_`` (Spark's ``_SUCCESS``). Raises ``FILE_UNREADABLE`` when nothing is found.
    """
    text = str(source)
    path = Path(text)
    if path.is_file():
        return (path,)
    if path.is_dir():
        found = [p for p in path.rglob("*") if p.is_file() and _is_data_file(p)]
    elif GLOB_CHARACTERS & set(text):
        base, pattern = (Path(path.anchor), str(path.relative_to(path.anchor))) if path.is_absolute() else (
            Path(), text)
        found = [p for p in base.glob(pattern) if p.is_file()]
    else:
        raise _unreadable(text, "no such file or folder")
    if not found:
        raise _unreadable(text, "no CSV or Parquet file found")
    return tuple(sorted(found))


def _is_data_file(path: Path) -> bool:
    name = path.name.lower()
    if name.startswith((".", "_")):
        return False
    return name.endswith(CSV_SUFFIXES) or name.endswith(PARQUET_SUFFIXES)


def detect_format(path: Path) -> InputFormat:
    """Parquet when the file starts with the Parquet magic bytes, otherwise CSV."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(PARQUET_MAGIC))
    except OSError as error:
        raise _unreadable(str(path), "the file cannot be opened") from error
    return InputFormat.PARQUET if head == PARQUET_MAGIC else InputFormat.CSV


def describe_input_file(con: duckdb.DuckDBPyConnection, path: Path) -> InputFile:
    """The format and columns of one file; ``FILE_UNREADABLE`` when it is neither CSV nor Parquet."""
    file_format = detect_format(path)
    if file_format is InputFormat.CSV:
        columns = read_csv_header(path)
        return InputFile(path, file_format, columns, ("VARCHAR",) * len(columns))
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({_sql_string(str(path))})").fetchall()
    except duckdb.Error as error:
        raise _unreadable(str(path), "not a readable Parquet file") from error
    return InputFile(path, file_format, tuple(str(row[0]) for row in described),
                     tuple(str(row[1]).upper() for row in described))


def read_csv_header(path: Path) -> tuple[str, ...]:
    """Column names of a CSV file's header row (UTF-8, an optional byte-order mark, comma separated)."""
    try:
        with _open_binary(path) as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
            header = next(csv.reader(text), None)
    except (OSError, UnicodeDecodeError, csv.Error, EOFError) as error:
        raise _unreadable(str(path), "the start of the file is not UTF-8 CSV with a header row") from error
    if not header or all(not name.strip() for name in header):
        raise _unreadable(str(path), "the file has no header row")
    return tuple(name.strip() for name in header)


def _open_binary(path: Path) -> IO[bytes]:
    if path.name.lower().endswith(".gz"):
        return gzip.GzipFile(path, "rb")  # type: ignore[return-value]  # GzipFile is a binary stream
    return path.open("rb")


def map_columns(
    file: InputFile, fields: Sequence[str], column_map: Mapping[str, str]
) -> dict[str, int]:
    """Position in ``file`` of each contract field it holds, after ``column_map`` (case-insensitive names).

    A column named in ``column_map`` is read only as its mapped field; when a file has both a mapped column and
    a column already named as the field, the mapped column wins (with a warning). The first of duplicate
    names wins.
    """
    positions: dict[str, int] = {}
    for position, name in enumerate(file.columns):
        positions.setdefault(name.upper(), position)
    mapped: dict[str, int] = {}
    for field in fields:
        sources = sorted(name for name, target in column_map.items() if target == field and name in positions)
        if sources:
            mapped[field] = positions[sources[0]]
            if field in positions and field not in column_map:
                log.warning("%s: column %s is read as %s (--column-map); the file's column %s is ignored",
                            file.path, sources[0], field, field)
        elif field in positions and field not in column_map:
            mapped[field] = positions[field]
    return mapped


def check_required_columns(file: InputFile, mapped: Mapping[str, int], required: Sequence[str]) -> None:
    """Rule ``REQUIRED_COLUMN_MISSING`` (stop): every required field must be present after ``--column-map``."""
    missing = [field for field in required if field not in mapped]
    if missing:
        rule = ContractRule.REQUIRED_COLUMN_MISSING
        raise InputDataError(
            f"{file.path}, column {missing[0]}: rule {rule} broken: {len(missing)} required column"
            f"{'s' if len(missing) != 1 else ''} absent after --column-map ({', '.join(missing)})",
            file=str(file.path), column=missing[0], rule=rule, count=len(missing),
        )


def register_text_input(
    con: duckdb.DuckDBPyConnection,
    view_name: str,
    source: Path | str,
    fields: Sequence[str],
    required: Sequence[str],
    column_map: Mapping[str, str],
) -> tuple[InputFile, ...]:
    """Create view ``view_name``: every row of every file of ``source``, one ``VARCHAR`` column per field.

    Files with the same format and columns are read by one DuckDB reader. Returns the files read.
    """
    files = tuple(describe_input_file(con, path) for path in resolve_input_files(source))
    groups: dict[tuple[InputFormat, tuple[str, ...], tuple[str, ...]], list[InputFile]] = {}
    for file in files:
        check_required_columns(file, map_columns(file, fields, column_map), required)
        groups.setdefault((file.format, file.columns, file.column_types), []).append(file)
    parts = [_select_fields(group, fields, column_map) for group in groups.values()]
    con.execute(f"CREATE OR REPLACE VIEW {view_name} AS " + " UNION ALL ".join(parts))
    log.info("%s: %d file(s) registered as %s", source, len(files), view_name)
    return files


def _select_fields(files: Sequence[InputFile], fields: Sequence[str], column_map: Mapping[str, str]) -> str:
    """SELECT of ``fields`` as text from files that share one format and one list of columns."""
    first = files[0]
    mapped = map_columns(first, fields, column_map)
    select_list = ", ".join(f"{_text_expression(first, mapped.get(field))} AS {field}" for field in fields)
    listed = "[" + ", ".join(_sql_string(str(file.path)) for file in files) + "]"
    if first.format is InputFormat.PARQUET:
        return f"SELECT {select_list} FROM read_parquet({listed})"
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(first.columns))) + "}"
    reader = (
        f"read_csv({listed}, header = true, auto_detect = false, columns = {columns}, delim = ',', "
        "quote = '\"', escape = '\"', encoding = 'utf-8', strict_mode = true)"
    )
    return f"SELECT {select_list} FROM {reader}"


def _text_expression(file: InputFile, position: int | None) -> str:
    if position is None:
        return "CAST(NULL AS VARCHAR)"
    if file.format is InputFormat.CSV:
        return f"c{position}"
    column = _quote_identifier(file.columns[position])
    column_type = file.column_types[position]
    if column_type.startswith(_TIMESTAMP_PREFIX):
        return f"CAST(CAST({column} AS DATE) AS VARCHAR)"
    if column_type.startswith(_FLOAT_TYPES):
        return f"regexp_replace(CAST({column} AS VARCHAR), '\\.0+$', '')"
    return f"CAST({column} AS VARCHAR)"


def find_unreadable_file(con: duckdb.DuckDBPyConnection, files: Sequence[InputFile], fields: Sequence[str],
                         column_map: Mapping[str, str]) -> InputDataError | None:
    """After a scan of an input failed, the ``FILE_UNREADABLE`` error naming the first of its files that fails
    alone (``None`` when each file reads alone, so the failure was not the files' fault)."""
    for file in files:
        try:
            # hash() of every field makes the reader parse every value (count(*) alone may skip them)
            con.execute(f"SELECT max(hash({', '.join(fields)})) FROM ({_select_fields([file], fields, column_map)})"
                        ).fetchall()
        except duckdb.Error as error:
            return _unreadable(str(file.path), _describe_reader_error(error))
    return None


def _describe_reader_error(error: duckdb.Error) -> str:
    """A reason for a reader error that never quotes the file's content (DuckDB's messages may)."""
    text = str(error).lower()
    if "unicode" in text or "utf" in text:
        return "not valid UTF-8"
    if "columns" in text and ("expected" in text or "found" in text):
        return "a row has a different number of fields than the header"
    if "quote" in text:
        return "a quoted field is not closed"
    return "the file cannot be parsed as CSV or Parquet"


def _unreadable(file: str, reason: str) -> InputDataError:
    rule = ContractRule.FILE_UNREADABLE
    return InputDataError(f"{file}: rule {rule} broken: {reason}", file=file, rule=rule, count=1)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
