"""CUSUM weights (statistics.md §4.1) against the test vectors 1-3 of §4.6."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from hospmort.monitoring.weights import compute_cusum_weights, death_weight, survivor_weight

RTOL = 1e-5


def steiner_risk(parsonnet: float, intercept: float = -3.68) -> float:
    """logit p = intercept + 0.077·Parsonnet (Steiner 2000 cardiac model)."""
    return 1.0 / (1.0 + math.exp(-(intercept + 0.077 * parsonnet)))


@pytest.mark.parametrize(("parsonnet", "risk", "survivor", "death"), [
    (0, 0.0246024, -0.0243047, 0.668843),
    (50, 0.542398, -0.433338, 0.259809),
])
def test_steiner_weights_at_odds_ratio_two_match_vector_1(parsonnet: float, risk: float, survivor: float,
                                                          death: float) -> None:
    p = steiner_risk(parsonnet)
    assert p == pytest.approx(risk, rel=RTOL)
    assert survivor_weight(p, 2.0) == pytest.approx(survivor, rel=RTOL)
    assert death_weight(p, 2.0) == pytest.approx(death, rel=RTOL)


@pytest.mark.parametrize(("parsonnet", "survivor", "death"), [(0, 0.0123775, -0.680770), (50, 0.316355, -0.376793)])
def test_steiner_weights_at_odds_ratio_one_half_match_vector_1(parsonnet: float, survivor: float,
                                                               death: float) -> None:
    p = steiner_risk(parsonnet)
    assert survivor_weight(p, 0.5) == pytest.approx(survivor, rel=RTOL)
    assert death_weight(p, 0.5) == pytest.approx(death, rel=RTOL)


def test_intercept_minus_3_67_weights_match_vector_2() -> None:
    p19 = steiner_risk(19, -3.67)
    assert p19 == pytest.approx(0.0991236, rel=RTOL)
    assert survivor_weight(p19, 2.0) == pytest.approx(-0.0945132, rel=RTOL)
    assert death_weight(p19, 2.0) == pytest.approx(0.598634, rel=RTOL)
    assert survivor_weight(p19, 0.5) == pytest.approx(0.0508322, rel=RTOL)
    p0 = steiner_risk(0, -3.67)
    assert p0 == pytest.approx(0.0248435, rel=RTOL)
    assert survivor_weight(p0, 2.0) == pytest.approx(-0.0245400, rel=RTOL)
    assert death_weight(p0, 2.0) == pytest.approx(0.668607, rel=RTOL)


def test_vectorised_weights_match_vector_3_and_the_scalar_rule() -> None:
    weights = compute_cusum_weights(np.array([0.2, 0.05]), np.array([0, 1]), 2.0)
    assert_allclose(weights, [-0.182322, 0.644357], rtol=RTOL)
    risks = np.linspace(0.0, 1.0, 11)
    for died in (0, 1):
        expected = [death_weight(p, 2.0) if died else survivor_weight(p, 2.0) for p in risks]
        assert_allclose(compute_cusum_weights(risks, np.full(11, died), 2.0), expected, rtol=1e-12, atol=1e-15)


def test_weights_are_finite_at_risk_zero_and_one_and_a_death_at_risk_one_weighs_nothing() -> None:
    weights = compute_cusum_weights(np.array([0.0, 0.0, 1.0, 1.0]), np.array([0, 1, 0, 1]), 2.0)
    assert np.all(np.isfinite(weights))
    assert_allclose(weights, [0.0, math.log(2.0), -math.log(2.0), 0.0], atol=1e-15)
