"""``hospmort run`` and ``hospmort publications`` with a PostgreSQL results store (issue 8), as a user runs them."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from hospmort.store import ALL_TABLES, list_publications, open_store, read_manifest, read_table
from postgres_server import PASSWORD_ROLE, PASSWORD_ROLE_PASSWORD, PostgresServer

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

HOSPMORT = str(Path(sys.executable).with_name("hospmort"))
#: Columns that record when a row was written, not what was computed.
WRITE_TIMES = {"CREATED_AT", "PUBLISHED_AT", "APPLIED_AT", "MANIFEST"}


def hospmort(*args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([HOSPMORT, *args], capture_output=True, text=True, check=False, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def password_store_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A new database owned by the password role, as a URL carrying the password (the worst case for leaks)."""
    url = postgres_server.create_database("e2e")
    database = url.rsplit("/", 1)[1]
    with psycopg.connect(postgres_server.url(), autocommit=True) as connection:
        connection.execute(f'ALTER DATABASE "{database}" OWNER TO {PASSWORD_ROLE}')
    try:
        yield f"postgresql://{PASSWORD_ROLE}:{PASSWORD_ROLE_PASSWORD}@127.0.0.1:{postgres_server.port}/{database}"
    finally:
        postgres_server.drop_database(url)


@pytest.fixture(scope="module")
def runs(tiny_synth_dir: Path, password_store_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same publication run once into a DuckDB file and once into PostgreSQL."""
    work = tmp_path_factory.mktemp("pg-run")
    common = ("run", "--data", str(tiny_synth_dir), "--period-end", "2025-12")
    duckdb_run = hospmort(*common, "--db", str(work / "db.duckdb"), "--out", str(work / "out-duckdb"))
    postgres_run = hospmort(*common, "--db", password_store_url, "--out", str(work / "out-postgres"))
    return {"work": work, "duckdb": duckdb_run, "postgres": postgres_run}


#: Columns that differ between two identical runs even on DuckDB (a nondeterminism of the HSMR comparison,
#: reported to the lead with this test): compared for presence only.
UNSTABLE = {("hsmr_comparison", "C_PALLIATIVE")}


def comparable(table: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows without write times; floats rounded to 9 significant digits (two runs sum expected deaths in a
    different order: the stored values are exact, see tests/unit/test_store.py, but the runs differ by ~1e-12)."""
    def value(name: str, item: Any) -> Any:
        if (table, name) in UNSTABLE:
            return item is None
        return float(f"{item:.9g}") if isinstance(item, float) and math.isfinite(item) else item
    return [{k: value(k, v) for k, v in row.items() if k not in WRITE_TIMES} for row in rows]


def test_a_run_into_postgresql_stores_exactly_what_a_run_into_duckdb_stores(runs: dict[str, Any],
                                                                             password_store_url: str) -> None:
    with open_store(runs["work"] / "db.duckdb", read_only=True) as duck, \
            open_store(password_store_url, read_only=True) as postgres:
        assert [p.period_end for p in list_publications(postgres)] == [p.period_end for p in list_publications(duck)]
        for table in ALL_TABLES:
            expected = comparable(table.name, read_table(duck, table.name))
            assert comparable(table.name, read_table(postgres, table.name)) == expected, table.name
        assert sum(len(read_table(postgres, t.name)) for t in ALL_TABLES) > 100  # the run stored real results


def test_publications_lists_the_postgresql_store_without_showing_the_password(runs: dict[str, Any],
                                                                              password_store_url: str) -> None:
    result = hospmort("publications", "--db", password_store_url)
    [line] = result.stdout.splitlines()
    assert line.startswith("2025-12  JAN25_DEC25  draft")
    for text in (result.stdout, result.stderr, runs["postgres"].stdout, runs["postgres"].stderr):
        assert PASSWORD_ROLE_PASSWORD not in text
    assert f"{PASSWORD_ROLE}@127.0.0.1" in runs["postgres"].stdout


def test_the_run_manifest_records_the_store_without_its_password(runs: dict[str, Any],
                                                                  password_store_url: str) -> None:
    written = (runs["work"] / "out-postgres" / "manifest.json").read_text(encoding="utf-8")
    assert PASSWORD_ROLE_PASSWORD not in written
    with open_store(password_store_url, read_only=True) as store:
        [publication] = list_publications(store)
        stored = read_manifest(store, publication.period_end)
    assert PASSWORD_ROLE_PASSWORD not in json.dumps(stored)
    assert json.loads(written)["configuration"]["db"] == password_store_url.replace(f":{PASSWORD_ROLE_PASSWORD}@", "@")
