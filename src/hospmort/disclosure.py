"""Disclosure control: suppression and rounding of shown values (methodology shmi.md §15).

Every value that leaves the tool for someone who may not see it unsuppressed (a publication file, another
organisation's row in the dashboard or its API) goes through one of the ``show_*`` functions below with
:attr:`View.DISCLOSED`. The same functions with :attr:`View.UNSUPPRESSED` give the "unsuppressed view" of §15:
a trust's own rows, national rows and the internal files.

A shown value is a :class:`ShownValue`: the text to write into a CSV file (``*`` when suppressed, empty when
there is no value) and the number it stands for, for a JSON API. The three callers use it as follows:

* the publication CSV writer writes ``.text``;
* the web API chooses the view of each row with :func:`choose_view` (own and national rows unsuppressed) and
  returns ``.as_json()`` (a number, ``"*"`` or ``null``);
* tests compare either.

Eligibility for a ratio (§11) is :func:`is_eligible` (``hospmort.shmi.indicator``, re-exported); an
ineligible unit has ``*`` for its ratio, limits and banding in the disclosed view and no value (empty) in the
unsuppressed view.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from hospmort.rounding import format_fixed, round_half_up

# The eligibility rule of shmi.md §11 lives with the indicator; it is re-exported here because every caller
# of this module needs it to choose between a ratio and ``*``.
from hospmort.shmi.indicator import is_eligible

__all__ = [
    "NATIONAL_PROVIDER_CODE",
    "NOT_APPLICABLE",
    "SUPPRESSED",
    "ShownValue",
    "View",
    "choose_view",
    "is_eligible",
    "round_count_for_disclosure",
    "round_expected_for_disclosure",
    "show_banding",
    "show_count",
    "show_expected",
    "show_mean",
    "show_percentage",
    "show_ratio",
]

#: What a suppressed value shows (§15).
SUPPRESSED = "*"
#: What a value that does not exist shows (§16: "empty field for not applicable").
NOT_APPLICABLE = ""
#: ``PROVIDER_CODE`` of national rows (§16.4); national rows are never suppressed (§15).
NATIONAL_PROVIDER_CODE = "ENG"

# --- thresholds of §15 -------------------------------------------------------------------------------------
LARGEST_SUPPRESSED_COUNT = 7
MINIMUM_EXPECTED_SHOWN = Decimal("7.5")
ROUNDING_BASE = 5
MINIMUM_ROUNDED_DENOMINATOR = 400
#: Decimals of a published ratio (SHMI) and its limits (§11, §12 step 9).
RATIO_DECIMALS = 4


class View(StrEnum):
    """Which rules apply to a shown value (§15)."""

    #: Published files and any other organisation's rows: suppression and rounding of §15.
    DISCLOSED = "disclosed"
    #: A trust's own rows, national rows, internal files: counts as integers, E2 with 2 decimals,
    #: percentages and means to 1 decimal from unrounded counts.
    UNSUPPRESSED = "unsuppressed"


@dataclass(frozen=True)
class ShownValue:
    """A value as shown: ``text`` for a CSV file, ``number`` for an API (``None`` when there is none).

    ``text`` is ``*`` for a suppressed value and empty when the value does not exist (not applicable, or
    not computable such as a percentage of an empty denominator in the unsuppressed view).
    """

    text: str
    number: int | float | None = None

    @property
    def suppressed(self) -> bool:
        """True when the value exists but may not be shown."""
        return self.text == SUPPRESSED

    def as_json(self) -> int | float | str | None:
        """The number, ``"*"`` when suppressed, ``None`` when there is no value."""
        if self.suppressed:
            return SUPPRESSED
        return self.number


SUPPRESSED_VALUE = ShownValue(SUPPRESSED)
NO_VALUE = ShownValue(NOT_APPLICABLE)


def choose_view(viewer_provider_code: str | None, row_provider_code: str) -> View:
    """The view of a row for a viewer (§15): own rows and national rows unsuppressed, others disclosed.

    ``viewer_provider_code`` is the viewer's trust code, or ``None`` for the public (publication files). A
    site row is passed with its trust's code.
    """
    if row_provider_code == NATIONAL_PROVIDER_CODE:
        return View.UNSUPPRESSED
    if viewer_provider_code is not None and viewer_provider_code == row_provider_code:
        return View.UNSUPPRESSED
    return View.DISCLOSED


# --- the rules of §15 as numbers ------------------------------------------------------------------------------


def round_count_for_disclosure(count: int) -> int | None:
    """A count under §15: 0 → 0; 1–7 → ``None`` (suppressed); otherwise the nearest multiple of 5, 5·⌊x/5 + 0.5⌋.

    Examples: 5 → None, 8 → 10, 12 → 10, 13 → 15, 402 → 400.
    """
    value = _checked_count(count, "count")
    if value == 0:
        return 0
    if value <= LARGEST_SUPPRESSED_COUNT:
        return None
    # 5·⌊x/5 + 1/2⌋ = 5·⌊(2x + 5)/10⌋, exact in integers
    return ROUNDING_BASE * ((2 * value + ROUNDING_BASE) // (2 * ROUNDING_BASE))


def round_expected_for_disclosure(expected: float) -> int | None:
    """Expected deaths under §15: E2 < 7.5 → ``None`` (suppressed); otherwise 5·⌊E2/5 + 0.5⌋ (12.50 → 15).

    The value is first rounded to E2 (2 decimals, ``round_half_up``), so E or E2 may be passed. The arithmetic is
    decimal, so that 12.50 gives 15 exactly.
    """
    expected_2dp = Decimal(repr(round_half_up(_checked_expected(expected), 2)))
    if expected_2dp < MINIMUM_EXPECTED_SHOWN:
        return None
    return ROUNDING_BASE * math.floor(expected_2dp / ROUNDING_BASE + Decimal("0.5"))


def _disclosed_ratio_of_counts(numerator: int, denominator: int, scale: int) -> float | None:
    """scale × rounded numerator / rounded denominator, or None when either is suppressed or the rounded
    denominator is below 400 (§15)."""
    rounded_numerator = round_count_for_disclosure(numerator)
    rounded_denominator = round_count_for_disclosure(denominator)
    if rounded_numerator is None or rounded_denominator is None:
        return None
    if rounded_denominator < MINIMUM_ROUNDED_DENOMINATOR:
        return None
    return scale * rounded_numerator / rounded_denominator


# --- shown values ---------------------------------------------------------------------------------------------


def show_count(count: int, view: View = View.DISCLOSED) -> ShownValue:
    """A count (spells, observed deaths, numerator, denominator): §15 when disclosed, the integer otherwise."""
    if view is View.UNSUPPRESSED:
        value = _checked_count(count, "count")
        return ShownValue(str(value), value)
    rounded = round_count_for_disclosure(count)
    return SUPPRESSED_VALUE if rounded is None else ShownValue(str(rounded), rounded)


def show_expected(expected: float, view: View = View.DISCLOSED) -> ShownValue:
    """Expected deaths: §15 when disclosed (a multiple of 5 or ``*``); E2 with 2 decimals otherwise."""
    if view is View.UNSUPPRESSED:
        expected_2dp = round_half_up(_checked_expected(expected), 2)
        return ShownValue(format_fixed(expected_2dp, 2), expected_2dp)
    rounded = round_expected_for_disclosure(expected)
    return SUPPRESSED_VALUE if rounded is None else ShownValue(str(rounded), rounded)


def show_percentage(numerator: int, denominator: int, view: View = View.DISCLOSED) -> ShownValue:
    """100 × numerator / denominator (§15).

    Disclosed: from the rounded numerator and rounded denominator, ``*`` when either is ``*`` or the rounded
    denominator is below 400, shown as a whole number (``round_half_up``): 123 / 402 → 125 / 400 → ``31``.
    Unsuppressed: from the unrounded counts to 1 decimal place; empty when the denominator is 0.
    """
    if view is View.UNSUPPRESSED:
        return _unsuppressed_ratio_of_counts(numerator, denominator, scale=100)
    percentage = _disclosed_ratio_of_counts(numerator, denominator, scale=100)
    if percentage is None:
        return SUPPRESSED_VALUE
    whole = int(round_half_up(percentage, 0))
    return ShownValue(str(whole), whole)


def show_mean(numerator: int, denominator: int, view: View = View.DISCLOSED) -> ShownValue:
    """numerator / denominator, e.g. mean secondary diagnoses per spell (§15), to 1 decimal place.

    Disclosed: from the rounded numerator and rounded denominator, ``*`` when either is ``*`` or the rounded
    denominator is below 400. Unsuppressed: from the unrounded counts; empty when the denominator is 0.
    """
    if view is View.UNSUPPRESSED:
        return _unsuppressed_ratio_of_counts(numerator, denominator, scale=1)
    mean = _disclosed_ratio_of_counts(numerator, denominator, scale=1)
    if mean is None:
        return SUPPRESSED_VALUE
    return ShownValue(format_fixed(mean, 1), round_half_up(mean, 1))


def show_ratio(value: float | None, *, eligible: bool, view: View = View.DISCLOSED,
               decimals: int = RATIO_DECIMALS) -> ShownValue:
    """A ratio (SHMI value) or a limit, computed from unrounded values and never suppressed (§15).

    An ineligible unit (§11) shows ``*`` in the disclosed view and nothing in the unsuppressed view (it has no
    ratio). An eligible unit without a value (a group that is not banded) shows nothing. Otherwise the value
    is rounded with ``round_half_up`` to ``decimals`` (4 for the SHMI and its limits).
    """
    if not eligible:
        return SUPPRESSED_VALUE if view is View.DISCLOSED else NO_VALUE
    if value is None:
        return NO_VALUE
    if not math.isfinite(value):
        raise ValueError(f"a ratio or limit must be finite, got {value!r}")
    return ShownValue(format_fixed(value, decimals), round_half_up(value, decimals))


def show_banding(banding: int | None, *, eligible: bool, view: View = View.DISCLOSED) -> ShownValue:
    """A banding (1, 2 or 3), never suppressed; ``*`` for an ineligible unit in the disclosed view (§15)."""
    if not eligible:
        return SUPPRESSED_VALUE if view is View.DISCLOSED else NO_VALUE
    if banding is None:
        return NO_VALUE
    band = operator.index(banding)
    return ShownValue(str(band), band)


# --- helpers ----------------------------------------------------------------------------------------------------


def _unsuppressed_ratio_of_counts(numerator: int, denominator: int, *, scale: int) -> ShownValue:
    top = _checked_count(numerator, "numerator")
    bottom = _checked_count(denominator, "denominator")
    if bottom == 0:
        return NO_VALUE
    value = scale * top / bottom
    return ShownValue(format_fixed(value, 1), round_half_up(value, 1))


def _checked_count(count: int | float, name: str) -> int:
    """A count as an int: ints (numpy ints too) and integral floats are accepted; negatives are refused."""
    if isinstance(count, bool):
        raise TypeError(f"{name} must be a whole number, got a bool")
    if isinstance(count, float):
        if not count.is_integer():
            raise ValueError(f"{name} must be a whole number, got {count!r}")
        value = int(count)
    else:
        value = operator.index(count)
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    return value


def _checked_expected(expected: float) -> float:
    value = float(expected)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"expected deaths must be finite and not negative, got {expected!r}")
    return value
