"""The results database: one schema, publications kept side by side, written atomically.

Open a store with :func:`open_store` (a DuckDB file path or ``duckdb://`` URL; read-only for the web server),
write a publication with :func:`write_publication`, mark it published with :func:`publish`, and read it back
with :func:`list_publications`, :func:`previous_publication` and :func:`read_table`. The tables are defined
once in :mod:`hospmort.store.tables` and documented in ``docs/results-database.md``.
"""

from hospmort.store.backend import Backend, DuckDBBackend
from hospmort.store.catalog import (
    PublicationStatus,
    StoredPublication,
    get_publication,
    latest_publication,
    list_publications,
    previous_publication,
    publish,
    read_manifest,
)
from hospmort.store.connection import ResultsStore, open_store, parse_store_location
from hospmort.store.reader import read_arrow_table, read_table
from hospmort.store.tables import (
    ALL_TABLES,
    PUBLICATION_TABLES,
    SCHEMA_VERSION,
    Column,
    Indicator,
    SqlType,
    TableSpec,
    table_spec,
)
from hospmort.store.writer import Publication, TableRows, write_publication, write_publications

__all__ = [
    "ALL_TABLES",
    "PUBLICATION_TABLES",
    "SCHEMA_VERSION",
    "Backend",
    "Column",
    "DuckDBBackend",
    "Indicator",
    "Publication",
    "PublicationStatus",
    "ResultsStore",
    "SqlType",
    "StoredPublication",
    "TableRows",
    "TableSpec",
    "get_publication",
    "latest_publication",
    "list_publications",
    "open_store",
    "parse_store_location",
    "previous_publication",
    "publish",
    "read_arrow_table",
    "read_manifest",
    "read_table",
    "table_spec",
    "write_publication",
    "write_publications",
]
