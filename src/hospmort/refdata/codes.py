"""Normalisation of coded values, defined once for Python and for SQL (methodology shmi.md §2.2)."""

from __future__ import annotations

import re

_REMOVED = re.compile(r"[\s.]")


def normalise_diagnosis(code: str | None) -> str:
    """``norm(code)`` of shmi.md §2.2: the 4-character ICD-10 form used by every lookup.

    White space and dots are removed and the code upper-cased; the first 4 characters are kept, or the first 3
    when the 4th is not a letter or digit (``-``, ``*``, a dagger, ``+``); a 3-character result is padded with
    ``X``. ``j18.9`` -> ``J189``, ``J18`` -> ``J18X``, ``E112D`` -> ``E112``, ``C61-`` -> ``C61X``; empty stays
    empty.
    """
    if code is None:
        return ""
    text = _REMOVED.sub("", code).upper()[:4]
    if len(text) == 4 and not (text[3].isascii() and text[3].isalnum()):
        text = text[:3]
    if len(text) == 3:
        text += "X"
    return text


def normalise_diagnosis_sql(column: str) -> str:
    """A portable SQL expression computing :func:`normalise_diagnosis` of ``column`` (NULL gives '')."""
    cleaned = f"upper(substr(regexp_replace(coalesce({column}, ''), '[\\s.]', '', 'g'), 1, 4))"
    trimmed = (
        f"CASE WHEN length({cleaned}) = 4 AND NOT regexp_matches(substr({cleaned}, 4, 1), '^[A-Z0-9]$') "
        f"THEN substr({cleaned}, 1, 3) ELSE {cleaned} END"
    )
    return f"(CASE WHEN length({trimmed}) = 3 THEN {trimmed} || 'X' ELSE {trimmed} END)"


def normalise_code(value: str | None) -> str:
    """A coded field as text (shmi.md §2.2): stripped, upper-cased, and ``4.0`` read back as ``4``."""
    if value is None:
        return ""
    text = value.strip().upper()
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".", 1)[0]
    return text


def is_well_formed_diagnosis(normalised: str) -> bool:
    """Data-contract rule DIAG_CODE_MALFORMED: a letter, two digits, then a letter or digit."""
    return re.fullmatch(r"[A-Z][0-9]{2}[A-Z0-9]", normalised) is not None
