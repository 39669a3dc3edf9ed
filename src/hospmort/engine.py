"""The record-level engine: a DuckDB connection configured from the run's engine options."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

import duckdb

from hospmort.config import Engine, EngineOptions
from hospmort.errors import ConfigError

log = logging.getLogger(__name__)

#: Share of the machine's memory the engine may use when ``--memory-limit`` is not given. DuckDB's own default
#: (80%) leaves too little for the Python side and for anything else running on an analyst's machine.
DEFAULT_MEMORY_SHARE = 0.5


def default_memory_limit() -> str:
    """Half of the machine's physical memory, in MB (DuckDB syntax), or DuckDB's default if unknown."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return ""
    return f"{int(total * DEFAULT_MEMORY_SHARE / 2**20)}MB"


def default_temp_dir() -> Path:
    """Where the engine spills when ``--temp-dir`` is not given: the system's temporary folder."""
    return Path(tempfile.gettempdir()) / "hospmort-duckdb"


def connect_duckdb(options: EngineOptions, database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """An in-process DuckDB connection with the memory limit, spill directory and threads of ``options``.

    A progress bar is shown for long queries only when standard error is a terminal.
    """
    if options.engine is not Engine.DUCKDB:
        raise ConfigError(f"engine {options.engine.value!r} is not available for this stage")
    connection = duckdb.connect(database)
    memory_limit = options.memory_limit or default_memory_limit()
    if memory_limit:
        try:
            connection.execute(f"SET memory_limit = '{_checked_size(memory_limit)}'")
        except duckdb.Error as error:
            raise ConfigError(f"--memory-limit {memory_limit!r} is not a size DuckDB accepts") from error
    temp_dir = options.temp_dir or default_temp_dir()
    temp_dir.mkdir(parents=True, exist_ok=True)
    connection.execute(f"SET temp_directory = '{_escape(str(temp_dir))}'")
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
