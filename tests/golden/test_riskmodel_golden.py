"""Golden tests of the risk models (shmi.md §10): data sets whose maximum-likelihood estimates are known
independently (closed forms, exact rational arithmetic, statsmodels, or the coefficients that generated the
data), and the test vectors of statistics.md §5."""

from __future__ import annotations

import itertools
import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose

from hospmort.riskmodel import (
    INTERCEPT,
    Covariate,
    FitMethod,
    FixedReference,
    PredictorRole,
    PredictorRow,
    aggregate_cells,
    build_design,
    c_statistic,
    calibration_by_decile,
    cells_from_records,
    fit_group_model,
    shmi_covariates,
)


def by_name(rows: tuple[PredictorRow, ...]) -> dict[str, PredictorRow]:
    return {row.name: row for row in rows}


def inverse_diagonal(matrix: list[list[Fraction]]) -> list[Fraction]:
    """Diagonal of the inverse of a small rational matrix, by exact Gauss-Jordan elimination."""
    size = len(matrix)
    augmented = [row[:] + [Fraction(int(i == j)) for j in range(size)] for i, row in enumerate(matrix)]
    for col in range(size):
        pivot = next(r for r in range(col, size) if augmented[r][col] != 0)
        augmented[col], augmented[pivot] = augmented[pivot], augmented[col]
        scale = augmented[col][col]
        augmented[col] = [value / scale for value in augmented[col]]
        for r in range(size):
            if r != col and augmented[r][col] != 0:
                factor = augmented[r][col]
                augmented[r] = [a - factor * b for a, b in zip(augmented[r], augmented[col], strict=True)]
    return [augmented[i][size + i] for i in range(size)]


def test_saturated_two_level_model_has_log_odds_ratio_and_woolf_standard_error() -> None:
    # A 2x2 table: level 1 has a = 12 deaths and b = 88 survivors, level 2 c = 30 and d = 70. The saturated
    # model's MLEs are the log odds of level 1 and the log odds ratio; SE² = 1/a + 1/b (+ 1/c + 1/d).
    a, b, c, d = 12, 88, 30, 70
    cells = aggregate_cells([[1], [2]], [a + b, c + d], [a, c])
    model = fit_group_model(1, [Covariate("A", FixedReference(1))], cells)
    rows = by_name(model.predictors)
    assert model.fit_method is FitMethod.MLE
    assert rows[INTERCEPT].estimate == pytest.approx(math.log(a / b), rel=1e-10)
    assert rows[INTERCEPT].standard_error == pytest.approx(math.sqrt(1 / a + 1 / b), rel=1e-9)
    assert rows["A_2"].estimate == pytest.approx(math.log((c / d) / (a / b)), rel=1e-10)
    assert rows["A_2"].standard_error == pytest.approx(math.sqrt(1 / a + 1 / b + 1 / c + 1 / d), rel=1e-9)
    assert rows["A_1"].role is PredictorRole.REFERENCE
    assert_allclose(model.risks, [a / (a + b), c / (c + d)], rtol=1e-10)


# A hand-made group: A (1, 2), B (1, 2), C (1, 2, 3), D a copy of A. Outside C = 3 the odds are exactly
# multiplicative, (1/4)·2^[A=2]·2^[B=2]·3^[C=2], so the main-effects model fits those 8 cells perfectly and its
# MLEs are log(1/4), log 2, log 2 and log 3. C = 3 has spells and no deaths (separated), and D_2 equals A_2
# (aliased).
ODDS_CELLS = {  # odds -> (spells, deaths) with deaths/(spells - deaths) = odds
    Fraction(1, 4): (50, 10),
    Fraction(1, 2): (60, 20),
    Fraction(1, 1): (60, 30),
    Fraction(3, 4): (70, 30),
    Fraction(3, 2): (50, 30),
    Fraction(3, 1): (60, 45),
}


def hand_made_group() -> tuple[list[Covariate], list[tuple[int, int, int, int]], list[int], list[int]]:
    tuples, spells, deaths = [], [], []
    for a, b, c in itertools.product([1, 2], [1, 2], [1, 2, 3]):
        if c == 3:
            n, k = 20, 0
        else:
            odds = Fraction(1, 4) * 2 ** (a == 2) * 2 ** (b == 2) * 3 ** (c == 2)
            n, k = ODDS_CELLS[odds]
        tuples.append((a, b, c, a))
        spells.append(n)
        deaths.append(k)
    covariates = [Covariate(name, FixedReference(1)) for name in ("A", "B", "C", "D")]
    return covariates, tuples, spells, deaths


def test_hand_made_group_estimates_errors_risks_separation_and_aliasing() -> None:
    covariates, tuples, spells, deaths = hand_made_group()
    cells = aggregate_cells(tuples, spells, deaths)
    model = fit_group_model(9, covariates, cells)
    rows = by_name(model.predictors)

    assert model.fit_method is FitMethod.MLE and model.converged is True
    assert model.aliased_predictors == ("D_2",)
    assert (rows["D_2"].role, rows["D_2"].estimate, rows["D_2"].wald_df) == (PredictorRole.ALIASED, 0.0, 0)
    assert (rows["D_1"].role, rows["D_1"].wald_df) == (PredictorRole.REFERENCE, 0)

    expected = {INTERCEPT: math.log(1 / 4), "A_2": math.log(2), "B_2": math.log(2), "C_2": math.log(3)}
    for name, value in expected.items():
        assert rows[name].estimate == pytest.approx(value, abs=1e-7), name
    assert rows["C_3"].estimate < -15  # separated: the ML limit is -inf

    # Standard errors: H = Xᵀ diag(n·p·(1 − p)) X over the 8 non-separated cells, with p = d/n exactly
    # (the separated cells add weights of order n·e^-20), inverted in exact rational arithmetic.
    design_rows, weights = [], []
    for (a, b, c, _d), n, k in zip(tuples, spells, deaths, strict=True):
        if c == 3:
            continue
        design_rows.append([1, int(a == 2), int(b == 2), int(c == 2)])
        weights.append(Fraction(k * (n - k), n))
    information = [
        [sum((w * x[i] * x[j] for x, w in zip(design_rows, weights, strict=True)), Fraction(0)) for j in range(4)]
        for i in range(4)
    ]
    exact_errors = [math.sqrt(v) for v in inverse_diagonal(information)]
    for name, error in zip([INTERCEPT, "A_2", "B_2", "C_2"], exact_errors, strict=True):
        assert rows[name].standard_error == pytest.approx(error, rel=1e-6), name

    # Risks: observed proportions outside C = 3, effectively 0 inside.
    for level_tuple, n, k, risk in zip(cells.levels.tolist(), cells.spells, cells.deaths, model.risks,
                                       strict=True):
        if level_tuple[2] == 3:
            assert risk < 1e-7
        else:
            assert risk == pytest.approx(k / n, abs=1e-8)


def test_fit_matches_statsmodels_on_expanded_records() -> None:
    # A small SHMI-like sample fitted on cells, against statsmodels' GLM Binomial on one row per record with
    # the same design columns; one level (AGE_GROUP 20) has spells and no deaths.
    rng = np.random.default_rng(20240611)
    records = 4000
    levels = np.column_stack([
        rng.choice(np.arange(14, 21), records),
        rng.choice([1, 2], records),
        rng.choice([1, 3], records, p=[0.3, 0.7]),
        rng.choice(np.arange(1, 13), records),
        rng.choice([1, 2, 3], records, p=[0.5, 0.35, 0.15]),
        rng.choice([1, 2, 3], records),
    ])
    eta = -3.2 + 0.25 * (levels[:, 0] - 14) + 0.3 * (levels[:, 1] == 2) + 0.8 * (levels[:, 2] == 3) \
        + 0.5 * (levels[:, 4] - 1) - 0.1 * (levels[:, 5] == 3)
    died = (rng.random(records) < 1 / (1 + np.exp(-eta))).astype(np.int64)
    died[levels[:, 0] == 20] = 0
    cells = cells_from_records(levels, died)
    covariates = shmi_covariates(1)
    model = fit_group_model(1, covariates, cells)
    assert model.fit_method is FitMethod.MLE

    design = build_design(covariates, cells)
    cell_of_record = np.repeat(np.arange(cells.cell_count), cells.spells)
    outcome = np.concatenate([np.r_[np.ones(d), np.zeros(n - d)] for n, d in zip(cells.spells, cells.deaths,
                                                                                   strict=True)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels warns about the separated level
        reference = sm.GLM(outcome, design.matrix[cell_of_record], family=sm.families.Binomial()).fit(
            tol=1e-13, maxiter=200
        )
    estimated = [row for row in model.predictors if row.wald_df == 1]
    assert [row.name for row in estimated] == [column.name for column in design.columns]
    for j, row in enumerate(estimated):
        if row.name == "AGE_GROUP_20":
            assert row.estimate < -15 and reference.params[j] < -15
            continue
        assert row.estimate == pytest.approx(reference.params[j], abs=1e-6), row.name
        assert row.standard_error == pytest.approx(reference.bse[j], rel=1e-6), row.name


def test_large_sample_contrasts_recover_generating_coefficients() -> None:
    # 200,000 records drawn from known coefficients on SHMI-like covariates. Every level contrast with its
    # reference where both levels hold at least 500 deaths lies within 3 standard errors of the truth.
    rng = np.random.default_rng(7)
    records = 200_000
    names = ["AGE_GROUP", "GENDER", "ADMIMETH", "ADMISSION_MONTH", "CHARLSON_INDEX", "YEAR_INDEX"]
    level_sets = [np.arange(1, 21), np.array([1, 2]), np.array([1, 3]), np.arange(1, 13), np.array([1, 2, 3]),
                  np.array([1, 2, 3])]
    shares = [np.linspace(1, 3, 20), np.array([0.48, 0.52]), np.array([0.35, 0.65]), np.ones(12),
              np.array([0.55, 0.3, 0.15]), np.ones(3)]
    truth = [np.linspace(-1.5, 2.5, 20), np.array([0.0, -0.15]), np.array([0.0, 0.9]),
             0.1 * np.sin(np.arange(12)), np.array([0.0, 0.6, 1.4]), np.array([0.0, 0.05, 0.1])]
    columns, eta = [], np.full(records, -4.0)
    for levels, share, effect in zip(level_sets, shares, truth, strict=True):
        index = rng.choice(levels.size, records, p=share / share.sum())
        columns.append(levels[index])
        eta += effect[index]
    died = (rng.random(records) < 1 / (1 + np.exp(-eta))).astype(np.int64)
    cells = cells_from_records(np.column_stack(columns), died)
    model = fit_group_model(1, shmi_covariates(1), cells)
    assert model.fit_method is FitMethod.MLE

    rows = by_name(model.predictors)
    checked = 0
    for j, (name, levels, effect) in enumerate(zip(names, level_sets, truth, strict=True)):
        deaths_at = {int(level): int(cells.deaths[cells.levels[:, j] == level].sum()) for level in levels}
        reference = next(r.level for r in model.predictors if r.variable == name and r.role is PredictorRole.REFERENCE)
        true_reference = effect[list(levels).index(reference)]
        for k, level in enumerate(levels.tolist()):
            row = rows[f"{name}_{level}"]
            if row.role is not PredictorRole.ESTIMATED or min(deaths_at[level], deaths_at[reference]) < 500:
                continue
            assert row.standard_error is not None
            assert abs(row.estimate - (effect[k] - true_reference)) <= 3 * row.standard_error, row.name
            checked += 1
    assert checked >= 25


def test_c_statistic_vector_of_statistics_md() -> None:
    c = c_statistic([0.02, 0.05, 0.10, 0.05, 0.30, 0.60], deaths=[1, 2, 3, 1, 6, 4], survivors=[49, 38, 27, 9, 14, 1])
    assert c == pytest.approx(0.810102, rel=1e-5)


def test_calibration_vector_of_statistics_md() -> None:
    calibration = calibration_by_decile(
        [0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.2, 0.35, 0.6],
        spells=[400, 300, 250, 200, 150, 120, 100, 80, 60, 40],
        deaths=[1, 4, 6, 5, 9, 10, 14, 15, 22, 25],
    )
    assert [row.decile for row in calibration.rows] == [2, 4, 5, 7, 8, 9, 10]
    assert calibration.hosmer_lemeshow == pytest.approx(1.85140, rel=1e-5)
    assert calibration.degrees_of_freedom == 5
    assert calibration.p_value == pytest.approx(0.869301, rel=1e-5)
