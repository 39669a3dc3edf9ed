"""HSMR windows and the coverage of the input (hsmr.md §2).

The reporting period (M-11 ... M) and the modelling window (M-35 ... M) are those of shmi.md §3
(:class:`hospmort.config.Windows`), applied to the CIPS end date. The 12 months M-47 ... M-36 before the
modelling window are the **look-back**: spells discharged in them only link CIPS that cross the window start
and count previous emergency admissions. A month counts as present when some provider spell (any provider,
any patient classification) is discharged in it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb

from hospmort import tables
from hospmort.config import Month, Windows
from hospmort.errors import InputDataError
from hospmort.schema import DISDATE

log = logging.getLogger(__name__)

MODELLING_MONTHS = 36
LOOKBACK_MONTHS = 12
HSMR_COVERAGE = "HSMR_COVERAGE"


def modelling_window_months(windows: Windows) -> tuple[Month, ...]:
    """M-35 ... M, in order."""
    return tuple(windows.period_end.shift(-back) for back in range(MODELLING_MONTHS - 1, -1, -1))


def lookback_months(windows: Windows) -> tuple[Month, ...]:
    """The look-back M-47 ... M-36, in order (hsmr.md §2)."""
    first = MODELLING_MONTHS + LOOKBACK_MONTHS - 1
    return tuple(windows.period_end.shift(-back) for back in range(first, MODELLING_MONTHS - 1, -1))


def months_with_provider_spells(con: duckdb.DuckDBPyConnection) -> frozenset[Month]:
    """The months in which at least one provider spell of ``provider_spells`` is discharged."""
    rows = con.execute(
        f"SELECT DISTINCT year({DISDATE}), month({DISDATE}) FROM {tables.PROVIDER_SPELLS} "
        f"WHERE {DISDATE} IS NOT NULL").fetchall()
    return frozenset(Month(int(year), int(month)) for year, month in rows)


@dataclass(frozen=True)
class Coverage:
    """What the input covers of a publication's HSMR windows: the look-back months without provider spells."""

    lookback_missing: tuple[Month, ...]

    @property
    def lookback_months_missing(self) -> int:
        """``LOOKBACK_MONTHS_MISSING`` of hsmr.md §10.6 (0 when the look-back is complete)."""
        return len(self.lookback_missing)


def check_hsmr_coverage(present: frozenset[Month], windows: Windows) -> Coverage:
    """hsmr.md §2: fail naming the first modelling-window month without a provider spell; warn, naming each
    one, for look-back months without one, and return them (the look-back is best effort)."""
    missing = [month for month in modelling_window_months(windows) if month not in present]
    if missing:
        raise InputDataError(
            f"rule {HSMR_COVERAGE}: no provider spell discharged in {missing[0]} (the HSMR modelling window "
            f"{windows.period_end.shift(1 - MODELLING_MONTHS)} to {windows.period_end} needs every month; "
            f"{len(missing)} month{'s' if len(missing) != 1 else ''} missing)",
            column=DISDATE, rule=HSMR_COVERAGE, count=len(missing))
    lookback_missing = tuple(month for month in lookback_months(windows) if month not in present)
    for month in lookback_missing:
        log.warning("HSMR %s: no provider spell discharged in look-back month %s; CIPS linking and previous "
                    "emergency admissions use the spells that are present", windows.time_period, month)
    return Coverage(lookback_missing)
