"""Writing a publication into the results store, atomically (architecture.md "written atomically"; shmi.md §17).

One transaction deletes the period's rows from every per-publication table, inserts the new rows and the
``publications`` row. If anything fails, the transaction is rolled back and every stored publication,
including an older version of the same period, is left exactly as it was: re-running a period replaces it only
when the new write completes.

Rows are given per table as a pyarrow Table or as a sequence of dicts keyed by column name. Either way every
column of the table (:mod:`hospmort.store.tables`) but ``PERIOD_END`` must be present, and no other; the writer
adds ``PERIOD_END``. Rows are converted to the table's Arrow schema before the transaction starts, and loaded in
bulk (a national run's diagnosis-group table, ~17,000 rows, loads in milliseconds). Only aggregates belong here:
no table has a patient-level column.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import pyarrow as pa
import pyarrow.compute as pc

from hospmort import __version__
from hospmort import schema as col
from hospmort.config import Month, Windows
from hospmort.errors import StoreError
from hospmort.store.backend import Backend
from hospmort.store.catalog import PublicationStatus, StoredPublication, get_publication
from hospmort.store.connection import ResultsStore, as_stored_time, utc_now
from hospmort.store.tables import (
    CREATED_AT,
    INDICATORS,
    MANIFEST,
    PACKAGE_VERSION,
    PUBLICATION_TABLES,
    PUBLICATIONS_TABLE,
    PUBLISHED_AT,
    STATUS,
    Indicator,
    TableSpec,
    quote_identifier,
    table_spec,
)

log = logging.getLogger(__name__)

#: Rows of one table: an Arrow table, or dicts keyed by column name.
TableRows: TypeAlias = "pa.Table | Sequence[Mapping[str, Any]]"


@dataclass(frozen=True)
class Publication:
    """Everything stored for one publication: its period end, indicators, manifest and table rows.

    ``tables`` maps a table name of :data:`~hospmort.store.tables.PUBLICATION_TABLES` to its rows; a table that
    is not given gets no rows for this period. ``manifest`` is the run manifest (a JSON-serialisable mapping, or
    JSON text).
    """

    period_end: Month
    indicators: tuple[Indicator, ...]
    tables: Mapping[str, TableRows]
    manifest: Mapping[str, Any] | str = field(default_factory=dict)
    package_version: str = __version__

    @property
    def time_period(self) -> str:
        return Windows(self.period_end).time_period


def write_publication(store: ResultsStore, publication: Publication, *,
                      status: PublicationStatus = PublicationStatus.DRAFT,
                      created_at: dt.datetime | None = None) -> StoredPublication:
    """Store ``publication``, replacing any stored publication of the same period end, in one transaction.

    The publication is stored as a draft unless ``status`` says published (shmi.md §17.2). Raises
    :class:`StoreError` (and leaves the store unchanged) when a table is unknown, rows do not fit their table,
    or the database refuses a row (a NULL in a NOT NULL column, a duplicate key).
    """
    return write_publications(store, [(publication, status)], created_at=created_at)[0]


def write_publications(store: ResultsStore, publications: Sequence[tuple[Publication, PublicationStatus]], *,
                       created_at: dt.datetime | None = None) -> list[StoredPublication]:
    """Store several publications (a history run) in ONE transaction: all of them or none.

    Each replaces any stored publication of its period end; each has its own status.
    """
    if store.read_only:
        raise StoreError(f"results store {store.location} is open read-only: cannot write a publication")
    periods = [str(publication.period_end) for publication, _ in publications]
    if len(set(periods)) != len(periods):
        raise StoreError(f"a period end is given twice among the publications to store: {', '.join(periods)}")
    prepared_all = []
    for publication, status in publications:
        indicators = _checked_indicators(publication.indicators)
        prepared_all.append((publication, status, indicators, _manifest_text(publication.manifest),
                             _prepare_tables(publication, indicators)))
    when = as_stored_time(created_at) if created_at is not None else utc_now()
    backend = store.backend
    with backend.transaction():
        for publication, status, indicators, manifest, prepared in prepared_all:
            _replace_publication(backend, publication, status, indicators, manifest, prepared, when)
    stored = []
    for publication, status, _, _, prepared in prepared_all:
        log.info(
            "stored publication %s (%s) as %s: %s", publication.period_end, publication.time_period, status.value,
            ", ".join(f"{name} {rows.num_rows}" for name, rows in prepared.items()) or "no rows",
        )
        found = get_publication(store, publication.period_end)
        assert found is not None
        stored.append(found)
    return stored


def _replace_publication(backend: Backend, publication: Publication, status: PublicationStatus,
                         indicators: tuple[Indicator, ...], manifest: str, prepared: Mapping[str, pa.Table],
                         when: dt.datetime) -> None:
    period = str(publication.period_end)
    for table in PUBLICATION_TABLES:
        backend.execute(
            f"DELETE FROM {quote_identifier(table.name)} WHERE {quote_identifier(col.PERIOD_END)} = ?",
            (period,),
        )
        rows = prepared.get(table.name)
        if rows is not None and rows.num_rows > 0:
            backend.insert_rows(table, rows)
    backend.execute(
        f"DELETE FROM {quote_identifier(PUBLICATIONS_TABLE.name)} WHERE {quote_identifier(col.PERIOD_END)} = ?",
        (period,),
    )
    columns = (col.PERIOD_END, col.TIME_PERIOD, STATUS, CREATED_AT, PUBLISHED_AT, PACKAGE_VERSION, MANIFEST,
               INDICATORS)
    backend.execute(
        f"INSERT INTO {quote_identifier(PUBLICATIONS_TABLE.name)} "
        f"({', '.join(quote_identifier(c) for c in columns)}) VALUES ({', '.join('?' for _ in columns)})",
        (
            period,
            publication.time_period,
            status.value,
            when,
            when if status is PublicationStatus.PUBLISHED else None,
            publication.package_version,
            manifest,
            ",".join(indicator.value for indicator in indicators),
        ),
    )


def _checked_indicators(indicators: Sequence[Indicator]) -> tuple[Indicator, ...]:
    if not indicators:
        raise StoreError("a publication must carry at least one indicator (SHMI, HSMR)")
    chosen = {Indicator(indicator) for indicator in indicators}
    return tuple(indicator for indicator in Indicator if indicator in chosen)


def _manifest_text(manifest: Mapping[str, Any] | str) -> str:
    if isinstance(manifest, str):
        try:
            json.loads(manifest)
        except json.JSONDecodeError as error:
            raise StoreError(f"the publication manifest is not valid JSON: {error}") from error
        return manifest
    try:
        return json.dumps(manifest, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError) as error:
        raise StoreError(f"the publication manifest cannot be written as JSON: {error}") from error


def _prepare_tables(publication: Publication, indicators: tuple[Indicator, ...]) -> dict[str, pa.Table]:
    prepared: dict[str, pa.Table] = {}
    for name, rows in publication.tables.items():
        try:
            table = table_spec(name)
        except KeyError as error:
            raise StoreError(str(error.args[0])) from error
        if not table.per_publication:
            raise StoreError(f"table {name} is not a publication table: it cannot be written with a publication")
        if table.indicator is not None and table.indicator not in indicators:
            raise StoreError(f"table {name} holds {table.indicator.value} results, but the publication carries "
                             f"{', '.join(i.value for i in indicators)}")
        prepared[name] = rows_as_arrow(table, rows, publication.period_end)
    return prepared


def rows_as_arrow(table: TableSpec, rows: TableRows, period_end: Month) -> pa.Table:
    """``rows`` as an Arrow table of ``table``'s schema, ``PERIOD_END`` filled in.

    Every value column must be given, and no other column (``PERIOD_END`` may be given if it equals
    ``period_end`` on every row). Values are converted to the column types; a value that does not convert
    raises :class:`StoreError` naming the table and column.
    """
    period = str(period_end)
    wanted = [c.name for c in table.value_columns]
    wanted_set = set(wanted)
    if isinstance(rows, pa.Table):
        given = list(rows.column_names)
        _check_column_names(table, given, wanted)
        if col.PERIOD_END in given:
            _check_period_column(table, rows.column(col.PERIOD_END), period)
        count = rows.num_rows
        arrays = [_converted(table, name, rows.column(name)) for name in wanted]
    else:
        count = len(rows)
        for index, row in enumerate(rows):
            if row.keys() - {col.PERIOD_END} != wanted_set:
                _check_column_names(table, list(row.keys()), wanted, row_number=index + 1)
            if col.PERIOD_END in row and row[col.PERIOD_END] != period:
                raise StoreError(f"table {table.name}: row {index + 1} has PERIOD_END {row[col.PERIOD_END]!r}, "
                                 f"not {period}")
        arrays = [_converted(table, name, [row[name] for row in rows]) for name in wanted]
    period_column = pa.chunked_array([pa.array([period] * count, type=pa.string())], type=pa.string())
    return pa.Table.from_arrays([period_column, *arrays], schema=table.arrow_schema())


def _check_column_names(table: TableSpec, given: Sequence[str], wanted: Sequence[str],
                        row_number: int | None = None) -> None:
    where = f"table {table.name}" + (f", row {row_number}" if row_number is not None else "")
    duplicated = sorted({name for name in given if list(given).count(name) > 1})
    if duplicated:
        raise StoreError(f"{where}: column(s) given twice: {', '.join(duplicated)}")
    missing = [name for name in wanted if name not in given]
    unknown = [name for name in given if name not in wanted and name != col.PERIOD_END]
    if missing:
        raise StoreError(f"{where}: missing column(s) {', '.join(missing)}")
    if unknown:
        raise StoreError(f"{where}: unknown column(s) {', '.join(unknown)}; columns: {', '.join(wanted)}")


def _check_period_column(table: TableSpec, values: pa.ChunkedArray, period: str) -> None:
    if values.null_count or not pc.all(pc.equal(values.cast(pa.string()), period)).as_py():
        raise StoreError(f"table {table.name}: PERIOD_END column holds values other than {period}")


def _converted(table: TableSpec, name: str, values: pa.ChunkedArray | list[Any]) -> pa.ChunkedArray:
    arrow_type = table.column(name).sql_type.arrow_type
    try:
        if isinstance(values, pa.ChunkedArray):
            return values.cast(arrow_type)
        return pa.chunked_array([pa.array(values, type=arrow_type)], type=arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError) as error:
        raise StoreError(f"table {table.name}, column {name}: values do not convert to "
                         f"{table.column(name).sql_type.value}: {error}") from error
