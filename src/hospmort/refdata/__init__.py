"""Reference tables shipped with hospmort, with typed loaders.

Each table lives in a sub-folder with its SOURCE.md (origin, licence, columns). Loaders read the CSV once and
cache the result; they return plain typed Python structures (dicts, tuples, frozen dataclasses).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

from hospmort.refdata.codes import normalise_diagnosis

__all__ = [
    "BANDED_DIAGNOSIS_GROUPS",
    "COVID_GROUP",
    "INVALID_DIAGNOSIS_GROUP",
    "PERINATAL_GROUPS",
    "REGION_NAMES",
    "CharlsonCondition",
    "DiagnosisCode",
    "ModelCoefficient",
    "Trust",
    "ccs_category_names",
    "charlson_conditions",
    "diagnosis_group_labels",
    "icd10_lookup",
    "imd_decile_by_lsoa",
    "imd_quintile",
    "normalise_diagnosis",
    "published_model_coefficients",
    "refdata_path",
    "supergroups",
    "trusts",
]

COVID_GROUP = 143
INVALID_DIAGNOSIS_GROUP = 144
COVID_CODES = frozenset({"U071", "U072"})
PERINATAL_GROUPS = frozenset({115, 116, 117, 118, 119, 141})
BANDED_DIAGNOSIS_GROUPS = (2, 15, 30, 37, 57, 73, 74, 96, 101, 120)
NUMBER_OF_GROUPS = 144
# Rows of the comorbidipy (SHMI v1.35) list that SHMI specifications v1.45 and v1.55 no longer carry.
CHARLSON_PREFIXES_REMOVED = frozenset({"C44", "E110", "M351"})

REGION_NAMES: dict[str, str] = {
    "Y56": "London",
    "Y58": "South West",
    "Y59": "South East",
    "Y60": "Midlands",
    "Y61": "East of England",
    "Y62": "North West",
    "Y63": "North East and Yorkshire",
}


def refdata_path(*parts: str) -> Path:
    """Path of a shipped reference file, e.g. ``refdata_path("shmi", "shmi_supergroups.csv")``."""
    return Path(str(files("hospmort.refdata").joinpath(*parts)))


def _rows(*parts: str) -> Iterator[dict[str, str]]:
    with refdata_path(*parts).open(newline="", encoding="utf-8-sig") as handle:
        yield from csv.DictReader(handle)


@dataclass(frozen=True)
class DiagnosisCode:
    """One row of the ICD-10 to CCS to SHMI diagnosis group lookup."""

    icd10_code: str
    ccs_category: int
    shmi_diagnosis_group: int


@cache
def icd10_lookup() -> dict[str, DiagnosisCode]:
    """The NHS Digital lookup (12,632 codes), keyed by the 4-character normalised ICD-10 code.

    The groups are those of the shipped 142-group lookup; COVID-19 (group 143) and invalid codes (group 144)
    are decided by the cohort rules, not here.
    """
    table: dict[str, DiagnosisCode] = {}
    for row in _rows("shmi", "icd10_to_shmi_diagnosis_group.csv"):
        code = row["icd10_code"].strip()
        table[code] = DiagnosisCode(code, int(row["ccs_category"]), int(row["shmi_diagnosis_group"]))
    return table


@cache
def diagnosis_group_labels() -> dict[int, str]:
    """Label of every SHMI diagnosis group 1..144 (143 and 144 are hospmort's own, methodology §2.1)."""
    labels = {int(row["shmi_diagnosis_group"]): row["description"].strip() for row in _rows(
        "shmi", "shmi_diagnosis_groups.csv")}
    labels[COVID_GROUP] = "COVID-19"
    labels[INVALID_DIAGNOSIS_GROUP] = "Invalid primary diagnosis"
    return labels


@cache
def supergroups() -> dict[int, tuple[int, str]]:
    """Supergroup (number, name) of every diagnosis group 1..144."""
    return {
        int(row["shmi_diagnosis_group"]): (int(row["supergroup"]), row["supergroup_name"].strip())
        for row in _rows("shmi", "shmi_supergroups.csv")
    }


@dataclass(frozen=True)
class ModelCoefficient:
    """One predictor row of the published SHMI model statistics."""

    diagnosis_group: int
    predictor: str
    estimate: float
    standard_error: float | None
    wald_df: int


@cache
def published_model_coefficients() -> dict[int, dict[str, ModelCoefficient]]:
    """The published SHMI coefficients (April 2022 - March 2023), by group then predictor name.

    Used as the true model of the synthetic generator and to validate layouts, never to compute a publication.
    """
    models: dict[int, dict[str, ModelCoefficient]] = {}
    for row in _rows("shmi", "shmi_model_predict_statistics_apr22_mar23.csv"):
        group = int(row["DIAGNOSIS_GROUP"])
        se = row["STANDARD_ERROR"].strip()
        coefficient = ModelCoefficient(
            diagnosis_group=group,
            predictor=row["PREDICTOR"].strip(),
            estimate=float(row["PARAMETER_ESTIMATE"]),
            standard_error=float(se) if se else None,
            wald_df=int(float(row["WALD_DF"] or 0)),
        )
        models.setdefault(group, {})[coefficient.predictor] = coefficient
    return models


@dataclass(frozen=True)
class CharlsonCondition:
    """A Charlson condition with its SHMI weight and the ICD-10 prefixes (3 or 4 characters) that mark it."""

    condition: str
    name: str
    weight: int
    prefixes: tuple[str, ...]


@cache
def charlson_conditions() -> tuple[CharlsonCondition, ...]:
    """The SHMI Charlson list of methodology §9: 17 conditions, 221 prefixes, SHMI weights.

    Built from the comorbidipy 0.8.0 CSV (SHMI specification v1.35) minus the rows C44, E110 and M351.
    """
    prefixes: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    weights: dict[str, int] = {}
    for row in _rows("charlson_shmi", "charlson_icd10_shmi_comorbidipy-0.8.0.csv"):
        prefix = row["icd10_prefix"].strip()
        if prefix in CHARLSON_PREFIXES_REMOVED:
            continue
        condition = row["condition"].strip()
        prefixes.setdefault(condition, []).append(prefix)
        names[condition] = row["condition_name"].strip()
        weights[condition] = int(row["weight_shmi"])
    return tuple(
        CharlsonCondition(condition, names[condition], weights[condition], tuple(sorted(found)))
        for condition, found in sorted(prefixes.items())
    )


@cache
def imd_decile_by_lsoa() -> dict[str, int]:
    """IMD 2019 decile (1 most deprived .. 10 least) of every English LSOA (2011)."""
    return {row["lsoa11cd"].strip(): int(row["imd19_decile"]) for row in _rows(
        "imd2019", "imd2019_lsoa11_rank_decile.csv")}


def imd_quintile(decile: int) -> int:
    """Deprivation quintile from an IMD decile: ceil(decile / 2); 1 most deprived, 5 least."""
    if not 1 <= decile <= 10:
        raise ValueError(f"IMD decile must be 1..10, got {decile}")
    return (decile + 1) // 2


@dataclass(frozen=True)
class Trust:
    """An NHS trust of the ODS list: code, name and NHS England region (code and name)."""

    org_code: str
    name: str
    region_code: str
    region_name: str
    closed: bool


@cache
def trusts() -> dict[str, Trust]:
    """The ODS NHS trust list (``etr``), keyed by the 3-character code. It has no trust types."""
    table: dict[str, Trust] = {}
    for row in _rows("ods_trusts", "etr_with_header.csv"):
        region = row["national_grouping"].strip()
        table[row["org_code"].strip()] = Trust(
            org_code=row["org_code"].strip(),
            name=row["name"].strip().title(),
            region_code=region,
            region_name=REGION_NAMES.get(region, ""),
            closed=bool(row["close_date"].strip()),
        )
    return table


@cache
def ccs_category_names() -> dict[int, str]:
    """Name of every CCS diagnosis category (the 2015 single-level list, filled from the 2019 list)."""
    names = {int(row["ccs_category"]): row["ccs_category_name"].strip() for row in _rows(
        "ccs", "ccs_dx_categories_icd10cm_2019.csv")}
    names.update({int(row["ccs_category"]): row["ccs_category_name"].strip() for row in _rows(
        "ccs", "ccs_single_level_dx_categories_icd9cm_2015.csv")})
    # The older mental-health categories (65-75) have no AHRQ name in these files: label them with the SHMI
    # diagnosis group that holds them, as the CCS SOURCE note advises.
    labels = diagnosis_group_labels()
    for row in icd10_lookup().values():
        names.setdefault(row.ccs_category, labels[row.shmi_diagnosis_group])
    return names
