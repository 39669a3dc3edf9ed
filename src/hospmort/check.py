"""``hospmort check``: the data-quality report of an extract, run before a publication run.

Reads and validates the inputs (data contract §1-§4), builds provider spells (shmi.md §4) and, with a period end,
applies the SHMI scope (§5) and outcome (§6) and the checks that would stop a publication run for that month
(§3 deaths and episode coverage, §5 no spell in scope). The report has the measures of shmi.md §16.8 that these
stages define, per trust code and ``ALL``. The contract's stop rules raise :class:`InputDataError`; the
publication's stop checks are returned as ``problems`` so that the report is still shown.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hospmort.config import EngineOptions, Month, Windows
from hospmort.engine import connect_duckdb
from hospmort.errors import ConfigError, InputDataError
from hospmort.hes import load_inputs
from hospmort.hes.quality import DataQualityRow, assemble_quality_report, write_quality_report_csv
from hospmort.hes.validate import contract_measure
from hospmort.shmi.scope import (
    check_deaths_coverage,
    check_episode_coverage,
    check_spells_in_scope,
    classify_shmi_scope,
    latest_date_of_death,
)
from hospmort.spells import attribute_shmi_deaths, derive_provider_spells

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckRequest:
    """The inputs of one check: paths (file, folder or glob), column map, optional period end."""

    episodes: Path | str
    deaths: Path | str
    organisations: Path | None = None
    column_map: Mapping[str, str] = field(default_factory=dict)
    period_end: Month | None = None
    deaths_complete_to: dt.date | None = None
    out: Path | None = None


@dataclass(frozen=True)
class CheckResult:
    """The data-quality report, example codes by measure, and the stop checks that failed (messages)."""

    rows: tuple[DataQualityRow, ...]
    examples: Mapping[str, tuple[str, ...]]
    time_period: str
    problems: tuple[str, ...]

    @property
    def usable(self) -> bool:
        return not self.problems


def parse_check_dates(period_end: str | None, deaths_complete_to: str | None
                      ) -> tuple[Month | None, dt.date | None]:
    """``--period-end YYYY-MM`` and ``--deaths-complete-to YYYY-MM-DD`` as typed values (``ConfigError`` if bad)."""
    month = None if period_end is None else Month.parse(period_end)
    if deaths_complete_to is None:
        return month, None
    try:
        return month, dt.date.fromisoformat(deaths_complete_to.strip())
    except ValueError as error:
        raise ConfigError(f"--deaths-complete-to must be a date YYYY-MM-DD, got {deaths_complete_to!r}") from error


def run_check(request: CheckRequest, options: EngineOptions) -> CheckResult:
    """Run the check of ``request`` on a DuckDB connection configured by ``options``; write ``out`` if asked."""
    con = connect_duckdb(options)
    try:
        inputs = load_inputs(con, request.episodes, request.deaths, request.organisations, request.column_map)
        row_sets = [inputs.rows, derive_provider_spells(con)]
        problems: list[str] = []
        time_period = ""
        if request.period_end is not None:
            windows = Windows(request.period_end)
            time_period = windows.time_period
            scope = classify_shmi_scope(con, windows)
            row_sets += [scope.rows, attribute_shmi_deaths(con)]
            deaths_complete_to = request.deaths_complete_to or latest_date_of_death(con)
            problems += _failed(lambda: check_deaths_coverage(windows, deaths_complete_to))
            scope_problems = _failed(lambda: check_spells_in_scope(scope, request.organisations is not None))
            problems += scope_problems or _failed(lambda: check_episode_coverage(con, windows))
    finally:
        con.close()
    rows = assemble_quality_report(inputs.trust_codes, *row_sets)
    if request.out is not None:
        write_quality_report_csv(request.out, rows, time_period)
        log.info("data-quality report written to %s", request.out)
    examples = {contract_measure(rule): values for rule, values in inputs.examples.items()}
    return CheckResult(rows, examples, time_period, tuple(problems))


def _failed(check: Callable[[], None]) -> list[str]:
    """The message of a stop check that fails, as a list (empty when it passes)."""
    try:
        check()
    except InputDataError as error:
        return [str(error)]
    return []
