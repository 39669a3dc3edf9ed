"""Reading result tables back (the dashboard, the publication files, comparisons with the previous publication).

Rows come back with the stored, unsuppressed values (shmi.md §16); disclosure control is the caller's, by who
is asking (:mod:`hospmort.disclosure`). Filters are equality (a value), membership (a list, tuple or set of
values) or ``IS NULL`` (``None``) on named columns, so the dashboard can ask for one period, one trust, the
trusts of a region or a peer group, or one diagnosis group, across periods for trends.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import pyarrow as pa

from hospmort import schema as col
from hospmort.config import Month
from hospmort.errors import StoreError
from hospmort.store.connection import ResultsStore
from hospmort.store.tables import TableSpec, quote_identifier, table_spec

#: A filter value: one value (equality), a collection of values (membership) or None (IS NULL).
FilterValue = str | int | float | bool | None | Collection[str | int | float]


def read_table(store: ResultsStore, table: str, period_end: Month | None = None, *,
               where: Mapping[str, FilterValue] | None = None) -> list[dict[str, Any]]:
    """Rows of ``table`` as dicts keyed by column name, sorted by the table's sort key.

    ``period_end`` limits the rows to one publication (None: every stored publication);
    ``where`` adds filters on other columns.
    """
    spec = _known_table(table)
    conditions: list[str] = []
    parameters: list[object] = []
    filters = dict(where or {})
    if period_end is not None:
        if col.PERIOD_END not in spec.column_names:
            raise StoreError(f"table {spec.name} has no PERIOD_END column: read it without a period end")
        filters[col.PERIOD_END] = str(period_end)
    for name, value in filters.items():
        if name not in spec.column_names:
            raise StoreError(f"table {spec.name} has no column {name}; columns: {', '.join(spec.column_names)}")
        condition, values = _condition(quote_identifier(name), value)
        conditions.append(condition)
        parameters.extend(values)
    columns = ", ".join(quote_identifier(name) for name in spec.column_names)
    sql = f"SELECT {columns} FROM {quote_identifier(spec.name)}"
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    sql += " ORDER BY " + ", ".join(f"{quote_identifier(k)} NULLS LAST" for k in spec.sort_key)
    rows = store.backend.execute(sql, parameters)
    return [dict(zip(spec.column_names, row, strict=True)) for row in rows]


def read_arrow_table(store: ResultsStore, table: str, period_end: Month | None = None, *,
                     where: Mapping[str, FilterValue] | None = None) -> pa.Table:
    """As :func:`read_table`, as an Arrow table of the table's schema."""
    spec = _known_table(table)
    rows = read_table(store, table, period_end, where=where)
    return pa.Table.from_pylist(rows, schema=spec.arrow_schema())


def _known_table(name: str) -> TableSpec:
    try:
        return table_spec(name)
    except KeyError as error:
        raise StoreError(str(error.args[0])) from error


def _condition(column: str, value: FilterValue) -> tuple[str, list[object]]:
    if value is None:
        return f"{column} IS NULL", []
    if isinstance(value, str | int | float | bool):
        return f"{column} = ?", [value]
    values: list[object] = list(value)
    if not values:
        return "1 = 0", []
    return f"{column} IN ({', '.join('?' for _ in values)})", values
