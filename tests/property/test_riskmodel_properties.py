"""Properties of the risk models that shmi.md §19 (items 1-5) and §2.2 require, checked on random groups."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from hospmort.riskmodel import (
    INTERCEPT,
    Cells,
    Covariate,
    DenseDesign,
    FitMethod,
    FixedReference,
    GroupModel,
    PredictorRole,
    build_design,
    c_statistic,
    calibration_by_decile,
    cells_from_records,
    fit_group_model,
    fit_logistic,
    select_independent_columns,
    select_independent_columns_by_gram_schmidt,
)

COVARIATE_NAMES = ("YEAR", "B", "C")


@st.composite
def groups(draw: st.DrawFn, *, max_covariates: int = 3) -> tuple[tuple[Covariate, ...], Cells]:
    """A random group: 1-3 covariates (the first with fixed reference 1, like YEAR_INDEX), each with 1-4 levels
    out of 1-6, a random subset of the level grid as cells, 1-40 spells and any number of deaths per cell."""
    covariate_count = draw(st.integers(1, max_covariates))
    level_sets = [
        sorted(draw(st.sets(st.integers(1, 6), min_size=1, max_size=4))) for _ in range(covariate_count)
    ]
    grid = list(itertools.product(*level_sets))
    chosen = sorted(draw(st.sets(st.integers(0, len(grid) - 1), min_size=1, max_size=len(grid))))
    spells = [draw(st.integers(1, 40)) for _ in chosen]
    deaths = [draw(st.integers(0, n)) for n in spells]
    covariates = tuple(
        Covariate(name, FixedReference(1)) if j == 0 else Covariate(name)
        for j, name in enumerate(COVARIATE_NAMES[:covariate_count])
    )
    cells = Cells(np.array([grid[i] for i in chosen], dtype=np.int64), np.array(spells), np.array(deaths))
    return covariates, cells


def fitted(covariates: tuple[Covariate, ...], cells: Cells) -> GroupModel:
    assume(0 < cells.total_deaths < cells.total_spells)
    return fit_group_model(1, covariates, cells)


def expand_records(cells: Cells) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One record per spell: the index of its cell, its level tuple and whether it died."""
    cell_of_record = np.repeat(np.arange(cells.cell_count), cells.spells)
    died = np.concatenate([np.r_[np.ones(d), np.zeros(n - d)] for n, d in zip(cells.spells, cells.deaths,
                                                                                strict=True)])
    return cell_of_record, cells.levels[cell_of_record], died


def has_no_separation(model: GroupModel) -> bool:
    return bool(np.all((model.risks > 1e-6) & (model.risks < 1 - 1e-6)))


@settings(max_examples=150, deadline=None)
@given(groups())
def test_summed_risks_equal_deaths_at_every_level_of_every_covariate(group: tuple) -> None:  # type: ignore[type-arg]
    """§19.1 (and §10.6): the intercept and a covariate's columns span each of its level indicators."""
    covariates, cells = group
    model = fitted(covariates, cells)
    for j in range(cells.covariate_count):
        for level in np.unique(cells.levels[:, j]):
            at_level = cells.levels[:, j] == level
            expected = math.fsum((cells.spells[at_level] * model.risks[at_level]).tolist())
            observed = int(cells.deaths[at_level].sum())
            assert abs(expected - observed) <= 1e-5 * max(1, observed)


@settings(max_examples=60, deadline=None)
@given(groups())
def test_fitting_on_cells_equals_fitting_on_records(group: tuple) -> None:  # type: ignore[type-arg]
    """§19.2: the record-level fit of the same design gives the same coefficients, risks and c statistic."""
    covariates, cells = group
    model = fitted(covariates, cells)
    design = build_design(covariates, cells)
    cell_of_record, record_levels, died = expand_records(cells)
    record_fit = fit_logistic(DenseDesign(design.matrix[cell_of_record]), np.ones(died.size), died)
    record_risks = 1 / (1 + np.exp(-(design.matrix[cell_of_record] @ record_fit.coefficients)))
    # The records aggregate back to exactly these cells.
    again = cells_from_records(record_levels, died)
    assert_array_equal(again.levels, cells.levels)
    assert_array_equal(again.spells, cells.spells)
    assert_array_equal(again.deaths, cells.deaths)
    # c over records (each record with its cell's risk) equals c over cells exactly.
    assert c_statistic(model.risks[cell_of_record], deaths=died, survivors=1 - died) == model.c_statistic
    if has_no_separation(model) and model.fit_method is FitMethod.MLE:
        estimated = [row.estimate for row in model.predictors if row.wald_df == 1]
        assert_allclose(record_fit.coefficients, estimated, rtol=0, atol=1e-8)
        assert_allclose(record_risks, model.risks[cell_of_record], rtol=0, atol=1e-10)
    else:  # separated levels: the risks still agree, at the precision the stopping rule gives
        assert_allclose(record_risks, model.risks[cell_of_record], rtol=0, atol=1e-6)


@settings(max_examples=150, deadline=None)
@given(groups(), st.data())
def test_risks_do_not_depend_on_the_reference_levels(group: tuple, data: st.DataObject) -> None:  # type: ignore[type-arg]
    """§19.3: any other choice of reference levels spans the same model, so 'mle' risks agree to 1e-8."""
    covariates, cells = group
    model = fitted(covariates, cells)
    other = tuple(
        Covariate(c.name, FixedReference(data.draw(st.sampled_from(sorted(set(cells.levels[:, j].tolist()))))))
        for j, c in enumerate(covariates)
    )
    other_model = fit_group_model(1, other, cells)
    if model.fit_method is FitMethod.MLE and other_model.fit_method is FitMethod.MLE:
        assert_allclose(other_model.risks, model.risks, rtol=0, atol=1e-8)


@settings(max_examples=150, deadline=None)
@given(groups())
def test_rows_exist_only_for_present_levels_and_aliased_rows_are_zero(group: tuple) -> None:  # type: ignore[type-arg]
    """§19.4 and §10.5: one row per present level (and the intercept); aliased and reference rows are 0 with
    WALD_DF 0; the aliased names are exactly the aliased rows."""
    covariates, cells = group
    model = fitted(covariates, cells)
    present = {INTERCEPT} | {
        f"{c.name}_{level}" for j, c in enumerate(covariates) for level in set(cells.levels[:, j].tolist())
    }
    assert {row.name for row in model.predictors} == present
    assert len(model.predictors) == len(present)
    for row in model.predictors:
        if row.role in (PredictorRole.ALIASED, PredictorRole.REFERENCE):
            assert row.estimate == 0.0 and row.wald_df == 0 and row.standard_error is None
        else:
            assert row.wald_df == 1 and math.isfinite(row.estimate)
    aliased_rows = [row.name for row in model.predictors if row.role is PredictorRole.ALIASED]
    assert list(model.aliased_predictors) == aliased_rows
    references = [row for row in model.predictors if row.role is PredictorRole.REFERENCE]
    assert len(references) == len(covariates)  # one reference level per covariate


@settings(max_examples=150, deadline=None)
@given(groups(), st.data())
def test_level_with_spells_but_no_deaths_fits_and_expects_almost_no_deaths(group: tuple,  # type: ignore[type-arg]
                                                                           data: st.DataObject) -> None:
    """§19.5: no error, every estimate finite, expected deaths of the dead-free level below 1e-4."""
    covariates, cells = group
    j = data.draw(st.integers(0, cells.covariate_count - 1))
    level = data.draw(st.sampled_from(sorted(set(cells.levels[:, j].tolist()))))
    at_level = cells.levels[:, j] == level
    deaths = np.where(at_level, 0, cells.deaths)
    assume(0 < deaths.sum() < cells.spells.sum())
    model = fit_group_model(1, covariates, Cells(cells.levels, cells.spells, deaths))
    assert model.fit_method in (FitMethod.MLE, FitMethod.RIDGE)
    assert all(math.isfinite(row.estimate) for row in model.predictors)
    assert math.fsum((cells.spells[at_level] * model.risks[at_level]).tolist()) < 1e-4


@settings(max_examples=60, deadline=None)
@given(groups(), st.randoms(use_true_random=False))
def test_fit_does_not_depend_on_record_order(group: tuple, random: object) -> None:  # type: ignore[type-arg]
    """§2.2: records in any order give the same cells, hence the same fit to the last bit."""
    covariates, cells = group
    assume(0 < cells.total_deaths < cells.total_spells)
    _cell_of_record, record_levels, died = expand_records(cells)
    order = np.arange(died.size)
    random.shuffle(order)  # type: ignore[attr-defined]
    shuffled = cells_from_records(record_levels[order], died[order])
    first = fit_group_model(1, covariates, cells_from_records(record_levels, died))
    second = fit_group_model(1, covariates, shuffled)
    assert_array_equal(first.risks, second.risks)
    assert first.predictors == second.predictors


@settings(max_examples=150, deadline=None)
@given(groups())
def test_aliasing_fast_path_agrees_with_the_literal_rule(group: tuple) -> None:  # type: ignore[type-arg]
    covariates, cells = group
    design = build_design(covariates, cells)
    candidate = np.c_[design.matrix, design.matrix[:, -1:] * 0 + 1] if design.matrix.shape[1] else design.matrix
    for matrix in (design.matrix, candidate):
        assert_array_equal(select_independent_columns(matrix), select_independent_columns_by_gram_schmidt(matrix))


@settings(max_examples=150, deadline=None)
@given(groups(), st.randoms(use_true_random=False))
def test_categorical_design_products_match_dense_products(group: tuple, random: object) -> None:  # type: ignore[type-arg]
    covariates, cells = group
    design = build_design(covariates, cells)
    dense = DenseDesign(design.matrix)
    rng = np.random.default_rng(random.randrange(2**32))  # type: ignore[attr-defined]
    beta = rng.normal(size=dense.column_count)
    weights = rng.random(dense.row_count)
    assert_allclose(design.operator.matvec(beta), dense.matvec(beta), rtol=1e-12, atol=1e-12)
    assert_allclose(design.operator.rmatvec(weights), dense.rmatvec(weights), rtol=1e-12, atol=1e-12)
    assert_allclose(design.operator.weighted_gram(weights), dense.weighted_gram(weights), rtol=1e-12, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.01, 0.05, 0.1, 0.3, 0.5, 0.9]), st.integers(0, 6),
                          st.integers(0, 6)), min_size=1, max_size=8))
def test_c_statistic_is_the_pairwise_probability_over_records(cells: list[tuple[float, int, int]]) -> None:
    """statistics.md §5.1: equal to P(death's risk > survivor's risk) + ½ P(tie) over the expanded records."""
    risks = [p for p, _, _ in cells]
    deaths = [d for _, d, _ in cells]
    survivors = [s for _, _, s in cells]
    c = c_statistic(risks, deaths=deaths, survivors=survivors)
    if sum(deaths) == 0 or sum(survivors) == 0:
        assert c is None
        return
    dead = [p for p, d, _ in cells for _ in range(d)]
    alive = [p for p, _, s in cells for _ in range(s)]
    pairs = sum(1.0 if x > y else 0.5 if x == y else 0.0 for x in dead for y in alive)
    assert c is not None
    assert math.isclose(c, pairs / (len(dead) * len(alive)), rel_tol=1e-12)
    reordered = c_statistic(risks[::-1], deaths=deaths[::-1], survivors=survivors[::-1])
    assert reordered == c


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(0.001, 0.999), st.integers(1, 50)), min_size=1, max_size=30), st.data())
def test_calibration_rows_partition_the_records(cells: list[tuple[float, int]], data: st.DataObject) -> None:
    """statistics.md §5.2: deciles ascend with risk, and their n, O and E add up to the whole."""
    risks = np.array([p for p, _ in cells])
    spells = np.array([n for _, n in cells])
    deaths = np.array([data.draw(st.integers(0, n)) for n in spells])
    calibration = calibration_by_decile(risks, spells=spells, deaths=deaths)
    deciles = [row.decile for row in calibration.rows]
    assert deciles == sorted(set(deciles)) and all(1 <= g <= 10 for g in deciles)
    assert sum(row.spells for row in calibration.rows) == spells.sum()
    assert sum(row.observed for row in calibration.rows) == deaths.sum()
    assert math.isclose(sum(row.expected for row in calibration.rows), float(np.sum(spells * risks)),
                        rel_tol=1e-12)
    mean_risks = [row.mean_risk for row in calibration.rows]
    assert mean_risks == sorted(mean_risks)
