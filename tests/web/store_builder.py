"""A small but realistic results store built directly from rows (no pipeline): the twelve trusts of the SHMI
worked example (shmi.md §18) plus one small trust, with diagnosis-group, supergroup, national, site, contextual
and limits rows that add up the way a publication run's do."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from hospmort import refdata
from hospmort.config import Month
from hospmort.shmi.indicator import UnitCounts, compute_breakdown
from hospmort.store import Indicator, Publication, PublicationStatus, open_store, write_publications

#: shmi.md §18: (trust, O, E).
WORKED_EXAMPLE = (
    ("T01", 412, 455.315), ("T02", 1620, 1402.774), ("T03", 865, 871.2049), ("T04", 1985, 2316.455),
    ("T05", 298, 251.9), ("T06", 640, 662.5), ("T07", 1105, 1098.3), ("T08", 980, 912.846),
    ("T09", 745, 801.1), ("T10", 1890, 1795.0), ("T11", 505, 532.25), ("T12", 640, 662.5),
)
#: A trust too small to be eligible (S < 30).
SMALL_TRUST = ("T13", 3, 2.5)
SPELLS_PER_TRUST = 20_000
#: Each trust's spells, deaths and expected deaths are split over these groups with these shares.
GROUP_SHARES = ((2, 0.4), (73, 0.3), (101, 0.2), (120, 0.1))
REGIONS = {"Y56": "London", "Y58": "South West"}
DEC25 = Month(2025, 12)
NOV25 = Month(2025, 11)
JAN26 = Month(2026, 1)


def region_of(code: str) -> str:
    return "Y56" if code <= "T06" else "Y58"


def trust_name(code: str) -> str:
    return f"Example Trust {code[1:]}"


def _split(total: int, shares: tuple[tuple[int, float], ...]) -> dict[int, int]:
    parts = {g: math.floor(total * share) for g, share in shares}
    parts[shares[0][0]] += total - sum(parts.values())
    return parts


def publication_rows(scale: float = 1.0) -> dict[str, list[dict[str, Any]]]:
    """Every table of one publication; ``scale`` multiplies observed deaths (another month's figures)."""
    trusts = [(code, round(o * scale), e) for code, o, e in WORKED_EXAMPLE]
    small_code, small_o, small_e = SMALL_TRUST
    spells = {code: SPELLS_PER_TRUST for code, _, _ in trusts}
    spells[small_code] = 20
    trusts.append((small_code, small_o, small_e))
    breakdown = compute_breakdown(UnitCounts(code, spells[code], o, e) for code, o, e in trusts)
    trust_rows = []
    for unit in breakdown.units:
        code = str(unit.key)
        trust_rows.append({
            "PROVIDER_CODE": code, "PROVIDER_NAME": trust_name(code), "REGION_CODE": region_of(code),
            "REGION_NAME": REGIONS[region_of(code)], "SPELLS": unit.spells, "OBSERVED": unit.observed,
            "EXPECTED": unit.expected, "EXPECTED_ROUNDED": unit.expected_rounded, "SHMI_VALUE": unit.ratio,
            "SHMI_BANDING": unit.banding, "PO_LL": unit.po_lower_998, "PO_UL": unit.po_upper_998,
            "OD_LL": unit.od_lower_95, "OD_UL": unit.od_upper_95, "OD_LL_998": unit.od_lower_998,
            "OD_UL_998": unit.od_upper_998, "PO_LL_95": unit.po_lower_95, "PO_UL_95": unit.po_upper_95,
        })
    labels = refdata.diagnosis_group_labels()
    supergroups = refdata.supergroups()
    group_rows = []
    national: dict[int, list[float]] = {}
    supergroup_sums: dict[tuple[str, int], list[float]] = {}
    for code, observed, expected in trusts:
        spell_parts = _split(spells[code], GROUP_SHARES)
        death_parts = _split(observed, GROUP_SHARES)
        for group, share in GROUP_SHARES:
            e = expected * share
            group_rows.append({
                "PROVIDER_CODE": code, "PROVIDER_NAME": trust_name(code), "DIAGNOSIS_GROUP": group,
                "DIAGNOSIS_GROUP_DESCRIPTION": labels[group], "SPELLS": spell_parts[group],
                "OBSERVED": death_parts[group], "EXPECTED": e, "EXPECTED_ROUNDED": round(e, 2), "SHMI_VALUE": None,
                "SHMI_BANDING": None, "PO_LL": None, "PO_UL": None, "OD_LL": None, "OD_UL": None, "OD_LL_998": None,
                "OD_UL_998": None, "PO_LL_95": None, "PO_UL_95": None,
            })
            sums = national.setdefault(group, [0, 0, 0.0])
            sums[0] += spell_parts[group]
            sums[1] += death_parts[group]
            sums[2] += e
            number = supergroups[group][0]
            sg = supergroup_sums.setdefault((code, number), [0, 0, 0.0])
            sg[0] += spell_parts[group]
            sg[1] += death_parts[group]
            sg[2] += e
    # England's O/E per group differs from 1 a little, so that basket re-basing does something.
    national_rows = [{"DIAGNOSIS_GROUP": g, "DIAGNOSIS_GROUP_DESCRIPTION": labels[g], "SPELLS": int(s),
                      "OBSERVED": int(o), "EXPECTED": e} for g, (s, o, e) in sorted(national.items())]
    supergroup_rows = [{"PROVIDER_CODE": code, "SUPERGROUP": number,
                        "SUPERGROUP_NAME": next(name for n, name in supergroups.values() if n == number),
                        "SPELLS": int(s), "OBSERVED": int(o), "EXPECTED": e}
                       for (code, number), (s, o, e) in sorted(supergroup_sums.items())]
    site_rows = [{**{k: v for k, v in row.items() if k not in ("REGION_CODE", "REGION_NAME")},
                  "SITE_CODE": f"{row['PROVIDER_CODE']}AA", "SITE_NAME": f"{row['PROVIDER_NAME']} main site",
                  "SITE_TYPE": "acute"} for row in trust_rows]
    contextual = []
    for code, observed, _ in trusts:
        contextual.append({"FILE_KEY": "palliative_care", "PROVIDER_CODE": code, "PROVIDER_NAME": trust_name(code),
                           "MEASURE": "DEATHS", "CATEGORY": "PALLIATIVE", "NUMERATOR": observed // 3,
                           "DENOMINATOR": observed, "VALUE": 100.0 * (observed // 3) / observed})
    total_o = sum(o for _, o, _ in trusts)
    contextual.append({"FILE_KEY": "palliative_care", "PROVIDER_CODE": "ENG", "PROVIDER_NAME": "ENGLAND",
                       "MEASURE": "DEATHS", "CATEGORY": "PALLIATIVE", "NUMERATOR": total_o // 3,
                       "DENOMINATOR": total_o, "VALUE": 100.0 * (total_o // 3) / total_o})
    organisations = [{"org_code": code, "org_name": trust_name(code), "org_type": "trust", "parent_code": None,
                      "region_code": region_of(code), "region_name": REGIONS[region_of(code)],
                      "trust_type": "acute", "site_type": None} for code, _, _ in trusts]
    parameters = breakdown.parameters
    limits = [{"BREAKDOWN": "TRUST", "DIAGNOSIS_GROUP": None, "UNITS_ELIGIBLE": parameters.units,
               "UNITS_KEPT": parameters.units_kept, "PHI": parameters.phi, "TAU2": parameters.tau2}]
    return {
        "organisations": organisations, "shmi_trust": trust_rows, "shmi_site": site_rows,
        "shmi_diagnosis_group": group_rows, "shmi_supergroup": supergroup_rows,
        "shmi_national_group": national_rows, "shmi_contextual": contextual, "shmi_limits_parameters": limits,
    }


def build_example_store(path: Path) -> Path:
    """Write the store: 2025-11 and 2025-12 published, 2026-01 a draft."""
    publications = [
        (Publication(NOV25, (Indicator.SHMI,), publication_rows(0.95)), PublicationStatus.PUBLISHED),
        (Publication(DEC25, (Indicator.SHMI,), publication_rows(1.0)), PublicationStatus.PUBLISHED),
        (Publication(JAN26, (Indicator.SHMI,), publication_rows(1.02)), PublicationStatus.DRAFT),
    ]
    with open_store(path) as store:
        write_publications(store, publications)
    return path
