"""Text to typed values, as portable SQL expressions (shmi.md §2.2, data contract §1 and §4).

Each function returns a SQL expression over a ``VARCHAR`` column of the all-text views of :mod:`hes.read`, in
layers, so that no value is parsed twice: layer 1 strips white space (:func:`stripped_text_sql`,
:func:`diagnosis_prefix_sql`); layer 2 types the stripped text; the rule flags then compare the stripped text
with its typed value (:func:`date_invalid_sql`, :func:`number_invalid_sql`).
Missing values are ``NULL`` everywhere: an empty or blank text, the HES null date ``1800-01-01``, and any value a
rule reads as missing (``1801-01-01``, a text that is not a date, a number that is not a whole number).

* keys (``EPIKEY``, ``HESID``, ``PROVSPNOPS``): surrounding white space removed, nothing else changed (leading
  zeros are kept);
* codes: white space removed, upper-cased, a number read back as a code loses its ``.0`` (``4.0`` -> ``4``), the
  SQL twin of :func:`hospmort.refdata.codes.normalise_code`;
* whole numbers: optional sign and up to 18 digits, optionally followed by ``.0``;
* dates: exactly ``YYYY-MM-DD`` and a real calendar date;
* diagnoses: ``norm()`` of shmi.md §2.2 (:func:`hospmort.refdata.codes.normalise_diagnosis_sql`).
"""

from __future__ import annotations

from hospmort.refdata.codes import normalise_diagnosis_sql
from hospmort.schema import HES_INVALID_DATE, HES_NULL_DATE

#: The characters stripped from both ends of every value: space, tab, line feed, carriage return.
_WHITESPACE = "' ' || chr(9) || chr(10) || chr(13)"
_RARE_WHITESPACE_CODES = (9, 10, 13)
_WHOLE_NUMBER = "^[+-]?[0-9]{1,18}(\\.0+)?$"
_ISO_DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_WELL_FORMED_DIAGNOSIS = "^[A-Z][0-9]{2}[A-Z0-9]$"


def stripped_text_sql(column: str) -> str:
    """Layer 1 of every field but the diagnoses: surrounding white space removed, ``NULL`` when empty.

    The general ``trim`` with a character list runs only on values holding a tab or line break (rare): the
    plain ``trim`` of spaces is much faster.
    """
    rare = " OR ".join(f"contains({column}, chr({code}))" for code in _RARE_WHITESPACE_CODES)
    return f"NULLIF(CASE WHEN {rare} THEN trim({column}, {_WHITESPACE}) ELSE trim({column}) END, '')"


def diagnosis_prefix_sql(column: str) -> str:
    """Layer 1 of a diagnosis: white space and dots removed, first 4 characters (``NULL`` stays ``NULL``).

    ``norm()`` of this prefix equals ``norm()`` of the whole value, so :func:`diagnosis_sql` works on short
    strings: a performance step, not a rule.
    """
    return f"substr(regexp_replace({column}, '[\\s.]', '', 'g'), 1, 4)"


# Layer 2: each function below takes a column already passed through layer 1.

def key_sql(stripped: str) -> str:
    """A key or identifier: stripped text, case and leading zeros kept."""
    return stripped


def code_sql(stripped: str) -> str:
    """A coded value (shmi.md §2.2): upper-cased, ``4.0`` read back as ``4``; ``NULL`` when empty."""
    return (f"(CASE WHEN contains({stripped}, '.') THEN regexp_replace(upper({stripped}), '^([0-9]+)\\.0+$', '\\1') "
            f"ELSE upper({stripped}) END)")


def whole_number_sql(stripped: str) -> str:
    """The whole number a text holds (``BIGINT``), or ``NULL`` when empty or not a whole number."""
    return (
        f"(CASE WHEN regexp_matches({stripped}, '{_WHOLE_NUMBER}') "
        f"THEN CAST(regexp_replace({stripped}, '\\.0+$', '') AS BIGINT) END)"
    )


def number_invalid_sql(stripped: str, number: str) -> str:
    """Rule ``NUMBER_INVALID`` from the stripped text and its :func:`whole_number_sql`: not empty and not a
    whole number."""
    return f"({stripped} IS NOT NULL AND {number} IS NULL)"


def _is_calendar_date_sql(stripped: str) -> str:
    return f"(regexp_matches({stripped}, '{_ISO_DATE}') AND try_cast({stripped} AS DATE) IS NOT NULL)"


def date_sql(stripped: str) -> str:
    """The ``DATE`` a text holds, or ``NULL`` for empty, ``1800-01-01``, ``1801-01-01`` and non-dates."""
    return (
        f"(CASE WHEN {stripped} NOT IN ('{HES_NULL_DATE}', '{HES_INVALID_DATE}') "
        f"AND {_is_calendar_date_sql(stripped)} THEN CAST({stripped} AS DATE) END)"
    )


def date_invalid_sql(stripped: str, date: str) -> str:
    """Rule ``DATE_INVALID`` from the stripped text and its :func:`date_sql`: ``1801-01-01`` or a non-empty text
    that is not a date (``1800-01-01`` is null, not broken)."""
    return f"({stripped} IS NOT NULL AND {stripped} <> '{HES_NULL_DATE}' AND {date} IS NULL)"


def diagnosis_sql(prefix: str) -> str:
    """``norm()`` of a diagnosis position (shmi.md §2.2) from its layer-1 prefix, ``NULL`` when empty."""
    return f"NULLIF({normalise_diagnosis_sql(prefix)}, '')"


def diagnosis_malformed_sql(normalised_column: str) -> str:
    """Rule ``DIAG_CODE_MALFORMED`` on a normalised position: not a letter, two digits, a letter or digit."""
    return (
        f"({normalised_column} IS NOT NULL "
        f"AND NOT regexp_matches({normalised_column}, '{_WELL_FORMED_DIAGNOSIS}'))"
    )
