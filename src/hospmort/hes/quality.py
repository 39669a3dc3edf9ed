"""The data-quality report (shmi.md §16.8): rows of (``PROVIDER_CODE``, ``MEASURE``, ``VALUE``).

Each stage returns its own rows (reading and validation, spells, scope, outcome); :func:`assemble_quality_report`
puts them together with one row per trust code met in the input and per measure (zero where a trust has
none), plus the ``ALL`` totals, sorted by ``PROVIDER_CODE`` then ``MEASURE`` as text. The publication writes
the result to ``internal/SHMI_data_quality_<TP>.csv``; ``hospmort check`` prints it and writes it with ``--out``.
Only counts appear: no patient-level value.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table

from hospmort.schema import ALL_PROVIDERS

QUALITY_REPORT_COLUMNS = ("TIME_PERIOD", "PROVIDER_CODE", "MEASURE", "VALUE")


@dataclass(frozen=True, order=True)
class DataQualityRow:
    """One count of the data-quality report: a measure for one trust code or for ``ALL``."""

    provider_code: str
    measure: str
    value: int


def rows_from_counts(counts: Iterable[tuple[str | None, str, int]]) -> tuple[DataQualityRow, ...]:
    """Rows from (provider code or ``None`` for ``ALL``, measure, value) triples, as a query returns them."""
    return tuple(
        DataQualityRow(ALL_PROVIDERS if code is None else code, measure, int(value))
        for code, measure, value in counts
    )


def assemble_quality_report(
    trust_codes: Iterable[str], *row_sets: Iterable[DataQualityRow]
) -> tuple[DataQualityRow, ...]:
    """All rows of the report: every measure for ``ALL`` and for every trust code, sorted.

    A measure missing for a trust (the trust had none) is reported as 0. A measure that only exists on the
    ``ALL`` row (a count of the deaths file, say) is given to trusts as 0 only when some trust has it.
    """
    values: dict[tuple[str, str], int] = {}
    for rows in row_sets:
        for row in rows:
            values[(row.provider_code, row.measure)] = values.get((row.provider_code, row.measure), 0) + row.value
    measures = sorted({measure for _code, measure in values})
    providers = sorted({ALL_PROVIDERS, *trust_codes})
    per_trust_measures = {measure for code, measure in values if code != ALL_PROVIDERS}
    report = []
    for provider in providers:
        for measure in measures:
            if provider != ALL_PROVIDERS and measure not in per_trust_measures:
                continue
            report.append(DataQualityRow(provider, measure, values.get((provider, measure), 0)))
    return tuple(report)


def value_of(rows: Iterable[DataQualityRow], measure: str, provider_code: str = ALL_PROVIDERS) -> int:
    """The value of one measure for one provider (0 when the report has no such row)."""
    return next((r.value for r in rows if r.measure == measure and r.provider_code == provider_code), 0)


def write_quality_report_csv(path: Path, rows: Sequence[DataQualityRow], time_period: str = "") -> None:
    """Write the report as CSV in the layout of shmi.md §16.8 (UTF-8, no byte-order mark, ``\\n`` line ends).

    ``time_period`` is the publication's ``TIME_PERIOD`` label, empty when the report is not for one period.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(QUALITY_REPORT_COLUMNS)
        for row in sorted(rows):
            writer.writerow((time_period, row.provider_code, row.measure, row.value))


#: Measures whose per-trust values a rendering summarises (the full detail is in the CSV).
_DETAILED_PREFIXES = ("CONTRACT_", "EXCL_")
_TRUSTS_SHOWN = 5


def _trust_summary(rows: Sequence[DataQualityRow], measure: str) -> str:
    """``R1A: 3, R1B: 1 (+2 more)``: the trusts with a non-zero value of a contract or exclusion measure."""
    if not measure.startswith(_DETAILED_PREFIXES):
        return ""
    found = [f"{row.provider_code}: {row.value}" for row in rows
             if row.measure == measure and row.provider_code != ALL_PROVIDERS and row.value]
    more = len(found) - _TRUSTS_SHOWN
    return ", ".join(found[:_TRUSTS_SHOWN]) + (f" (+{more} more)" if more > 0 else "")


def _summary_lines(
    rows: Sequence[DataQualityRow], examples: Mapping[str, Sequence[str]]
) -> list[tuple[str, str, str, str]]:
    return [
        (row.measure, str(row.value), _trust_summary(rows, row.measure), ", ".join(examples.get(row.measure, ())))
        for row in rows if row.provider_code == ALL_PROVIDERS
    ]


SUMMARY_HEADINGS = ("MEASURE", "ALL", "BY TRUST (NON-ZERO)", "EXAMPLES")


def format_quality_report_text(
    rows: Sequence[DataQualityRow], examples: Mapping[str, Sequence[str]] | None = None
) -> str:
    """Plain text: one line per measure with its ``ALL`` value, the trusts with a non-zero contract or
    exclusion count, and example codes."""
    lines = _summary_lines(rows, examples or {})
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(SUMMARY_HEADINGS[:2])]
    text = [f"{SUMMARY_HEADINGS[0]:<{widths[0]}}  {SUMMARY_HEADINGS[1]:>{widths[1]}}  "
            f"{SUMMARY_HEADINGS[2]}  |  {SUMMARY_HEADINGS[3]}"]
    for measure, value, trusts, shown in lines:
        detail = "  |  ".join(part for part in (trusts, shown) if part)
        text.append(f"{measure:<{widths[0]}}  {value:>{widths[1]}}  {detail}".rstrip())
    return "\n".join(text) + "\n"


def quality_report_table(
    rows: Sequence[DataQualityRow], examples: Mapping[str, Sequence[str]] | None = None
) -> Table:
    """The same summary as :func:`format_quality_report_text`, as a rich table for a terminal."""
    lines = _summary_lines(rows, examples or {})
    table = Table(title="Data-quality report")
    widest = max((len(line[0]) for line in lines), default=len(SUMMARY_HEADINGS[0]))
    table.add_column(SUMMARY_HEADINGS[0], no_wrap=True, min_width=widest)
    table.add_column(SUMMARY_HEADINGS[1], justify="right", no_wrap=True)
    for heading in SUMMARY_HEADINGS[2:]:
        table.add_column(heading)
    for line in lines:
        table.add_row(*line)
    return table
