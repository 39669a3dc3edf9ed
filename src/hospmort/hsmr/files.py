"""The HSMR files (hsmr.md §10.1-§10.6), written from a publication's stored (unsuppressed) HSMR tables.

Publication files carry disclosed values (shmi.md §15 via :mod:`hospmort.disclosure`): ``CIPS`` and
``OBSERVED`` as counts, ``EXPECTED`` (E2*) as expected deaths, HSMR values and limits never suppressed but
``*`` for an ineligible cell; England rows (``ENG``) are never suppressed. The model, basket and data-quality
files are national or internal and are not suppressed. Format as shmi.md §16: CSV, UTF-8 without byte-order
mark, ``\\n`` line ends, rows sorted by their leading keys (England first).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hospmort.disclosure import (
    NATIONAL_PROVIDER_CODE,
    View,
    is_eligible,
    show_banding,
    show_count,
    show_expected,
    show_percentage,
    show_ratio,
)
from hospmort.publish import INTERNAL, predictor_sort_key, write_csv
from hospmort.rounding import format_fixed

Row = Mapping[str, Any]

#: Decimals of published HSMR values, limits and comparison values (hsmr.md §10).
HSMR_DECIMALS = 2
SHMI_DECIMALS = 4
REBASING_DECIMALS = 6
MODEL_DECIMALS = 4
SHARE_DECIMALS = 6
MEAN_RISK_DECIMALS = 6

TRUST_COLUMNS = ("TIME_PERIOD", "PROVIDER_CODE", "PROVIDER_NAME", "BASKET_ID", "CIPS", "OBSERVED", "EXPECTED",
                 "HSMR_VALUE", "HSMR_BANDING", "HSMR_BANDING_95", "LL_95", "UL_95", "LL_998", "UL_998", "CI_METHOD",
                 "REBASING_FACTOR", "CIPS_UNIQUE", "OBSERVED_UNIQUE")
GROUP_COLUMNS = ("TIME_PERIOD", "PROVIDER_CODE", "PROVIDER_NAME", "BREAKDOWN", "BREAKDOWN_VALUE", "BREAKDOWN_LABEL",
                 "REBASING", "CIPS", "OBSERVED", "EXPECTED", "HSMR_VALUE", "HSMR_BANDING", "HSMR_BANDING_95", "LL_95",
                 "UL_95", "LL_998", "UL_998", "CI_METHOD")
STEP_COLUMNS = ("SHMI_X100_UNROUNDED_E", "I1_IN_HOSPITAL_ONLY", "I2_BASKET_ONLY", "I3_NO_PALLIATIVE",
                "HSMR_UNROUNDED_E", "GAP", "C_POST_DISCHARGE", "C_OUTSIDE_BASKET", "C_PALLIATIVE", "C_OTHER_CASEMIX")
COMPARISON_COLUMNS = ("TIME_PERIOD", "PROVIDER_CODE", "PROVIDER_NAME", "SHMI_VALUE", "SHMI_BANDING", "HSMR_VALUE",
                      "HSMR_BANDING", *STEP_COLUMNS, "PCT_SHMI_DEATHS_OUTSIDE_HOSPITAL", "PCT_SHMI_SPELLS_IN_BASKET",
                      "PCT_HSMR_CIPS_PALLIATIVE")
PREDICT_COLUMNS = ("INDICATOR_CODE", "MODEL", "CCS_CATEGORY", "PREDICTOR", "PARAMETER_ESTIMATE", "STANDARD_ERROR",
                   "WALD_CHI_SQUARE", "WALD_DF", "WALD_P_VALUE")
FIT_COLUMNS = ("MODEL", "CCS_CATEGORY", "CIPS", "DEATHS", "C_STATISTIC", "CONVERGED", "FIT_METHOD", "ITERATIONS",
               "ALIASED_PREDICTORS")
CALIBRATION_COLUMNS = ("MODEL", "CCS_CATEGORY", "DECILE", "CIPS", "OBSERVED", "EXPECTED", "MEAN_RISK")
BASKET_COLUMNS = ("BASKET_ID", "CCS_CATEGORY", "CCS_LABEL", "SOURCE", "NATIONAL_DEATHS", "CUMULATIVE_SHARE", "RANK")
DATA_QUALITY_COLUMNS = ("TIME_PERIOD", "PROVIDER_CODE", "MEASURE", "VALUE")
RESULT_COLUMNS = ("HSMR_VALUE", "HSMR_BANDING", "HSMR_BANDING_95", "LL_95", "UL_95", "LL_998", "UL_998", "CI_METHOD")


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _fixed(value: float | None, decimals: int) -> str:
    return "" if value is None else format_fixed(float(value), decimals)


def _provider_order(code: str) -> tuple[bool, str]:
    """England first, then trusts by code."""
    return (code != NATIONAL_PROVIDER_CODE, code)


def _view(code: str) -> View:
    return View.UNSUPPRESSED if code == NATIONAL_PROVIDER_CODE else View.DISCLOSED


def _value_order(value: str) -> tuple[int, int, str]:
    """Numeric values (categories) numerically, before text values."""
    return (0, int(value), "") if value.isdigit() else (1, 0, value)


def result_fields(row: Row) -> list[str]:
    """``CIPS`` … ``CI_METHOD`` of a trust-level or group-level row, disclosed (England unsuppressed)."""
    code = row["PROVIDER_CODE"]
    view = _view(code)
    eligible = is_eligible(row["CIPS"], row["OBSERVED"], row["EXPECTED_ROUNDED"])
    shown = [show_count(row["CIPS"], view).text, show_count(row["OBSERVED"], view).text,
             show_expected(row["EXPECTED_ROUNDED"], view).text]
    shown.append(show_ratio(row["HSMR_VALUE"], eligible=eligible, decimals=HSMR_DECIMALS).text)
    shown += [show_banding(row[name], eligible=eligible).text for name in ("HSMR_BANDING", "HSMR_BANDING_95")]
    shown += [show_ratio(row[name], eligible=eligible, decimals=HSMR_DECIMALS).text
              for name in ("LL_95", "UL_95", "LL_998", "UL_998")]
    shown.append(_text(row["CI_METHOD"]) if eligible else show_ratio(None, eligible=False).text)
    return shown


def trust_level_rows(rows: Iterable[Row], time_period: str) -> list[list[str]]:
    """Rows of ``HSMR_trust_level`` (§10.1), disclosed."""
    return [[time_period, r["PROVIDER_CODE"], r["PROVIDER_NAME"], r["BASKET_ID"], *result_fields(r),
             _fixed(r["REBASING_FACTOR"], REBASING_DECIMALS), _text(r["CIPS_UNIQUE"]), _text(r["OBSERVED_UNIQUE"])]
            for r in sorted(rows, key=lambda r: _provider_order(r["PROVIDER_CODE"]))]


def group_level_rows(rows: Iterable[Row], time_period: str) -> list[list[str]]:
    """Rows of ``HSMR_group_level`` (§10.2), disclosed."""
    ordered = sorted(rows, key=lambda r: (_provider_order(r["PROVIDER_CODE"]), r["BREAKDOWN"],
                                          _value_order(r["BREAKDOWN_VALUE"])))
    return [[time_period, r["PROVIDER_CODE"], r["PROVIDER_NAME"], r["BREAKDOWN"], r["BREAKDOWN_VALUE"],
             r["BREAKDOWN_LABEL"], r["REBASING"], *result_fields(r)] for r in ordered]


def comparison_rows(rows: Iterable[Row], time_period: str) -> list[list[str]]:
    """Rows of ``HSMR_SHMI_comparison`` (§10.3), disclosed: each indicator's value and banding ``*`` when the
    trust is not eligible for it, the chain ``*`` unless it is eligible for both; England unsuppressed."""
    result = []
    for r in sorted(rows, key=lambda r: _provider_order(r["PROVIDER_CODE"])):
        code = r["PROVIDER_CODE"]
        national = code == NATIONAL_PROVIDER_CODE
        view = _view(code)
        shmi_eligible = r["SHMI_VALUE"] is not None
        hsmr_eligible = r["HSMR_VALUE"] is not None
        both = national or (shmi_eligible and hsmr_eligible)
        result.append([
            time_period, code, r["PROVIDER_NAME"],
            show_ratio(r["SHMI_VALUE"], eligible=shmi_eligible, decimals=SHMI_DECIMALS).text,
            "" if national else show_banding(r["SHMI_BANDING"], eligible=shmi_eligible).text,
            show_ratio(r["HSMR_VALUE"], eligible=hsmr_eligible, decimals=HSMR_DECIMALS).text,
            "" if national else show_banding(r["HSMR_BANDING"], eligible=hsmr_eligible).text,
            *(show_ratio(r[name], eligible=both, decimals=HSMR_DECIMALS).text for name in STEP_COLUMNS),
            show_percentage(r["SHMI_DEATHS_OUTSIDE_HOSPITAL"], r["SHMI_DEATHS"], view).text,
            show_percentage(r["SHMI_SPELLS_IN_BASKET"], r["SHMI_SPELLS"], view).text,
            show_percentage(r["HSMR_CIPS_PALLIATIVE"], r["HSMR_CIPS"], view).text,
        ])
    return result


def model_predict_rows(rows: Iterable[Row]) -> list[list[str]]:
    """Rows of ``HSMR_model_predict_statistics`` (§10.4): numbers to 4 decimals, shmi.md §16.6 row order."""
    ordered = sorted(rows, key=lambda r: (r["MODEL"], r["CCS_CATEGORY"], predictor_sort_key(r["PREDICTOR"])))
    return [[r["INDICATOR_CODE"], r["MODEL"], r["CCS_CATEGORY"], r["PREDICTOR"],
             _fixed(r["PARAMETER_ESTIMATE"], MODEL_DECIMALS), _fixed(r["STANDARD_ERROR"], MODEL_DECIMALS),
             _fixed(r["WALD_CHI_SQUARE"], MODEL_DECIMALS), r["WALD_DF"], _fixed(r["WALD_P_VALUE"], MODEL_DECIMALS)]
            for r in ordered]


def model_fit_rows(rows: Iterable[Row]) -> list[list[str]]:
    """Rows of ``HSMR_model_fit_statistics`` (§10.4): c to 4 decimals."""
    return [[r["MODEL"], r["CCS_CATEGORY"], r["CIPS"], r["DEATHS"], _fixed(r["C_STATISTIC"], MODEL_DECIMALS),
             _text(r["CONVERGED"]), _text(r["FIT_METHOD"]), _text(r["ITERATIONS"]), _text(r["ALIASED_PREDICTORS"])]
            for r in sorted(rows, key=lambda r: (r["MODEL"], r["CCS_CATEGORY"]))]


def calibration_rows(rows: Iterable[Row]) -> list[list[str]]:
    """Rows of ``HSMR_calibration`` (§10.4): deciles 1-10 then ``HL`` per model and category."""
    def order(r: Row) -> tuple[str, int, int]:
        decile = r["DECILE"]
        return (r["MODEL"], r["CCS_CATEGORY"], int(decile) if decile.isdigit() else 99)

    result = []
    for r in sorted(rows, key=order):
        if r["DECILE"].isdigit():
            result.append([r["MODEL"], r["CCS_CATEGORY"], r["DECILE"], _count_text(r["CIPS"]),
                           _count_text(r["OBSERVED"]), _fixed(r["EXPECTED"], MODEL_DECIMALS),
                           _fixed(r["MEAN_RISK"], MEAN_RISK_DECIMALS)])
        else:
            result.append([r["MODEL"], r["CCS_CATEGORY"], r["DECILE"], _count_text(r["CIPS"]),
                           _fixed(r["OBSERVED"], MODEL_DECIMALS), "", ""])
    return result


def _count_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else format_fixed(value, MODEL_DECIMALS)


def basket_file_rows(rows: Iterable[Row]) -> list[list[str]]:
    """Rows of ``HSMR_basket`` (§10.5): by basket, then category numerically, ``TOTAL`` last."""
    ordered = sorted(rows, key=lambda r: (r["BASKET_ID"], _value_order(r["CCS_CATEGORY"])))
    return [[r["BASKET_ID"], r["CCS_CATEGORY"], _text(r["CCS_LABEL"]), r["SOURCE"], _text(r["NATIONAL_DEATHS"]),
             _fixed(r["CUMULATIVE_SHARE"], SHARE_DECIMALS), _text(r["RANK"])] for r in ordered]


def data_quality_rows(rows: Iterable[Row], time_period: str) -> list[list[str]]:
    """Rows of ``internal/HSMR_data_quality`` (§10.6): trusts, then ``ALL``."""
    return [[time_period, r["PROVIDER_CODE"], r["MEASURE"], r["VALUE"]]
            for r in sorted(rows, key=lambda r: (r["PROVIDER_CODE"] == "ALL", r["PROVIDER_CODE"], r["MEASURE"]))]


def write_hsmr_files(folder: Path, time_period: str, tables: Mapping[str, Sequence[Row]]) -> list[Path]:
    """Every HSMR file of one publication (hsmr.md §10.1-§10.6) into ``folder``; returns the paths written."""
    tp = time_period
    written: list[Path] = []

    def emit(name: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        path = folder / name
        write_csv(path, header, rows)
        written.append(path)

    emit(f"HSMR_trust_level_{tp}.csv", TRUST_COLUMNS, trust_level_rows(tables["hsmr_trust"], tp))
    emit(f"HSMR_group_level_{tp}.csv", GROUP_COLUMNS, group_level_rows(tables["hsmr_group"], tp))
    emit(f"HSMR_SHMI_comparison_{tp}.csv", COMPARISON_COLUMNS, comparison_rows(tables["hsmr_comparison"], tp))
    emit(f"HSMR_model_predict_statistics_{tp}.csv", PREDICT_COLUMNS, model_predict_rows(tables["hsmr_model_predict"]))
    emit(f"HSMR_model_fit_statistics_{tp}.csv", FIT_COLUMNS, model_fit_rows(tables["hsmr_model_fit"]))
    emit(f"HSMR_calibration_{tp}.csv", CALIBRATION_COLUMNS, calibration_rows(tables["hsmr_calibration"]))
    emit(f"HSMR_basket_{tp}.csv", BASKET_COLUMNS, basket_file_rows(tables["hsmr_basket"]))
    emit(f"{INTERNAL}/HSMR_data_quality_{tp}.csv", DATA_QUALITY_COLUMNS,
         data_quality_rows(tables["hsmr_data_quality"], tp))
    return written
