"""SHMI scope and exclusions (shmi.md §5) and the coverage checks of a publication run (shmi.md §3).

:func:`classify_shmi_scope` applies the eight tests of §5, in order, to every row of ``provider_spells`` and
creates table ``shmi_scope``, one row per provider spell:

* ``SPELL_KEY``, ``PROCODE3``: the spell and its trust (join ``provider_spells`` on ``SPELL_KEY`` for the rest);
* ``IN_SCOPE``: 1 for an in-scope spell, else 0;
* ``EXCLUSION_STEP`` (1-8) and ``EXCLUSION_REASON`` (``NOT_FINISHED``, ``OUTSIDE_WINDOW``,
  ``PATIENT_CLASSIFICATION``, ``STILLBIRTH``, ``AGE_NOT_KNOWN``, ``SEX_NOT_KNOWN``, ``ADMIMETH_NOT_KNOWN``,
  ``PROVIDER_NOT_IN_SCOPE``) of the first test the spell fails; ``NULL`` when in scope;
* ``IN_REPORTING_PERIOD``: 1 when ``DISDATE`` is in the reporting period (M-11 ... M), else 0.

The in-scope spells are those the case-mix derivations (§7.3, §8, §9) and the outcome (§6,
:func:`hospmort.spells.attribute_shmi_deaths`) work on. It needs the ``organisations`` table for step 8.

The checks that stop a publication run are separate functions, called by the run, not by diagnostic commands
(§3): :func:`check_spells_in_scope` (§5: no spell in scope), :func:`check_episode_coverage` (a modelling-window
month without an in-scope spell) and :func:`check_deaths_coverage` (deaths not complete to M + 30 days).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import duckdb

from hospmort import tables
from hospmort.config import Month, Windows
from hospmort.errors import InputDataError
from hospmort.hes.quality import DataQualityRow, rows_from_counts, value_of
from hospmort.schema import (
    ADMIDATE,
    ADMIMETH,
    CLASSPAT,
    DIAG_SECOND_EPISODE_USED,
    DISDATE,
    DISMETH,
    DOD,
    EXCLUSION_REASON,
    EXCLUSION_STEP,
    IN_REPORTING_PERIOD,
    IN_SCOPE,
    ORG_CODE,
    ORG_TYPE,
    PROCODE3,
    SEX,
    SHMI_VALID_ADMISSION_METHODS,
    SPELL_KEY,
    STARTAGE,
    TRUST_TYPE,
    DischargeMethod,
    ExclusionReason,
    OrgType,
    PatientClassification,
    Sex,
    TrustType,
)
from hospmort.sqltext import count_where, quoted_list

log = logging.getLogger(__name__)

SPELLS_IN_SCOPE = "SPELLS_IN_SCOPE"
SPELLS_IN_SCOPE_REPORTING = "SPELLS_IN_SCOPE_REPORTING"
REPORTING_SUFFIX = "_REPORTING"
#: Steps of §5 whose exclusions are also counted for the reporting period (§16.8).
FIRST_STEP_WITH_REPORTING_COUNT = 3
#: How many missing organisation codes the warning names before it says "and N more".
CODES_NAMED_IN_WARNING = 20
NO_TRUST_IN_SCOPE = "NO_TRUST_IN_SCOPE"
EPISODE_COVERAGE = "EPISODE_COVERAGE"
DEATHS_COVERAGE = "DEATHS_COVERAGE"


@dataclass(frozen=True)
class ScopeReport:
    """What :func:`classify_shmi_scope` found.

    ``rows``: per trust and ``ALL``, ``EXCL_<n>_<reason>`` for the eight steps, ``EXCL_<n>_<reason>_REPORTING``
    for steps 3-8, ``SPELLS_IN_SCOPE``, ``SPELLS_IN_SCOPE_REPORTING`` and ``DIAG_SECOND_EPISODE_USED`` (in-scope
    spells whose diagnosis episode is the second, §7.1). ``codes_missing_from_organisations``: ``PROCODE3``
    values of spells that have no row in ``organisations`` (excluded at step 8 when they get there).
    """

    rows: tuple[DataQualityRow, ...]
    spells_in_scope: int
    codes_missing_from_organisations: tuple[str, ...]


def exclusion_tests_sql(windows: Windows) -> tuple[tuple[ExclusionReason, str], ...]:
    """The SQL condition of each test of §5 on a row of ``provider_spells``, in the order they apply.

    ``acute.org_code`` is the spell's trust in the ``organisations`` rows that are acute trusts (a LEFT JOIN).
    """
    not_discharged = quoted_list((DischargeMethod.NOT_APPLICABLE.value, DischargeMethod.NOT_KNOWN.value))
    in_scope_classes = quoted_list((PatientClassification.ORDINARY_ADMISSION.value,
                               PatientClassification.MOTHERS_AND_BABIES_DELIVERY_ONLY.value))
    return (
        (ExclusionReason.NOT_FINISHED,
         f"s.{DISDATE} IS NULL OR s.{DISMETH} IS NULL OR s.{DISMETH} IN ({not_discharged}) "
         f"OR s.{ADMIDATE} IS NULL OR s.{ADMIDATE} > s.{DISDATE}"),
        (ExclusionReason.OUTSIDE_WINDOW,
         f"s.{DISDATE} NOT BETWEEN DATE '{windows.modelling_start}' AND DATE '{windows.modelling_end}'"),
        (ExclusionReason.PATIENT_CLASSIFICATION,
         f"s.{CLASSPAT} IS NULL OR s.{CLASSPAT} NOT IN ({in_scope_classes})"),
        (ExclusionReason.STILLBIRTH, f"s.{DISMETH} = '{DischargeMethod.STILLBIRTH.value}'"),
        (ExclusionReason.AGE_NOT_KNOWN,
         f"s.{STARTAGE} IS NULL OR NOT (s.{STARTAGE} BETWEEN 0 AND 120 OR s.{STARTAGE} BETWEEN 7001 AND 7007)"),
        (ExclusionReason.SEX_NOT_KNOWN,
         f"s.{SEX} IS NULL OR s.{SEX} NOT IN ({quoted_list((Sex.MALE.value, Sex.FEMALE.value))})"),
        (ExclusionReason.ADMIMETH_NOT_KNOWN,
         f"s.{ADMIMETH} IS NULL OR s.{ADMIMETH} NOT IN ({quoted_list(SHMI_VALID_ADMISSION_METHODS)})"),
        (ExclusionReason.PROVIDER_NOT_IN_SCOPE, f"acute.{ORG_CODE} IS NULL"),
    )


def shmi_scope_sql(windows: Windows) -> str:
    """The SELECT building ``shmi_scope`` from ``provider_spells`` and ``organisations``."""
    tests = exclusion_tests_sql(windows)
    reason = " ".join(f"WHEN {condition} THEN '{r.value}'" for r, condition in tests)
    step = " ".join(f"WHEN {condition} THEN {r.step}" for r, condition in tests)
    return f"""
SELECT s.{SPELL_KEY}, s.{PROCODE3},
       CASE {reason} END AS {EXCLUSION_REASON},
       CASE {step} END AS {EXCLUSION_STEP},
       CASE WHEN ({' OR '.join(f'({condition})' for _r, condition in tests)}) THEN 0 ELSE 1 END AS {IN_SCOPE},
       CASE WHEN s.{DISDATE} BETWEEN DATE '{windows.reporting_start}' AND DATE '{windows.reporting_end}'
            THEN 1 ELSE 0 END AS {IN_REPORTING_PERIOD}
FROM {tables.PROVIDER_SPELLS} s
LEFT JOIN (
    SELECT DISTINCT {ORG_CODE} FROM {tables.ORGANISATIONS}
    WHERE {ORG_TYPE} = '{OrgType.TRUST.value}' AND {TRUST_TYPE} = '{TrustType.ACUTE.value}'
) acute ON acute.{ORG_CODE} = s.{PROCODE3}
"""


def classify_shmi_scope(con: duckdb.DuckDBPyConnection, windows: Windows) -> ScopeReport:
    """Create ``shmi_scope``: every provider spell's §5 scope for the publication of ``windows``.

    Logs one warning naming (codes only) the ``PROCODE3`` values with no row in ``organisations``.
    """
    con.execute(f"CREATE OR REPLACE TABLE {tables.SHMI_SCOPE} AS {shmi_scope_sql(windows)}")
    rows = _count_scope(con)
    missing = _codes_missing_from_organisations(con)
    if missing:
        named = ", ".join(missing[:CODES_NAMED_IN_WARNING])
        more = len(missing) - CODES_NAMED_IN_WARNING
        log.warning("%d provider code(s) have no row in the organisation table and are excluded as %s: %s%s",
                    len(missing), ExclusionReason.PROVIDER_NOT_IN_SCOPE.value, named,
                    f" and {more} more" if more > 0 else "")
    in_scope = value_of(rows, SPELLS_IN_SCOPE)
    log.info("%d spells in SHMI scope for the period ending %s", in_scope, windows.period_end)
    return ScopeReport(rows, in_scope, missing)


def _count_scope(con: duckdb.DuckDBPyConnection) -> tuple[DataQualityRow, ...]:
    measures: dict[str, str] = {}
    for reason in ExclusionReason:
        measures[reason.measure] = count_where(f"scope.{EXCLUSION_STEP} = {reason.step}")
        if reason.step >= FIRST_STEP_WITH_REPORTING_COUNT:
            measures[reason.measure + REPORTING_SUFFIX] = count_where(
                f"scope.{EXCLUSION_STEP} = {reason.step} AND scope.{IN_REPORTING_PERIOD} = 1")
    measures[SPELLS_IN_SCOPE] = count_where(f"scope.{IN_SCOPE} = 1")
    measures[SPELLS_IN_SCOPE_REPORTING] = count_where(f"scope.{IN_SCOPE} = 1 AND scope.{IN_REPORTING_PERIOD} = 1")
    measures[DIAG_SECOND_EPISODE_USED] = count_where(
        f"scope.{IN_SCOPE} = 1 AND s.{DIAG_SECOND_EPISODE_USED} = 1")
    result = con.execute(
        f"SELECT scope.{PROCODE3}, GROUPING(scope.{PROCODE3}), {', '.join(measures.values())} "
        f"FROM {tables.SHMI_SCOPE} scope JOIN {tables.PROVIDER_SPELLS} s ON s.{SPELL_KEY} = scope.{SPELL_KEY} "
        f"GROUP BY GROUPING SETS ((scope.{PROCODE3}), ())"
    ).fetchall()
    return rows_from_counts(
        (None if row[1] else row[0], measure, value or 0)
        for row in result
        for measure, value in zip(measures, row[2:], strict=True)
    )


def _codes_missing_from_organisations(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    rows = con.execute(
        f"SELECT DISTINCT s.{PROCODE3} FROM {tables.SHMI_SCOPE} s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {tables.ORGANISATIONS} o WHERE o.{ORG_CODE} = s.{PROCODE3}) "
        f"ORDER BY s.{PROCODE3}"
    ).fetchall()
    return tuple(str(row[0]) for row in rows)


# --- checks that stop a publication run ------------------------------------------------------------------

def check_spells_in_scope(report: ScopeReport, organisations_given: bool) -> None:
    """§5: stop when no spell is in scope, saying that ``--organisations`` is needed when none was given."""
    if report.spells_in_scope > 0:
        return
    hint = (" No organisation table was given: --organisations is needed, since only trusts with "
            "trust_type 'acute' are in scope." if not organisations_given else "")
    raise InputDataError(f"rule {NO_TRUST_IN_SCOPE}: no spell is in SHMI scope.{hint}", rule=NO_TRUST_IN_SCOPE,
                         count=0)


def months_without_in_scope_spells(con: duckdb.DuckDBPyConnection, windows: Windows) -> tuple[Month, ...]:
    """The months of the modelling window (by ``DISDATE``) that have no in-scope spell, in order."""
    present = {
        (int(year), int(month)) for year, month in con.execute(
            f"SELECT DISTINCT year(s.{DISDATE}), month(s.{DISDATE}) FROM {tables.PROVIDER_SPELLS} s "
            f"JOIN {tables.SHMI_SCOPE} scope ON scope.{SPELL_KEY} = s.{SPELL_KEY} WHERE scope.{IN_SCOPE} = 1"
        ).fetchall()
    }
    months = (windows.period_end.shift(-back) for back in range(35, -1, -1))
    return tuple(m for m in months if (m.year, m.month) not in present)


def check_episode_coverage(con: duckdb.DuckDBPyConnection, windows: Windows) -> None:
    """§3 episode coverage: stop naming the first month of the modelling window with no in-scope spell."""
    missing = months_without_in_scope_spells(con, windows)
    if missing:
        raise InputDataError(
            f"rule {EPISODE_COVERAGE}: no in-scope spell discharged in {missing[0]} (the modelling window "
            f"{windows.period_end.shift(-35)} to {windows.period_end} needs every month; {len(missing)} "
            f"month{'s' if len(missing) != 1 else ''} missing)",
            column=DISDATE, rule=EPISODE_COVERAGE, count=len(missing))


def latest_date_of_death(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The latest ``DOD`` in ``deaths``: the default deaths-completeness date for real data (§3)."""
    value = con.execute(f"SELECT max({DOD}) FROM {tables.DEATHS}").fetchall()[0][0]
    return value if isinstance(value, dt.date) else None


def check_deaths_coverage(windows: Windows, deaths_complete_to: dt.date | None) -> None:
    """§3 deaths coverage: deaths must be complete to the last day of M plus 30 days; stop naming both dates."""
    needed = windows.deaths_needed_to
    if deaths_complete_to is None or deaths_complete_to < needed:
        shown = "no date of death" if deaths_complete_to is None else f"{deaths_complete_to.isoformat()}"
        raise InputDataError(
            f"rule {DEATHS_COVERAGE}: deaths are complete to {shown}, but the period ending "
            f"{windows.period_end} needs deaths to {needed.isoformat()} (--deaths-complete-to)",
            column=DOD, rule=DEATHS_COVERAGE, count=0)
