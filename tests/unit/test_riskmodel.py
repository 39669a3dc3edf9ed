"""Unit tests of the SHMI risk models (methodology shmi.md §10) and model performance (statistics.md §5).

Expected values are derived by hand from the specification: closed-form maximum-likelihood estimates, the
score equations, and the rules of §10.3-§10.5.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

from hospmort import refdata
from hospmort.errors import ModelFitError
from hospmort.riskmodel import (
    INTERCEPT,
    RIDGE_PENALTY,
    CategoricalDesign,
    Cells,
    Covariate,
    DenseDesign,
    FitMethod,
    FixedReference,
    PredictorRole,
    PredictorRow,
    aggregate_cells,
    build_design,
    c_statistic,
    calibration_by_decile,
    cells_from_records,
    choose_reference_level,
    fit_group_model,
    fit_logistic,
    fit_shmi_models,
    newton_raphson,
    penalised_log_likelihood,
    select_independent_columns,
    select_independent_columns_by_gram_schmidt,
    shmi_covariates,
    sort_predictor_rows_for_file,
    stopping_rule_met,
    take_halved_step,
)
from hospmort.schema import (
    ADMIMETH,
    ADMISSION_MONTH,
    AGE_GROUP,
    BIRTHWEIGHT,
    CHARLSON_INDEX,
    GENDER,
    YEAR_INDEX,
)

A = Covariate("A")
B = Covariate("B")


def grid_cells(levels_per_covariate: list[list[int]], spells: list[int], deaths: list[int]) -> Cells:
    """Cells over the full grid of levels (sorted lexicographically), with the given counts in grid order."""
    grid = np.array(list(itertools.product(*levels_per_covariate)), dtype=np.int64)
    return Cells(grid, np.array(spells), np.array(deaths))


def rows_by_name(model_rows: Sequence[PredictorRow]) -> dict[str, PredictorRow]:
    return {row.name: row for row in model_rows}


# --- §10.1 covariates per group ------------------------------------------------------------------------------


def test_ordinary_groups_have_six_covariates_in_design_order() -> None:
    for group in (1, 114, 120, 140, 142, 143):
        names = [c.name for c in shmi_covariates(group)]
        assert names == [AGE_GROUP, GENDER, ADMIMETH, ADMISSION_MONTH, CHARLSON_INDEX, YEAR_INDEX]


def test_perinatal_groups_add_birthweight_last() -> None:
    assert frozenset({115, 116, 117, 118, 119, 141}) == refdata.PERINATAL_GROUPS
    for group in refdata.PERINATAL_GROUPS:
        names = [c.name for c in shmi_covariates(group)]
        assert names == [AGE_GROUP, GENDER, ADMIMETH, ADMISSION_MONTH, CHARLSON_INDEX, YEAR_INDEX, BIRTHWEIGHT]


def test_invalid_diagnosis_group_has_no_charlson_term() -> None:
    names = [c.name for c in shmi_covariates(144)]
    assert names == [AGE_GROUP, GENDER, ADMIMETH, ADMISSION_MONTH, YEAR_INDEX]


def test_charlson_and_year_take_level_one_as_reference_others_modal() -> None:
    rules = {c.name: c.reference for c in shmi_covariates(117)}
    assert rules[CHARLSON_INDEX] == FixedReference(1)
    assert rules[YEAR_INDEX] == FixedReference(1)
    for name in (AGE_GROUP, GENDER, ADMIMETH, ADMISSION_MONTH, BIRTHWEIGHT):
        assert not isinstance(rules[name], FixedReference)


@pytest.mark.parametrize("group", [0, 145, -1])
def test_group_outside_1_to_144_is_refused(group: int) -> None:
    with pytest.raises(ValueError, match="1-144"):
        shmi_covariates(group)


# --- §10.2 cells ---------------------------------------------------------------------------------------------


def test_cells_refuse_unsorted_or_repeated_tuples() -> None:
    with pytest.raises(ValueError, match="sorted"):
        Cells(np.array([[2, 1], [1, 1]]), np.array([1, 1]), np.array([0, 0]))
    with pytest.raises(ValueError, match="sorted"):
        Cells(np.array([[1, 1], [1, 1]]), np.array([1, 1]), np.array([0, 0]))


def test_cells_refuse_impossible_counts() -> None:
    with pytest.raises(ValueError, match="deaths <= spells"):
        Cells(np.array([[1], [2]]), np.array([3, 4]), np.array([4, 0]))
    with pytest.raises(ValueError, match="spells > 0"):
        Cells(np.array([[1], [2]]), np.array([0, 4]), np.array([0, 0]))
    with pytest.raises(ValueError, match="one value per cell"):
        Cells(np.array([[1], [2]]), np.array([1]), np.array([0]))


def test_aggregate_cells_sums_equal_tuples_and_sorts() -> None:
    cells = aggregate_cells([[2, 1], [1, 3], [2, 1], [1, 2]], [5, 1, 2, 4], [1, 0, 2, 3])
    assert_array_equal(cells.levels, [[1, 2], [1, 3], [2, 1]])
    assert_array_equal(cells.spells, [4, 1, 7])
    assert_array_equal(cells.deaths, [3, 0, 3])
    assert cells.total_spells == 12
    assert cells.total_deaths == 6


def test_cells_from_records_counts_spells_and_deaths_per_tuple() -> None:
    cells = cells_from_records([[3, 1], [1, 1], [3, 1], [3, 1]], [1, 0, 0, 1])
    assert_array_equal(cells.levels, [[1, 1], [3, 1]])
    assert_array_equal(cells.spells, [1, 3])
    assert_array_equal(cells.deaths, [0, 2])


def test_cells_from_records_refuses_outcomes_other_than_0_1() -> None:
    with pytest.raises(ValueError, match="0/1"):
        cells_from_records([[1], [2]], [0, 2])


# --- §10.3 design matrix -------------------------------------------------------------------------------------


def test_modal_reference_is_the_level_with_most_spells_ties_to_lowest() -> None:
    levels = np.array([1, 2, 3, 4])
    assert choose_reference_level(A.reference, levels, np.array([5.0, 9.0, 9.0, 1.0])) == 2
    assert choose_reference_level(A.reference, levels, np.array([5.0, 1.0, 2.0, 9.0])) == 4


def test_fixed_reference_falls_back_to_lowest_present_level() -> None:
    assert choose_reference_level(FixedReference(1), np.array([1, 2, 3]), np.array([1.0, 8.0, 9.0])) == 1
    assert choose_reference_level(FixedReference(1), np.array([2, 3]), np.array([1.0, 9.0])) == 2


def test_design_columns_skip_reference_level_and_keep_levels_ascending() -> None:
    # A: levels 1, 2, 3 with spells 10, 30, 20 -> reference 2; B fixed at 1 but absent -> reference 2.
    cells = Cells(np.array([[1, 2], [1, 3], [2, 2], [2, 3], [3, 2], [3, 3]]),
                  np.array([5, 5, 15, 15, 10, 10]), np.array([1, 2, 3, 4, 5, 6]))
    design = build_design([A, Covariate("B", FixedReference(1))], cells)
    assert [c.name for c in design.columns] == [INTERCEPT, "A_1", "A_3", "B_3"]
    assert design.reference_levels == (2, 2)
    assert design.aliased == ()
    assert_array_equal(design.matrix[:, 1], [1, 1, 0, 0, 0, 0])
    assert_array_equal(design.matrix[:, 3], [0, 1, 0, 1, 0, 1])


def test_covariate_with_one_level_contributes_no_column_but_a_reference_row() -> None:
    cells = Cells(np.array([[1, 7], [2, 7]]), np.array([10, 10]), np.array([2, 5]))
    model = fit_group_model(1, [A, B], cells)
    assert next(c for c in model.predictors if c.variable == "B").role is PredictorRole.REFERENCE
    assert [r.name for r in model.predictors] == [INTERCEPT, "A_1", "A_2", "B_7"]
    assert rows_by_name(model.predictors)["B_7"].wald_df == 0


def test_duplicate_covariate_column_is_aliased_and_recorded() -> None:
    # D repeats A's split exactly, so D_2 has a zero residual on Intercept and A_2.
    cells = Cells(np.array([[1, 1, 1], [1, 2, 1], [2, 1, 2], [2, 2, 2]]),
                  np.array([20, 10, 15, 10]), np.array([2, 3, 4, 6]))
    design = build_design([A, B, Covariate("D", FixedReference(1))], cells)
    assert [c.name for c in design.aliased] == ["D_2"]
    assert [c.name for c in design.columns] == [INTERCEPT, "A_2", "B_2"]


def test_perinatal_birthweight_column_duplicating_age_split_is_aliased() -> None:
    # shmi.md §10.3: with AGE_GROUP_1 and BIRTHWEIGHT_3 as references, BIRTHWEIGHT_6 equals
    # AGE_GROUP_2 + AGE_GROUP_3 (the over-1 spells) and is dropped.
    tuples = [[1, 1], [1, 2], [1, 3], [1, 5], [2, 6], [3, 6]]
    spells = [30, 40, 300, 20, 100, 50]
    deaths = [6, 5, 9, 2, 3, 4]
    design = build_design([Covariate(AGE_GROUP), Covariate(BIRTHWEIGHT)], Cells(np.array(tuples),
                          np.array(spells), np.array(deaths)))
    assert design.reference_levels == (1, 3)
    assert [c.name for c in design.aliased] == ["BIRTHWEIGHT_6"]


def test_aliasing_threshold_is_relative_residual_norm_1e_8() -> None:
    base = np.array([[1.0, 1.0], [1.0, 0.0], [1.0, 1.0], [1.0, 0.0]])
    nearly = base[:, 1] + np.array([1, -1, -1, 1]) * 1e-9  # residual 2e-9 vs norm ~1.41: ratio < 1e-8
    clearly = base[:, 1] + np.array([1, -1, -1, 1]) * 1e-7  # ratio ~1.4e-7 > 1e-8
    assert_array_equal(select_independent_columns(np.c_[base, nearly]), [True, True, False])
    assert_array_equal(select_independent_columns(np.c_[base, clearly]), [True, True, True])
    assert_array_equal(select_independent_columns_by_gram_schmidt(np.c_[base, nearly]), [True, True, False])


def test_categorical_design_products_equal_dense_products() -> None:
    rng = np.random.default_rng(3)
    levels = np.array(list(itertools.product([1, 2, 3], [1, 2], [4, 5, 6, 7])))
    cells = Cells(levels, rng.integers(1, 30, len(levels)), np.zeros(len(levels), dtype=np.int64))
    design = build_design([A, B, Covariate("C", FixedReference(5))], cells)
    dense = DenseDesign(design.matrix)
    beta = rng.normal(size=dense.column_count)
    values = rng.normal(size=dense.row_count)
    weights = rng.random(dense.row_count)
    assert_allclose(design.operator.matvec(beta), dense.matvec(beta), rtol=1e-13, atol=1e-13)
    assert_allclose(design.operator.rmatvec(values), dense.rmatvec(values), rtol=1e-12, atol=1e-12)
    assert_allclose(design.operator.weighted_gram(weights), dense.weighted_gram(weights), rtol=1e-12, atol=1e-12)


def test_categorical_design_refuses_columns_without_intercept_first() -> None:
    with pytest.raises(ValueError, match="intercept"):
        CategoricalDesign([np.array([0, 1])], [2], [1, 2])


# --- §10.4 estimation ----------------------------------------------------------------------------------------


def test_intercept_only_fit_is_the_log_odds_with_closed_form_error() -> None:
    # One covariate with a single level: the design is the intercept; MLE = log(D/(N-D)), SE² = 1/D + 1/(N-D).
    cells = Cells(np.array([[1]]), np.array([200]), np.array([30]))
    model = fit_group_model(5, [A], cells)
    intercept = rows_by_name(model.predictors)[INTERCEPT]
    assert model.fit_method is FitMethod.MLE
    assert intercept.estimate == pytest.approx(math.log(30 / 170), rel=1e-12)
    assert intercept.standard_error == pytest.approx(math.sqrt(1 / 30 + 1 / 170), rel=1e-10)
    assert_allclose(model.risks, [0.15], rtol=1e-12)


def test_start_values_are_smoothed_log_odds_and_zeros() -> None:
    design = DenseDesign(np.array([[1.0, 0.0], [1.0, 1.0]]))
    outcome = newton_raphson(design, np.array([10.0, 10.0]), np.array([2.0, 5.0]), penalty=0.0, max_iterations=0)
    assert_allclose(outcome.coefficients, [math.log(7.5 / 13.5), 0.0], rtol=1e-15)
    assert outcome.iterations == 0
    assert not outcome.stopped


def test_newton_stops_at_first_iteration_meeting_the_stopping_rule() -> None:
    design = DenseDesign(np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 0.0]]))
    spells, deaths = np.array([40.0, 25.0, 30.0]), np.array([3.0, 11.0, 7.0])
    outcome = newton_raphson(design, spells, deaths, penalty=0.0, max_iterations=50)
    assert outcome.stopped and not outcome.failed
    changes = list(itertools.pairwise(outcome.objectives))
    assert len(changes) == outcome.iterations
    assert stopping_rule_met(*changes[-1])
    assert not any(stopping_rule_met(previous, current) for previous, current in changes[:-1])
    # |ℓ_new − ℓ_old| ≤ 1e-10·(|ℓ_new| + 0.1), written out:
    previous, current = changes[-1]
    assert abs(current - previous) <= 1e-10 * (abs(current) + 0.1)
    shorter = newton_raphson(design, spells, deaths, penalty=0.0, max_iterations=outcome.iterations - 1)
    assert not shorter.stopped and not shorter.failed


def test_stopping_rule_compares_change_with_1e_10_of_objective_plus_0_1() -> None:
    assert stopping_rule_met(-100.0, -100.0 + 0.9e-8)
    assert not stopping_rule_met(-100.0, -100.0 + 1.1e-8)
    assert stopping_rule_met(0.0, 0.9e-11)  # near ℓ = 0 the offset 0.1 decides
    assert not stopping_rule_met(0.0, 1.1e-11)


def test_overshooting_newton_step_is_halved_until_objective_does_not_fall() -> None:
    # Intercept only, n = 100, d = 50, from β = 5: the full Newton step lands near β = -70, far worse.
    design = DenseDesign(np.ones((1, 1)))
    spells, deaths = np.array([100.0]), np.array([50.0])
    beta = np.array([5.0])
    p = 1 / (1 + math.exp(-5.0))
    step = np.array([(50 - 100 * p) / (100 * p * (1 - p))])
    start = penalised_log_likelihood(design, spells, deaths, beta, 0.0)
    assert penalised_log_likelihood(design, spells, deaths, beta + step, 0.0) < start
    halved = take_halved_step(design, spells, deaths, 0.0, beta, start, step)
    assert halved.coefficients is not None
    assert halved.halvings >= 1
    assert_allclose(halved.coefficients, beta + step / 2**halved.halvings)
    assert halved.log_likelihood >= start - 1e-12 * abs(start)
    previous = beta + step / 2 ** (halved.halvings - 1)
    assert penalised_log_likelihood(design, spells, deaths, previous, 0.0) < start - 1e-12 * abs(start)


def test_step_that_still_lowers_objective_after_30_halvings_fails() -> None:
    # A step against the gradient lowers ℓ by ≈ t·|g|², still ≫ 1e-12·|ℓ| at t = 2^-30.
    design = DenseDesign(np.ones((1, 1)))
    spells, deaths = np.array([1000.0]), np.array([500.0])
    beta = np.array([3.0])
    gradient = 500 - 1000 / (1 + math.exp(-3.0))
    start = penalised_log_likelihood(design, spells, deaths, beta, 0.0)
    halved = take_halved_step(design, spells, deaths, 0.0, beta, start, np.array([-gradient]))
    assert halved.coefficients is None
    assert halved.halvings == 30


def test_failed_step_in_stage_1_moves_to_ridge_stage_2() -> None:
    # A huge separated cell drags the start intercept to about -29: the first Newton step (~1e12) still
    # lowers ℓ after 30 halvings, so stage 1 fails; stage 2 converges (shmi.md §10.4).
    cells = Cells(np.array([[1], [2], [3]]), np.array([2.0, 2.0, 1e13]), np.array([1.0, 1.0, 0.0]))
    design = build_design([Covariate("A", FixedReference(1))], cells)
    stage1 = newton_raphson(design.operator, cells.spells.astype(float), cells.deaths.astype(float),
                            penalty=0.0, max_iterations=50)
    assert stage1.failed
    model = fit_group_model(1, [Covariate("A", FixedReference(1))], cells)
    assert model.fit_method is FitMethod.RIDGE
    assert model.converged is True
    rows = rows_by_name(model.predictors)
    # Score equations (§10.6) hold to λ·β: cells 1 and 2 each get risk 1/2, the separated cell risk ~0.
    assert rows[INTERCEPT].estimate == pytest.approx(0.0, abs=1e-3)
    assert rows["A_2"].estimate == pytest.approx(0.0, abs=1e-3)
    assert rows["A_3"].estimate < -15
    assert float(cells.spells[2]) * model.risks[2] < 1e-4


def test_cholesky_failure_in_stage_1_moves_to_ridge_which_fixes_an_empty_column() -> None:
    # Column 2 is all zeros: H is singular in stage 1; with λ = 1e-6 it is positive definite, the estimate of
    # the empty column is 0 and its SE is 1/√λ.
    design = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0]])
    fit = fit_logistic(design, [10, 10, 10, 10], [2, 5, 3, 4])
    assert fit.method is FitMethod.RIDGE
    assert fit.converged
    assert fit.penalty == RIDGE_PENALTY
    assert fit.coefficients[2] == 0.0
    assert fit.standard_errors is not None
    assert fit.standard_errors[2] == pytest.approx(1 / math.sqrt(RIDGE_PENALTY), rel=1e-9)
    # Intercept and column 1 solve the unpenalised score equations to within λ·β.
    assert fit.coefficients[0] == pytest.approx(math.log(5 / 15), abs=1e-5)
    assert fit.coefficients[1] == pytest.approx(math.log(9 / 11) - math.log(5 / 15), abs=1e-5)


def test_ridge_standard_errors_use_h_with_the_penalty_on_every_column_but_the_intercept() -> None:
    # §10.5: SE = √(H⁻¹)_jj with H = Xᵀ diag(n·p·(1 − p)) X + λP at the final β, P = I with 0 for the intercept.
    design = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0]])
    spells = np.array([10.0, 10.0, 10.0, 10.0])
    fit = fit_logistic(design, spells, [2, 5, 3, 4])
    assert fit.method is FitMethod.RIDGE and fit.standard_errors is not None
    p = 1 / (1 + np.exp(-(design @ fit.coefficients)))
    information = (design * (spells * p * (1 - p))[:, None]).T @ design + RIDGE_PENALTY * np.diag([0.0, 1.0, 1.0])
    assert_allclose(fit.standard_errors, np.sqrt(np.diag(np.linalg.inv(information))), rtol=1e-11)


def test_stage_2_that_cannot_factorise_keeps_start_values_and_is_not_converged() -> None:
    # Two identical non-intercept columns and weights so large that λ = 1e-6 is lost in rounding: every
    # Cholesky factorisation fails, so the last accepted iterate is the start values (shmi.md §10.4).
    design = np.array([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    fit = fit_logistic(design, [1e20, 1e20], [3e19, 5e19])
    assert fit.method is FitMethod.RIDGE
    assert fit.converged is False
    assert fit.iterations == 0
    assert_allclose(fit.coefficients, [math.log((8e19 + 0.5) / (12e19 + 0.5)), 0.0, 0.0])
    assert fit.standard_errors is None


def test_separated_level_converges_under_stage_1_near_minus_20() -> None:
    # §10.4 and §19.5: level A_3 has spells and no deaths.
    cells = grid_cells([[1, 2, 3], [1, 2]], [50, 40, 30, 60, 20, 25], [5, 8, 6, 9, 0, 0])
    model = fit_group_model(1, [A, B], cells)
    rows = rows_by_name(model.predictors)
    assert model.fit_method is FitMethod.MLE
    assert model.converged is True
    assert -30 < rows["A_3"].estimate < -15
    for name in (INTERCEPT, "A_2", "B_1"):
        assert math.isfinite(rows[name].estimate) and abs(rows[name].estimate) < 5
    level_3 = cells.levels[:, 0] == 3
    assert float(np.sum(cells.spells[level_3] * model.risks[level_3])) < 1e-4


def test_level_with_only_deaths_gets_risk_one() -> None:
    cells = grid_cells([[1, 2, 3], [1, 2]], [50, 40, 30, 60, 20, 25], [5, 8, 6, 9, 20, 25])
    model = fit_group_model(1, [A, B], cells)
    rows = rows_by_name(model.predictors)
    assert model.fit_method is FitMethod.MLE
    assert rows["A_3"].estimate > 15
    level_3 = cells.levels[:, 0] == 3
    assert float(np.sum(cells.spells[level_3] * (1 - model.risks[level_3]))) < 1e-4


def test_group_without_spells_has_no_model() -> None:
    cells = aggregate_cells(np.zeros((0, 2)), [], [], covariate_count=2)
    model = fit_group_model(7, [A, B], cells)
    assert (model.spells, model.deaths, model.fit_method) == (0, 0, FitMethod.NONE)
    assert model.converged is None and model.iterations is None and model.c_statistic is None
    assert model.predictors == () and model.aliased_predictors == ()
    assert model.predict(np.zeros((0, 2))).shape == (0,)
    with pytest.raises(ModelFitError, match="group 7"):
        model.predict([[1, 1]])


@pytest.mark.parametrize(("deaths", "risk"), [([0, 0], 0.0), ([4, 6], 1.0)])
def test_group_with_no_deaths_or_only_deaths_is_not_fitted(deaths: list[int], risk: float) -> None:
    cells = Cells(np.array([[1, 1], [2, 1]]), np.array([4, 6]), np.array(deaths))
    model = fit_group_model(3, [A, B], cells)
    assert model.fit_method is FitMethod.NONE
    assert model.converged is True and model.iterations == 0
    assert model.predictors == () and model.c_statistic is None
    assert model.spells == 10 and model.deaths == sum(deaths)
    assert_array_equal(model.risks, [risk, risk])
    assert_array_equal(model.predict([[9, 9]]), [risk])


# --- §10.5 outputs of a fit ----------------------------------------------------------------------------------


def test_predictor_rows_carry_wald_statistics_and_empty_fields_for_references() -> None:
    cells = grid_cells([[1, 2], [1, 2, 3]], [40, 30, 50, 35, 45, 25], [4, 6, 10, 9, 12, 8])
    model = fit_group_model(1, [A, B], cells)
    for row in model.predictors:
        if row.role in (PredictorRole.REFERENCE, PredictorRole.ALIASED):
            assert (row.estimate, row.standard_error, row.wald_chi_square, row.wald_df, row.wald_p_value) == (
                0.0, None, None, 0, None)
        else:
            assert row.standard_error is not None and row.wald_chi_square is not None
            assert row.wald_df == 1
            assert row.wald_chi_square == pytest.approx((row.estimate / row.standard_error) ** 2, rel=1e-12)
            assert row.wald_p_value == pytest.approx(float(stats.chi2.sf(row.wald_chi_square, 1)), rel=1e-12)
    assert [r.name for r in model.predictors] == [INTERCEPT, "A_1", "A_2", "B_1", "B_2", "B_3"]
    assert rows_by_name(model.predictors)["A_1"].role is PredictorRole.REFERENCE  # 120 spells vs 105


def test_levels_absent_from_the_group_have_no_row() -> None:
    cells = Cells(np.array([[1, 2], [1, 5], [4, 2], [4, 5]]), np.array([10, 20, 30, 40]), np.array([1, 4, 6, 9]))
    model = fit_group_model(1, [A, B], cells)
    assert {r.name for r in model.predictors} == {INTERCEPT, "A_1", "A_4", "B_2", "B_5"}


def test_predict_reproduces_fitted_risks_bit_for_bit_and_ignores_unseen_levels() -> None:
    cells = grid_cells([[1, 2], [1, 2, 3]], [40, 30, 50, 35, 45, 25], [4, 6, 10, 9, 12, 8])
    model = fit_group_model(1, [A, B], cells)
    assert_array_equal(model.predict(cells.levels), model.risks)
    # A level never seen (A = 9) contributes 0, like the reference A_1.
    assert_array_equal(model.predict([[9, 2]]), model.predict([[1, 2]]))
    with pytest.raises(ValueError, match="2 covariates"):
        model.predict([[1, 2, 3]])


def test_risk_is_logistic_of_the_linear_predictor() -> None:
    cells = grid_cells([[1, 2], [1, 2, 3]], [40, 30, 50, 35, 45, 25], [4, 6, 10, 9, 12, 8])
    model = fit_group_model(1, [A, B], cells)
    rows = rows_by_name(model.predictors)
    eta = rows[INTERCEPT].estimate + rows["A_2"].estimate + rows["B_3"].estimate
    assert model.predict([[2, 3]])[0] == pytest.approx(1 / (1 + math.exp(-eta)), rel=1e-14)


def test_predictor_rows_sort_for_the_file_by_variable_case_insensitively_then_level() -> None:
    cells = aggregate_cells(
        [[a, g, m, mo, c, y] for a, g, m, mo, c, y in itertools.product(
            [1, 2, 10], [1, 2], [1, 3], [1, 2, 11], [1, 2], [1, 2])],
        np.full(3 * 2 * 2 * 3 * 2 * 2, 7), np.arange(144) % 5,
    )
    model = fit_group_model(1, shmi_covariates(1), cells)
    names = [row.name for row in sort_predictor_rows_for_file(model.predictors)]
    assert names == [
        "ADMIMETH_1", "ADMIMETH_3", "ADMISSION_MONTH_1", "ADMISSION_MONTH_2", "ADMISSION_MONTH_11",
        "AGE_GROUP_1", "AGE_GROUP_2", "AGE_GROUP_10", "CHARLSON_INDEX_1", "CHARLSON_INDEX_2",
        "GENDER_1", "GENDER_2", "Intercept", "YEAR_INDEX_1", "YEAR_INDEX_2",
    ]


def test_fit_statistics_of_a_fitted_group() -> None:
    cells = grid_cells([[1, 2], [1, 2, 3]], [40, 30, 50, 35, 45, 25], [4, 6, 10, 9, 12, 8])
    model = fit_group_model(12, [A, B], cells)
    assert (model.group, model.spells, model.deaths) == (12, 225, 49)
    assert model.fit_method is FitMethod.MLE and model.converged is True
    assert 1 <= model.iterations <= 10  # type: ignore[operator]
    assert model.c_statistic == c_statistic(model.risks, deaths=cells.deaths, survivors=cells.survivors)


def test_fit_shmi_models_fits_all_144_groups_and_missing_groups_have_no_model() -> None:
    levels = np.array([[a, 1, 3, 1, 1, 1] for a in (5, 6, 7)])
    cells = Cells(levels, np.array([10, 20, 30]), np.array([1, 3, 6]))
    models = fit_shmi_models({1: cells})
    assert sorted(models) == list(range(1, 145))
    assert models[1].fit_method is FitMethod.MLE
    assert models[2].fit_method is FitMethod.NONE and models[2].spells == 0
    assert len(models[144].covariates) == 5


# --- statistics.md §5.1 c statistic --------------------------------------------------------------------------


def brute_force_auc(risks: list[float], deaths: list[int], survivors: list[int]) -> float:
    """P(risk of a random death > risk of a random survivor), ties 1/2, over expanded records."""
    dead = [r for r, d in zip(risks, deaths, strict=True) for _ in range(d)]
    alive = [r for r, s in zip(risks, survivors, strict=True) for _ in range(s)]
    total = sum(1.0 if x > y else 0.5 if x == y else 0.0 for x in dead for y in alive)
    return total / (len(dead) * len(alive))


def test_c_statistic_test_vector() -> None:
    risks = [0.02, 0.05, 0.10, 0.05, 0.30, 0.60]
    deaths = [1, 2, 3, 1, 6, 4]
    survivors = [49, 38, 27, 9, 14, 1]
    c = c_statistic(risks, deaths=deaths, survivors=survivors)
    assert c == pytest.approx(0.810102, rel=1e-5)
    assert c == pytest.approx(brute_force_auc(risks, deaths, survivors), rel=1e-14)


def test_c_statistic_edge_cases() -> None:
    assert c_statistic([0.1, 0.2], deaths=[0, 0], survivors=[3, 4]) is None
    assert c_statistic([0.1, 0.2], deaths=[1, 2], survivors=[0, 0]) is None
    assert c_statistic([0.3, 0.3], deaths=[1, 2], survivors=[5, 4]) == 0.5
    assert c_statistic([0.1, 0.9], deaths=[0, 5], survivors=[7, 0]) == 1.0


# --- statistics.md §5.2 calibration --------------------------------------------------------------------------


def test_calibration_test_vector() -> None:
    calibration = calibration_by_decile(
        [0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.2, 0.35, 0.6],
        spells=[400, 300, 250, 200, 150, 120, 100, 80, 60, 40],
        deaths=[1, 4, 6, 5, 9, 10, 14, 15, 22, 25],
    )
    expected = [  # decile, n, O, E, O/E, mean risk
        (2, 400, 1, 2.0, 0.5, 0.005),
        (4, 300, 4, 3.0, 1.33333, 0.01),
        (5, 250, 6, 5.0, 1.2, 0.02),
        (7, 200, 5, 6.0, 0.833333, 0.03),
        (8, 150, 9, 7.5, 1.2, 0.05),
        (9, 220, 24, 21.6, 1.11111, 0.0981818),
        (10, 180, 62, 61.0, 1.01639, 0.338889),
    ]
    assert len(calibration.rows) == len(expected)
    for row, (decile, n, observed, expected_deaths, ratio, mean_risk) in zip(calibration.rows, expected,
                                                                              strict=True):
        assert (row.decile, row.spells, row.observed) == (decile, n, observed)
        assert row.expected == pytest.approx(expected_deaths, rel=1e-12)
        assert row.observed_to_expected == pytest.approx(ratio, rel=1e-5)
        assert row.mean_risk == pytest.approx(mean_risk, rel=1e-5)
    assert calibration.hosmer_lemeshow == pytest.approx(1.85140, rel=1e-5)
    assert calibration.degrees_of_freedom == 5
    assert calibration.p_value == pytest.approx(0.869301, rel=1e-5)


def test_calibration_never_splits_a_cell_of_equal_risk() -> None:
    # One cell holds 90% of the records: it sits at decile ⌊10·(0 + 900/2)/1000⌋ + 1 = 5 whole.
    calibration = calibration_by_decile([0.1, 0.1, 0.5], spells=[500, 400, 100], deaths=[50, 40, 50])
    assert [(r.decile, r.spells) for r in calibration.rows] == [(5, 900), (10, 100)]
    assert calibration.hosmer_lemeshow is None  # G = 2 ≤ 2
    assert calibration.degrees_of_freedom is None and calibration.p_value is None
