"""Benchmark of the SHMI risk models (methodology shmi.md §10): fit the 144 group models on cells of national
size and compare with a record-level baseline measured in the same process.

The cells are synthetic: per group, spells are spread over the full covariate grid of §10.1 (up to 8,640 cells,
more in the perinatal groups) by a multinomial draw from random level shares, and deaths drawn from a logistic
model. The baseline is statsmodels' GLM Binomial fitted on a record-level sample of the largest group (the way
a naive implementation would fit), timed and scaled linearly to every record of every group.

Run: ``.venv/bin/python -m benchmarks.bench_riskmodel [--spells 40000000] [--seed 1]``.
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

from hospmort import refdata
from hospmort.riskmodel import (
    SHMI_GROUPS,
    Cells,
    FitMethod,
    build_design,
    fit_shmi_models,
    shmi_covariates,
)

#: Levels of each SHMI covariate (shmi.md §8), by name.
LEVELS = {
    "AGE_GROUP": np.arange(1, 21),
    "GENDER": np.array([1, 2]),
    "ADMIMETH": np.array([1, 3]),
    "ADMISSION_MONTH": np.arange(1, 13),
    "CHARLSON_INDEX": np.array([1, 2, 3]),
    "YEAR_INDEX": np.array([1, 2, 3]),
    "BIRTHWEIGHT": np.arange(1, 7),
}


def covariate_grid(group: int) -> np.ndarray:
    """Every possible level tuple of the group's covariates, sorted; in the perinatal groups birth weight 1-5
    goes with age group 1 and birth weight 6 with the other ages (shmi.md §8)."""
    names = [c.name for c in shmi_covariates(group)]
    grid = np.array(list(itertools.product(*(LEVELS[name] for name in names))), dtype=np.int64)
    if group in refdata.PERINATAL_GROUPS:
        age, weight = grid[:, names.index("AGE_GROUP")], grid[:, names.index("BIRTHWEIGHT")]
        grid = grid[(age == 1) == (weight <= 5)]
    return grid


def simulate_group_cells(rng: np.random.Generator, group: int, spells: int) -> Cells:
    grid = covariate_grid(group)
    share = np.ones(len(grid))
    eta = np.full(len(grid), rng.normal(-3.0, 1.0))
    for j in range(grid.shape[1]):
        levels, index = np.unique(grid[:, j], return_inverse=True)
        share *= rng.dirichlet(np.full(levels.size, 2.0))[index]
        eta += rng.normal(0.0, 0.6, levels.size)[index]
    counts = rng.multinomial(spells, share / share.sum())
    deaths = rng.binomial(counts, 1 / (1 + np.exp(-eta)))
    present = counts > 0
    return Cells(grid[present], counts[present], deaths[present])


def simulate_national_cells(rng: np.random.Generator, total_spells: int) -> dict[int, Cells]:
    """Cells of all 144 groups; group sizes log-normal, summing to about ``total_spells``."""
    weights = rng.lognormal(0.0, 1.3, len(SHMI_GROUPS))
    sizes = np.maximum(200, (total_spells * weights / weights.sum()).astype(np.int64))
    return {group: simulate_group_cells(rng, group, int(size)) for group, size in zip(SHMI_GROUPS, sizes,
                                                                                     strict=True)}


def time_record_level_baseline(cells: Cells, group: int, sample_records: int, rng: np.random.Generator) -> float:
    """Seconds per record of statsmodels' GLM Binomial on a record-level sample of ``cells``."""
    import statsmodels.api as sm  # a test-only dependency: imported only when the baseline runs

    design = build_design(shmi_covariates(group), cells)
    records = np.repeat(np.arange(cells.cell_count), cells.spells)
    died = np.concatenate([np.r_[np.ones(d), np.zeros(n - d)] for n, d in zip(cells.spells, cells.deaths,
                                                                                strict=True)])
    sample = rng.choice(records.size, size=min(sample_records, records.size), replace=False)
    started = time.perf_counter()
    sm.GLM(died[sample], design.matrix[records[sample]], family=sm.families.Binomial()).fit()
    return (time.perf_counter() - started) / sample.size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--spells", type=int, default=40_000_000, help="modelling-window spells, all groups")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--baseline-records", type=int, default=200_000)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)

    cells_by_group = simulate_national_cells(rng, args.spells)
    total_cells = sum(cells.cell_count for cells in cells_by_group.values())
    total_spells = sum(int(cells.total_spells) for cells in cells_by_group.values())
    started = time.perf_counter()
    models = fit_shmi_models(cells_by_group)
    fit_seconds = time.perf_counter() - started

    methods = {method: sum(m.fit_method is method for m in models.values()) for method in FitMethod}
    largest = max(cells_by_group, key=lambda g: cells_by_group[g].total_spells)
    per_record = time_record_level_baseline(cells_by_group[largest], largest, args.baseline_records, rng)
    baseline_seconds = per_record * total_spells

    print(f"groups: {len(models)}, cells: {total_cells:,}, spells: {total_spells:,}")
    print("fit methods: " + ", ".join(f"{m.value} {n}" for m, n in methods.items()))
    print(f"hospmort cell fits, 144 groups:          {fit_seconds:8.2f} s")
    print(f"statsmodels on records, scaled estimate: {baseline_seconds:8.2f} s "
          f"({per_record * 1e6:.2f} µs per record, measured on {args.baseline_records:,} records of group {largest})")
    print(f"speed-up: {baseline_seconds / fit_seconds:,.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
