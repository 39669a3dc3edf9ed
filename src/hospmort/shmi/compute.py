"""One SHMI publication from the record-level tables: models, expected deaths, breakdowns, tables to store.

The record-level work stays in the engine (``shmi_cohort``, :mod:`hospmort.shmi.cohort`); only covariate cells
and integer counts per (unit, cell) come out (shmi.md §2.2). The result is the publication's tables as rows
keyed by the results-store column names, unsuppressed: the store keeps them as they are and
:mod:`hospmort.publish` writes the disclosed files from them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import duckdb
import numpy as np
import pyarrow as pa

from hospmort import refdata
from hospmort.config import Windows
from hospmort.disclosure import NATIONAL_PROVIDER_CODE
from hospmort.hes.organisations import Organisation
from hospmort.limits import round_expected
from hospmort.riskmodel import Cells, GroupModel, aggregate_cells, fit_shmi_models, shmi_covariates
from hospmort.schema import OrgType
from hospmort.shmi.cohort import LEVEL_COLUMNS, SHMI_COHORT, GroupCells, model_cells
from hospmort.shmi.contextual import compute_contextual_indicators
from hospmort.shmi.indicator import Breakdown, UnitCounts, UnitIndicator, compute_breakdown, sum_units

log = logging.getLogger(__name__)

Row = dict[str, Any]
CELL_RISK_TABLE = "shmi_cell_risk"
NATIONAL_NAME = "ENGLAND"
UNKNOWN_SITE_TYPE = "unknown"
NOT_PROVIDED = "NOT PROVIDED"


@dataclass(frozen=True)
class ShmiComputation:
    """What one publication computed: the store tables (rows), and what the quality check needs."""

    tables: dict[str, list[Row]]
    models: dict[int, GroupModel]
    national_by_group: dict[int, UnitCounts]
    trust_breakdown: Breakdown


def _covariate_columns(group: int) -> list[int]:
    return [LEVEL_COLUMNS.index(c.name) for c in shmi_covariates(group)]


def group_model_cells(cells: Mapping[int, GroupCells]) -> dict[int, Cells]:
    """Cells of each group over its own covariates (group 144 has no Charlson term; §10.1-§10.2)."""
    result: dict[int, Cells] = {}
    for group, group_cells in cells.items():
        columns = _covariate_columns(group)
        result[group] = aggregate_cells(group_cells.levels[:, columns], group_cells.spells, group_cells.deaths,
                                        covariate_count=len(columns))
    return result


def register_cell_risks(con: duckdb.DuckDBPyConnection, cells: Mapping[int, GroupCells],
                        models: Mapping[int, GroupModel]) -> None:
    """Table ``shmi_cell_risk``: the risk of every modelling-window cell (group and the seven levels)."""
    groups, levels, risks = [], [], []
    for group in sorted(cells):
        group_cells = cells[group]
        groups.append(np.full(len(group_cells.spells), group, dtype=np.int64))
        levels.append(group_cells.levels)
        risks.append(models[group].predict(group_cells.levels[:, _covariate_columns(group)]))
    all_levels = np.vstack(levels) if levels else np.zeros((0, len(LEVEL_COLUMNS)), dtype=np.int64)
    table = pa.table({
        "DIAGNOSIS_GROUP": np.concatenate(groups) if groups else np.zeros(0, dtype=np.int64),
        **{name: all_levels[:, i] for i, name in enumerate(LEVEL_COLUMNS)},
        "RISK": np.concatenate(risks) if risks else np.zeros(0),
    })
    con.register("_cell_risk_arrow", table)
    con.execute(f"CREATE OR REPLACE TABLE {CELL_RISK_TABLE} AS SELECT * FROM _cell_risk_arrow")
    con.unregister("_cell_risk_arrow")


@dataclass(frozen=True)
class ReportingCells:
    """Reporting-period counts per (trust, site, group, cell) with the cell's risk."""

    trust: list[str]
    site: list[str]
    group: np.ndarray
    spells: np.ndarray
    deaths: np.ndarray
    risk: np.ndarray


def reporting_cells(con: duckdb.DuckDBPyConnection) -> ReportingCells:
    """Integer counts of the reporting period per (trust, site, group, cell), joined to the cell's risk."""
    levels = ", ".join(LEVEL_COLUMNS)
    table = con.sql(f"""
        SELECT c.PROCODE3, c.SITE_CODE, c.DIAGNOSIS_GROUP, r.RISK, count(*) AS SPELLS, sum(c.DIED) AS DEATHS
        FROM {SHMI_COHORT} c
        JOIN {CELL_RISK_TABLE} r USING (DIAGNOSIS_GROUP, {levels})
        WHERE c.IN_SCOPE = 1 AND c.IN_REPORTING_PERIOD = 1
        GROUP BY c.PROCODE3, c.SITE_CODE, c.DIAGNOSIS_GROUP, {levels}, r.RISK
    """).to_arrow_table()
    return ReportingCells(
        trust=table.column("PROCODE3").to_pylist(),
        site=table.column("SITE_CODE").to_pylist(),
        group=table.column("DIAGNOSIS_GROUP").to_numpy().astype(np.int64),
        spells=table.column("SPELLS").to_numpy().astype(np.int64),
        deaths=table.column("DEATHS").to_numpy().astype(np.int64),
        risk=table.column("RISK").to_numpy().astype(np.float64),
    )


def _names(organisations: Sequence[Organisation]) -> tuple[dict[str, Organisation], dict[str, Organisation]]:
    trusts = {o.org_code: o for o in organisations if o.org_type is OrgType.TRUST}
    sites = {o.org_code: o for o in organisations if o.org_type is OrgType.SITE}
    return trusts, sites


RATIO_FIELDS = ("SHMI_VALUE", "SHMI_BANDING", "PO_LL", "PO_UL", "OD_LL", "OD_UL", "OD_LL_998", "OD_UL_998",
                "PO_LL_95", "PO_UL_95")


def _ratio_fields(unit: UnitIndicator) -> Row:
    return {
        "EXPECTED_ROUNDED": unit.expected_rounded, "SHMI_VALUE": unit.ratio, "SHMI_BANDING": unit.banding,
        "PO_LL": unit.po_lower_998, "PO_UL": unit.po_upper_998, "OD_LL": unit.od_lower_95,
        "OD_UL": unit.od_upper_95, "OD_LL_998": unit.od_lower_998, "OD_UL_998": unit.od_upper_998,
        "PO_LL_95": unit.po_lower_95, "PO_UL_95": unit.po_upper_95,
    }


def _counts(unit: UnitIndicator | UnitCounts) -> Row:
    return {"SPELLS": unit.spells, "OBSERVED": unit.observed, "EXPECTED": unit.expected}


def _limits_row(breakdown: str, group: int | None, result: Breakdown) -> Row:
    p = result.parameters
    return {"BREAKDOWN": breakdown, "DIAGNOSIS_GROUP": group, "UNITS_ELIGIBLE": p.units,
            "UNITS_KEPT": p.units_kept, "PHI": p.phi, "TAU2": p.tau2}


def model_predict_rows(models: Mapping[int, GroupModel]) -> list[Row]:
    """Store rows of the model predict statistics (§10.5, §16.6)."""
    return [
        {"INDICATOR_CODE": "I00699", "DIAGNOSIS_GROUP": group, "PREDICTOR": row.name,
         "PARAMETER_ESTIMATE": row.estimate, "STANDARD_ERROR": row.standard_error,
         "WALD_CHI_SQUARE": row.wald_chi_square, "WALD_DF": row.wald_df, "WALD_P_VALUE": row.wald_p_value}
        for group, model in sorted(models.items()) for row in model.predictors
    ]


def model_fit_rows(models: Mapping[int, GroupModel]) -> list[Row]:
    """Store rows of the model fit statistics, one per group 1-144 (§10.4, §16.6)."""
    rows = []
    for group in range(1, refdata.INVALID_DIAGNOSIS_GROUP + 1):
        model = models[group]
        fitted = model.spells > 0
        rows.append({
            "DIAGNOSIS_GROUP": group, "SPELLS": int(model.spells), "DEATHS": int(model.deaths),
            "C_STATISTIC": model.c_statistic,
            "CONVERGED": None if model.converged is None or not fitted else int(model.converged),
            "FIT_METHOD": model.fit_method.value,
            "ITERATIONS": model.iterations if fitted else None,
            "ALIASED_PREDICTORS": ";".join(model.aliased_predictors) if fitted else None,
        })
    return rows


def compute_shmi(con: duckdb.DuckDBPyConnection, windows: Windows,
                 organisations: Sequence[Organisation]) -> ShmiComputation:
    """Models, expected deaths, breakdowns and contextual indicators of one publication (§10-§14).

    Needs ``shmi_cohort`` for ``windows`` (:func:`hospmort.shmi.cohort.build_shmi_cohort`).
    """
    cells = model_cells(con)
    models = fit_shmi_models(group_model_cells(cells))
    register_cell_risks(con, cells, models)
    counts = reporting_cells(con)
    trust_of, site_of = _names(organisations)
    labels = refdata.diagnosis_group_labels()
    supergroups = refdata.supergroups()

    def trust_name(code: str) -> str:
        organisation = trust_of.get(code)
        return organisation.org_name if organisation and organisation.org_name else code

    def region(code: str) -> tuple[str | None, str | None]:
        organisation = trust_of.get(code)
        if organisation is None:
            return None, None
        return organisation.region_code or None, organisation.region_name or None

    group_list = counts.group.tolist()
    trust_units = sum_units(counts.trust, counts.spells, counts.deaths, counts.risk)
    site_units = sum_units(list(zip(counts.trust, counts.site, strict=True)), counts.spells, counts.deaths,
                           counts.risk)
    group_units = sum_units(list(zip(counts.trust, group_list, strict=True)), counts.spells, counts.deaths,
                            counts.risk)
    national_units = sum_units(group_list, counts.spells, counts.deaths, counts.risk)
    super_units = sum_units([(t, supergroups[g][0]) for t, g in zip(counts.trust, group_list, strict=True)],
                            counts.spells, counts.deaths, counts.risk)

    trust_breakdown = compute_breakdown(trust_units.values())
    site_breakdown = compute_breakdown(site_units.values())
    banded: dict[int, dict[Hashable, UnitIndicator]] = {}
    limits_rows = [_limits_row("TRUST", None, trust_breakdown), _limits_row("SITE", None, site_breakdown)]
    for group in refdata.BANDED_DIAGNOSIS_GROUPS:
        result = compute_breakdown(u for key, u in group_units.items() if key[1] == group)
        banded[group] = {u.key: u for u in result.units}
        limits_rows.append(_limits_row("DIAGNOSIS_GROUP", group, result))

    trust_rows = []
    for unit in trust_breakdown.units:
        code = str(unit.key)
        region_code, region_name = region(code)
        trust_rows.append({"PROVIDER_CODE": code, "PROVIDER_NAME": trust_name(code),
                           "REGION_CODE": region_code, "REGION_NAME": region_name,
                           **_counts(unit), **_ratio_fields(unit)})
    site_rows = []
    for unit in site_breakdown.units:
        trust, site = cast(tuple[str, str], unit.key)
        organisation = site_of.get(site)
        site_rows.append({
            "PROVIDER_CODE": trust, "PROVIDER_NAME": trust_name(trust), "SITE_CODE": site,
            "SITE_NAME": organisation.org_name if organisation and organisation.org_name else NOT_PROVIDED,
            "SITE_TYPE": (organisation.site_type.value if organisation and organisation.site_type
                          else UNKNOWN_SITE_TYPE),
            **_counts(unit), **_ratio_fields(unit),
        })
    group_rows = []
    for (trust, group), counts_unit in sorted(group_units.items()):
        banded_unit = banded.get(group, {}).get((trust, group))
        group_rows.append({"PROVIDER_CODE": trust, "PROVIDER_NAME": trust_name(trust), "DIAGNOSIS_GROUP": group,
                           "DIAGNOSIS_GROUP_DESCRIPTION": labels[group], **_counts(counts_unit),
                           **(_ratio_fields(banded_unit) if banded_unit is not None
                              else _no_ratio(counts_unit.expected))})
    super_rows = [{"PROVIDER_CODE": t, "SUPERGROUP": s, "SUPERGROUP_NAME": _supergroup_name(supergroups, s),
                   **_counts(u)} for (t, s), u in sorted(super_units.items())]
    national_rows = [{"DIAGNOSIS_GROUP": g, "DIAGNOSIS_GROUP_DESCRIPTION": labels[g], **_counts(u)}
                     for g, u in sorted(national_units.items())]
    contextual_rows = [
        {"FILE_KEY": c.file_key, "PROVIDER_CODE": c.provider_code,
         "PROVIDER_NAME": NATIONAL_NAME if c.provider_code == NATIONAL_PROVIDER_CODE else trust_name(c.provider_code),
         "MEASURE": c.measure, "CATEGORY": c.category, "NUMERATOR": c.numerator, "DENOMINATOR": c.denominator,
         "VALUE": c.value}
        for c in compute_contextual_indicators(con, SHMI_COHORT)
    ]
    tables: dict[str, list[Row]] = {
        "shmi_trust": trust_rows, "shmi_site": site_rows, "shmi_diagnosis_group": group_rows,
        "shmi_supergroup": super_rows, "shmi_national_group": national_rows, "shmi_contextual": contextual_rows,
        "shmi_model_predict": model_predict_rows(models), "shmi_model_fit": model_fit_rows(models),
        "shmi_limits_parameters": limits_rows,
    }
    national = dict(national_units)
    log.info("SHMI %s: %d trusts, %d sites, national O = %d, E = %.2f", windows.time_period, len(trust_rows),
             len(site_rows), sum(u.observed for u in national.values()),
             math.fsum(u.expected for u in national.values()))
    return ShmiComputation(tables, models, national, trust_breakdown)


def _no_ratio(expected: float) -> Row:
    """The ratio fields of a unit that is not banded: E2 only."""
    return {**dict.fromkeys(RATIO_FIELDS), "EXPECTED_ROUNDED": round_expected(expected)}


def _supergroup_name(supergroups: Mapping[int, tuple[int, str]], number: int) -> str:
    return next(name for s, name in supergroups.values() if s == number)
