"""Disclosure control (shmi.md §15) and its properties (shmi.md §19 item 24); eligibility (shmi.md §11)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospmort.disclosure import (
    NATIONAL_PROVIDER_CODE,
    ShownValue,
    View,
    choose_view,
    is_eligible,
    round_count_for_disclosure,
    round_expected_for_disclosure,
    show_banding,
    show_count,
    show_expected,
    show_mean,
    show_percentage,
    show_ratio,
)

counts = st.integers(min_value=0, max_value=10_000_000)


# --- the examples of §15 --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "shown"),
    [(0, "0"), (1, "*"), (5, "*"), (7, "*"), (8, "10"), (12, "10"), (13, "15"), (402, "400"), (402.0, "400")],
)
def test_count_is_zero_suppressed_below_8_or_rounded_to_nearest_5(count: int, shown: str) -> None:
    assert show_count(count).text == shown


def test_count_halfway_between_multiples_of_5_rounds_up() -> None:
    # 5·⌊x/5 + 0.5⌋: 17 → ⌊3.9⌋ = 3 → 15; 18 → ⌊4.1⌋ = 4 → 20; a multiple of 5 stays
    assert show_count(17).text == "15"
    assert show_count(18).text == "20"
    assert round_count_for_disclosure(10) == 10


@pytest.mark.parametrize(
    ("expected", "shown"),
    [(0.0, "*"), (7.49, "*"), (7.50, "10"), (12.49, "10"), (12.50, "15"), (2316.46, "2315"), (17.5, "20")],
)
def test_expected_deaths_below_7_5_suppressed_else_nearest_5_with_halves_up(expected: float, shown: str) -> None:
    assert show_expected(expected).text == shown


def test_expected_deaths_are_rounded_to_e2_before_the_threshold() -> None:
    # E = 7.495 rounds half up to E2 = 7.50, which is shown (10); E = 7.494 gives E2 = 7.49, suppressed
    assert show_expected(7.495).text == "10"
    assert show_expected(7.494).text == "*"
    assert round_expected_for_disclosure(12.495) == 15


def test_percentage_uses_rounded_numerator_and_denominator_as_whole_number() -> None:
    # 123 / 402 -> 125 / 400 = 31.25 -> 31
    shown = show_percentage(123, 402)
    assert shown == ShownValue("31", 31)


def test_percentage_suppressed_when_rounded_denominator_below_400() -> None:
    # 397 -> 395 < 400
    assert show_percentage(123, 397).text == "*"
    # 398 -> 400: shown, 123 -> 125: 31.25 -> 31
    assert show_percentage(123, 398).text == "31"


def test_percentage_suppressed_when_numerator_suppressed() -> None:
    assert show_percentage(5, 1000).text == "*"
    assert show_percentage(0, 1000).text == "0"


def test_percentage_halves_round_up() -> None:
    # 10 / 400 = 2.5% -> 3 (Python's round would give 2)
    assert show_percentage(10, 400).text == "3"


def test_mean_uses_rounded_counts_to_one_decimal() -> None:
    # 1234 / 402 -> 1235 / 400 = 3.0875 -> 3.1
    assert show_mean(1234, 402) == ShownValue("3.1", 3.1)
    # 1010 / 400 = 2.525 -> 2.5 (one decimal)
    assert show_mean(1010, 400).text == "2.5"
    # 1022 -> 1020; 1020 / 400 = 2.55 -> 2.6 (half up)
    assert show_mean(1022, 400).text == "2.6"
    assert show_mean(1234, 397).text == "*"


def test_unsuppressed_view_counts_integers_e2_two_decimals_percentages_one_decimal() -> None:
    view = View.UNSUPPRESSED
    assert show_count(5, view) == ShownValue("5", 5)
    assert show_count(402, view).text == "402"
    assert show_expected(7.49, view).text == "7.49"
    assert show_expected(2316.455, view) == ShownValue("2316.46", 2316.46)
    assert show_expected(12.5, view).text == "12.50"
    # 123 / 402 = 30.597... -> 30.6 from the unrounded counts
    assert show_percentage(123, 402, view) == ShownValue("30.6", 30.6)
    assert show_percentage(5, 20, view).text == "25.0"
    assert show_mean(1234, 402, view).text == "3.1"
    assert show_mean(1, 8, view).text == "0.1"  # 0.125 -> 0.1
    assert show_mean(3, 8, view).text == "0.4"  # 0.375 -> 0.4


def test_unsuppressed_percentage_of_empty_denominator_has_no_value() -> None:
    assert show_percentage(0, 0, View.UNSUPPRESSED) == ShownValue("", None)
    assert show_percentage(0, 0).text == "*"


def test_ratio_and_banding_never_suppressed_for_an_eligible_unit() -> None:
    # T05 of the worked example (shmi.md §18): SHMI 1.183009... published 1.1830, banding 1
    shmi = 298 / 251.90
    assert show_ratio(shmi, eligible=True).text == "1.1830"
    assert show_ratio(0.851506, eligible=True).text == "0.8515"
    assert show_banding(1, eligible=True) == ShownValue("1", 1)
    assert show_ratio(shmi, eligible=True, view=View.UNSUPPRESSED).text == "1.1830"


def test_ratio_limits_and_banding_of_ineligible_unit_show_star_when_disclosed_and_nothing_unsuppressed() -> None:
    assert show_ratio(1.2, eligible=False).text == "*"
    assert show_banding(2, eligible=False).text == "*"
    assert show_ratio(None, eligible=False).text == "*"
    assert show_ratio(1.2, eligible=False, view=View.UNSUPPRESSED).text == ""
    assert show_banding(None, eligible=False, view=View.UNSUPPRESSED).text == ""


def test_eligible_unit_without_a_ratio_shows_nothing() -> None:
    # a diagnosis group that is not banded has no SHMI (shmi.md §16.3)
    assert show_ratio(None, eligible=True).text == ""
    assert show_banding(None, eligible=True).text == ""


def test_ratio_halves_round_away_from_zero_on_shortest_decimal() -> None:
    assert show_ratio(1.00005, eligible=True).text == "1.0001"
    assert show_ratio(1.23456, eligible=True, decimals=2).text == "1.23"


def test_shown_value_as_json() -> None:
    assert show_count(5).as_json() == "*"
    assert show_count(13).as_json() == 15
    assert show_ratio(None, eligible=True).as_json() is None
    assert show_mean(1234, 402).as_json() == 3.1


def test_counts_reject_negative_and_fractional_values() -> None:
    with pytest.raises(ValueError, match="negative"):
        show_count(-1)
    with pytest.raises(ValueError, match="whole number"):
        show_count(2.5)
    with pytest.raises(ValueError, match="expected"):
        show_expected(float("nan"))


def test_counts_accept_numpy_integers() -> None:
    assert show_count(np.int64(13)).text == "15"


# --- eligibility (§11) ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spells", "observed", "expected", "eligible"),
    [
        (30, 8, 7.5, True),
        (29, 8, 7.5, False),   # too few spells
        (30, 0, 7.5, True),    # no deaths is allowed
        (30, 1, 7.5, False),   # 1-7 deaths would be suppressed
        (30, 7, 7.5, False),
        (30, 8, 7.49, False),  # E2 below 7.5
        (30, 8, 7.50, True),
        (1000, 500, 480.25, True),
    ],
)
def test_unit_is_eligible_with_30_spells_0_or_8_deaths_and_e2_at_least_7_5(
    spells: int, observed: int, expected: float, eligible: bool
) -> None:
    assert is_eligible(spells, observed, expected) is eligible


# --- views ------------------------------------------------------------------------------------------------------


def test_own_and_national_rows_are_unsuppressed_and_others_disclosed() -> None:
    assert choose_view("RAA", "RAA") is View.UNSUPPRESSED
    assert choose_view("RAA", "RBB") is View.DISCLOSED
    assert choose_view(None, "RBB") is View.DISCLOSED
    assert choose_view(None, NATIONAL_PROVIDER_CODE) is View.UNSUPPRESSED
    assert choose_view("RAA", NATIONAL_PROVIDER_CODE) is View.UNSUPPRESSED


# --- properties (shmi.md §19 item 24) -------------------------------------------------------------------------


@given(counts)
def test_no_published_count_lies_in_1_to_7_and_every_count_is_a_multiple_of_5(count: int) -> None:
    shown = show_count(count)
    if shown.suppressed:
        assert 1 <= count <= 7
    else:
        value = int(shown.text)
        assert not 1 <= value <= 7
        assert value % 5 == 0
        assert abs(value - count) <= 2  # the nearest multiple of 5


@given(st.floats(min_value=0, max_value=1e7, allow_nan=False))
def test_published_expected_deaths_is_star_or_a_multiple_of_5_from_7_5_on(expected: float) -> None:
    shown = show_expected(expected)
    if shown.suppressed:
        assert round(expected, 6) < 7.5
    else:
        value = int(shown.text)
        assert value % 5 == 0
        assert value >= 10


@given(counts, counts)
def test_no_percentage_is_shown_with_a_rounded_denominator_below_400(numerator: int, denominator: int) -> None:
    for shown in (show_percentage(numerator, denominator), show_mean(numerator, denominator)):
        rounded_denominator = round_count_for_disclosure(denominator)
        if not shown.suppressed:
            assert rounded_denominator is not None
            assert rounded_denominator >= 400
            assert round_count_for_disclosure(numerator) is not None


@given(counts, counts)
def test_percentage_is_computed_from_the_rounded_counts(numerator: int, denominator: int) -> None:
    shown = show_percentage(numerator, denominator)
    if not shown.suppressed:
        rounded_numerator = round_count_for_disclosure(numerator)
        rounded_denominator = round_count_for_disclosure(denominator)
        assert rounded_numerator is not None and rounded_denominator is not None
        exact = 100 * rounded_numerator / rounded_denominator
        assert abs(int(shown.text) - exact) <= 0.5


@given(counts, st.sampled_from(["RAA", None]))
def test_national_rows_are_unrounded(count: int, viewer: str | None) -> None:
    view = choose_view(viewer, NATIONAL_PROVIDER_CODE)
    assert show_count(count, view).text == str(count)
