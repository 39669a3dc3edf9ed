"""Golden tests of the limits engine against the worked numbers of the methodology (shmi.md §18,
statistics.md §1-§2), which come from the specification and from peer packages (FunnelPlotR,
PHEindicatormethods), never from this code."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from hospmort.limits import (
    ALPHA95,
    ALPHA998,
    compute_funnel_limits,
    count_interval,
    exact_test_limits,
    poisson_limits,
    ratio_interval,
    round_expected,
)
from hospmort.rounding import format_fixed

# shmi.md §18: the twelve-trust worked example.
T_OBSERVED = [412, 1620, 865, 1985, 298, 640, 1105, 980, 745, 1890, 505, 640]
T_EXPECTED = [455.315, 1402.774, 871.2049, 2316.455, 251.9, 662.5, 1098.3, 912.846, 801.1, 1795.0, 532.25, 662.5]
T_E2 = [455.32, 1402.77, 871.20, 2316.46, 251.90, 662.50, 1098.30, 912.85, 801.10, 1795.00, 532.25, 662.50]
T_SHMI = [0.904858, 1.154858, 0.992883, 0.856911, 1.183009, 0.966038, 1.006100, 1.073561, 0.929971, 1.052925,
          0.948802, 0.966038]
T_Z = [-2.133335, 5.392464, -0.210806, -7.432235, 2.667361, -0.889346, 0.201555, 2.144578, -2.054894, 2.184965,
       -1.212470, -0.889346]
T_RANK = [2, 12, 7, 1, 11, 5.5, 8, 9, 3, 10, 4, 5.5]
T_GROUP = [1, 9, 5, 0, 8, 4, 6, 6, 2, 7, 3, 4]
T_LIMITS = [  # OD95 LL, UL, OD998 LL, UL, PO95 LL, UL, PO998 LL, UL, band
    (0.871152, 1.147906, 0.804539, 1.242948, 0.910257, 1.093961, 0.860422, 1.150065, 2),
    (0.890964, 1.122379, 0.833577, 1.199649, 0.948354, 1.053015, 0.919194, 1.084210, 1),
    (0.884729, 1.130289, 0.824398, 1.213006, 0.934699, 1.067506, 0.898044, 1.107437, 2),
    (0.895231, 1.117031, 0.839879, 1.190647, 0.959692, 1.041137, 0.936824, 1.065237, 3),
    (0.851506, 1.174390, 0.776119, 1.288463, 0.880322, 1.127303, 0.814773, 1.204182, 1),
    (0.879837, 1.136574, 0.817222, 1.223658, 0.925302, 1.077597, 0.883544, 1.123664, 2),
    (0.888080, 1.126024, 0.829327, 1.205797, 0.941734, 1.060015, 0.908928, 1.095420, 2),
    (0.885459, 1.129358, 0.825470, 1.211431, 0.936181, 1.065923, 0.900335, 1.104895, 2),
    (0.883346, 1.132060, 0.822366, 1.216003, 0.931951, 1.070446, 0.893799, 1.112161, 2),
    (0.893303, 1.119441, 0.837030, 1.194701, 0.954274, 1.046796, 0.928391, 1.074269, 2),
    (0.875075, 1.142759, 0.810259, 1.234173, 0.916849, 1.086760, 0.870538, 1.138433, 2),
    (0.879837, 1.136574, 0.817222, 1.223658, 0.925302, 1.077597, 0.883544, 1.123664, 2),
]


def test_expected_is_rounded_half_up_to_two_decimals_as_in_the_worked_example() -> None:
    assert [round_expected(e) for e in T_EXPECTED] == T_E2


def test_worked_example_of_twelve_trusts_is_reproduced_to_six_decimals() -> None:
    result = compute_funnel_limits(T_OBSERVED, T_E2)
    assert result.parameters.units == 12
    assert result.parameters.units_kept == 10
    assert result.parameters.phi == pytest.approx(2.839883, abs=5e-7)
    assert result.parameters.tau2 == pytest.approx(0.002756868851, abs=5e-13)
    assert_allclose(result.ratio, T_SHMI, atol=5e-7)
    assert_allclose(result.z_score, T_Z, atol=5e-7)
    assert_allclose(result.rank, T_RANK)
    assert list(result.rank_group) == T_GROUP
    assert list(result.kept) == [g not in (0, 9) for g in T_GROUP]
    table = np.array([row[:8] for row in T_LIMITS])
    got = np.column_stack([result.od_lower_95, result.od_upper_95, result.od_lower_998, result.od_upper_998,
                           result.po_lower_95, result.po_upper_95, result.po_lower_998, result.po_upper_998])
    assert_allclose(got, table, atol=5e-7)
    assert list(result.banding) == [row[8] for row in T_LIMITS]


def test_published_values_of_t05_round_as_the_methodology_states() -> None:
    result = compute_funnel_limits(T_OBSERVED, T_E2)
    i = 4
    assert format_fixed(result.ratio[i], 4) == "1.1830"
    assert format_fixed(result.od_lower_95[i], 4) == "0.8515"
    assert format_fixed(result.od_upper_95[i], 4) == "1.1744"
    assert format_fixed(result.po_lower_998[i], 4) == "0.8148"
    assert format_fixed(result.po_upper_998[i], 4) == "1.2042"


def test_funnelplotr_six_units_give_phi_and_tau2_and_limits() -> None:
    observed = [100, 150, 180, 80, 120, 225]
    expected = [108, 112, 165, 95, 100, 220]
    result = compute_funnel_limits(observed, expected)
    assert_allclose(result.z_score, [-0.799803, 3.09168, 1.11768, -1.67499, 1.82322, 0.333326], rtol=1e-5)
    assert list(result.rank_group) == [2, 8, 5, 1, 7, 4]
    assert result.kept.all()
    assert result.parameters.phi == pytest.approx(2.94803, rel=1e-5)
    assert result.parameters.tau2 == pytest.approx(0.0194775, rel=1e-5)
    assert_allclose([result.od_lower_95[4], result.od_upper_95[4], result.od_lower_998[4],
                     result.od_upper_998[4]], [0.714261, 1.40005, 0.588274, 1.69989], rtol=1e-5)
    assert_allclose([result.od_lower_95[5], result.od_upper_95[5], result.od_lower_998[5],
                     result.od_upper_998[5]], [0.738022, 1.35497, 0.619424, 1.61440], rtol=1e-5)
    assert list(result.banding) == [2] * 6


def test_a_unit_with_no_deaths_is_ranked_lowest_never_kept_and_banded_lower() -> None:
    result = compute_funnel_limits([100, 150, 180, 80, 120, 225, 0], [108, 112, 165, 95, 100, 220, 8])
    assert result.rank_group[6] == 1
    assert not result.kept[6]
    assert result.parameters.phi == pytest.approx(2.94803, rel=1e-5)
    assert result.parameters.tau2 == pytest.approx(0.0194775, rel=1e-5)
    assert_allclose([result.od_lower_95[6], result.od_upper_95[6], result.od_lower_998[6],
                     result.od_upper_998[6]], [0.474741, 2.10641, 0.308941, 3.23686], rtol=1e-5)
    assert result.banding[6] == 3


def test_identical_units_share_the_middle_rank_and_are_all_kept() -> None:
    result = compute_funnel_limits([120] * 5, [100] * 5)
    assert list(result.rank_group) == [5] * 5
    assert result.parameters.phi == pytest.approx(3.32412, rel=1e-5)
    assert result.parameters.tau2 == pytest.approx(0.0315514, rel=1e-5)
    assert_allclose([result.od_lower_95[0], result.od_upper_95[0]], [0.670640, 1.49111], rtol=1e-5)
    assert list(result.banding) == [2] * 5


def test_a_single_unit_gets_log_scale_poisson_limits() -> None:
    result = compute_funnel_limits([130], [100])
    assert result.z_score[0] == pytest.approx(2.62364, rel=1e-5)
    assert result.parameters.tau2 == 0
    assert_allclose([result.od_lower_95[0], result.od_upper_95[0]], [0.822015, 1.21652], rtol=1e-5)
    assert result.banding[0] == 1


def test_twenty_units_truncate_four_and_band_two_high() -> None:
    expected = [50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200, 220, 240, 260, 300]
    observed = [40, 75, 66, 95, 80, 130, 104, 118, 160, 131, 150, 190, 150, 185, 170, 260, 215, 230, 300, 290]
    result = compute_funnel_limits(observed, expected)
    assert list(result.rank_group) == [0, 7, 4, 6, 1, 9, 3, 5, 8, 2, 5, 7, 0, 6, 1, 9, 4, 2, 8, 3]
    assert [i + 1 for i in np.flatnonzero(~result.kept)] == [1, 6, 13, 16]
    assert result.parameters.units_kept == 16
    assert result.parameters.phi == pytest.approx(1.67968, rel=1e-5)
    assert result.parameters.tau2 == pytest.approx(0.00513281, rel=1e-5)
    i = 5  # E = 100
    assert_allclose([result.od_lower_95[i], result.od_upper_95[i], result.od_lower_998[i],
                     result.od_upper_998[i]], [0.785758, 1.27266, 0.683761, 1.46250], rtol=1e-5)
    assert [i + 1 for i in np.flatnonzero(result.banding == 1)] == [6, 16]
    assert set(result.banding.tolist()) == {1, 2}


def test_square_root_poisson_limits_at_expected_100() -> None:
    assert_allclose(poisson_limits(100.0, 1.959963984540054), (0.813607, 1.20560), rtol=1e-5)
    assert_allclose(poisson_limits(100.0, 3.090232306167813), (0.714851, 1.33290), rtol=1e-5)


@pytest.mark.parametrize(
    ("observed", "l95", "u95", "l998", "u998"),
    [
        (0, 0, 3.68888, 0, 6.90776),
        (1, 0.0253178, 5.57164, 0.00100050, 9.23341),
        (3, 0.618672, 8.76727, 0.190533, 13.0622),
        (9, 4.11537, 17.0848, 2.45242, 22.6574),
        (10, 4.78745, 18.3915, 2.91632, 24.1937),
        (65, 50.1632, 82.8491, 42.8803, 94.0003),
        (1045, 982.593, 1110.33, 947.941, 1148.81),
    ],
)
def test_count_limits_exact_below_ten_and_byar_from_ten(observed: int, l95: float, u95: float, l998: float,
                                                        u998: float) -> None:
    assert_allclose(count_interval(observed, ALPHA95), (l95, u95), rtol=1e-5, atol=1e-12)
    assert_allclose(count_interval(observed, ALPHA998), (l998, u998), rtol=1e-5, atol=1e-12)


@pytest.mark.parametrize(
    ("observed", "expected", "l95", "u95", "l998", "u998"),
    [
        (895, 835.883561, 1.00171, 1.14323, 0.963516, 1.18601),
        (91, 835.883561, 0.0876504, 0.133666, 0.0769543, 0.148979),
        (9, 835.883561, 0.00492338, 0.0204392, 0.00293393, 0.0271059),
        (895, 808.321740, 1.03587, 1.18221, 0.996369, 1.22645),
        (3, 2.5, 0.247469, 3.50691, 0.0762134, 5.22490),
        (0, 5, 0.0, 0.737776, 0.0, 1.38155),
        (12, 0.4, 15.4838, 52.4071, 10.0009, 67.7024),
    ],
)
def test_ratio_intervals_match_phe_indicator_methods(observed: int, expected: float, l95: float, u95: float,
                                                     l998: float, u998: float) -> None:
    assert_allclose(ratio_interval(observed, expected, ALPHA95), (l95, u95), rtol=1e-5, atol=1e-12)
    assert_allclose(ratio_interval(observed, expected, ALPHA998), (l998, u998), rtol=1e-5, atol=1e-12)


def test_no_ratio_interval_without_expected_deaths() -> None:
    assert ratio_interval(3, 0.0) is None


@pytest.mark.parametrize(
    ("expected", "l95", "u95", "l998", "u998"),
    [
        (1, 0, 3.82047, 0, 5.72229),
        (3, 0, 2.43143, 0, 3.38667),
        (5, 0.135454, 2.06151, 0, 2.74741),
        (15, 0.495252, 1.56888, 0.274795, 1.92196),
        (30, 0.642289, 1.38952, 0.468989, 1.62677),
        (100, 0.803894, 1.20560, 0.700571, 1.32799),
        (1000, 0.937999, 1.06295, 0.903213, 1.09964),
    ],
)
def test_exact_test_funnel_limits(expected: float, l95: float, u95: float, l998: float, u998: float) -> None:
    assert_allclose(exact_test_limits(expected, ALPHA95), (l95, u95), rtol=1e-5, atol=1e-12)
    assert_allclose(exact_test_limits(expected, ALPHA998), (l998, u998), rtol=1e-5, atol=1e-12)
