"""The results store in a PostgreSQL database, for a shared deployment (issue 8; architecture.md "results database").

:class:`PostgresBackend` implements the same :class:`~hospmort.store.backend.Backend` protocol as the DuckDB
file, so the writer, reader and catalogue run unchanged on either: the store's portable SQL (quoted identifiers,
``?`` placeholders) is translated to psycopg's ``%s`` placeholders, rows are loaded with ``COPY ... FROM STDIN``
in binary format, and the portable types of :class:`~hospmort.store.tables.SqlType` are PostgreSQL types already
(``VARCHAR``, ``INTEGER``, ``BIGINT``, ``DOUBLE PRECISION``, ``DATE``, ``TIMESTAMP``, ``BOOLEAN``).

Behaviour kept equal to DuckDB's:

- the connection runs in autocommit mode and :meth:`PostgresBackend.transaction` issues ``BEGIN`` / ``COMMIT`` /
  ``ROLLBACK`` itself; a transaction cannot be opened inside another (DuckDB refuses that too), and a transaction
  in which a statement failed is rolled back, never silently "committed" (PostgreSQL answers ``COMMIT`` of a
  failed transaction with a rollback and no error);
- a read-only store is a session whose transactions are all read only
  (``SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY``): any write fails in the database;
- every driver error becomes :class:`~hospmort.errors.StoreError` naming the store by its URL without password.

Text sorts as on DuckDB (by code point) only in a database whose collation is ``C``; the backend logs a warning
when it is not (``docs/results-database.md`` says how to create the database).
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import psycopg
import pyarrow as pa
from psycopg.pq import TransactionStatus

from hospmort.errors import StoreError
from hospmort.store.backend import SqlParameter
from hospmort.store.tables import SqlType, TableSpec, quote_identifier

log = logging.getLogger(__name__)

#: The PostgreSQL type of each portable SQL type, as named for binary ``COPY`` (``copy.set_types``).
POSTGRES_COPY_TYPES: dict[SqlType, str] = {
    SqlType.VARCHAR: "varchar",
    SqlType.INTEGER: "int4",
    SqlType.BIGINT: "int8",
    SqlType.DOUBLE: "float8",
    SqlType.DATE: "date",
    SqlType.TIMESTAMP: "timestamp",
    SqlType.BOOLEAN: "bool",
}

#: Collations under which PostgreSQL sorts text by code point, as DuckDB does.
_CODE_POINT_COLLATIONS = frozenset({"C", "POSIX", "C.UTF-8", "C.utf8", "ucs_basic"})

_PASSWORD_KEYS = frozenset({"password"})


def describe_postgres_url(url: str) -> str:
    """``url`` as it may appear in messages and manifests: the password removed from the user part and from the
    query (``?password=...``); user, host, port, database and other parameters kept."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user_part, hosts = netloc.rsplit("@", 1)
        netloc = f"{user_part.split(':', 1)[0]}@{hosts}"
    query = urllib.parse.urlencode(
        [(key, value) for key, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
         if key.lower() not in _PASSWORD_KEYS]
    )
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def translate_placeholders(sql: str) -> str:
    """The store's ``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled), leaving quoted strings,
    quoted identifiers and ``--`` comments as they are."""
    out: list[str] = []
    quote: str | None = None
    in_comment = False
    index = 0
    while index < len(sql):
        char = sql[index]
        if in_comment:
            in_comment = char != "\n"
            out.append("%%" if char == "%" else char)
        elif quote is not None:
            if char == quote:
                quote = None
            out.append("%%" if char == "%" else char)
        elif char in ("'", '"'):
            quote = char
            out.append(char)
        elif char == "-" and sql.startswith("--", index):
            in_comment = True
            out.append(char)
        elif char == "?":
            out.append("%s")
        elif char == "%":
            out.append("%%")
        else:
            out.append(char)
        index += 1
    return "".join(out)


def _redacted(message: str, password: str | None) -> str:
    return message.replace(password, "***") if password else message


class PostgresBackend:
    """The results store in a PostgreSQL database; one connection, in autocommit mode outside transactions."""

    def __init__(self, connection: psycopg.Connection[Any], location: str, read_only: bool,
                 password: str | None = None) -> None:
        self._connection = connection
        self._location = location
        self._read_only = read_only
        self._password = password
        self._in_transaction = False

    @classmethod
    def connect(cls, url: str, *, read_only: bool) -> PostgresBackend:
        """Connect to the database at ``url`` (``postgresql://user@host:port/database``); read-only: every
        transaction of the session is read only."""
        location = describe_postgres_url(url)
        password = _password_of(url)
        try:
            connection = psycopg.connect(url, autocommit=True)
        except psycopg.Error as error:
            raise StoreError(
                f"results store {location}: cannot connect: {_redacted(str(error).strip(), password)}"
            ) from error
        backend = cls(connection, location, read_only, password)
        try:
            if read_only:
                backend.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            backend._warn_unless_code_point_collation()
        except BaseException:
            connection.close()
            raise
        return backend

    @property
    def read_only(self) -> bool:
        return self._read_only

    def execute(self, sql: str, parameters: Sequence[SqlParameter] = ()) -> list[tuple[Any, ...]]:
        try:
            with self._connection.cursor() as cursor:
                cursor.execute(translate_placeholders(sql), list(parameters))
                if cursor.description is None:
                    return []
                return [tuple(row) for row in cursor.fetchall()]
        except psycopg.Error as error:
            raise self._store_error(error) from error

    def insert_rows(self, table: TableSpec, rows: pa.Table) -> None:
        names = rows.column_names
        types = [POSTGRES_COPY_TYPES[table.column(name).sql_type] for name in names]
        columns = ", ".join(quote_identifier(name) for name in names)
        values = [rows.column(name).to_pylist() for name in names]
        try:
            with self._connection.cursor() as cursor, cursor.copy(
                f"COPY {quote_identifier(table.name)} ({columns}) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(types)
                for row in zip(*values, strict=True):
                    copy.write_row(row)
        except psycopg.Error as error:
            raise self._store_error(error, table) from error

    def transaction(self) -> AbstractContextManager[None]:
        return self._transaction()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if self._in_transaction:
            raise StoreError(f"results store {self._location}: a transaction is already open")
        self.execute("BEGIN TRANSACTION")
        self._in_transaction = True
        try:
            yield
            if self._connection.info.transaction_status is TransactionStatus.INERROR:
                raise StoreError(f"results store {self._location}: a statement of the transaction failed: "
                                 f"rolled back")
            self.execute("COMMIT")
        except BaseException:
            self._roll_back()
            raise
        finally:
            self._in_transaction = False

    def _roll_back(self) -> None:
        if self._connection.closed or self._connection.info.transaction_status is TransactionStatus.IDLE:
            return
        try:
            self._connection.execute("ROLLBACK")
        except psycopg.Error as error:
            log.debug("rollback of results store %s: %s", self._location, error)

    def close(self) -> None:
        self._connection.close()

    def _warn_unless_code_point_collation(self) -> None:
        rows = self.execute("SELECT datcollate FROM pg_database WHERE datname = current_database()")
        collation = str(rows[0][0]) if rows else ""
        if collation not in _CODE_POINT_COLLATIONS:
            log.warning(
                "results store %s: the database collation is %s, so text sorts differently from a DuckDB store; "
                "create the database with LC_COLLATE 'C' (docs/results-database.md)", self._location, collation,
            )

    def _store_error(self, error: psycopg.Error, table: TableSpec | None = None) -> StoreError:
        where = f"results store {self._location}" + (f": table {table.name}" if table is not None else "")
        return StoreError(f"{where}: {_redacted(str(error).strip(), self._password)}")


def _password_of(url: str) -> str | None:
    """The password in ``url`` (user part or ``?password=``), to keep it out of messages."""
    parts = urllib.parse.urlsplit(url)
    if parts.password:
        return urllib.parse.unquote(parts.password)
    for key, value in urllib.parse.parse_qsl(parts.query):
        if key.lower() in _PASSWORD_KEYS and value:
            return value
    return None
