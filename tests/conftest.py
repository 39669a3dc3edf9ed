"""Fixtures shared by several test suites."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hospmort.synth import Scale, SynthSettings, generate
from postgres_server import PostgresServer, start_postgres_server


@pytest.fixture(scope="session")
def tiny_synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``hospmort synth --scale tiny`` data set (default 60 months, seed and defect rate), made once per session.

    It holds ``episodes/``, ``deaths.parquet``, ``organisations.csv`` and ``truth/``; treat it as read-only.
    """
    out = tmp_path_factory.mktemp("synth") / "tiny"
    generate(SynthSettings(out=out, scale=Scale.TINY))
    return out


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server on 127.0.0.1 for the session (tests/postgres_server.py), started on first use."""
    server = start_postgres_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a new empty PostgreSQL database, dropped after the test."""
    url = postgres_server.create_database()
    try:
        yield url
    finally:
        postgres_server.drop_database(url)
