"""Opening the results store: its location, its backend and its schema (architecture.md "results database").

A store location is a path to a DuckDB file (the default) or a URL: ``duckdb://<path>`` (so
``duckdb:///srv/results.duckdb`` is the absolute path ``/srv/results.duckdb``) or, for a shared deployment,
``postgresql://user@host:port/database`` (or ``postgres://``), a PostgreSQL database
(:mod:`hospmort.store.postgres`), with the same schema and behaviour.

Opening read-write creates the file, every table of :mod:`hospmort.store.tables` that is missing and the
``schema_version`` row; opening read-only (the web server) changes nothing and refuses a store whose schema
is not this version's.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType

from hospmort import __version__
from hospmort.errors import StoreError
from hospmort.store.backend import Backend, DuckDBBackend
from hospmort.store.tables import (
    ALL_TABLES,
    APPLIED_AT,
    PACKAGE_VERSION,
    SCHEMA_VERSION,
    SCHEMA_VERSION_TABLE,
    VERSION,
    quote_identifier,
)

log = logging.getLogger(__name__)

DUCKDB_SCHEME = "duckdb://"
POSTGRESQL_SCHEMES = ("postgresql://", "postgres://")
IN_MEMORY = ":memory:"


class StoreKind(StrEnum):
    DUCKDB = "duckdb"
    POSTGRESQL = "postgresql"


@dataclass(frozen=True)
class StoreLocation:
    """Where a store is: its kind and the path (DuckDB) or connection URL (PostgreSQL)."""

    kind: StoreKind
    target: str


@dataclass(frozen=True)
class ResultsStore:
    """An open results store. Close it (or use it as a context manager) when done."""

    backend: Backend
    location: str

    @property
    def read_only(self) -> bool:
        return self.backend.read_only

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


def parse_store_location(location: str | Path) -> StoreLocation:
    """A path or ``duckdb://<path>`` is a DuckDB file; ``postgresql://`` a PostgreSQL database."""
    text = str(location).strip()
    if not text:
        raise StoreError("results store location is empty: give a path to a DuckDB file or a URL")
    if text.startswith(DUCKDB_SCHEME):
        path = text[len(DUCKDB_SCHEME):]
        if not path:
            raise StoreError(f"results store URL {text!r} names no file: write duckdb:///path/to/results.duckdb")
        return StoreLocation(StoreKind.DUCKDB, path)
    if text.startswith(POSTGRESQL_SCHEMES):
        return StoreLocation(StoreKind.POSTGRESQL, text)
    if "://" in text:
        scheme = text.split("://", 1)[0]
        raise StoreError(f"results store URL scheme {scheme!r} is not supported: use a path, duckdb:// or "
                         f"postgresql://")
    return StoreLocation(StoreKind.DUCKDB, text)


def open_store(location: str | Path, *, read_only: bool = False) -> ResultsStore:
    """Open the results store at ``location`` (a DuckDB file path, ``duckdb://<path>`` or ``postgresql://``).

    Read-write: creates the file and any missing table, and records the schema version. Read-only: the store
    must exist and have this version's schema; any number of read-only openings may run at once.
    """
    where = parse_store_location(location)
    backend = _connect(where, read_only=read_only)
    store = ResultsStore(backend, _describe(where))
    try:
        if read_only:
            _check_schema_version(store)
        else:
            _create_schema(store)
    except BaseException:
        store.close()
        raise
    return store


def _connect(where: StoreLocation, *, read_only: bool) -> Backend:
    if where.kind is StoreKind.POSTGRESQL:
        from hospmort.store.postgres import PostgresBackend  # psycopg is imported only when it is needed

        return PostgresBackend.connect(where.target, read_only=read_only)
    if where.target != IN_MEMORY:
        path = Path(where.target)
        if read_only and not path.is_file():
            raise StoreError(f"no results store at {path}")
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
    elif read_only:
        raise StoreError("an in-memory results store cannot be opened read-only")
    return DuckDBBackend.connect(where.target, read_only=read_only)


def _describe(where: StoreLocation) -> str:
    """The location for messages, without a PostgreSQL password."""
    if where.kind is StoreKind.POSTGRESQL:
        from hospmort.store.postgres import describe_postgres_url

        return describe_postgres_url(where.target)
    return where.target


def describe_store_location(location: str | Path) -> str:
    """``location`` as it may be shown or recorded (messages, run manifests): a PostgreSQL URL without its
    password; a DuckDB location as given."""
    try:
        return _describe(parse_store_location(location))
    except StoreError:
        return str(location)


def stored_schema_version(store: ResultsStore) -> int | None:
    """The highest schema version recorded in the store, or None when none is."""
    rows = store.backend.execute(
        f"SELECT MAX({quote_identifier(VERSION)}) FROM {quote_identifier(SCHEMA_VERSION_TABLE.name)}"
    )
    value = rows[0][0] if rows else None
    return None if value is None else int(value)


def _create_schema(store: ResultsStore) -> None:
    backend = store.backend
    with backend.transaction():
        backend.execute(SCHEMA_VERSION_TABLE.create_sql())
        version = stored_schema_version(store)
        if version is not None and version > SCHEMA_VERSION:
            raise StoreError(f"results store {store.location} has schema version {version}, newer than this "
                             f"hospmort's ({SCHEMA_VERSION}): upgrade hospmort")
        for table in ALL_TABLES:
            backend.execute(table.create_sql())
        if version != SCHEMA_VERSION:
            columns = ", ".join(quote_identifier(c) for c in (VERSION, APPLIED_AT, PACKAGE_VERSION))
            backend.execute(
                f"INSERT INTO {quote_identifier(SCHEMA_VERSION_TABLE.name)} ({columns}) VALUES (?, ?, ?)",
                (SCHEMA_VERSION, utc_now(), __version__),
            )
            log.info("results store %s: schema version %s (was %s)", store.location, SCHEMA_VERSION, version)


def _check_schema_version(store: ResultsStore) -> None:
    try:
        version = stored_schema_version(store)
    except StoreError as error:
        raise StoreError(f"{store.location} is not a hospmort results store (no schema_version table)") from error
    if version is None:
        raise StoreError(f"{store.location} is not a hospmort results store (no schema version recorded)")
    if version > SCHEMA_VERSION:
        raise StoreError(f"results store {store.location} has schema version {version}, newer than this "
                         f"hospmort's ({SCHEMA_VERSION}): upgrade hospmort")
    if version < SCHEMA_VERSION:
        raise StoreError(f"results store {store.location} has schema version {version}, older than this "
                         f"hospmort's ({SCHEMA_VERSION}): open it once read-write to upgrade it (any "
                         f"publication run or `hospmort publish` does)")


def utc_now() -> dt.datetime:
    """The current time in UTC, without time zone (stored ``TIMESTAMP`` values are UTC)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def as_stored_time(value: dt.datetime) -> dt.datetime:
    """A time as naive UTC for a ``TIMESTAMP`` column; a naive time is taken to be UTC already."""
    return value if value.tzinfo is None else value.astimezone(dt.UTC).replace(tzinfo=None)
