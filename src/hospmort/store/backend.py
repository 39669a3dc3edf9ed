"""Database backends of the results store: a small protocol and its DuckDB implementation.

The store's SQL is portable (quoted identifiers, ``?`` placeholders, ``CREATE TABLE IF NOT EXISTS``,
``BEGIN TRANSACTION``/``COMMIT``/``ROLLBACK``, ``ORDER BY ... NULLS LAST``, ``LIMIT``); a backend runs it and
adds only what differs between engines: how to connect, how to load many rows fast (DuckDB reads an Arrow
table; PostgreSQL uses ``COPY``) and how driver errors become :class:`~hospmort.errors.StoreError`.
The PostgreSQL backend (issue 8) is :class:`hospmort.store.postgres.PostgresBackend`, with the same methods; it
translates ``?`` to psycopg's ``%s`` in ``execute``. On both, a transaction cannot be opened inside another, and
a transaction in which a statement failed is rolled back with an error even when the failure was caught.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from hospmort.errors import StoreError
from hospmort.store.tables import TableSpec, quote_identifier

log = logging.getLogger(__name__)

#: A value bound to a ``?`` placeholder (str, int, float, bool, None, datetime, ...).
SqlParameter = object


class Backend(Protocol):
    """What the store needs of a database: run SQL, bulk-insert Arrow rows, transactions, close."""

    @property
    def read_only(self) -> bool:
        """True when the connection may only read."""
        ...

    def execute(self, sql: str, parameters: Sequence[SqlParameter] = ()) -> list[tuple[Any, ...]]:
        """Run one statement with ``?`` placeholders; the rows it returns (empty for statements without)."""
        ...

    def insert_rows(self, table: TableSpec, rows: pa.Table) -> None:
        """Insert ``rows`` (columns named and typed as ``table``'s) into ``table``."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """A transaction: committed when the block ends normally, rolled back when it raises."""
        ...

    def close(self) -> None:
        """Close the connection."""
        ...


class DuckDBBackend:
    """The results store in a DuckDB file (or ``:memory:``).

    DuckDB lets one process open a file read-write, or any number of processes open it read-only, not both at
    once: the web server opens the store read-only, the publication run read-write.
    """

    _view_names = itertools.count()

    def __init__(self, connection: duckdb.DuckDBPyConnection, location: str, read_only: bool) -> None:
        self._connection = connection
        self._location = location
        self._read_only = read_only
        self._statement_failed = False
        self._in_transaction = False

    @classmethod
    def connect(cls, location: str, *, read_only: bool) -> DuckDBBackend:
        """Open (read-write: create) the DuckDB database at ``location``."""
        try:
            connection = duckdb.connect(location, read_only=read_only)
        except duckdb.IOException as error:
            if "lock" in str(error).lower():
                raise StoreError(
                    f"results store {location}: in use by another process (DuckDB allows one writer or any "
                    f"number of read-only readers at a time): {error}"
                ) from error
            raise StoreError(f"results store {location}: cannot be opened: {error}") from error
        except duckdb.Error as error:
            raise StoreError(f"results store {location}: cannot be opened: {error}") from error
        return cls(connection, location, read_only)

    @property
    def read_only(self) -> bool:
        return self._read_only

    def execute(self, sql: str, parameters: Sequence[SqlParameter] = ()) -> list[tuple[Any, ...]]:
        try:
            cursor = self._connection.execute(sql, list(parameters))
            if cursor.description is None:
                return []
            return [tuple(row) for row in cursor.fetchall()]
        except duckdb.Error as error:
            self._statement_failed = True
            raise StoreError(f"results store {self._location}: {error}") from error

    def insert_rows(self, table: TableSpec, rows: pa.Table) -> None:
        view = f"hospmort_incoming_{next(self._view_names)}"
        columns = ", ".join(quote_identifier(name) for name in rows.column_names)
        try:
            self._connection.register(view, rows)
            try:
                self._connection.execute(
                    f"INSERT INTO {quote_identifier(table.name)} ({columns}) "
                    f"SELECT {columns} FROM {quote_identifier(view)}"
                )
            finally:
                self._connection.unregister(view)
        except duckdb.Error as error:
            self._statement_failed = True
            raise StoreError(f"results store {self._location}: table {table.name}: {error}") from error

    def transaction(self) -> AbstractContextManager[None]:
        return self._transaction()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if self._in_transaction:
            raise StoreError(f"results store {self._location}: a transaction is already open")
        self.execute("BEGIN TRANSACTION")
        self._statement_failed = False
        self._in_transaction = True
        try:
            yield
            if self._statement_failed:  # DuckDB would "commit" the aborted transaction as a silent rollback
                raise StoreError(f"results store {self._location}: a statement of the transaction failed: "
                                 f"rolled back")
            self.execute("COMMIT")
        except BaseException:
            self._roll_back()
            raise
        finally:
            self._in_transaction = False

    def _roll_back(self) -> None:
        try:
            self._connection.execute("ROLLBACK")
        except duckdb.Error as error:  # already rolled back by a failed COMMIT
            log.debug("rollback of results store %s: %s", self._location, error)

    def close(self) -> None:
        self._connection.close()
