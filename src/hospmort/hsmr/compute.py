"""One HSMR publication from the record-level tables: basket, models, expected deaths, breakdowns, the SHMI
comparison, and the tables to store (hsmr.md §2-§10).

The record-level work stays in the engine (``hsmr_cohort`` and ``hsmr_records``, :mod:`hospmort.hsmr.cohort`);
only covariate cells and integer counts per (unit, cell) come out, and expected deaths are summed with
``math.fsum`` (shmi.md §2.2). The result is the publication's HSMR tables as rows keyed by the results-store
column names (:mod:`hospmort.store.tables`), unsuppressed: the store keeps them as they are and
:mod:`hospmort.hsmr.files` writes the disclosed files from them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from hospmort.config import Month, Windows
from hospmort.disclosure import NATIONAL_PROVIDER_CODE
from hospmort.hes.organisations import Organisation
from hospmort.hes.quality import DataQualityRow, assemble_quality_report, rows_from_counts
from hospmort.hsmr.basket import (
    Basket,
    category_labels,
    choose_baskets,
    modelled_categories,
    read_basket_file,
)
from hospmort.hsmr.casemix import (
    COVARIATE_NAMES,
    ELECTIVE_LEVEL,
    EMERGENCY_LEVEL,
    hsmr_category_sql,
    hsmr_covariates,
)
from hospmort.hsmr.cohort import (
    CIPS_BUILT,
    HSMR_COHORT,
    HSMR_RECORDS,
    WEEKEND_ADMISSION,
    build_hsmr_cohort,
)
from hospmort.hsmr.compare import (
    Comparison,
    ComparisonRow,
    HsmrTrustSums,
    ShmiCategorySums,
    compare_shmi_and_hsmr,
)
from hospmort.hsmr.indicator import (
    HsmrFigures,
    Rebasing,
    RecordSums,
    compute_basket,
    compute_hsmr,
    rebasing_factor,
    sum_by_unit,
)
from hospmort.hsmr.windows import Coverage, check_hsmr_coverage
from hospmort.limits import round_expected
from hospmort.riskmodel import Cells, GroupModel, aggregate_cells, calibration_by_decile, fit_group_model
from hospmort.schema import (
    ADMISSION_METHOD,
    ALL_PROVIDERS,
    DIED_IN_HOSPITAL,
    HSMR_CATEGORY,
    IN_REPORTING_PERIOD,
    IN_SCOPE,
    PALLIATIVE,
    OrgType,
)
from hospmort.shmi.casemix import LOOKUP_TABLE
from hospmort.shmi.cohort import LEVEL_COLUMNS as SHMI_LEVEL_COLUMNS
from hospmort.shmi.cohort import SHMI_COHORT
from hospmort.shmi.compute import CELL_RISK_TABLE as SHMI_CELL_RISK_TABLE
from hospmort.shmi.compute import ShmiComputation
from hospmort.spells import CIPS_BUILT as SPELLS_CIPS_BUILT
from hospmort.spells import SPELLS_BUILT

log = logging.getLogger(__name__)

Row = dict[str, Any]
HSMR_CELL_RISK = "hsmr_cell_risk"
RISK = "RISK"
RISK_NO_PALLIATIVE = "RISK_NO_PALLIATIVE"
NATIONAL_NAME = "ENGLAND"
INDICATOR_CODE = "HSMR"
LOOKBACK_MONTHS_MISSING = "LOOKBACK_MONTHS_MISSING"
#: Level of ``PALLIATIVE`` for a CIPS with the palliative flag (hsmr.md §6.1).
PALLIATIVE_LEVEL = 2
#: Deciles written as text in the calibration table; the Hosmer-Lemeshow row (statistics.md §5.2, hsmr.md §10.4).
HOSMER_LEMESHOW_ROW = "HL"


class ModelKind(StrEnum):
    """``MODEL`` of the model files (hsmr.md §6.2): the full model, or the companion without ``PALLIATIVE``."""

    FULL = "FULL"
    NO_PALLIATIVE = "NO_PALLIATIVE"


class BreakdownKind(StrEnum):
    """``BREAKDOWN`` of the group-level file (hsmr.md §8)."""

    BASKET = "BASKET"
    CCS_CATEGORY = "CCS_CATEGORY"
    ADMISSION_TYPE = "ADMISSION_TYPE"
    EMERGENCY_DAY = "EMERGENCY_DAY"


#: (BREAKDOWN_VALUE, BREAKDOWN_LABEL) of the OVERALL-re-based breakdowns (hsmr.md §8, §10.2).
ELECTIVE = ("ELECTIVE", "Elective")
NON_ELECTIVE = ("NON_ELECTIVE", "Non-elective")
WEEKDAY = ("WEEKDAY", "Weekday emergency")
WEEKEND = ("WEEKEND", "Weekend emergency")


@dataclass(frozen=True)
class HsmrInputs:
    """What every HSMR publication of a run shares: the organisations, the trust codes met in the input, the
    data-quality rows of provider spells and CIPS, the months with provider spells, and the basket file."""

    organisations: Sequence[Organisation]
    trust_codes: Sequence[str]
    spell_rows: Sequence[DataQualityRow]
    cips_rows: Sequence[DataQualityRow]
    months_present: frozenset[Month]
    basket_file: Path | None = None


@dataclass(frozen=True)
class HsmrComputation:
    """What one publication computed: the store tables (rows), the baskets, the models, the coverage."""

    tables: dict[str, list[Row]]
    baskets: tuple[Basket, ...]
    models: dict[tuple[ModelKind, int], GroupModel]
    coverage: Coverage
    rebasing_factor: float
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def main_basket(self) -> Basket:
        return self.baskets[0]

    @property
    def modelled_categories(self) -> tuple[int, ...]:
        return modelled_categories(self.baskets)


# --- models (hsmr.md §5.2, §6) -----------------------------------------------------------------------------


def deaths_by_category(con: duckdb.DuckDBPyConnection) -> dict[int, int]:
    """D_c: in-hospital deaths of in-scope modelling-window CIPS per category, 999 included (hsmr.md §5.2)."""
    rows = con.execute(
        f"SELECT {HSMR_CATEGORY}, sum({DIED_IN_HOSPITAL}) FROM {HSMR_COHORT} WHERE {IN_SCOPE} = 1 "
        f"GROUP BY {HSMR_CATEGORY}").fetchall()
    return {int(category): int(deaths or 0) for category, deaths in rows}


def category_model_cells(con: duckdb.DuckDBPyConnection, categories: Sequence[int]) -> dict[int, Cells]:
    """Modelling-window cells of each category over the covariates of §6.1 (one row per CIPS, §6.2)."""
    if not categories:
        return {}
    levels = ", ".join(COVARIATE_NAMES)
    table = con.sql(f"""
        SELECT {HSMR_CATEGORY}, {levels}, count(*) AS N, sum({DIED_IN_HOSPITAL}) AS D
        FROM {HSMR_COHORT}
        WHERE {IN_SCOPE} = 1 AND {HSMR_CATEGORY} IN ({', '.join(str(c) for c in categories)})
        GROUP BY {HSMR_CATEGORY}, {levels}
    """).to_arrow_table()
    category_array = table.column(HSMR_CATEGORY).to_numpy().astype(np.int64)
    level_array = np.column_stack([table.column(name).to_numpy().astype(np.int64) for name in COVARIATE_NAMES]
                                  ) if table.num_rows else np.zeros((0, len(COVARIATE_NAMES)), dtype=np.int64)
    spells = table.column("N").to_numpy().astype(np.int64)
    deaths = table.column("D").to_numpy().astype(np.int64)
    return {int(c): aggregate_cells(level_array[category_array == c], spells[category_array == c],
                                    deaths[category_array == c], covariate_count=len(COVARIATE_NAMES))
            for c in np.unique(category_array).tolist()}


def _without_palliative(levels: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    keep = [i for i, name in enumerate(COVARIATE_NAMES) if name != PALLIATIVE]
    return levels[:, keep]


def empty_cells(covariate_count: int) -> Cells:
    return aggregate_cells(np.zeros((0, covariate_count), dtype=np.int64), [], [], covariate_count=covariate_count)


def fit_hsmr_models(cells: Mapping[int, Cells], modelled: Sequence[int], main: Sequence[int]
                    ) -> tuple[dict[tuple[ModelKind, int], GroupModel], dict[tuple[ModelKind, int], Cells]]:
    """One FULL model per modelled category and one NO_PALLIATIVE model per main-basket category (hsmr.md
    §6.2), with the cells each was fitted on. A category without CIPS gets a model with ``FIT_METHOD`` none."""
    full_covariates = hsmr_covariates()
    companion_covariates = hsmr_covariates(with_palliative=False)
    models: dict[tuple[ModelKind, int], GroupModel] = {}
    fitted_on: dict[tuple[ModelKind, int], Cells] = {}
    for category in modelled:
        full_cells = cells.get(category, empty_cells(len(full_covariates)))
        models[(ModelKind.FULL, category)] = fit_group_model(category, full_covariates, full_cells)
        fitted_on[(ModelKind.FULL, category)] = full_cells
        if category in main:
            companion_cells = aggregate_cells(_without_palliative(full_cells.levels), full_cells.spells,
                                              full_cells.deaths, covariate_count=len(companion_covariates))
            models[(ModelKind.NO_PALLIATIVE, category)] = fit_group_model(category, companion_covariates,
                                                                         companion_cells)
            fitted_on[(ModelKind.NO_PALLIATIVE, category)] = companion_cells
    return models, fitted_on


def register_cell_risks(con: duckdb.DuckDBPyConnection, cells: Mapping[int, Cells],
                        models: Mapping[tuple[ModelKind, int], GroupModel], modelled: Sequence[int]) -> None:
    """Table ``hsmr_cell_risk``: per modelling-window cell of a modelled category, the full model's risk p and,
    in a main-basket category, the companion model's p_np (NULL elsewhere) (hsmr.md §6.3)."""
    categories, levels, risks, companion = [], [], [], []
    for category in modelled:
        category_cells = cells.get(category)
        if category_cells is None or category_cells.cell_count == 0:
            continue
        categories.append(np.full(category_cells.cell_count, category, dtype=np.int64))
        levels.append(category_cells.levels)
        risks.append(models[(ModelKind.FULL, category)].predict(category_cells.levels))
        no_palliative = models.get((ModelKind.NO_PALLIATIVE, category))
        companion.append(no_palliative.predict(_without_palliative(category_cells.levels))
                         if no_palliative is not None else np.full(category_cells.cell_count, np.nan))
    all_levels = np.vstack(levels) if levels else np.zeros((0, len(COVARIATE_NAMES)), dtype=np.int64)
    companion_all = np.concatenate(companion) if companion else np.zeros(0)
    table = pa.table({
        HSMR_CATEGORY: np.concatenate(categories) if categories else np.zeros(0, dtype=np.int64),
        **{name: all_levels[:, i] for i, name in enumerate(COVARIATE_NAMES)},
        RISK: np.concatenate(risks) if risks else np.zeros(0),
        RISK_NO_PALLIATIVE: pa.array(companion_all, mask=np.isnan(companion_all)),
    })
    con.register("_hsmr_cell_risk_arrow", table)
    con.execute(f"CREATE OR REPLACE TABLE {HSMR_CELL_RISK} AS SELECT * FROM _hsmr_cell_risk_arrow")
    con.unregister("_hsmr_cell_risk_arrow")


# --- counts per (trust, cell) of the reporting period (hsmr.md §7.1) ---------------------------------------


@dataclass(frozen=True, eq=False)
class ReportingCells:
    """Reporting-period record counts per (trust, category, cell, weekend admission) with the cell's risks."""

    trust: list[str]
    category: npt.NDArray[np.int64]
    levels: npt.NDArray[np.int64]
    weekend: npt.NDArray[np.int64]
    records: npt.NDArray[np.int64]
    deaths: npt.NDArray[np.int64]
    risk: npt.NDArray[np.float64]
    risk_no_palliative: npt.NDArray[np.float64]

    def level(self, name: str) -> npt.NDArray[np.int64]:
        return self.levels[:, COVARIATE_NAMES.index(name)]

    def select(self, mask: npt.NDArray[np.bool_]) -> ReportingCells:
        chosen = np.flatnonzero(mask)
        return ReportingCells([self.trust[i] for i in chosen.tolist()], self.category[chosen], self.levels[chosen],
                              self.weekend[chosen], self.records[chosen], self.deaths[chosen], self.risk[chosen],
                              self.risk_no_palliative[chosen])


def reporting_cells(con: duckdb.DuckDBPyConnection) -> ReportingCells:
    """Integer counts of the reporting-period records of modelled categories per (trust, category, cell,
    weekend admission), joined to the cell's risks."""
    levels = ", ".join(COVARIATE_NAMES)
    table = con.sql(f"""
        SELECT r.PROCODE3, r.{HSMR_CATEGORY}, {', '.join(f'r.{n}' for n in COVARIATE_NAMES)}, r.{WEEKEND_ADMISSION},
               k.{RISK}, k.{RISK_NO_PALLIATIVE}, count(*) AS N, sum(r.{DIED_IN_HOSPITAL}) AS D
        FROM {HSMR_RECORDS} r
        JOIN {HSMR_CELL_RISK} k USING ({HSMR_CATEGORY}, {levels})
        GROUP BY ALL
    """).to_arrow_table()
    level_array = (np.column_stack([table.column(n).to_numpy().astype(np.int64) for n in COVARIATE_NAMES])
                   if table.num_rows else np.zeros((0, len(COVARIATE_NAMES)), dtype=np.int64))
    return ReportingCells(
        trust=[str(code) for code in table.column("PROCODE3").to_pylist()],
        category=table.column(HSMR_CATEGORY).to_numpy().astype(np.int64),
        levels=level_array,
        weekend=table.column(WEEKEND_ADMISSION).to_numpy().astype(np.int64),
        records=table.column("N").to_numpy().astype(np.int64),
        deaths=table.column("D").to_numpy().astype(np.int64),
        risk=table.column(RISK).to_numpy().astype(np.float64),
        risk_no_palliative=table.column(RISK_NO_PALLIATIVE).fill_null(np.nan).to_numpy().astype(np.float64),
    )


# --- SHMI spells per HSMR category (hsmr.md §9.1) ------------------------------------------------------------


def shmi_category_sums(con: duckdb.DuckDBPyConnection) -> dict[str, dict[int, ShmiCategorySums]]:
    """Per trust and HSMR category (§5.1 on the spell's primary diagnosis), the in-scope reporting-period SHMI
    spells, Σ DIED, Σ DIED_IN_HOSPITAL and Σ p^S, from ``shmi_cohort`` and ``shmi_cell_risk``."""
    levels = ", ".join(f"c.{name}" for name in ("DIAGNOSIS_GROUP", *SHMI_LEVEL_COLUMNS))
    join = " AND ".join(f"r.{name} = c.{name}" for name in ("DIAGNOSIS_GROUP", *SHMI_LEVEL_COLUMNS))
    table = con.sql(f"""
        SELECT c.PROCODE3, {hsmr_category_sql('c.DIAGNOSIS_CODE', 'lk.ccs_category')} AS CATEGORY, r.RISK,
               count(*) AS N, sum(c.DIED) AS D, sum(c.DIED_IN_HOSPITAL) AS DH
        FROM {SHMI_COHORT} c
        JOIN {SHMI_CELL_RISK_TABLE} r ON {join}
        LEFT JOIN {LOOKUP_TABLE} lk ON lk.icd10_code = c.DIAGNOSIS_CODE
        WHERE c.IN_SCOPE = 1 AND c.IN_REPORTING_PERIOD = 1
        GROUP BY c.PROCODE3, CATEGORY, {levels}, r.RISK
    """).to_arrow_table()
    trusts = [str(code) for code in table.column("PROCODE3").to_pylist()]
    categories = table.column("CATEGORY").to_numpy().astype(np.int64).tolist()
    keys = list(zip(trusts, categories, strict=True))
    records = table.column("N").to_numpy()
    sums = sum_by_unit(keys, records, table.column("D").to_numpy(), table.column("RISK").to_numpy())
    in_hospital = sum_by_unit(keys, records, table.column("DH").to_numpy(), np.zeros(table.num_rows))
    result: dict[str, dict[int, ShmiCategorySums]] = {}
    for (trust, category), unit in sorted(sums.items()):
        result.setdefault(trust, {})[category] = ShmiCategorySums(
            unit.records, unit.observed, in_hospital[(trust, category)].observed, unit.expected)
    return result


# --- rows of the store tables (hsmr.md §10) ----------------------------------------------------------------


def _figures_fields(figures: HsmrFigures) -> Row:
    return {
        "CIPS": figures.records, "OBSERVED": figures.observed, "EXPECTED_RAW": figures.expected,
        "EXPECTED": figures.expected_rebased, "EXPECTED_ROUNDED": figures.expected_rounded,
        "REBASING_FACTOR": figures.rebasing_factor, "HSMR_VALUE": figures.value,
        "HSMR_BANDING": figures.banding, "HSMR_BANDING_95": figures.banding_95,
        "LL_95": figures.ll_95, "UL_95": figures.ul_95, "LL_998": figures.ll_998, "UL_998": figures.ul_998,
        "CI_METHOD": figures.ci_method.value if figures.ci_method else None,
    }


def _england_figures(sums: RecordSums, factor: float, *, with_limits: bool) -> HsmrFigures:
    """England's row: the value always (it is 100 by construction where re-based within the cell); limits and
    banding only where England's value is itself a finding (the OVERALL breakdowns, hsmr.md §8)."""
    figures = compute_hsmr(sums, factor)
    return figures if with_limits else _without_limits(figures)


@dataclass(frozen=True)
class ProviderNames:
    """Names and regions of the trusts of the organisation table, ``ENGLAND`` for ``ENG``."""

    organisations: Mapping[str, Organisation]

    def name(self, code: str) -> str:
        if code == NATIONAL_PROVIDER_CODE:
            return NATIONAL_NAME
        organisation = self.organisations.get(code)
        return organisation.org_name if organisation and organisation.org_name else code

    def region(self, code: str) -> tuple[str | None, str | None]:
        organisation = self.organisations.get(code)
        if organisation is None:
            return None, None
        return organisation.region_code or None, organisation.region_name or None


def trust_level_rows(trust_sums: Mapping[str, RecordSums], national: RecordSums, factor: float,
                     unique: tuple[int, int], names: ProviderNames, basket_id: str) -> list[Row]:
    """Rows of ``HSMR_trust_level`` (hsmr.md §10.1), unsuppressed, England (``ENG``) last."""
    rows = []
    for code, sums in sorted(trust_sums.items()):
        region_code, region_name = names.region(code)
        rows.append({"PROVIDER_CODE": code, "PROVIDER_NAME": names.name(code), "REGION_CODE": region_code,
                     "REGION_NAME": region_name, "BASKET_ID": basket_id,
                     **_figures_fields(compute_hsmr(sums, factor)), "CIPS_UNIQUE": None, "OBSERVED_UNIQUE": None})
    rows.append({"PROVIDER_CODE": NATIONAL_PROVIDER_CODE, "PROVIDER_NAME": NATIONAL_NAME, "REGION_CODE": None,
                 "REGION_NAME": None, "BASKET_ID": basket_id,
                 **_figures_fields(_england_figures(national, factor, with_limits=False)),
                 "CIPS_UNIQUE": unique[0], "OBSERVED_UNIQUE": unique[1]})
    return rows


def _group_row(code: str, names: ProviderNames, kind: BreakdownKind, value: str, label: str, rebasing: Rebasing,
               figures: HsmrFigures) -> Row:
    return {"PROVIDER_CODE": code, "PROVIDER_NAME": names.name(code), "BREAKDOWN": kind.value,
            "BREAKDOWN_VALUE": value, "BREAKDOWN_LABEL": label, "REBASING": rebasing.value,
            **_figures_fields(figures)}


def _cell_rows(kind: BreakdownKind, value: str, label: str, rebasing: Rebasing, trust_sums: Mapping[str, RecordSums],
               national: RecordSums, factor: float, names: ProviderNames) -> list[Row]:
    rows = [_group_row(code, names, kind, value, label, rebasing, compute_hsmr(sums, factor))
            for code, sums in sorted(trust_sums.items()) if sums.records > 0]
    rows.append(_group_row(NATIONAL_PROVIDER_CODE, names, kind, value, label, rebasing,
                           _england_figures(national, factor, with_limits=rebasing is Rebasing.OVERALL)))
    return rows


def group_level_rows(baskets: Sequence[Basket], modelled: Sequence[int],
                     trust_category: Mapping[str, Mapping[int, RecordSums]],
                     national_category: Mapping[int, RecordSums],
                     overall: Mapping[tuple[str, str], Mapping[str, RecordSums]],
                     overall_national: Mapping[tuple[str, str], RecordSums], factor: float,
                     names: ProviderNames) -> list[Row]:
    """Rows of ``HSMR_group_level`` (hsmr.md §8, §10.2): every basket and modelled category (``CELL``
    re-basing, from the category sums as §8.1 computes them), then the admission-type and emergency-day cells
    of the main basket (``OVERALL``: the main K)."""
    rows: list[Row] = []
    labels = category_labels()
    for basket in baskets:
        england, trusts = compute_basket(basket.categories, trust_category, national_category)
        rows += [_group_row(code, names, BreakdownKind.BASKET, basket.basket_id, basket.basket_id, Rebasing.CELL, f)
                 for code, f in trusts.items()]
        rows.append(_group_row(NATIONAL_PROVIDER_CODE, names, BreakdownKind.BASKET, basket.basket_id,
                               basket.basket_id, Rebasing.CELL, _without_limits(england)))
    for category in modelled:
        national = national_category.get(category, RecordSums(0, 0, 0.0))
        of_category = {t: sums[category] for t, sums in trust_category.items() if category in sums}
        rows += _cell_rows(BreakdownKind.CCS_CATEGORY, str(category), labels[category], Rebasing.CELL, of_category,
                           national, rebasing_factor(national.observed, national.expected), names)
    for (kind_value, label), of_cell in overall.items():
        kind = (BreakdownKind.ADMISSION_TYPE if (kind_value, label) in (ELECTIVE, NON_ELECTIVE)
                else BreakdownKind.EMERGENCY_DAY)
        rows += _cell_rows(kind, kind_value, label, Rebasing.OVERALL, of_cell,
                           overall_national[(kind_value, label)], factor, names)
    return rows


def _without_limits(figures: HsmrFigures) -> HsmrFigures:
    if not figures.eligible:
        return figures
    return HsmrFigures(figures.records, figures.observed, figures.expected, figures.rebasing_factor,
                       figures.expected_rebased, figures.expected_rounded, True, value=figures.value)


def comparison_rows(comparison: Comparison, shmi_trust: Sequence[Row], shmi_national: tuple[int, float],
                    hsmr_trust: Sequence[Row], names: ProviderNames) -> list[Row]:
    """Rows of ``HSMR_SHMI_comparison`` (hsmr.md §9, §10.3), unsuppressed, England last."""
    shmi_by_code = {r["PROVIDER_CODE"]: r for r in shmi_trust}
    hsmr_by_code = {r["PROVIDER_CODE"]: r for r in hsmr_trust}

    def row(item: ComparisonRow, shmi_value: float | None, shmi_banding: int | None, hsmr_value: float | None,
            hsmr_banding: int | None) -> Row:
        steps = item.steps
        return {
            "PROVIDER_CODE": item.provider_code, "PROVIDER_NAME": names.name(item.provider_code),
            "SHMI_VALUE": shmi_value, "SHMI_BANDING": shmi_banding, "HSMR_VALUE": hsmr_value,
            "HSMR_BANDING": hsmr_banding,
            "SHMI_X100_UNROUNDED_E": steps.shmi_x100 if steps else None,
            "I1_IN_HOSPITAL_ONLY": steps.in_hospital_only if steps else None,
            "I2_BASKET_ONLY": steps.basket_only if steps else None,
            "I3_NO_PALLIATIVE": steps.no_palliative if steps else None,
            "HSMR_UNROUNDED_E": steps.hsmr if steps else None,
            "GAP": steps.gap if steps else None,
            "C_POST_DISCHARGE": steps.post_discharge if steps else None,
            "C_OUTSIDE_BASKET": steps.outside_basket if steps else None,
            "C_PALLIATIVE": steps.palliative if steps else None,
            "C_OTHER_CASEMIX": steps.other_casemix if steps else None,
            "SHMI_SPELLS": item.shmi_spells, "SHMI_SPELLS_IN_BASKET": item.shmi_spells_in_basket,
            "SHMI_DEATHS": item.shmi_deaths, "SHMI_DEATHS_OUTSIDE_HOSPITAL": item.shmi_deaths_outside_hospital,
            "HSMR_CIPS": item.hsmr_records, "HSMR_CIPS_PALLIATIVE": item.hsmr_palliative_records,
            "PCT_SHMI_DEATHS_OUTSIDE_HOSPITAL": _percentage(item.shmi_deaths_outside_hospital, item.shmi_deaths),
            "PCT_SHMI_SPELLS_IN_BASKET": _percentage(item.shmi_spells_in_basket, item.shmi_spells),
            "PCT_HSMR_CIPS_PALLIATIVE": _percentage(item.hsmr_palliative_records, item.hsmr_records),
        }

    rows = []
    for code, item in sorted(comparison.trusts.items()):
        shmi = shmi_by_code.get(code, {})
        hsmr = hsmr_by_code.get(code, {})
        rows.append(row(item, shmi.get("SHMI_VALUE"), shmi.get("SHMI_BANDING"), hsmr.get("HSMR_VALUE"),
                        hsmr.get("HSMR_BANDING")))
    observed, expected = shmi_national
    national_e2 = round_expected(expected)
    rows.append(row(comparison.england, observed / national_e2 if national_e2 > 0 else None, None,
                    100.0, None))
    return rows


def _percentage(numerator: int, denominator: int) -> float | None:
    return 100.0 * numerator / denominator if denominator else None


def model_predict_rows(models: Mapping[tuple[ModelKind, int], GroupModel]) -> list[Row]:
    """Rows of ``HSMR_model_predict_statistics`` (hsmr.md §10.4), unrounded."""
    return [
        {"INDICATOR_CODE": INDICATOR_CODE, "MODEL": kind.value, "CCS_CATEGORY": category, "PREDICTOR": row.name,
         "PARAMETER_ESTIMATE": row.estimate, "STANDARD_ERROR": row.standard_error,
         "WALD_CHI_SQUARE": row.wald_chi_square, "WALD_DF": row.wald_df, "WALD_P_VALUE": row.wald_p_value}
        for (kind, category), model in sorted(models.items()) for row in model.predictors
    ]


def model_fit_rows(models: Mapping[tuple[ModelKind, int], GroupModel]) -> list[Row]:
    """Rows of ``HSMR_model_fit_statistics`` (hsmr.md §10.4): one per model, modelling-window counts."""
    rows = []
    for (kind, category), model in sorted(models.items()):
        fitted = model.spells > 0
        rows.append({
            "MODEL": kind.value, "CCS_CATEGORY": category, "CIPS": int(model.spells), "DEATHS": int(model.deaths),
            "C_STATISTIC": model.c_statistic,
            "CONVERGED": None if model.converged is None or not fitted else int(model.converged),
            "FIT_METHOD": model.fit_method.value, "ITERATIONS": model.iterations if fitted else None,
            "ALIASED_PREDICTORS": ";".join(model.aliased_predictors) if fitted and model.aliased_predictors else None,
        })
    return rows


def calibration_rows(models: Mapping[tuple[ModelKind, int], GroupModel],
                     cells: Mapping[tuple[ModelKind, int], Cells]) -> list[Row]:
    """Rows of ``HSMR_calibration`` (hsmr.md §10.4, statistics.md §5.2): deciles of risk over each model's
    modelling-window cells, and an ``HL`` row with the Hosmer-Lemeshow statistic (in ``OBSERVED``) and its
    degrees of freedom (in ``CIPS``) when it is computed."""
    rows: list[Row] = []
    for (kind, category), model in sorted(models.items()):
        fitted_cells = cells[(kind, category)]
        if fitted_cells.cell_count == 0:
            continue
        calibration = calibration_by_decile(model.risks, spells=fitted_cells.spells, deaths=fitted_cells.deaths)
        rows += [{"MODEL": kind.value, "CCS_CATEGORY": category, "DECILE": str(r.decile), "CIPS": r.spells,
                  "OBSERVED": r.observed, "EXPECTED": r.expected, "MEAN_RISK": r.mean_risk}
                 for r in calibration.rows]
        if calibration.hosmer_lemeshow is not None:
            rows.append({"MODEL": kind.value, "CCS_CATEGORY": category, "DECILE": HOSMER_LEMESHOW_ROW,
                         "CIPS": float(calibration.degrees_of_freedom or 0), "OBSERVED": calibration.hosmer_lemeshow,
                         "EXPECTED": None, "MEAN_RISK": None})
    return rows


def basket_rows(baskets: Sequence[Basket]) -> list[Row]:
    """Rows of ``HSMR_basket`` (hsmr.md §10.5): every category of every basket, and ``TOTAL`` for a derived one."""
    labels = category_labels()
    rows: list[Row] = []
    for basket in baskets:
        ranked = {r.category: r for r in basket.ranked}
        for category in basket.categories:
            r = ranked.get(category)
            rows.append({"BASKET_ID": basket.basket_id, "CCS_CATEGORY": str(category), "CCS_LABEL": labels[category],
                         "SOURCE": basket.source.value, "NATIONAL_DEATHS": r.deaths if r else None,
                         "CUMULATIVE_SHARE": r.cumulative_share if r else None, "RANK": r.rank if r else None})
        if basket.total_deaths is not None:
            rows.append({"BASKET_ID": basket.basket_id, "CCS_CATEGORY": "TOTAL", "CCS_LABEL": None,
                         "SOURCE": basket.source.value, "NATIONAL_DEATHS": basket.total_deaths,
                         "CUMULATIVE_SHARE": None, "RANK": None})
    return rows


def category_sum_rows(trust_category: Mapping[str, Mapping[int, RecordSums]],
                      national_category: Mapping[int, RecordSums]) -> list[Row]:
    """The raw category sums kept for request-time baskets and peer groups (hsmr.md §8.1, §10.7)."""
    rows = [{"PROVIDER_CODE": trust, "CCS_CATEGORY": category, "CIPS": s.records, "OBSERVED": s.observed,
             "EXPECTED_RAW": s.expected}
            for trust, sums in sorted(trust_category.items()) for category, s in sorted(sums.items())]
    rows += [{"PROVIDER_CODE": NATIONAL_PROVIDER_CODE, "CCS_CATEGORY": category, "CIPS": s.records,
              "OBSERVED": s.observed, "EXPECTED_RAW": s.expected} for category, s in sorted(national_category.items())]
    return rows


def data_quality_rows(inputs: HsmrInputs, cohort_rows: Iterable[DataQualityRow], coverage: Coverage) -> list[Row]:
    """Rows of ``internal/HSMR_data_quality`` (hsmr.md §10.6)."""
    spells = [r for r in inputs.spell_rows if r.measure == SPELLS_BUILT]
    links = [r for r in inputs.cips_rows if r.measure != SPELLS_CIPS_BUILT]
    lookback = rows_from_counts([(None, LOOKBACK_MONTHS_MISSING, coverage.lookback_months_missing)])
    report = assemble_quality_report(inputs.trust_codes, spells, links, cohort_rows, lookback)
    assert CIPS_BUILT == SPELLS_CIPS_BUILT
    return [{"PROVIDER_CODE": r.provider_code, "MEASURE": r.measure, "VALUE": r.value} for r in report
            if r.provider_code == ALL_PROVIDERS or r.measure != LOOKBACK_MONTHS_MISSING]


# --- the publication -----------------------------------------------------------------------------------------


def _unique_main_basket(con: duckdb.DuckDBPyConnection, main: Sequence[int]) -> tuple[int, int]:
    """CIPS_UNIQUE and OBSERVED_UNIQUE: distinct in-scope main-basket CIPS of the reporting period and their
    in-hospital deaths, each multi-trust CIPS once (hsmr.md §10.1)."""
    cips, deaths = con.execute(
        f"SELECT count(*), coalesce(sum({DIED_IN_HOSPITAL}), 0) FROM {HSMR_COHORT} "
        f"WHERE {IN_SCOPE} = 1 AND {IN_REPORTING_PERIOD} = 1 AND {HSMR_CATEGORY} IN "
        f"({', '.join(str(c) for c in main)})").fetchall()[0]
    return int(cips), int(deaths)


def compute_hsmr_publication(con: duckdb.DuckDBPyConnection, windows: Windows, inputs: HsmrInputs,
                             shmi: ShmiComputation) -> HsmrComputation:
    """The HSMR of one publication (hsmr.md §2-§10) and the SHMI comparison, as store tables.

    Needs ``continuous_inpatient_spells`` and ``cips_acute_trusts`` of the run, and the SHMI tables of the same
    publication (``shmi_cohort``, ``shmi_cell_risk``). Raises a HospmortError (InputDataError) when the HSMR
    cannot be computed: a modelling-window month without provider spells, a rejected basket file, no
    in-hospital death to derive a basket from.
    """
    coverage = check_hsmr_coverage(inputs.months_present, windows)
    file_baskets = read_basket_file(inputs.basket_file) if inputs.basket_file is not None else ()
    cohort_rows = build_hsmr_cohort(con, windows)
    baskets = choose_baskets(file_baskets, deaths_by_category(con))
    main = baskets[0].categories
    modelled = modelled_categories(baskets)
    cells = category_model_cells(con, modelled)
    models, fitted_on = fit_hsmr_models(cells, modelled, main)
    register_cell_risks(con, cells, models, modelled)
    counts = reporting_cells(con)
    names = ProviderNames({o.org_code: o for o in inputs.organisations if o.org_type is OrgType.TRUST})

    keys = list(zip(counts.trust, counts.category.tolist(), strict=True))
    by_trust_category = sum_by_unit(keys, counts.records, counts.deaths, counts.risk)
    trust_category: dict[str, dict[int, RecordSums]] = {}
    for (trust, category), sums in sorted(by_trust_category.items()):
        trust_category.setdefault(trust, {})[category] = sums
    national_category = sum_by_unit(counts.category.tolist(), counts.records, counts.deaths, counts.risk)

    in_main = np.isin(counts.category, np.asarray(main, dtype=np.int64))
    main_cells = counts.select(in_main)
    trust_main = sum_by_unit(main_cells.trust, main_cells.records, main_cells.deaths, main_cells.risk)
    national_main = sum_by_unit([NATIONAL_PROVIDER_CODE] * len(main_cells.trust), main_cells.records,
                                main_cells.deaths, main_cells.risk).get(NATIONAL_PROVIDER_CODE, RecordSums(0, 0, 0.0))
    factor = rebasing_factor(national_main.observed, national_main.expected)
    trust_rows = trust_level_rows(trust_main, national_main, factor, _unique_main_basket(con, main), names,
                                  baskets[0].basket_id)

    method = main_cells.level(ADMISSION_METHOD)
    overall: dict[tuple[str, str], dict[str, RecordSums]] = {}
    overall_national: dict[tuple[str, str], RecordSums] = {}
    for cell, mask in ((ELECTIVE, method == ELECTIVE_LEVEL), (NON_ELECTIVE, method != ELECTIVE_LEVEL),
                       (WEEKDAY, (method == EMERGENCY_LEVEL) & (main_cells.weekend == 0)),
                       (WEEKEND, (method == EMERGENCY_LEVEL) & (main_cells.weekend == 1))):
        chosen = main_cells.select(mask)
        overall[cell] = sum_by_unit(chosen.trust, chosen.records, chosen.deaths, chosen.risk)
        overall_national[cell] = sum_by_unit([NATIONAL_PROVIDER_CODE] * len(chosen.trust), chosen.records,
                                             chosen.deaths, chosen.risk).get(NATIONAL_PROVIDER_CODE,
                                                                             RecordSums(0, 0, 0.0))
    group_rows = group_level_rows(baskets, modelled, trust_category, national_category, overall, overall_national,
                                  factor, names)

    companion = sum_by_unit(main_cells.trust, main_cells.records, main_cells.deaths, main_cells.risk_no_palliative)
    palliative = sum_by_unit(main_cells.trust, main_cells.records,
                             np.where(main_cells.level(PALLIATIVE) == PALLIATIVE_LEVEL, main_cells.records, 0),
                             np.zeros(len(main_cells.trust)))
    hsmr_sums = {t: HsmrTrustSums(s.records, s.observed, s.expected, companion[t].expected, palliative[t].observed)
                 for t, s in trust_main.items()}
    comparison = compare_shmi_and_hsmr(shmi_category_sums(con), hsmr_sums, main)
    shmi_national = (sum(u.observed for u in shmi.national_by_group.values()),
                     math.fsum(u.expected for u in shmi.national_by_group.values()))

    tables: dict[str, list[Row]] = {
        "hsmr_trust": trust_rows,
        "hsmr_group": group_rows,
        "hsmr_comparison": comparison_rows(comparison, shmi.tables["shmi_trust"], shmi_national, trust_rows, names),
        "hsmr_model_predict": model_predict_rows(models),
        "hsmr_model_fit": model_fit_rows(models),
        "hsmr_calibration": calibration_rows(models, fitted_on),
        "hsmr_basket": basket_rows(baskets),
        "hsmr_category_sums": category_sum_rows(trust_category, national_category),
        "hsmr_data_quality": data_quality_rows(inputs, cohort_rows, coverage),
    }
    manifest = {
        "basket": {b.basket_id: list(b.categories) for b in baskets},
        "basket_source": {b.basket_id: b.source.value for b in baskets},
        "modelled_categories": len(modelled),
        "models": len(models),
        "fit_methods": _count(m.fit_method.value for m in models.values()),
        "not_converged": sorted(f"{k.value}:{c}" for (k, c), m in models.items() if m.converged is False),
        "lookback_months_missing": [str(m) for m in coverage.lookback_missing],
        "rebasing_factor": factor,
    }
    log.info("HSMR %s: basket of %d categories, %d models, %d trusts, national O = %d, E = %.2f, K = %.6f",
             windows.time_period, len(main), len(models), len(trust_main), national_main.observed,
             national_main.expected, factor)
    return HsmrComputation(tables, tuple(baskets), models, coverage, factor, manifest)


def _count(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts
