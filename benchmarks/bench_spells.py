"""Benchmark of reading, validating and linking: episodes per second and peak memory.

Generates a synthetic episode set with DuckDB ``range()`` into a Parquet file (default 3 million episodes: 1.5
million two-episode spells of 500,000 people at 150 trusts over 36 months, a few unfinished episodes and
transfers), then times, in one process:

* the baseline: DuckDB scanning the same file once (every column, as ``load_inputs`` reads it);
* ``load_inputs`` (read as text, clean, type, validate every data-contract rule);
* ``derive_provider_spells``, ``derive_continuous_inpatient_spells``;
* ``classify_shmi_scope`` and ``attribute_shmi_deaths``.

Run: ``.venv/bin/python -m benchmarks.bench_spells [--episodes N] [--memory-limit 4GB] [--threads 4]``.
Peak memory is the process's maximum resident set size (``ru_maxrss``), read after each stage.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from hospmort.config import EngineOptions, Month, Windows
from hospmort.engine import connect_duckdb
from hospmort.hes import load_inputs
from hospmort.shmi.scope import classify_shmi_scope
from hospmort.spells import attribute_shmi_deaths, derive_continuous_inpatient_spells, derive_provider_spells

TRUSTS = 150
DIAGNOSES = ("J189", "I500", "R104", "K359", "C189", "I219", "N390", "J440", "A419", "S720")


def generate(directory: Path, episodes: int) -> tuple[Path, Path, Path]:
    """Write episodes, deaths and organisations; return their paths."""
    con = duckdb.connect()
    diagnoses = "[" + ", ".join(f"'{d}'" for d in DIAGNOSES) + "]"
    # Episode i is episode (i % 2) + 1 of spell i // 2; spell s belongs to person s // 3.
    con.execute(f"""
        COPY (
            WITH e AS (SELECT i, i // 2 AS spell, i % 2 AS position FROM range({episodes}) t(i)),
            s AS (SELECT *, spell // 3 AS person, (spell * 7919) % 1095 AS day, spell % {TRUSTS} AS trust FROM e)
            SELECT
                CAST(1000000000000 + i AS VARCHAR) AS EPIKEY,
                'H' || CAST(person AS VARCHAR) AS HESID,
                'R' || lpad(CAST(trust AS VARCHAR), 2, '0') AS PROCODE3,
                'R' || lpad(CAST(trust AS VARCHAR), 2, '0') || '0' || CAST(position + 1 AS VARCHAR) AS SITETRET,
                lpad(CAST(spell AS VARCHAR), 10, '0') AS PROVSPNOPS,
                CAST(position + 1 AS VARCHAR) AS EPIORDER,
                CASE WHEN i % 997 = 0 THEN '1' ELSE '3' END AS EPISTAT,
                DATE '2022-01-01' + CAST(day + position AS INTEGER) AS EPISTART,
                DATE '2022-01-01' + CAST(day + position + 1 AS INTEGER) AS EPIEND,
                DATE '2022-01-01' + CAST(day AS INTEGER) AS ADMIDATE,
                CASE WHEN position = 1 THEN DATE '2022-01-01' + CAST(day + 2 AS INTEGER) END AS DISDATE,
                CASE WHEN spell % 5 = 0 THEN '11' WHEN spell % 17 = 0 THEN '81' ELSE '21' END AS ADMIMETH,
                CASE WHEN spell % 13 = 0 THEN '51' ELSE '19' END AS ADMISORC,
                CASE WHEN spell % 31 = 0 THEN '4' ELSE '1' END AS DISMETH,
                CASE WHEN spell % 11 = 0 THEN '51' ELSE '19' END AS DISDEST,
                CASE WHEN spell % 9 = 0 THEN '2' ELSE '1' END AS CLASSPAT,
                CAST(spell % 100 AS VARCHAR) AS STARTAGE,
                CAST(person % 2 + 1 AS VARCHAR) AS SEX,
                {diagnoses}[1 + (spell + position) % {len(DIAGNOSES)}] AS DIAG_4_01,
                {diagnoses}[1 + (spell * 3) % {len(DIAGNOSES)}] AS DIAG_4_02,
                CASE WHEN spell % 4 = 0 THEN 'I10X' END AS DIAG_4_03,
                CASE WHEN spell % 41 = 0 THEN '315' ELSE '300' END AS TRETSPEF,
                '300' AS MAINSPEF,
                'E0100' || lpad(CAST(person % 1000 AS VARCHAR), 4, '0') AS LSOA11
            FROM s
        ) TO '{directory / "episodes.parquet"}' (FORMAT PARQUET)
    """)
    con.execute(f"""
        COPY (SELECT 'H' || CAST(p AS VARCHAR) AS HESID, DATE '2022-01-10' + CAST((p * 104729) % 1100 AS INTEGER)
              AS DOD FROM range(0, {episodes // 6}, 20) t(p))
        TO '{directory / "deaths.parquet"}' (FORMAT PARQUET)
    """)
    organisations = directory / "organisations.csv"
    lines = ["org_code,org_type,trust_type"]
    lines += [f"R{t:02d},trust,{'acute' if t % 10 else 'specialist'}" for t in range(TRUSTS)]
    organisations.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory / "episodes.parquet", directory / "deaths.parquet", organisations


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, action: Callable[[], object], episodes: int, baseline: float | None) -> float:
    start = time.perf_counter()
    action()
    seconds = time.perf_counter() - start
    relative = f"{seconds / baseline:7.1f} x scan" if baseline else ""
    print(f"{label:<44} {seconds:8.2f} s  {episodes / seconds:14,.0f} episodes/s  {relative:>14}  "
          f"peak RSS {peak_rss_mb():8.0f} MB", flush=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=3_000_000)
    parser.add_argument("--memory-limit", default=None)
    parser.add_argument("--threads", type=int, default=None)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        start = time.perf_counter()
        episodes_path, deaths_path, organisations_path = generate(folder, arguments.episodes)
        print(f"generated {arguments.episodes:,} episodes in {time.perf_counter() - start:.1f} s "
              f"({episodes_path.stat().st_size / 1e6:.0f} MB Parquet); memory limit {arguments.memory_limit}, "
              f"threads {arguments.threads}", flush=True)
        con = connect_duckdb(EngineOptions(memory_limit=arguments.memory_limit, temp_dir=folder / "spill",
                                           threads=arguments.threads))
        n = arguments.episodes
        columns = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{episodes_path}')").fetchall()]
        # hash() reads and decodes every value (max() could be answered from the Parquet statistics)
        scan = f"SELECT sum(hash({', '.join(columns)})) FROM read_parquet('{episodes_path}')"
        baseline = timed("baseline: DuckDB scans every column once", lambda: con.execute(scan).fetchall(), n, None)
        total = timed("load_inputs (read, clean, validate)",
                      lambda: load_inputs(con, episodes_path, deaths_path, organisations_path), n, baseline)
        total += timed("derive_provider_spells", lambda: derive_provider_spells(con), n, baseline)
        total += timed("derive_continuous_inpatient_spells", lambda: derive_continuous_inpatient_spells(con), n,
                       baseline)
        windows = Windows(Month(2024, 12))
        total += timed("classify_shmi_scope + attribute_shmi_deaths",
                       lambda: (classify_shmi_scope(con, windows), attribute_shmi_deaths(con)), n, baseline)
        spells = con.execute("SELECT count(*) FROM provider_spells").fetchall()[0][0]
        print(f"{'total':<44} {total:8.2f} s  {n / total:14,.0f} episodes/s  {total / baseline:7.1f} x scan  "
              f"peak RSS {peak_rss_mb():8.0f} MB; {spells:,} spells", flush=True)
        con.close()


if __name__ == "__main__":
    main()
