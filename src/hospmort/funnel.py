"""``hospmort funnel``: SHMI-style limits and banding for any table of observed and expected deaths.

This module is an I/O edge like ``cli.py``: it reads one CSV, validates it, calls :mod:`hospmort.limits` and
writes one CSV (and optionally a JSON summary). Every input row is a unit; no eligibility filter applies.
Expected values are rounded to 2 decimals (E2) before the limits, as the SHMI does (shmi.md §11-§12).
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from hospmort.errors import InputDataError, describe_input_problem
from hospmort.limits import FunnelLimits, OverdispersionParameters, compute_funnel_limits, round_expected
from hospmort.rounding import format_shortest

log = logging.getLogger(__name__)

OUTPUT_COLUMNS = (
    "UNIT", "OBSERVED", "EXPECTED", "RATIO", "BANDING", "PO_LL", "PO_UL", "OD_LL", "OD_UL", "OD_LL_998",
    "OD_UL_998",
)
#: Column layouts recognised without options: (unit, observed, expected), matched case-insensitively.
KNOWN_LAYOUTS = (("unit", "observed", "expected"), ("PROVIDER_CODE", "OBSERVED", "EXPECTED"))


@dataclass(frozen=True)
class FunnelColumns:
    """Names of the input columns holding the unit, the observed and the expected counts."""

    unit: str
    observed: str
    expected: str


@dataclass(frozen=True)
class FunnelTable:
    """A validated input table: unit labels, observed counts and expected counts rounded to 2 decimals."""

    units: tuple[str, ...]
    observed: tuple[float, ...]
    expected_rounded: tuple[float, ...]


@dataclass(frozen=True)
class FunnelRun:
    """The result of ``hospmort funnel``: the input units and their limits."""

    table: FunnelTable
    limits: FunnelLimits

    @property
    def parameters(self) -> OverdispersionParameters:
        return self.limits.parameters


def _problem(path: Path, column: str | None, rule: str, count: int, detail: str = "") -> InputDataError:
    message = describe_input_problem(file=str(path), column=column, rule=rule, count=count, detail=detail)
    return InputDataError(message, file=str(path), column=column, rule=rule, count=count)


def _choose_columns(path: Path, header: Sequence[str], requested: FunnelColumns | None) -> FunnelColumns:
    by_lower = {name.strip().lower(): name for name in header}
    if requested is not None:
        missing = [c for c in (requested.unit, requested.observed, requested.expected) if c not in header]
        if missing:
            raise _problem(path, missing[0], "REQUIRED_COLUMN_MISSING", len(missing),
                           f"the file's columns are {', '.join(header)}")
        return requested
    for layout in KNOWN_LAYOUTS:
        names = [by_lower.get(name.lower()) for name in layout]
        if all(names):
            unit, observed, expected = (str(n) for n in names)
            return FunnelColumns(unit, observed, expected)
    raise _problem(path, "unit/observed/expected", "REQUIRED_COLUMN_MISSING", 1,
                   "expected columns unit,observed,expected or PROVIDER_CODE,OBSERVED,EXPECTED "
                   "(or name them with --unit-column, --observed-column, --expected-column); "
                   f"the file's columns are {', '.join(header)}")


def _parse_numbers(path: Path, column: str, texts: Sequence[str]) -> list[float]:
    values: list[float] = []
    bad: list[str] = []
    for text in texts:
        try:
            value = float(text.strip())
        except ValueError:
            bad.append(text)
            continue
        if not math.isfinite(value):
            bad.append(text)
            continue
        values.append(value)
    if bad:
        examples = ", ".join(repr(b) for b in sorted(set(bad))[:3])
        raise _problem(path, column, "NUMBER_INVALID", len(bad), f"not a number, e.g. {examples}")
    negative = sum(1 for v in values if v < 0)
    if negative:
        raise _problem(path, column, "VALUE_NEGATIVE", negative, "values must be zero or more")
    return values


def read_funnel_table(path: Path, columns: FunnelColumns | None = None) -> FunnelTable:
    """Read and validate a funnel input CSV (UTF-8, with or without a byte-order mark)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise _problem(path, None, "FILE_UNREADABLE", 1, f"cannot be read as a UTF-8 CSV file ({error})") from error
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise _problem(path, None, "INPUT_EMPTY", 0, "the file has no header row")
    header, data = rows[0], rows[1:]
    if not data:
        raise _problem(path, None, "INPUT_EMPTY", 0, "the file has no data row")
    chosen = _choose_columns(path, header, columns)
    index = {name: header.index(name) for name in (chosen.unit, chosen.observed, chosen.expected)}
    short = sum(1 for row in data if len(row) < len(header))
    if short:
        raise _problem(path, None, "ROW_TOO_SHORT", short, f"rows must have {len(header)} fields")
    units = [row[index[chosen.unit]].strip() for row in data]
    blank = sum(1 for unit in units if not unit)
    if blank:
        raise _problem(path, chosen.unit, "KEY_MISSING", blank, "every row needs a unit")
    duplicated = {unit: n for unit, n in Counter(units).items() if n > 1}
    if duplicated:
        examples = ", ".join(sorted(duplicated)[:3])
        raise _problem(path, chosen.unit, "UNIT_DUPLICATE", sum(duplicated.values()),
                       f"each unit must appear once, e.g. {examples}")
    observed = _parse_numbers(path, chosen.observed, [row[index[chosen.observed]] for row in data])
    expected = _parse_numbers(path, chosen.expected, [row[index[chosen.expected]] for row in data])
    expected_rounded = [round_expected(e) for e in expected]
    not_positive = sum(1 for e in expected_rounded if e <= 0)
    if not_positive:
        raise _problem(path, chosen.expected, "EXPECTED_NOT_POSITIVE", not_positive,
                       "expected must be at least 0.005 (positive once rounded to 2 decimals)")
    return FunnelTable(tuple(units), tuple(observed), tuple(expected_rounded))


def compute_funnel(table: FunnelTable) -> FunnelRun:
    """Limits and banding for every unit of a validated table."""
    return FunnelRun(table, compute_funnel_limits(table.observed, table.expected_rounded))


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 2**53 else format_shortest(value)


def _write_rows(handle: TextIO, run: FunnelRun) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(OUTPUT_COLUMNS)
    lim = run.limits
    for i, unit in enumerate(run.table.units):
        writer.writerow([
            unit,
            _number(lim.observed[i]),
            format_shortest(lim.expected[i]),
            format_shortest(lim.ratio[i]),
            int(lim.banding[i]),
            *(format_shortest(v[i]) for v in (lim.po_lower_998, lim.po_upper_998, lim.od_lower_95,
                                             lim.od_upper_95, lim.od_lower_998, lim.od_upper_998)),
        ])


@contextmanager
def _atomic_text_file(path: Path) -> Iterator[TextIO]:
    """Write to a temporary file beside ``path`` and rename it into place only when writing succeeded."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            yield handle
        Path(temp_name).replace(path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def summary_of(run: FunnelRun) -> dict[str, float | int]:
    """The summary keys of ``--summary``: units, units_kept, phi, tau2."""
    p = run.parameters
    return {"units": p.units, "units_kept": p.units_kept, "phi": p.phi, "tau2": p.tau2}


def run_funnel(input_path: Path, output_path: Path, summary_path: Path | None = None,
               columns: FunnelColumns | None = None) -> FunnelRun:
    """Read, compute and write: the whole of ``hospmort funnel``. Nothing is written when input is bad."""
    run = compute_funnel(read_funnel_table(input_path, columns))
    with _atomic_text_file(output_path) as handle:
        _write_rows(handle, run)
    if summary_path is not None:
        with _atomic_text_file(summary_path) as handle:
            json.dump(summary_of(run), handle, indent=2)
            handle.write("\n")
    p = run.parameters
    log.info("funnel: %d units, %d kept after truncation, phi = %.6g, tau2 = %.6g", p.units, p.units_kept,
             p.phi, p.tau2)
    return run
