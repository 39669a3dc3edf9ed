"""The CUSUM threshold table: its grid, its generation by exact simulation, reading it (statistics.md §4.4.3).

One table per odds ratio R_A, columns ``R, Q, N_EQ, ALPHA, H`` sorted in that order, ``H`` to 6 decimals or
``INF``. Each ``Q`` column is one exact simulation (§4.4.1 steps 3-5) of the upper chart over homogeneous
records of risk Q, N paths, seeded from ``CUSUM_TABLE|<R>|<Q>``; the running maxima after n records give
``H`` at ``N_EQ = n`` for every ``ALPHA``. Columns are independent and run in parallel processes.
"""

from __future__ import annotations

import csv
import logging
import math
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from hospmort.errors import ConfigError
from hospmort.monitoring.simulation import derive_chart_seed, find_exact_thresholds, simulate_running_maxima
from hospmort.monitoring.weights import FloatArray

log = logging.getLogger(__name__)

TABLE_Q_VALUES: tuple[float, ...] = (
    0.01, 0.02, 0.035, 0.06, 0.1, 0.16, 0.25, 0.37, 0.5, 0.63, 0.75, 0.84, 0.9, 0.94, 0.965, 0.98, 0.99,
)
TABLE_ALPHAS: tuple[float, ...] = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1)
TABLE_PATHS = 1_000_000
TABLE_COLUMNS = ("R", "Q", "N_EQ", "ALPHA", "H")
INFINITE_TEXT = "INF"
TABLE_PACKAGE = "hospmort.refdata"
TABLE_FOLDER = "cusum"


def list_table_n_eq(q: float, *, limit: int | None = None) -> list[int]:
    """``N_EQ`` of a column: 1 … 20, then ⌊20·1.25^i + 0.5⌋ for i = 1, 2, … up to and including the first
    value ≥ 1000/min(Q, 1 − Q) (statistics.md §4.4.3). ``limit`` truncates the grid (reduced grids in tests).
    """
    target = 1000.0 / min(q, 1.0 - q)
    values = list(range(1, 21))
    step = 1
    while values[-1] < target:
        values.append(math.floor(20.0 * 1.25**step + 0.5))
        step += 1
    if limit is not None:
        values = [value for value in values if value <= limit]
    return values


def table_seed_text(odds_ratio: float, q: float) -> str:
    """``CUSUM_TABLE|<R>|<Q>`` with both numbers as Python's ``repr`` of the float (§4.4.3)."""
    return f"CUSUM_TABLE|{float(odds_ratio)!r}|{float(q)!r}"


def table_file_name(odds_ratio: float) -> str:
    """``cusum_thresholds_R2.csv`` for R = 2 (a whole R is written without decimals)."""
    text = f"{int(odds_ratio)}" if float(odds_ratio).is_integer() else repr(float(odds_ratio)).replace(".", "p")
    return f"cusum_thresholds_R{text}.csv"


def format_threshold(value: float) -> str:
    """``H`` to 6 decimals, or ``INF``."""
    return INFINITE_TEXT if math.isinf(value) else f"{value:.6f}"


@dataclass(frozen=True)
class TableRow:
    odds_ratio: float
    q: float
    n_eq: int
    alpha: float
    threshold: float


def generate_table_column(odds_ratio: float, q: float, paths: int, n_eq_values: Sequence[int],
                          alphas: Sequence[float]) -> list[TableRow]:
    """One column of the table: the exact thresholds of homogeneous units of risk Q (§4.4.3)."""
    rows: list[TableRow] = []
    started = time.perf_counter()

    def record(n_records: int, maxima: FloatArray) -> None:
        for alpha, threshold in zip(alphas, find_exact_thresholds(maxima, alphas), strict=True):
            rows.append(TableRow(odds_ratio, q, n_records, alpha, threshold))
        log.debug("cusum table column Q=%s: %d records done after %.0f s", q, n_records,
                  time.perf_counter() - started)

    largest = max(n_eq_values)
    simulate_running_maxima(
        np.full(largest, q), odds_ratio, paths, derive_chart_seed(table_seed_text(odds_ratio, q)),
        checkpoints=n_eq_values, on_checkpoint=record,
    )
    log.info("cusum table column Q=%s: %d records x %d paths in %.0f s", q, largest, paths,
             time.perf_counter() - started)
    return rows


def write_table_rows(rows: Sequence[TableRow], path: Path) -> None:
    """Write rows sorted by R, Q, N_EQ, ALPHA."""
    ordered = sorted(rows, key=lambda row: (row.odds_ratio, row.q, row.n_eq, row.alpha))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(TABLE_COLUMNS)
        for row in ordered:
            writer.writerow([repr(row.odds_ratio), repr(row.q), row.n_eq, repr(row.alpha),
                             format_threshold(row.threshold)])


def read_table_rows(path: Path) -> list[TableRow]:
    """Read a table file written by :func:`write_table_rows`."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != TABLE_COLUMNS:
            raise ConfigError(f"{path}: a CUSUM threshold table has the columns {', '.join(TABLE_COLUMNS)}")
        return [
            TableRow(float(row["R"]), float(row["Q"]), int(row["N_EQ"]), float(row["ALPHA"]),
                     math.inf if row["H"] == INFINITE_TEXT else float(row["H"]))
            for row in reader
        ]


def _column_cost(q: float, limit: int | None) -> int:
    return max(list_table_n_eq(q, limit=limit))


def generate_threshold_table(
    odds_ratio: float,
    paths: int,
    out: Path,
    *,
    q_values: Sequence[float] = TABLE_Q_VALUES,
    alphas: Sequence[float] = TABLE_ALPHAS,
    n_eq_limit: int | None = None,
    workers: int = 1,
) -> int:
    """Generate the threshold table for R (statistics.md §4.4.3) into ``out``; returns its row count.

    Each finished column is also kept in ``<out>.parts/`` so that an interrupted generation resumes where it
    stopped (a part is reused only when its R, Q, paths and grid match).
    """
    if odds_ratio <= 1.0:
        raise ConfigError(f"--odds-ratio must be above 1 (the upper chart's R_A), got {odds_ratio}")
    parts = out.with_name(out.name + ".parts")
    parts.mkdir(parents=True, exist_ok=True)
    rows: list[TableRow] = []
    pending: list[float] = []
    for q in q_values:
        part = parts / f"Q{q!r}_N{paths}_L{n_eq_limit}.csv"
        if part.exists():
            rows.extend(read_table_rows(part))
            log.info("cusum table column Q=%s reused from %s", q, part)
        else:
            pending.append(q)
    pending.sort(key=lambda q: _column_cost(q, n_eq_limit), reverse=True)  # longest first balances workers

    def keep(q: float, column: list[TableRow]) -> None:
        write_table_rows(column, parts / f"Q{q!r}_N{paths}_L{n_eq_limit}.csv")
        rows.extend(column)

    if workers <= 1:
        for q in pending:
            keep(q, generate_table_column(odds_ratio, q, paths, list_table_n_eq(q, limit=n_eq_limit), alphas))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {
                pool.submit(generate_table_column, odds_ratio, q, paths, list_table_n_eq(q, limit=n_eq_limit),
                            tuple(alphas)): q
                for q in pending
            }
            for future in as_completed(futures):
                keep(futures[future], future.result())
    write_table_rows(rows, out)
    return len(rows)


def packaged_table_path(odds_ratio: float) -> Path:
    """Path of the packaged table for R (``refdata/cusum/cusum_thresholds_R2.csv`` for R = 2)."""
    return Path(str(resources.files(TABLE_PACKAGE).joinpath(TABLE_FOLDER, table_file_name(odds_ratio))))
