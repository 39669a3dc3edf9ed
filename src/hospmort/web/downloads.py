"""Downloads: the data behind every chart and table as CSV, and a publication's official files (shmi.md §16).

The official files are rebuilt from the stored, unsuppressed tables with the writers of :mod:`hospmort.publish`,
so they carry exactly the disclosed values the run wrote (§15). Internal files (§16.8, §17.2) are not offered:
they are for the data controller, not for the public dashboard.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hospmort import publish
from hospmort.web.analysis import DataTable
from hospmort.web.service import (
    SHMI_CONTEXTUAL,
    SHMI_GROUP,
    SHMI_LIMITS,
    SHMI_SITE,
    SHMI_TRUST,
    Dashboard,
    NotFoundError,
    Selection,
)


def table_csv(table: DataTable) -> str:
    """A shown table as CSV text (house format: header row, ``\\n`` line ends; ``*`` suppressed, empty none)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(["" if row.get(name) is None else row.get(name) for name in table.columns])
    return buffer.getvalue()


@dataclass(frozen=True)
class OfficialFile:
    """One publication file: its name and how to build its header and rows from stored tables."""

    name: str
    header: Sequence[str]
    rows: Callable[[], Sequence[Sequence[object]]]


def official_files(dashboard: Dashboard, selection: Selection) -> list[OfficialFile]:
    """The publication files of shmi.md §16.1–16.4, 16.6, 16.7 (and hsmr.md §10.1–10.5 when the publication
    carries the HSMR) for the selected publication, by name."""
    period = selection.period_end
    tp = selection.publication.time_period
    store = dashboard.store

    def rows_of(table: str) -> list[dict[str, Any]]:
        return store.rows(table, period)

    files = [
        OfficialFile(f"SHMI_trust_level_{tp}.csv", publish.TRUST_COLUMNS,
                     lambda: publish.trust_level_rows(rows_of(SHMI_TRUST), tp)),
        OfficialFile(f"SHMI_site_level_{tp}.csv", publish.SITE_COLUMNS,
                     lambda: publish.site_level_rows(rows_of(SHMI_SITE), tp)),
        OfficialFile(f"SHMI_diagnosis_group_breakdown_{tp}.csv", publish.GROUP_COLUMNS,
                     lambda: publish.diagnosis_group_rows(rows_of(SHMI_GROUP), tp)),
        OfficialFile(f"SHMI_model_predict_statistics_{tp}.csv", publish.PREDICT_COLUMNS,
                     lambda: publish.model_predict_rows(rows_of("shmi_model_predict"))),
        OfficialFile(f"SHMI_model_fit_statistics_{tp}.csv", publish.FIT_COLUMNS,
                     lambda: publish.model_fit_rows(rows_of("shmi_model_fit"))),
        OfficialFile(f"SHMI_limits_parameters_{tp}.csv", publish.LIMITS_COLUMNS,
                     lambda: publish.limits_parameter_rows(rows_of(SHMI_LIMITS), tp)),
    ]
    if rows_of("hsmr_trust"):  # the publication carries the HSMR (hsmr.md §10.1-§10.5)
        from hospmort.hsmr import files as hsmr_files

        files += [
            OfficialFile(f"HSMR_trust_level_{tp}.csv", hsmr_files.TRUST_COLUMNS,
                         lambda: hsmr_files.trust_level_rows(rows_of("hsmr_trust"), tp)),
            OfficialFile(f"HSMR_group_level_{tp}.csv", hsmr_files.GROUP_COLUMNS,
                         lambda: hsmr_files.group_level_rows(rows_of("hsmr_group"), tp)),
            OfficialFile(f"HSMR_SHMI_comparison_{tp}.csv", hsmr_files.COMPARISON_COLUMNS,
                         lambda: hsmr_files.comparison_rows(rows_of("hsmr_comparison"), tp)),
            OfficialFile(f"HSMR_model_predict_statistics_{tp}.csv", hsmr_files.PREDICT_COLUMNS,
                         lambda: hsmr_files.model_predict_rows(rows_of("hsmr_model_predict"))),
            OfficialFile(f"HSMR_model_fit_statistics_{tp}.csv", hsmr_files.FIT_COLUMNS,
                         lambda: hsmr_files.model_fit_rows(rows_of("hsmr_model_fit"))),
            OfficialFile(f"HSMR_calibration_{tp}.csv", hsmr_files.CALIBRATION_COLUMNS,
                         lambda: hsmr_files.calibration_rows(rows_of("hsmr_calibration"))),
            OfficialFile(f"HSMR_basket_{tp}.csv", hsmr_files.BASKET_COLUMNS,
                         lambda: hsmr_files.basket_file_rows(rows_of("hsmr_basket"))),
        ]
    keys = sorted({str(r["FILE_KEY"]) for r in rows_of(SHMI_CONTEXTUAL)})
    for key in keys:
        files.append(OfficialFile(
            f"SHMI_contextual_{key}_{tp}.csv", publish.CONTEXTUAL_COLUMNS,
            lambda key=key: publish.contextual_rows(  # type: ignore[misc]
                [r for r in rows_of(SHMI_CONTEXTUAL) if r["FILE_KEY"] == key], tp)))
    return sorted(files, key=lambda f: f.name)


def official_file_csv(dashboard: Dashboard, selection: Selection, name: str) -> str:
    """The CSV text of the official file ``name`` of the selected publication (kept until the store changes)."""
    return dashboard.store.memo(("official_file", selection.period_end, name),
                                lambda: _official_file_csv(dashboard, selection, name))


def _official_file_csv(dashboard: Dashboard, selection: Selection, name: str) -> str:
    found = next((f for f in official_files(dashboard, selection) if f.name == name), None)
    if found is None:
        raise NotFoundError(f"no file {name!r} in the publication for {selection.period_end}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(found.header)
    writer.writerows(found.rows())
    return buffer.getvalue()
