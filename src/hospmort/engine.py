"""The record-level engine: a DuckDB connection configured from the run's engine options."""

from __future__ import annotations

import logging
import sys

import duckdb

from hospmort.config import Engine, EngineOptions
from hospmort.errors import ConfigError

log = logging.getLogger(__name__)


def connect_duckdb(options: EngineOptions, database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """An in-process DuckDB connection with the memory limit, spill directory and threads of ``options``.

    A progress bar is shown for long queries only when standard error is a terminal.
    """
    if options.engine is not Engine.DUCKDB:
        raise ConfigError(f"engine {options.engine.value!r} is not available for this stage")
    connection = duckdb.connect(database)
    if options.memory_limit:
        try:
            connection.execute(f"SET memory_limit = '{_checked_size(options.memory_limit)}'")
        except duckdb.Error as error:
            raise ConfigError(f"--memory-limit {options.memory_limit!r} is not a size DuckDB accepts") from error
    if options.temp_dir is not None:
        options.temp_dir.mkdir(parents=True, exist_ok=True)
        connection.execute(f"SET temp_directory = '{_escape(str(options.temp_dir))}'")
    if options.threads is not None:
        connection.execute(f"SET threads = {int(options.threads)}")
    connection.execute("SET preserve_insertion_order = false")
    show_progress = sys.stderr.isatty()
    connection.execute(f"SET enable_progress_bar = {str(show_progress).lower()}")
    return connection


def _checked_size(text: str) -> str:
    cleaned = text.strip()
    if not cleaned or any(ch in cleaned for ch in "';\\"):
        raise ConfigError(f"--memory-limit {text!r} is not a size such as 12GB")
    return cleaned


def _escape(text: str) -> str:
    return text.replace("'", "''")
