"""Rounding of published values (methodology shmi.md §2.2): half away from zero on the shortest decimal."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def _quantised(value: float, decimals: int) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def round_half_up(value: float, decimals: int) -> float:
    """``round_half_up(x, k)``: round the shortest decimal form of ``x`` to ``k`` decimals, halves away from 0.

    ``round_half_up(2316.455, 2)`` is 2316.46, where Python's ``round`` gives 2316.45.
    """
    return float(_quantised(value, decimals))


def format_fixed(value: float, decimals: int) -> str:
    """``value`` rounded by :func:`round_half_up` and written with exactly ``decimals`` decimals."""
    text = f"{_quantised(value, decimals):f}"
    return "0" + text[2:] if text.startswith("-0") and Decimal(text) == 0 else text


def format_significant(value: float, digits: int) -> str:
    """``value`` to ``digits`` significant digits (half away from zero), without exponent for ordinary sizes."""
    if value == 0:
        return "0"
    exponent = Decimal(repr(float(value))).adjusted()
    decimals = digits - 1 - exponent
    rounded = _quantised(value, decimals) if decimals >= 0 else Decimal(repr(float(value))).quantize(
        Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return f"{rounded.normalize():f}" if decimals > 0 else f"{rounded:f}"


def format_shortest(value: float) -> str:
    """The shortest decimal text that reads back as the same double (``repr``), for unrounded outputs."""
    return repr(float(value))
