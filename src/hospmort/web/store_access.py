"""The dashboard's access to the results store: read-only, short openings, cached until the file changes.

The web server never holds the store open between requests (docs/results-database.md "Concurrency"): each
load opens the DuckDB file read-only, reads what it needs and closes it, so that a publication run can take
the file in between. What was read is cached per publication and dropped as soon as the file changes (its size
or modification time, or its write-ahead log's), so a page is served from memory and a new publication shows
at the next request.

DuckDB refuses, within one process, a read-write opening while a read-only one is open; every opening here
therefore happens under one lock, and saving a peer group (the only write) opens the store read-write for a
moment. Only stored aggregates are read; nothing here computes an indicator.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from hospmort import schema as col
from hospmort.config import Month
from hospmort.errors import StoreError
from hospmort.store import (
    ALL_TABLES,
    PublicationStatus,
    StoredPublication,
    list_publications,
    open_store,
    parse_store_location,
    read_table,
)
from hospmort.store.connection import StoreKind, utc_now
from hospmort.store.tables import CREATED_AT, PEER_GROUP, PEER_GROUPS_TABLE, quote_identifier

log = logging.getLogger(__name__)

Row = dict[str, Any]
#: The longest peer-group name accepted.
MAX_PEER_GROUP_NAME = 80
#: The fewest trusts a peer group may have (a funnel of one unit says nothing).
MIN_PEER_GROUP_TRUSTS = 2
#: How often a database server's tables are read again (a DuckDB file is re-read as soon as it changes).
SERVER_REFRESH_SECONDS = 10
#: How many computed answers are kept (least recently used first out); all are dropped when the store changes.
MEMO_SIZE = 1024
T = TypeVar("T")


@dataclass(frozen=True)
class PeerGroup:
    """A saved peer group: its name and its member trust codes, sorted."""

    name: str
    provider_codes: tuple[str, ...]


def table_is_defined(name: str) -> bool:
    """True when this hospmort's results-store schema has a table called ``name``."""
    return any(table.name == name for table in ALL_TABLES)


def first_defined_table(candidates: Sequence[str]) -> str | None:
    """The first of ``candidates`` that the schema defines (tables other engineers add keep their own names)."""
    return next((name for name in candidates if table_is_defined(name)), None)


class DashboardStore:
    """Cached, read-only access to one results store for the web server (thread-safe)."""

    def __init__(self, location: str | Path) -> None:
        self.location = str(location)
        where = parse_store_location(location)
        self._path = Path(where.target)
        #: A DuckDB file shows a change by its size and time; another database is re-read every few seconds.
        self._is_file = where.kind is StoreKind.DUCKDB
        self._lock = threading.RLock()
        self._signature: tuple[int, int, int, int] | None = None
        self._publications: list[StoredPublication] | None = None
        self._tables: dict[tuple[str, str | None], list[Row]] = {}
        self._peer_groups: list[PeerGroup] | None = None
        self._indexes: dict[tuple[str, str | None, str], dict[Any, list[Row]]] = {}
        self._memo: OrderedDict[Hashable, Any] = OrderedDict()

    # --- cache ---------------------------------------------------------------------------------------------

    def _file_signature(self) -> tuple[int, int, int, int]:
        if not self._is_file:
            return (int(time.monotonic() // SERVER_REFRESH_SECONDS), 0, 0, 0)
        def stat(path: Path) -> tuple[int, int]:
            try:
                info = path.stat()
            except FileNotFoundError:
                return (0, 0)
            return (info.st_mtime_ns, info.st_size)

        main = stat(self._path)
        wal = stat(self._path.with_name(self._path.name + ".wal"))
        return (*main, *wal)

    def _refresh(self) -> None:
        """Drop every cached value when the store file changed since it was read (call under the lock)."""
        signature = self._file_signature()
        if signature != self._signature:
            self._signature = signature
            self._publications = None
            self._tables.clear()
            self._peer_groups = None
            self._indexes.clear()
            self._memo.clear()

    # --- reading -------------------------------------------------------------------------------------------

    def publications(self) -> list[StoredPublication]:
        """Every stored publication, by period end (drafts included)."""
        with self._lock:
            self._refresh()
            if self._publications is None:
                with open_store(self.location, read_only=True) as store:
                    self._publications = list_publications(store)
            return list(self._publications)

    def rows(self, table: str, period_end: Month | None = None) -> list[Row]:
        """Rows of ``table`` for one publication (every publication when ``period_end`` is None).

        A table this hospmort's schema does not define reads as empty, so pages can say "not computed".
        """
        if not table_is_defined(table):
            return []
        key = (table, None if period_end is None else str(period_end))
        with self._lock:
            self._refresh()
            cached = self._tables.get(key)
            if cached is None:
                with open_store(self.location, read_only=True) as store:
                    cached = read_table(store, table, period_end)
                self._tables[key] = cached
            return cached

    def rows_where(self, table: str, period_end: Month | None, column: str, value: object) -> list[Row]:
        """Rows of ``table`` (one publication or all) whose ``column`` equals ``value`` (from a cached index)."""
        key = (table, None if period_end is None else str(period_end), column)
        rows = self.rows(table, period_end)
        with self._lock:
            index = self._indexes.get(key)
            if index is None:
                index = {}
                for row in rows:
                    index.setdefault(row.get(column), []).append(row)
                self._indexes[key] = index
        return index.get(value, [])

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The answer computed for ``key``, kept until the store file changes (at most :data:`MEMO_SIZE`)."""
        with self._lock:
            self._refresh()
            signature = self._signature
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            if self._signature == signature:  # not computed from a store that changed meanwhile
                self._memo[key] = value
                while len(self._memo) > MEMO_SIZE:
                    self._memo.popitem(last=False)
        return value

    def peer_groups(self) -> list[PeerGroup]:
        """Every saved peer group, by name."""
        with self._lock:
            self._refresh()
            if self._peer_groups is None:
                with open_store(self.location, read_only=True) as store:
                    rows = read_table(store, PEER_GROUPS_TABLE.name)
                members: dict[str, list[str]] = {}
                for row in rows:
                    members.setdefault(row[PEER_GROUP], []).append(row[col.PROVIDER_CODE])
                self._peer_groups = [PeerGroup(name, tuple(sorted(codes))) for name, codes in sorted(members.items())]
            return list(self._peer_groups)

    def peer_group(self, name: str) -> PeerGroup | None:
        return next((group for group in self.peer_groups() if group.name == name), None)

    # --- writing peer groups -------------------------------------------------------------------------------

    def save_peer_group(self, name: str, provider_codes: Sequence[str]) -> PeerGroup:
        """Save (or replace) the peer group ``name`` with ``provider_codes``, in one transaction.

        Raises :class:`ValueError` for a name or membership that cannot be saved, :class:`StoreError` when the
        store cannot be written (for instance while a publication run holds it).
        """
        group = checked_peer_group(name, provider_codes)
        table = quote_identifier(PEER_GROUPS_TABLE.name)
        with self._lock, open_store(self.location) as store:
            with store.backend.transaction():
                store.backend.execute(f"DELETE FROM {table} WHERE {quote_identifier(PEER_GROUP)} = ?", (group.name,))
                now = utc_now()
                columns = ", ".join(quote_identifier(c) for c in (PEER_GROUP, col.PROVIDER_CODE, CREATED_AT))
                for code in group.provider_codes:
                    store.backend.execute(f"INSERT INTO {table} ({columns}) VALUES (?, ?, ?)",
                                          (group.name, code, now))
            self._signature = None
        log.info("saved peer group %r (%d trusts)", group.name, len(group.provider_codes))
        return group

    def delete_peer_group(self, name: str) -> bool:
        """Delete the peer group ``name``; False when there was none."""
        table = quote_identifier(PEER_GROUPS_TABLE.name)
        with self._lock:
            if self.peer_group(name) is None:
                return False
            with open_store(self.location) as store:
                store.backend.execute(f"DELETE FROM {table} WHERE {quote_identifier(PEER_GROUP)} = ?", (name,))
            self._signature = None
        log.info("deleted peer group %r", name)
        return True


def checked_peer_group(name: str, provider_codes: Sequence[str]) -> PeerGroup:
    """A peer group from user input: a non-empty name of at most 80 characters and at least two trusts."""
    clean_name = " ".join(name.split())
    if not clean_name:
        raise ValueError("a peer group needs a name")
    if len(clean_name) > MAX_PEER_GROUP_NAME:
        raise ValueError(f"a peer group name has at most {MAX_PEER_GROUP_NAME} characters")
    codes = tuple(sorted({code.strip().upper() for code in provider_codes if code.strip()}))
    if len(codes) < MIN_PEER_GROUP_TRUSTS:
        raise ValueError(f"a peer group needs at least {MIN_PEER_GROUP_TRUSTS} trusts, got {len(codes)}")
    return PeerGroup(clean_name, codes)


def visible_publications(publications: Sequence[StoredPublication], *,
                         include_drafts: bool) -> list[StoredPublication]:
    """The publications a selector offers: published ones, plus drafts when asked (or when none is published)."""
    published = [p for p in publications if p.status is PublicationStatus.PUBLISHED]
    if include_drafts or not published:
        return list(publications)
    return published


__all__ = [
    "DashboardStore",
    "PeerGroup",
    "StoreError",
    "checked_peer_group",
    "first_defined_table",
    "table_is_defined",
    "visible_publications",
]
