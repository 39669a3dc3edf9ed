"""The CUSUM threshold table: grid, generation command on a reduced grid, the packaged table (§4.4.3)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from hospmort.cli import app
from hospmort.monitoring.simulation import derive_chart_seed, find_exact_thresholds, simulate_running_maxima
from hospmort.monitoring.table import (
    TABLE_ALPHAS,
    TABLE_COLUMNS,
    TABLE_Q_VALUES,
    list_table_n_eq,
    packaged_table_path,
    read_table_rows,
    table_seed_text,
)
from hospmort.monitoring.thresholds import load_threshold_table


def test_grid_has_6712_rows() -> None:
    assert sum(len(list_table_n_eq(q)) for q in TABLE_Q_VALUES) * len(TABLE_ALPHAS) == 6712


def test_n_eq_grid_runs_to_the_first_value_with_1000_expected_deaths_or_survivors() -> None:
    grid = list_table_n_eq(0.5)
    assert grid[:21] == [*range(1, 21), 25]
    assert grid[21:24] == [31, 39, 49]
    assert grid[-1] >= 2000 > grid[-2]
    assert list_table_n_eq(0.99)[-1] == list_table_n_eq(0.01)[-1] >= 100_000 > list_table_n_eq(0.01)[-2]


def test_table_seed_text_uses_the_repr_of_both_numbers() -> None:
    assert table_seed_text(2, 0.01) == "CUSUM_TABLE|2.0|0.01"
    assert derive_chart_seed(table_seed_text(2.0, 0.01)) == 516328229998709026


def test_command_on_a_reduced_grid_writes_the_exact_thresholds_of_each_column(tmp_path: Path) -> None:
    out = tmp_path / "table.csv"
    result = CliRunner().invoke(app, ["cusum-table", "--odds-ratio", "2", "--paths", "20000", "--out", str(out),
                                      "--q", "0.1", "--q", "0.5", "--n-eq-limit", "30", "--workers", "2"])
    assert result.exit_code == 0, result.output
    with out.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == TABLE_COLUMNS
    assert len(rows) - 1 == 2 * 21 * len(TABLE_ALPHAS)  # N_EQ 1 … 20 and 25 (31, the next, is above 30)
    keys = [(float(r[1]), int(r[2]), float(r[3])) for r in rows[1:]]
    assert keys == sorted(keys)
    for q in (0.1, 0.5):
        seen: dict[int, np.ndarray] = {}

        def keep(n: int, maxima: np.ndarray, into: dict[int, np.ndarray] = seen) -> None:
            into[n] = maxima.copy()

        simulate_running_maxima(np.full(25, q), 2.0, 20000, derive_chart_seed(f"CUSUM_TABLE|2.0|{q!r}"),
                                checkpoints=[7, 25], on_checkpoint=keep)
        for n in (7, 25):
            expected = find_exact_thresholds(seen[n], TABLE_ALPHAS)
            written = [r[4] for r in rows[1:] if float(r[1]) == q and int(r[2]) == n]
            assert written == ["INF" if math.isinf(h) else f"{h:.6f}" for h in expected]
    assert "INF" in {r[4] for r in rows[1:] if r[2] == "1"}  # one record of risk 0.5 cannot be monitored


def test_packaged_table_for_odds_ratio_two_is_complete_and_sorted() -> None:
    path = packaged_table_path(2.0)
    rows = read_table_rows(path)
    assert len(rows) == 6712
    keys = [(r.odds_ratio, r.q, r.n_eq, r.alpha) for r in rows]
    assert keys == sorted(keys)
    assert {r.q for r in rows} == set(TABLE_Q_VALUES)
    assert (path.parent / "SOURCE.md").is_file()
    table = load_threshold_table(2.0)
    assert table.q_values == TABLE_Q_VALUES
    assert table.alphas == TABLE_ALPHAS


def test_packaged_thresholds_fall_with_alpha_and_follow_the_exponential_tail() -> None:
    rows = read_table_rows(packaged_table_path(2.0))
    by_key = {(r.q, r.n_eq, r.alpha): r.threshold for r in rows}
    for q in TABLE_Q_VALUES:
        last = list_table_n_eq(q)[-1]
        values = [by_key[(q, last, alpha)] for alpha in TABLE_ALPHAS]
        assert all(math.isfinite(v) for v in values)
        assert values == sorted(values, reverse=True)
        # for large units P(M ≥ h) ≈ c·e^(−h): halving α adds about ln 2 to h
        assert by_key[(q, last, 0.0005)] - by_key[(q, last, 0.001)] == pytest.approx(math.log(2), abs=0.25)
