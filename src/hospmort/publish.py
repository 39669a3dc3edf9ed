"""The official SHMI file layouts (shmi.md §16), written from a publication's stored (unsuppressed) tables.

Publication files carry disclosed values (§15, :mod:`hospmort.disclosure`); internal files are unsuppressed.
Every file is CSV, UTF-8 without byte-order mark, ``\\n`` line ends, rows sorted by their leading key columns.
Files are written into a staging folder first and moved into place only when every file of the run is
written (:func:`commit_staged_files`), so that a failed run leaves the previous files untouched.
"""

from __future__ import annotations

import csv
import logging
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hospmort import refdata
from hospmort.disclosure import (
    NATIONAL_PROVIDER_CODE,
    ShownValue,
    View,
    is_eligible,
    show_banding,
    show_count,
    show_expected,
    show_mean,
    show_percentage,
    show_ratio,
)
from hospmort.rounding import format_fixed, format_significant

log = logging.getLogger(__name__)

Row = Mapping[str, Any]
INDICATOR_CODE = "I00699"
INTERNAL = "internal"

TRUST_COLUMNS = ("TIME_PERIOD", "PROVIDER_CODE", "PROVIDER_NAME", "SHMI_VALUE", "SHMI_BANDING", "SPELLS",
                 "OBSERVED", "EXPECTED", "PO_LL", "PO_UL", "OD_LL", "OD_UL", "OD_LL_998", "OD_UL_998",
                 "PO_LL_95", "PO_UL_95")
SITE_COLUMNS = ("TIME_PERIOD", "PROVIDER_CODE", "PROVIDER_NAME", "SITE_CODE", "SITE_NAME", "SITE_TYPE",
                *TRUST_COLUMNS[3:])
GROUP_COLUMNS = ("TIME_PERIOD", "PROVIDER_CODE", "PROVIDER_NAME", "DIAGNOSIS_GROUP", "DIAGNOSIS_GROUP_DESCRIPTION",
                 "SPELLS", "OBSERVED", "EXPECTED", "SHMI_VALUE", "SHMI_BANDING", "PO_LL", "PO_UL", "OD_LL",
                 "OD_UL")
CONTEXTUAL_COLUMNS = ("TIME_PERIOD", "PROVIDER_CODE", "PROVIDER_NAME", "MEASURE", "CATEGORY", "NUMERATOR",
                      "DENOMINATOR", "VALUE")
PREDICT_COLUMNS = ("INDICATOR_CODE", "DIAGNOSIS_GROUP", "PREDICTOR", "PARAMETER_ESTIMATE", "STANDARD_ERROR",
                   "WALD_CHI_SQUARE", "WALD_DF", "WALD_P_VALUE")
FIT_COLUMNS = ("DIAGNOSIS_GROUP", "SPELLS", "DEATHS", "C_STATISTIC", "CONVERGED", "FIT_METHOD", "ITERATIONS",
               "ALIASED_PREDICTORS")
LIMITS_COLUMNS = ("TIME_PERIOD", "BREAKDOWN", "DIAGNOSIS_GROUP", "UNITS_ELIGIBLE", "UNITS_KEPT", "PHI", "TAU2")
DATA_QUALITY_COLUMNS = ("TIME_PERIOD", "PROVIDER_CODE", "MEASURE", "VALUE")
QUALITY_CHECK_COLUMNS = ("TIME_PERIOD", "CHECK", "SEVERITY", "PROVIDER_CODE", "DIAGNOSIS_GROUP", "VALUE",
                         "THRESHOLD")
#: Contextual indicators whose VALUE is a mean rather than a percentage (shmi.md §14).
MEAN_MEASURES = frozenset({"MEAN_SECONDARY_DIAGNOSES"})


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """One CSV file in the house format: UTF-8 without BOM, comma, header row, ``\\n`` line ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _fixed(value: float | None, decimals: int) -> str:
    return "" if value is None else format_fixed(float(value), decimals)


def _sig(value: float | None, digits: int) -> str:
    return "" if value is None else format_significant(float(value), digits)


def _ratio_fields(row: Row, eligible: bool, names: Sequence[str]) -> list[str]:
    return [show_ratio(row.get(name), eligible=eligible).text for name in names]


def trust_level_rows(rows: Iterable[Row], time_period: str) -> list[list[str]]:
    """Rows of ``SHMI_trust_level`` (§16.1), disclosed."""
    result = []
    for row in sorted(rows, key=lambda r: r["PROVIDER_CODE"]):
        eligible = is_eligible(row["SPELLS"], row["OBSERVED"], row["EXPECTED_ROUNDED"])
        result.append([
            time_period, row["PROVIDER_CODE"], row["PROVIDER_NAME"],
            show_ratio(row["SHMI_VALUE"], eligible=eligible).text,
            show_banding(row["SHMI_BANDING"], eligible=eligible).text,
            show_count(row["SPELLS"]).text, show_count(row["OBSERVED"]).text,
            show_expected(row["EXPECTED_ROUNDED"]).text,
            *_ratio_fields(row, eligible, TRUST_COLUMNS[8:]),
        ])
    return result


def site_level_rows(rows: Iterable[Row], time_period: str) -> list[list[str]]:
    """Rows of ``SHMI_site_level`` (§16.2), disclosed."""
    result = []
    for row in sorted(rows, key=lambda r: (r["PROVIDER_CODE"], r["SITE_CODE"])):
        eligible = is_eligible(row["SPELLS"], row["OBSERVED"], row["EXPECTED_ROUNDED"])
        result.append([
            time_period, row["PROVIDER_CODE"], row["PROVIDER_NAME"], row["SITE_CODE"], row["SITE_NAME"],
            row["SITE_TYPE"],
            show_ratio(row["SHMI_VALUE"], eligible=eligible).text,
            show_banding(row["SHMI_BANDING"], eligible=eligible).text,
            show_count(row["SPELLS"]).text, show_count(row["OBSERVED"]).text,
            show_expected(row["EXPECTED_ROUNDED"]).text,
            *_ratio_fields(row, eligible, TRUST_COLUMNS[8:]),
        ])
    return result


def diagnosis_group_rows(rows: Iterable[Row], time_period: str) -> list[list[str]]:
    """Rows of ``SHMI_diagnosis_group_breakdown`` (§16.3), disclosed; ratios only for the banded groups."""
    result = []
    for row in sorted(rows, key=lambda r: (r["PROVIDER_CODE"], r["DIAGNOSIS_GROUP"])):
        banded = row["DIAGNOSIS_GROUP"] in refdata.BANDED_DIAGNOSIS_GROUPS
        eligible = is_eligible(row["SPELLS"], row["OBSERVED"], row["EXPECTED_ROUNDED"]) or not banded
        ratios = ([show_ratio(row["SHMI_VALUE"], eligible=eligible).text,
                   show_banding(row["SHMI_BANDING"], eligible=eligible).text,
                   *_ratio_fields(row, eligible, ("PO_LL", "PO_UL", "OD_LL", "OD_UL"))]
                  if banded else [""] * 6)
        result.append([
            time_period, row["PROVIDER_CODE"], row["PROVIDER_NAME"], row["DIAGNOSIS_GROUP"],
            row["DIAGNOSIS_GROUP_DESCRIPTION"], show_count(row["SPELLS"]).text, show_count(row["OBSERVED"]).text,
            show_expected(row["EXPECTED_ROUNDED"]).text, *ratios,
        ])
    return result


def contextual_rows(rows: Iterable[Row], time_period: str) -> list[list[str]]:
    """Rows of one ``SHMI_contextual_<key>`` file (§16.4): trusts disclosed, England unrounded (1 decimal)."""
    result = []
    for row in sorted(rows, key=lambda r: (r["PROVIDER_CODE"] != NATIONAL_PROVIDER_CODE, r["PROVIDER_CODE"],
                                           r["MEASURE"], r["CATEGORY"])):
        national = row["PROVIDER_CODE"] == NATIONAL_PROVIDER_CODE
        view = View.UNSUPPRESSED if national else View.DISCLOSED
        show: Callable[[int, int, View], ShownValue] = (
            show_mean if row["MEASURE"] in MEAN_MEASURES else show_percentage)
        result.append([
            time_period, row["PROVIDER_CODE"], row["PROVIDER_NAME"], row["MEASURE"], row["CATEGORY"],
            show_count(row["NUMERATOR"], view).text, show_count(row["DENOMINATOR"], view).text,
            show(row["NUMERATOR"], row["DENOMINATOR"], view).text,
        ])
    return result



def predictor_sort_key(predictor: str) -> tuple[str, int]:
    """§16.6 order: variable name case-insensitively, then level numerically."""
    if predictor == "Intercept":
        return ("intercept", -1)
    variable, _, level = predictor.rpartition("_")
    return (variable.lower(), int(level))


def model_predict_rows(rows: Iterable[Row]) -> list[list[str]]:
    """Rows of ``SHMI_model_predict_statistics`` (§16.6): the published layout, numbers to 4 decimals."""
    ordered = sorted(rows, key=lambda r: (r["DIAGNOSIS_GROUP"], predictor_sort_key(r["PREDICTOR"])))
    return [[INDICATOR_CODE, r["DIAGNOSIS_GROUP"], r["PREDICTOR"], _fixed(r["PARAMETER_ESTIMATE"], 4),
             _fixed(r["STANDARD_ERROR"], 4), _fixed(r["WALD_CHI_SQUARE"], 4), r["WALD_DF"],
             _fixed(r["WALD_P_VALUE"], 4)] for r in ordered]


def model_fit_rows(rows: Iterable[Row]) -> list[list[str]]:
    """Rows of ``SHMI_model_fit_statistics`` (§16.6): one per group 1-144, c to 4 decimals."""
    return [[r["DIAGNOSIS_GROUP"], r["SPELLS"], r["DEATHS"], _fixed(r["C_STATISTIC"], 4), _text(r["CONVERGED"]),
             _text(r["FIT_METHOD"]), _text(r["ITERATIONS"]), _text(r["ALIASED_PREDICTORS"])]
            for r in sorted(rows, key=lambda r: r["DIAGNOSIS_GROUP"])]


def limits_parameter_rows(rows: Iterable[Row], time_period: str) -> list[list[str]]:
    """Rows of ``SHMI_limits_parameters`` (§16.7): PHI and TAU2 to 10 significant digits."""
    order = {"TRUST": 0, "SITE": 1, "DIAGNOSIS_GROUP": 2}
    return [[time_period, r["BREAKDOWN"], _text(r["DIAGNOSIS_GROUP"]), r["UNITS_ELIGIBLE"], r["UNITS_KEPT"],
             _sig(r["PHI"], 10), _sig(r["TAU2"], 10)]
            for r in sorted(rows, key=lambda r: (order[r["BREAKDOWN"]], r["DIAGNOSIS_GROUP"] or 0))]


def data_quality_rows(rows: Iterable[Row], time_period: str) -> list[list[str]]:
    """Rows of ``internal/SHMI_data_quality`` (§16.8): trusts, then the ALL totals row."""
    return [[time_period, r["PROVIDER_CODE"], r["MEASURE"], r["VALUE"]]
            for r in sorted(rows, key=lambda r: (r["PROVIDER_CODE"] == "ALL", r["PROVIDER_CODE"], r["MEASURE"]))]


def quality_check_rows(rows: Iterable[Row], time_period: str) -> list[list[str]]:
    """Rows of ``internal/SHMI_quality_check`` (§17.2): VALUE to 6 significant digits."""
    ordered = sorted(rows, key=lambda r: (r["CHECK"], _text(r["PROVIDER_CODE"]), r["DIAGNOSIS_GROUP"] or 0))
    return [[time_period, r["CHECK"], r["SEVERITY"], _text(r["PROVIDER_CODE"]), _text(r["DIAGNOSIS_GROUP"]),
             _sig(r["VALUE"], 6), _sig(r["THRESHOLD"], 6)] for r in ordered]


def write_shmi_files(folder: Path, time_period: str, tables: Mapping[str, Sequence[Row]]) -> list[Path]:
    """Every file of one SHMI publication (§16.1-16.4, 16.6-16.8, the §17.2 report) into ``folder``."""
    tp = time_period
    written: list[Path] = []

    def emit(name: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        path = folder / name
        write_csv(path, header, rows)
        written.append(path)

    emit(f"SHMI_trust_level_{tp}.csv", TRUST_COLUMNS, trust_level_rows(tables["shmi_trust"], tp))
    emit(f"SHMI_site_level_{tp}.csv", SITE_COLUMNS, site_level_rows(tables["shmi_site"], tp))
    emit(f"SHMI_diagnosis_group_breakdown_{tp}.csv", GROUP_COLUMNS,
         diagnosis_group_rows(tables["shmi_diagnosis_group"], tp))
    by_key: dict[str, list[Row]] = {}
    for row in tables["shmi_contextual"]:
        by_key.setdefault(row["FILE_KEY"], []).append(row)
    for key in sorted(by_key):
        emit(f"SHMI_contextual_{key}_{tp}.csv", CONTEXTUAL_COLUMNS, contextual_rows(by_key[key], tp))
    emit(f"SHMI_model_predict_statistics_{tp}.csv", PREDICT_COLUMNS, model_predict_rows(tables["shmi_model_predict"]))
    emit(f"SHMI_model_fit_statistics_{tp}.csv", FIT_COLUMNS, model_fit_rows(tables["shmi_model_fit"]))
    emit(f"SHMI_limits_parameters_{tp}.csv", LIMITS_COLUMNS,
         limits_parameter_rows(tables["shmi_limits_parameters"], tp))
    emit(f"{INTERNAL}/SHMI_data_quality_{tp}.csv", DATA_QUALITY_COLUMNS, data_quality_rows(tables["data_quality"], tp))
    emit(f"{INTERNAL}/SHMI_quality_check_{tp}.csv", QUALITY_CHECK_COLUMNS,
         quality_check_rows(tables["quality_check"], tp))
    return written


def write_historical_file(folder: Path, last_time_period: str,
                          publications: Sequence[tuple[str, str, Sequence[Row]]]) -> Path:
    """``SHMI_historical_trust_level`` (§16.5): the trust rows of every publication of a history run.

    ``publications`` holds (period end YYYY-MM, TIME_PERIOD, trust rows); rows are sorted by period end, then
    ``PROVIDER_CODE``.
    """
    rows: list[list[str]] = []
    for _period_end, time_period, trust_rows in sorted(publications, key=lambda p: p[0]):
        rows.extend(trust_level_rows(trust_rows, time_period))
    path = folder / f"SHMI_historical_trust_level_{last_time_period}.csv"
    write_csv(path, TRUST_COLUMNS, rows)
    return path


def commit_staged_files(staging: Path, destination: Path) -> list[Path]:
    """Move every file of ``staging`` into ``destination`` (same relative path), replacing older copies.

    Each file is replaced by a rename, so a reader never sees half a file; the staging folder is removed.
    """
    moved = []
    for source in sorted(p for p in staging.rglob("*") if p.is_file()):
        target = destination / source.relative_to(staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        source.replace(target)
        moved.append(target)
    shutil.rmtree(staging, ignore_errors=True)
    return moved
