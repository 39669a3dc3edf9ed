"""What the dashboard shows, computed from stored aggregates only (shmi.md §13.1, hsmr.md §8.1, statistics.md §2.3).

Every function here is pure: it takes rows read from the results store (dicts keyed by the store's column
names) and returns JSON-ready values. Nothing reads a record. The rules themselves live where the methodology
puts them (``hospmort.shmi.indicator`` for baskets and funnels over a selection, ``hospmort.limits`` for limits,
intervals and funnel curves, ``hospmort.disclosure`` for shown values); this module only gathers the stored
rows they need and decides, through :func:`~hospmort.web.viewer.view_for_row`, how each row is shown.

Shown values follow shmi.md §15: counts, expected deaths and percentages of another organisation are disclosed
(rounded or ``*``), ratios, limits and charts only for eligible units, national rows unsuppressed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from hospmort import refdata
from hospmort import schema as col
from hospmort.config import Month
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
from hospmort.limits import (
    ALPHA95,
    ALPHA998,
    Z95,
    Z998,
    exact_test_limits,
    funnel_curve_points,
    overdispersed_limits,
    ratio_interval,
    round_expected,
)
from hospmort.rounding import round_half_up
from hospmort.shmi.indicator import (
    BasketFigures,
    Breakdown,
    UnitCounts,
    UnitIndicator,
    compute_basket,
    compute_breakdown,
)
from hospmort.web.viewer import Viewer, view_for_row

Row = Mapping[str, Any]
JsonValue = int | float | str | None
#: Decimals of a shown HSMR value and its limits (hsmr.md §10).
HSMR_DECIMALS = 2
#: Decimals of a shown contribution to excess deaths.
CONTRIBUTION_DECIMALS = 1
#: Measures of the contextual indicators that are means rather than percentages (shmi.md §14).
MEAN_MEASURES = frozenset({"MEAN_SECONDARY_DIAGNOSES"})
#: The breakdown of hsmr.md §8 whose rows are CCS categories.
CCS_BREAKDOWN = "CCS_CATEGORY"


class Indicator:
    SHMI = "SHMI"
    HSMR = "HSMR"


# --- tables: the data behind every chart and table (JSON and CSV) ----------------------------------------------


@dataclass(frozen=True)
class DataTable:
    """A table as shown: ordered columns and rows of JSON values; the CSV download writes the same."""

    name: str
    columns: tuple[str, ...]
    rows: list[dict[str, JsonValue]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "columns": list(self.columns), "rows": self.rows}


def shown(value: ShownValue) -> JsonValue:
    """A shown value for JSON: the number, ``"*"`` when suppressed, ``None`` when there is none."""
    return value.as_json()


# --- SHMI units from stored rows ------------------------------------------------------------------------------


def unit_counts(row: Row, key: object | None = None) -> UnitCounts:
    """S, O and unrounded E of a stored SHMI row (trust, site, or trust within a group)."""
    return UnitCounts(key if key is not None else row[col.PROVIDER_CODE], int(row[col.SPELLS]),
                      int(row[col.OBSERVED]), float(row[col.EXPECTED]))


def shmi_row_is_eligible(row: Row) -> bool:
    """shmi.md §11 on a stored row (E2 as stored)."""
    return is_eligible(int(row[col.SPELLS]), int(row[col.OBSERVED]), float(row[col.EXPECTED_ROUNDED]))


def show_shmi_figures(view: View, *, spells: int, observed: int, expected_rounded: float, eligible: bool,
                      ratio: float | None, banding: int | None, od_lower_95: float | None = None,
                      od_upper_95: float | None = None, od_lower_998: float | None = None,
                      od_upper_998: float | None = None) -> dict[str, JsonValue]:
    """A SHMI unit's figures as shown in ``view`` (shmi.md §15): counts, E2, SHMI, banding, OD limits, crude."""
    return {
        "spells": shown(show_count(spells, view)),
        "observed": shown(show_count(observed, view)),
        "expected": shown(show_expected(expected_rounded, view)),
        "shmi": shown(show_ratio(ratio, eligible=eligible, view=view)),
        "banding": shown(show_banding(banding, eligible=eligible, view=view)),
        "od_ll_95": shown(show_ratio(od_lower_95, eligible=eligible, view=view)),
        "od_ul_95": shown(show_ratio(od_upper_95, eligible=eligible, view=view)),
        "od_ll_998": shown(show_ratio(od_lower_998, eligible=eligible, view=view)),
        "od_ul_998": shown(show_ratio(od_upper_998, eligible=eligible, view=view)),
        "crude_mortality": shown(show_percentage(observed, spells, view)),
    }


def show_stored_shmi_row(row: Row, view: View) -> dict[str, JsonValue]:
    """A stored SHMI row (``shmi_trust``, ``shmi_site``, ``shmi_diagnosis_group``) as shown in ``view``."""
    return show_shmi_figures(
        view, spells=int(row[col.SPELLS]), observed=int(row[col.OBSERVED]),
        expected_rounded=float(row[col.EXPECTED_ROUNDED]), eligible=shmi_row_is_eligible(row),
        ratio=row.get(col.SHMI_VALUE), banding=row.get(col.SHMI_BANDING), od_lower_95=row.get(col.OD_LL),
        od_upper_95=row.get(col.OD_UL), od_lower_998=row.get(col.OD_LL_998), od_upper_998=row.get(col.OD_UL_998))


def show_unit_indicator(unit: UnitIndicator, view: View) -> dict[str, JsonValue]:
    """A unit of a breakdown computed at request time, as shown in ``view``."""
    return show_shmi_figures(
        view, spells=unit.spells, observed=unit.observed, expected_rounded=unit.expected_rounded,
        eligible=unit.eligible, ratio=unit.ratio, banding=unit.banding, od_lower_95=unit.od_lower_95,
        od_upper_95=unit.od_upper_95, od_lower_998=unit.od_lower_998, od_upper_998=unit.od_upper_998)


# --- funnels (statistics.md §2.3) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelPoint:
    """One eligible unit on a funnel plot: x = expected as the indicator uses it, y = the ratio."""

    provider_code: str
    provider_name: str
    region_name: str | None
    expected: float
    value: float
    banding: int


def banding_counts(bandings: Iterable[int | None]) -> dict[str, int]:
    """Number of units per banding 1, 2, 3 (ineligible units have none and are not counted)."""
    counts = {"1": 0, "2": 0, "3": 0}
    for banding in bandings:
        if banding is not None:
            counts[str(int(banding))] += 1
    return counts


def shmi_funnel_curves(expected: Sequence[float], tau2: float) -> dict[str, list[float]]:
    """The SHMI funnel: 95% and 99.8% over-dispersed curves exp(±z√(1/E + τ²)) (shmi.md §12, statistics.md §2.3)."""
    x = funnel_curve_points(expected)
    lower_95, upper_95 = overdispersed_limits(x, tau2, Z95)
    lower_998, upper_998 = overdispersed_limits(x, tau2, Z998)
    return {"x": x.tolist(), "lower_95": lower_95.tolist(), "upper_95": upper_95.tolist(),
            "lower_998": lower_998.tolist(), "upper_998": upper_998.tolist()}


@lru_cache(maxsize=256)
def _hsmr_curves(expected: tuple[float, ...]) -> dict[str, tuple[float, ...]]:
    x = funnel_curve_points(expected)
    limits_95 = [exact_test_limits(float(e), ALPHA95) for e in x]
    limits_998 = [exact_test_limits(float(e), ALPHA998) for e in x]
    return {
        "x": tuple(float(e) for e in x),
        "lower_95": tuple(100.0 * lo for lo, _ in limits_95),
        "upper_95": tuple(100.0 * hi for _, hi in limits_95),
        "lower_998": tuple(100.0 * lo for lo, _ in limits_998),
        "upper_998": tuple(100.0 * hi for _, hi in limits_998),
    }


def hsmr_funnel_curves(expected: Sequence[float]) -> dict[str, list[float]]:
    """The HSMR funnel: exact-test curves of statistics.md §2.2 at 95% and 99.8%, ×100, around the target 100."""
    curves = _hsmr_curves(tuple(sorted(float(e) for e in expected)))
    return {name: list(values) for name, values in curves.items()}


def funnel_json(indicator: str, points: Sequence[FunnelPoint], curves: Mapping[str, list[float]], *,
                highlight: str | None, parameters: Mapping[str, JsonValue], title: str,
                decimals: int) -> dict[str, Any]:
    """One funnel plot as JSON: curves, points coloured by their banding, the highlighted unit, parameters."""
    return {
        "indicator": indicator,
        "title": title,
        "target": 1.0 if indicator == Indicator.SHMI else 100.0,
        "highlight": highlight,
        "parameters": dict(parameters),
        "curves": dict(curves),
        "points": [{
            "provider_code": p.provider_code,
            "provider_name": p.provider_name,
            "region_name": p.region_name,
            "expected": p.expected,
            "value": round_half_up(p.value, decimals),
            "banding": p.banding,
        } for p in points],
        "banding_counts": banding_counts(p.banding for p in points),
    }


def funnel_table(name: str, funnel: Mapping[str, Any]) -> DataTable:
    """The table alternative of a funnel plot: one row per plotted unit."""
    rows = [{
        "provider_code": p["provider_code"], "provider_name": p["provider_name"], "expected": p["expected"],
        "value": p["value"], "banding": p["banding"],
    } for p in funnel["points"]]
    return DataTable(name, ("provider_code", "provider_name", "expected", "value", "banding"), rows)


def breakdown_funnel(breakdown: Breakdown, names: Mapping[str, str], regions: Mapping[str, str | None], *,
                     highlight: str | None, title: str) -> dict[str, Any]:
    """The SHMI funnel of a breakdown computed at request time (shmi.md §13.1 "funnel for a selection")."""
    points = [FunnelPoint(str(u.key), names.get(str(u.key), str(u.key)), regions.get(str(u.key)),
                          u.expected_rounded, float(u.ratio), int(u.banding))
              for u in breakdown.units if u.eligible and u.ratio is not None and u.banding is not None]
    parameters = breakdown.parameters
    return funnel_json(
        Indicator.SHMI, points, shmi_funnel_curves([p.expected for p in points], parameters.tau2),
        highlight=highlight, title=title, decimals=4,
        parameters={"units_eligible": parameters.units, "units_kept": parameters.units_kept,
                    "phi": parameters.phi, "tau2": parameters.tau2})


# --- publications and trusts -----------------------------------------------------------------------------------


def trust_directory(trust_rows: Iterable[Row]) -> list[dict[str, JsonValue]]:
    """Trusts of a publication: code, name, region (for selectors)."""
    return [{"provider_code": r[col.PROVIDER_CODE], "provider_name": r[col.PROVIDER_NAME],
             "region_code": r.get(col.PROVIDER_REGION_CODE), "region_name": r.get(col.PROVIDER_REGION_NAME)}
            for r in sorted(trust_rows, key=lambda r: str(r[col.PROVIDER_NAME]))]


def regions_of(trust_rows: Iterable[Row]) -> list[dict[str, JsonValue]]:
    """Regions with at least one trust: code and name, by name."""
    found = {(r.get(col.PROVIDER_REGION_CODE), r.get(col.PROVIDER_REGION_NAME)) for r in trust_rows
             if r.get(col.PROVIDER_REGION_CODE)}
    return [{"region_code": code, "region_name": name or code} for code, name in sorted(found, key=lambda f: str(f[1]))]


# --- national overview -----------------------------------------------------------------------------------------

SHMI_TABLE_COLUMNS = ("provider_code", "provider_name", "region_name", "spells", "observed", "expected", "shmi",
                      "banding", "od_ll_95", "od_ul_95", "od_ll_998", "od_ul_998", "crude_mortality")
HSMR_TABLE_COLUMNS = ("provider_code", "provider_name", "cips", "observed", "expected", "hsmr", "banding",
                      "banding_95", "ll_95", "ul_95", "ll_998", "ul_998", "crude_mortality")


def shmi_trust_table(viewer: Viewer, trust_rows: Iterable[Row], *, region: str | None = None) -> DataTable:
    """The overview table of the SHMI: every trust (of ``region``), shown per row for ``viewer``."""
    rows = []
    for row in sorted(trust_rows, key=lambda r: str(r[col.PROVIDER_NAME])):
        if region and row.get(col.PROVIDER_REGION_CODE) != region:
            continue
        view = view_for_row(viewer, row[col.PROVIDER_CODE])
        rows.append({"provider_code": row[col.PROVIDER_CODE], "provider_name": row[col.PROVIDER_NAME],
                     "region_name": row.get(col.PROVIDER_REGION_NAME), **show_stored_shmi_row(row, view)})
    return DataTable("shmi_trusts", SHMI_TABLE_COLUMNS, rows)


def shmi_national_funnel(trust_rows: Sequence[Row], tau2: float | None, *, highlight: str | None,
                         region: str | None = None) -> dict[str, Any]:
    """The published SHMI funnel: eligible trusts at (E2, SHMI) coloured by their published banding, with the
    publication's own limits (τ² of the ``TRUST`` row of ``shmi_limits_parameters``).

    A region filter shows that region's trusts against the national limits.
    """
    points = [
        FunnelPoint(r[col.PROVIDER_CODE], r[col.PROVIDER_NAME], r.get(col.PROVIDER_REGION_NAME),
                    float(r[col.EXPECTED_ROUNDED]), float(r[col.SHMI_VALUE]), int(r[col.SHMI_BANDING]))
        for r in trust_rows
        if shmi_row_is_eligible(r) and r.get(col.SHMI_VALUE) is not None and r.get(col.SHMI_BANDING) is not None
        and (not region or r.get(col.PROVIDER_REGION_CODE) == region)
    ]
    all_expected = [float(r[col.EXPECTED_ROUNDED]) for r in trust_rows if shmi_row_is_eligible(r)]
    tau = 0.0 if tau2 is None else tau2
    return funnel_json(Indicator.SHMI, points, shmi_funnel_curves(all_expected or [1.0], tau), highlight=highlight,
                       title="SHMI", decimals=4,
                       parameters={"units_eligible": len(all_expected), "tau2": tau2,
                                   "limits": "published (all eligible trusts in England)"})


@dataclass(frozen=True)
class HsmrFigures:
    """An HSMR unit read from a stored row: N, O, E2* (and unrounded E* where stored), value, limits, bandings."""

    provider_code: str
    provider_name: str
    cips: int
    observed: int
    expected_rounded: float
    expected: float
    expected_raw: float | None
    value: float | None
    banding: int | None
    banding_95: int | None
    ll_95: float | None
    ul_95: float | None
    ll_998: float | None
    ul_998: float | None

    @property
    def eligible(self) -> bool:
        """hsmr.md §7.2 (the eligibility rule of shmi.md §11 with E2*)."""
        return is_eligible(self.cips, self.observed, self.expected_rounded)


def _optional_float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def _optional_int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


def hsmr_figures(row: Row) -> HsmrFigures:
    """An HSMR row of the store (trust level or a breakdown cell) as :class:`HsmrFigures`.

    The expected deaths shown and used for eligibility are E2* (``EXPECTED_ROUNDED`` where stored, else
    ``EXPECTED`` rounded to 2 decimals).
    """
    expected = float(row.get(col.EXPECTED) or 0.0)
    stored_rounded = row.get(col.EXPECTED_ROUNDED)
    expected_rounded = float(stored_rounded) if stored_rounded is not None else round_expected(expected)
    return HsmrFigures(
        provider_code=str(row[col.PROVIDER_CODE]), provider_name=str(row.get(col.PROVIDER_NAME) or ""),
        cips=int(row.get(col.CIPS) or 0), observed=int(row.get(col.OBSERVED) or 0),
        expected_rounded=expected_rounded, expected=expected,
        expected_raw=_optional_float(row.get(col.EXPECTED_RAW)), value=_optional_float(row.get(col.HSMR_VALUE)),
        banding=_optional_int(row.get(col.HSMR_BANDING)),
        banding_95=_optional_int(row.get(col.HSMR_BANDING_95)), ll_95=_optional_float(row.get(col.LL_95)),
        ul_95=_optional_float(row.get(col.UL_95)), ll_998=_optional_float(row.get(col.LL_998)),
        ul_998=_optional_float(row.get(col.UL_998)))


def show_hsmr_figures(figures: HsmrFigures, view: View) -> dict[str, JsonValue]:
    """An HSMR unit as shown in ``view`` (hsmr.md §10: HSMR and limits to 2 decimals)."""
    eligible = figures.eligible

    def ratio(value: float | None) -> JsonValue:
        return shown(show_ratio(value, eligible=eligible, view=view, decimals=HSMR_DECIMALS))

    return {
        "cips": shown(show_count(figures.cips, view)),
        "observed": shown(show_count(figures.observed, view)),
        "expected": shown(show_expected(figures.expected_rounded, view)),
        "hsmr": ratio(figures.value),
        "banding": shown(show_banding(figures.banding, eligible=eligible, view=view)),
        "banding_95": shown(show_banding(figures.banding_95, eligible=eligible, view=view)),
        "ll_95": ratio(figures.ll_95),
        "ul_95": ratio(figures.ul_95),
        "ll_998": ratio(figures.ll_998),
        "ul_998": ratio(figures.ul_998),
        "crude_mortality": shown(show_percentage(figures.observed, figures.cips, view)),
    }


def hsmr_trust_units(hsmr_rows: Iterable[Row]) -> list[HsmrFigures]:
    """The trusts' main-basket HSMR rows (England's row and other baskets left out)."""
    return [hsmr_figures(r) for r in hsmr_rows
            if r[col.PROVIDER_CODE] != NATIONAL_PROVIDER_CODE and r.get(col.BASKET_ID, "HSMR") in (None, "HSMR")]


def hsmr_trust_table(viewer: Viewer, hsmr_rows: Iterable[Row], regions: Mapping[str, str | None], *,
                     region: str | None = None) -> DataTable:
    """The overview table of the HSMR, shown per row for ``viewer``."""
    rows = []
    for unit in sorted(hsmr_trust_units(hsmr_rows), key=lambda u: u.provider_name):
        if region and regions.get(unit.provider_code) != region:
            continue
        view = view_for_row(viewer, unit.provider_code)
        rows.append({"provider_code": unit.provider_code, "provider_name": unit.provider_name,
                     **show_hsmr_figures(unit, view)})
    return DataTable("hsmr_trusts", HSMR_TABLE_COLUMNS, rows)


def hsmr_national_funnel(hsmr_rows: Sequence[Row], regions: Mapping[str, str | None], region_names: Mapping[str, str],
                         *, highlight: str | None, region: str | None = None) -> dict[str, Any]:
    """The published HSMR funnel: eligible trusts at (E2*, HSMR), coloured by the 99.8% banding, with the
    exact-test curves of statistics.md §2.2 (which agree with that banding by construction)."""
    units = [u for u in hsmr_trust_units(hsmr_rows) if u.eligible and u.value is not None and u.banding is not None]
    points = [FunnelPoint(u.provider_code, u.provider_name, region_names.get(u.provider_code),
                          u.expected_rounded, float(u.value), int(u.banding))  # type: ignore[arg-type]
              for u in units if not region or regions.get(u.provider_code) == region]
    return funnel_json(Indicator.HSMR, points, hsmr_funnel_curves([u.expected_rounded for u in units] or [1.0]),
                       highlight=highlight, title="HSMR", decimals=HSMR_DECIMALS,
                       parameters={"units_eligible": len(units), "limits": "exact-test (statistics.md §2.2)"})


# --- request-time comparisons: selections, peers, regions (shmi.md §13.1, hsmr.md §8.1) ------------------------


def shmi_selection_breakdown(trust_rows: Iterable[Row], provider_codes: Iterable[str] | None) -> Breakdown:
    """§12 applied to the eligible trusts of a selection (all trusts when ``provider_codes`` is None)."""
    chosen = None if provider_codes is None else set(provider_codes)
    return compute_breakdown(unit_counts(r) for r in trust_rows
                             if chosen is None or r[col.PROVIDER_CODE] in chosen)


def unit_of(breakdown: Breakdown, key: object) -> UnitIndicator | None:
    return next((u for u in breakdown.units if u.key == key), None)


@dataclass(frozen=True)
class HsmrPeerFigures:
    """A trust's HSMR relative to a peer group (hsmr.md §8.1): not the published HSMR."""

    provider_code: str
    cips: int
    observed: int
    expected_rebased: float
    expected_rounded: float
    eligible: bool
    value: float | None
    interval_95: tuple[float, float] | None
    interval_998: tuple[float, float] | None
    banding: int | None
    banding_95: int | None


def hsmr_banding_from_interval(interval: tuple[float, float]) -> int:
    """hsmr.md §7.3: 1 when the lower limit > 100, 3 when the upper limit < 100, otherwise 2 (×100 scale)."""
    lower, upper = interval
    if lower > 100.0:
        return 1
    if upper < 100.0:
        return 3
    return 2


def rebase_hsmr_on_peers(units: Sequence[tuple[str, int, int, float]]) -> list[HsmrPeerFigures]:
    """HSMR of each peer re-based on the peer group (hsmr.md §8.1 "Peer group").

    ``units`` holds (trust, N, O, E) with E the expected deaths of the basket (raw Σp, or any re-based E:
    re-basing is multiplicative, so the result is the same). K_P = ΣO / ΣE over the peers (1 when either sum
    is 0), E*_t = K_P·E_t, value = 100·O_t / E2*_t; eligibility, intervals (statistics.md §1) and banding as
    hsmr.md §7.2–7.3, so that the peers together score 100.
    """
    total_observed = sum(o for _, _, o, _ in units)
    total_expected = math.fsum(e for _, _, _, e in units)
    factor = total_observed / total_expected if total_observed > 0 and total_expected > 0 else 1.0
    result = []
    for code, cips, observed, expected in units:
        rebased = factor * expected
        e2 = round_expected(rebased)
        eligible = is_eligible(cips, observed, e2)
        if not eligible or e2 <= 0:
            result.append(HsmrPeerFigures(code, cips, observed, rebased, e2, False, None, None, None, None, None))
            continue
        low_95, high_95 = ratio_interval(observed, e2, ALPHA95)  # type: ignore[misc]
        low_998, high_998 = ratio_interval(observed, e2, ALPHA998)  # type: ignore[misc]
        interval_95 = (100.0 * low_95, 100.0 * high_95)
        interval_998 = (100.0 * low_998, 100.0 * high_998)
        result.append(HsmrPeerFigures(
            code, cips, observed, rebased, e2, True, 100.0 * observed / e2, interval_95, interval_998,
            hsmr_banding_from_interval(interval_998), hsmr_banding_from_interval(interval_95)))
    return result


def show_hsmr_peer(figures: HsmrPeerFigures, view: View) -> dict[str, JsonValue]:
    def ratio(value: float | None) -> JsonValue:
        return shown(show_ratio(value, eligible=figures.eligible, view=view, decimals=HSMR_DECIMALS))

    interval_95 = figures.interval_95 or (None, None)
    interval_998 = figures.interval_998 or (None, None)
    return {
        "cips": shown(show_count(figures.cips, view)),
        "observed": shown(show_count(figures.observed, view)),
        "expected": shown(show_expected(figures.expected_rounded, view)),
        "hsmr_relative_to_peers": ratio(figures.value),
        "banding": shown(show_banding(figures.banding, eligible=figures.eligible, view=view)),
        "banding_95": shown(show_banding(figures.banding_95, eligible=figures.eligible, view=view)),
        "ll_95": ratio(interval_95[0]), "ul_95": ratio(interval_95[1]),
        "ll_998": ratio(interval_998[0]), "ul_998": ratio(interval_998[1]),
    }


def hsmr_peer_funnel(figures: Sequence[HsmrPeerFigures], names: Mapping[str, str], *,
                     highlight: str | None, title: str) -> dict[str, Any]:
    """The funnel of an HSMR peer comparison: exact-test curves around 100 against the re-based E2*."""
    eligible = [f for f in figures if f.eligible and f.value is not None and f.banding is not None]
    points = [FunnelPoint(f.provider_code, names.get(f.provider_code, f.provider_code), None, f.expected_rounded,
                          float(f.value), int(f.banding)) for f in eligible]  # type: ignore[arg-type]
    return funnel_json(Indicator.HSMR, points, hsmr_funnel_curves([p.expected for p in points] or [1.0]),
                       highlight=highlight, title=title, decimals=HSMR_DECIMALS,
                       parameters={"units_eligible": len(points), "limits": "exact-test, re-based on the peers"})


def comparison_json(viewer: Viewer, breakdown: Breakdown, provider_code: str | None, *,
                    label: str) -> dict[str, Any]:
    """A trust's position in one comparison (England, its region, a peer group): its unit and the parameters."""
    unit = unit_of(breakdown, provider_code) if provider_code else None
    parameters = breakdown.parameters
    return {
        "comparison": label,
        "units_eligible": parameters.units, "units_kept": parameters.units_kept,
        "phi": parameters.phi, "tau2": parameters.tau2,
        "trust": None if unit is None else show_unit_indicator(unit, view_for_row(viewer, str(unit.key))),
    }


def selection_table(viewer: Viewer, breakdown: Breakdown, names: Mapping[str, str], name: str) -> DataTable:
    """Every unit of a request-time breakdown, shown per row for ``viewer`` (the table beside its funnel)."""
    rows = []
    for unit in sorted(breakdown.units, key=lambda u: names.get(str(u.key), str(u.key))):
        code = str(unit.key)
        rows.append({"provider_code": code, "provider_name": names.get(code, code),
                     **show_unit_indicator(unit, view_for_row(viewer, code))})
    columns = ("provider_code", "provider_name", "spells", "observed", "expected", "shmi", "banding", "od_ll_95",
               "od_ul_95", "od_ll_998", "od_ul_998", "crude_mortality")
    return DataTable(name, columns, rows)


def region_summary_table(trust_rows: Sequence[Row]) -> DataTable:
    """Regional comparison: per region its trusts, eligible trusts, the banding counts within the region's own
    funnel (limits recomputed over the region, shmi.md §13.1) and τ² of that funnel.

    Region totals of counts are shown disclosed (they are not national rows).
    """
    rows = []
    for region in regions_of(trust_rows):
        members = [r for r in trust_rows if r.get(col.PROVIDER_REGION_CODE) == region["region_code"]]
        breakdown = shmi_selection_breakdown(members, None)
        spells = sum(int(r[col.SPELLS]) for r in members)
        observed = sum(int(r[col.OBSERVED]) for r in members)
        expected = math.fsum(float(r[col.EXPECTED]) for r in members)
        counts = banding_counts(u.banding for u in breakdown.units if u.eligible)
        rows.append({
            "region_code": region["region_code"], "region_name": region["region_name"], "trusts": len(members),
            "trusts_eligible": breakdown.parameters.units,
            "spells": shown(show_count(spells, View.DISCLOSED)),
            "observed": shown(show_count(observed, View.DISCLOSED)),
            "expected": shown(show_expected(expected, View.DISCLOSED)),
            "higher_than_expected": counts["1"], "as_expected": counts["2"], "lower_than_expected": counts["3"],
            "tau2": breakdown.parameters.tau2,
        })
    columns = ("region_code", "region_name", "trusts", "trusts_eligible", "spells", "observed", "expected",
               "higher_than_expected", "as_expected", "lower_than_expected", "tau2")
    return DataTable("regions", columns, rows)


# --- trust page ------------------------------------------------------------------------------------------------


def trend_table(viewer: Viewer, provider_code: str, shmi_rows: Iterable[Row], hsmr_rows: Iterable[Row],
                periods: Mapping[str, str]) -> DataTable:
    """A trust's SHMI and HSMR over the stored publications in ``periods`` (period end → TIME_PERIOD)."""
    view = view_for_row(viewer, provider_code)
    hsmr_by_period = {str(r[col.PERIOD_END]): hsmr_figures(r) for r in hsmr_rows
                      if r[col.PROVIDER_CODE] == provider_code and r.get(col.BASKET_ID, "HSMR") in (None, "HSMR")}
    rows = []
    for row in sorted(shmi_rows, key=lambda r: str(r[col.PERIOD_END])):
        period = str(row[col.PERIOD_END])
        if row[col.PROVIDER_CODE] != provider_code or period not in periods:
            continue
        shmi = show_stored_shmi_row(row, view)
        entry: dict[str, JsonValue] = {
            "period_end": period, "time_period": periods[period], "shmi": shmi["shmi"],
            "shmi_od_ll_95": shmi["od_ll_95"], "shmi_od_ul_95": shmi["od_ul_95"],
            "shmi_od_ll_998": shmi["od_ll_998"], "shmi_od_ul_998": shmi["od_ul_998"], "shmi_banding": shmi["banding"],
            "hsmr": None, "hsmr_ll_95": None, "hsmr_ul_95": None, "hsmr_ll_998": None, "hsmr_ul_998": None,
            "hsmr_banding": None,
        }
        figures = hsmr_by_period.get(period)
        if figures is not None:
            hsmr = show_hsmr_figures(figures, view)
            entry.update({"hsmr": hsmr["hsmr"], "hsmr_ll_95": hsmr["ll_95"], "hsmr_ul_95": hsmr["ul_95"],
                          "hsmr_ll_998": hsmr["ll_998"], "hsmr_ul_998": hsmr["ul_998"],
                          "hsmr_banding": hsmr["banding"]})
        rows.append(entry)
    columns = ("period_end", "time_period", "shmi", "shmi_od_ll_95", "shmi_od_ul_95", "shmi_od_ll_998",
               "shmi_od_ul_998", "shmi_banding", "hsmr", "hsmr_ll_95", "hsmr_ul_95", "hsmr_ll_998", "hsmr_ul_998",
               "hsmr_banding")
    return DataTable("trend", columns, rows)


CONTEXTUAL_LABELS = {
    "palliative_care": "Palliative care coding", "deprivation": "Deprivation (IMD quintile, 1 most deprived)",
    "admission_method": "Crude mortality % by admission method", "depth_of_coding": "Mean secondary diagnoses",
    "place_of_death": "Place of death", "site_change": "Site changed during the spell",
    "symptom_diagnosis": "Symptom (R) code as primary diagnosis",
}


def contextual_table(viewer: Viewer, provider_code: str, contextual_rows: Iterable[Row]) -> DataTable:
    """The trust's contextual indicators (shmi.md §14) beside England's: the trust shown per viewer, England
    unsuppressed."""
    national: dict[tuple[str, str, str], Row] = {}
    mine: list[Row] = []
    for row in contextual_rows:
        key = (row[col.FILE_KEY], row[col.MEASURE], row[col.CATEGORY])
        if row[col.PROVIDER_CODE] == NATIONAL_PROVIDER_CODE:
            national[key] = row
        elif row[col.PROVIDER_CODE] == provider_code:
            mine.append(row)
    view = view_for_row(viewer, provider_code)
    rows = []
    for row in sorted(mine, key=lambda r: (r[col.FILE_KEY], r[col.MEASURE], r[col.CATEGORY])):
        key = (row[col.FILE_KEY], row[col.MEASURE], row[col.CATEGORY])
        show = show_mean if row[col.MEASURE] in MEAN_MEASURES else show_percentage
        england = national.get(key)
        rows.append({
            "indicator": row[col.FILE_KEY], "description": CONTEXTUAL_LABELS.get(str(row[col.FILE_KEY]), ""),
            "measure": row[col.MEASURE], "category": row[col.CATEGORY],
            "numerator": shown(show_count(int(row[col.NUMERATOR]), view)),
            "denominator": shown(show_count(int(row[col.DENOMINATOR]), view)),
            "value": shown(show(int(row[col.NUMERATOR]), int(row[col.DENOMINATOR]), view)),
            "england_value": None if england is None else shown(show(
                int(england[col.NUMERATOR]), int(england[col.DENOMINATOR]), View.UNSUPPRESSED)),
        })
    return DataTable("contextual", ("indicator", "description", "measure", "category", "numerator", "denominator",
                                    "value", "england_value"), rows)


def site_table(viewer: Viewer, provider_code: str, site_rows: Iterable[Row]) -> DataTable:
    """The trust's sites with their site types (shmi.md §13), limits across all eligible sites."""
    view = view_for_row(viewer, provider_code)
    rows = [{"site_code": r[col.SITE_CODE], "site_name": r[col.SITE_NAME], "site_type": r[col.OUTPUT_SITE_TYPE],
             **show_stored_shmi_row(r, view)}
            for r in sorted(site_rows, key=lambda r: str(r[col.SITE_CODE])) if r[col.PROVIDER_CODE] == provider_code]
    return DataTable("sites", ("site_code", "site_name", "site_type", *SHMI_TABLE_COLUMNS[3:]), rows)


GAP_COLUMNS = ("SHMI_VALUE", "HSMR_VALUE", "SHMI_X100_UNROUNDED_E", "I1_IN_HOSPITAL_ONLY", "I2_BASKET_ONLY",
               "I3_NO_PALLIATIVE", "HSMR_UNROUNDED_E", "GAP", "C_POST_DISCHARGE", "C_OUTSIDE_BASKET", "C_PALLIATIVE",
               "C_OTHER_CASEMIX")
GAP_LABELS = {
    "C_POST_DISCHARGE": "(a) post-discharge deaths",
    "C_OUTSIDE_BASKET": "(b) diagnoses outside the HSMR basket",
    "C_PALLIATIVE": "(c) palliative care adjustment",
    "C_OTHER_CASEMIX": "(d) other case-mix and definition differences",
}


def gap_table(provider_code: str, comparison_rows: Iterable[Row], *, shmi_eligible: bool,
              hsmr_eligible: bool) -> DataTable:
    """The SHMI–HSMR gap decomposition of hsmr.md §9 for the trust (stored steps and contributions).

    Shown only when the trust is eligible for both indicators (hsmr.md §10.3: ``*`` otherwise).
    """
    row = next((r for r in comparison_rows if r[col.PROVIDER_CODE] == provider_code), None)
    rows: list[dict[str, JsonValue]] = []
    if row is not None:
        both = shmi_eligible and hsmr_eligible
        for name in ("SHMI_X100_UNROUNDED_E", "I1_IN_HOSPITAL_ONLY", "I2_BASKET_ONLY", "I3_NO_PALLIATIVE",
                     "HSMR_UNROUNDED_E", "GAP", *GAP_LABELS):
            value = row.get(name)
            rows.append({"step": name, "label": GAP_LABELS.get(name, name),
                         "value": (None if value is None else round_half_up(float(value), 2)) if both else "*"})
    return DataTable("gap", ("step", "label", "value"), rows)


# --- diagnosis drill-down (shmi.md §13, §13.1) --------------------------------------------------------------------


def units_by_group(group_rows: Iterable[Row], provider_code: str) -> dict[int, UnitCounts]:
    return {int(r[col.DIAGNOSIS_GROUP]): unit_counts(r, int(r[col.DIAGNOSIS_GROUP])) for r in group_rows
            if r[col.PROVIDER_CODE] == provider_code}


def national_units_by_group(national_rows: Iterable[Row]) -> dict[int, UnitCounts]:
    return {int(r[col.DIAGNOSIS_GROUP]): unit_counts(r, int(r[col.DIAGNOSIS_GROUP])) for r in national_rows}


DRILL_COLUMNS = ("key", "label", "spells", "observed", "expected", "ratio", "ci95_lower", "ci95_upper",
                 "ci998_lower", "ci998_upper", "contribution", "banding")


def show_basket(figures: BasketFigures, view: View) -> dict[str, JsonValue]:
    """A basket's (or group's, supergroup's) figures as shown in ``view``: S, O, E* (E2), ratio, 95% and 99.8%
    intervals (statistics.md §1) and the contribution O − E* to excess deaths (shmi.md §13.1). ``expected_sum`` is
    E_B, the plain sum of the groups' stored E before re-basing; ``expected`` is E2 of the re-based E*_B.

    The contribution is derived from the counts, so it is shown only where the ratio is (eligible units) in a
    disclosed view.
    """
    eligible = figures.eligible
    interval_95 = figures.interval_95 or (None, None)
    interval_998 = figures.interval_998 or (None, None)
    contribution: JsonValue
    if figures.excess_deaths is None:
        contribution = None
    elif eligible or view is View.UNSUPPRESSED:
        contribution = round_half_up(figures.excess_deaths, CONTRIBUTION_DECIMALS)
    else:
        contribution = "*"
    return {
        "spells": shown(show_count(figures.spells, view)),
        "observed": shown(show_count(figures.observed, view)),
        "expected_sum": shown(show_expected(figures.expected, view)),
        "expected": (None if figures.expected_rounded is None
                     else shown(show_expected(figures.expected_rounded, view))),
        "ratio": shown(show_ratio(figures.ratio, eligible=eligible, view=view)),
        "ci95_lower": shown(show_ratio(interval_95[0], eligible=eligible, view=view)),
        "ci95_upper": shown(show_ratio(interval_95[1], eligible=eligible, view=view)),
        "ci998_lower": shown(show_ratio(interval_998[0], eligible=eligible, view=view)),
        "ci998_upper": shown(show_ratio(interval_998[1], eligible=eligible, view=view)),
        "contribution": contribution,
    }


def _contribution_sort_key(row: Mapping[str, JsonValue]) -> tuple[int, float]:
    value = row.get("contribution")
    if isinstance(value, int | float):
        return (0, -float(value))
    return (1, 0.0)


def drill_down_groups(viewer: Viewer, provider_code: str, group_rows: Iterable[Row],
                      national_rows: Iterable[Row]) -> DataTable:
    """The trust's figures by SHMI diagnosis group, sorted by contribution to excess deaths (largest first).

    A single group keeps its §11 values (shmi.md §13.1); the banding is the published one (ten banded groups).
    """
    mine = units_by_group(group_rows, provider_code)
    england = national_units_by_group(national_rows)
    stored = {int(r[col.DIAGNOSIS_GROUP]): r for r in group_rows if r[col.PROVIDER_CODE] == provider_code}
    labels = refdata.diagnosis_group_labels()
    view = view_for_row(viewer, provider_code)
    rows = []
    for group in sorted(mine):
        figures = compute_basket([group], mine, england)
        row = stored[group]
        banded = group in refdata.BANDED_DIAGNOSIS_GROUPS
        rows.append({"key": group, "label": labels.get(group, str(group)), **show_basket(figures, view),
                     "banding": shown(show_banding(row.get(col.SHMI_BANDING), eligible=figures.eligible,
                                                   view=view)) if banded else None})
    rows.sort(key=_contribution_sort_key)
    return DataTable("diagnosis_groups", DRILL_COLUMNS, rows)


def supergroup_members() -> dict[int, tuple[str, tuple[int, ...]]]:
    """Supergroup number → (name, its diagnosis groups) from ``shmi_supergroups.csv`` (shmi.md §13)."""
    members: dict[int, tuple[str, list[int]]] = {}
    for group, (number, name) in refdata.supergroups().items():
        members.setdefault(number, (name, []))[1].append(group)
    return {number: (name, tuple(sorted(groups))) for number, (name, groups) in sorted(members.items())}


def drill_down_supergroups(viewer: Viewer, provider_code: str, group_rows: Iterable[Row],
                           national_rows: Iterable[Row]) -> DataTable:
    """The trust's figures by supergroup: S, O, E summed over its groups, ratio and interval of the basket of
    its groups (shmi.md §13, §13.1), sorted by contribution to excess deaths."""
    mine = units_by_group(group_rows, provider_code)
    england = national_units_by_group(national_rows)
    view = view_for_row(viewer, provider_code)
    rows = []
    for number, (name, groups) in supergroup_members().items():
        if not any(g in mine for g in groups):
            continue
        figures = compute_basket(groups, mine, england)
        rows.append({"key": number, "label": name, **show_basket(figures, view), "banding": None})
    rows.sort(key=_contribution_sort_key)
    return DataTable("supergroups", DRILL_COLUMNS, rows)


def drill_down_ccs(viewer: Viewer, provider_code: str, hsmr_group_rows: Iterable[Row]) -> DataTable:
    """The trust's HSMR by CCS category (hsmr.md §8 ``CCS_CATEGORY`` rows, ``CELL`` re-basing), sorted by
    contribution O − E* to excess deaths."""
    view = view_for_row(viewer, provider_code)
    rows = []
    for row in hsmr_group_rows:
        if row[col.PROVIDER_CODE] != provider_code or row.get(col.BREAKDOWN) != CCS_BREAKDOWN:
            continue
        figures = hsmr_figures(row)
        shown_row = show_hsmr_figures(figures, view)
        excess = figures.observed - (figures.expected or figures.expected_rounded)
        contribution: JsonValue = (round_half_up(excess, CONTRIBUTION_DECIMALS)
                                   if figures.eligible or view is View.UNSUPPRESSED else "*")
        rows.append({"key": row.get(col.BREAKDOWN_VALUE), "label": row.get(col.BREAKDOWN_LABEL),
                     "spells": shown_row["cips"], "observed": shown_row["observed"],
                     "expected": shown_row["expected"], "ratio": shown_row["hsmr"],
                     "ci95_lower": shown_row["ll_95"], "ci95_upper": shown_row["ul_95"],
                     "ci998_lower": shown_row["ll_998"], "ci998_upper": shown_row["ul_998"],
                     "contribution": contribution, "banding": shown_row["banding"]})
    rows.sort(key=_contribution_sort_key)
    return DataTable("ccs_categories", DRILL_COLUMNS, rows)


@dataclass(frozen=True)
class BasketResult:
    """A user's basket: the trust's figures, England's totals and the funnel of all trusts for the basket."""

    groups: tuple[int, ...]
    trust: BasketFigures | None
    england_observed: int
    england_expected: float
    breakdown: Breakdown


def compute_basket_for_trusts(groups: Sequence[int], provider_code: str | None, group_rows: Sequence[Row],
                              national_rows: Sequence[Row],
                              provider_codes: Iterable[str] | None = None) -> BasketResult:
    """A basket (shmi.md §13.1) for one trust and, as a funnel, for every trust of a selection.

    Each trust's (S_B, O_B, E*_B) comes from :func:`~hospmort.shmi.indicator.compute_basket`; the funnel applies
    §12 to the eligible trusts at that level (its own n, m, φ, τ²).
    """
    chosen = tuple(sorted(set(groups)))
    england = national_units_by_group(national_rows)
    by_trust: dict[str, dict[int, UnitCounts]] = {}
    for row in group_rows:
        group = int(row[col.DIAGNOSIS_GROUP])
        if group in chosen:
            by_trust.setdefault(str(row[col.PROVIDER_CODE]), {})[group] = unit_counts(row, group)
    allowed = None if provider_codes is None else set(provider_codes)
    units = []
    trust_figures = None
    for code, rows in sorted(by_trust.items()):
        figures = compute_basket(chosen, rows, england)
        if code == provider_code:
            trust_figures = figures
        if figures.expected_rebased is None or (allowed is not None and code not in allowed):
            continue
        units.append(UnitCounts(code, figures.spells, figures.observed, figures.expected_rebased))
    england_observed = sum(england[g].observed for g in chosen if g in england)
    england_expected = math.fsum(england[g].expected for g in chosen if g in england)
    return BasketResult(chosen, trust_figures, england_observed, england_expected, compute_breakdown(units))


def parse_groups(values: Iterable[str]) -> tuple[int, ...]:
    """Diagnosis groups from query values (``2,73`` or repeated ``groups=2&groups=73``), checked to be 1–144."""
    groups: set[int] = set()
    for value in values:
        for part in str(value).replace(";", ",").split(","):
            text = part.strip()
            if not text:
                continue
            if not text.isdigit() or not 1 <= int(text) <= refdata.NUMBER_OF_GROUPS:
                raise ValueError(f"a diagnosis group is a number from 1 to {refdata.NUMBER_OF_GROUPS}, got {text!r}")
            groups.add(int(text))
    return tuple(sorted(groups))


# --- alerts and monitoring charts (statistics.md §3, §6) ----------------------------------------------------------

ALERT_COLUMNS = ("alert_id", "type", "category", "unit", "status", "opened_period", "last_signal_month",
                 "signal_count", "closed_period")
_STATUS_ORDER = {"NEW": 0, "OPEN": 1, "CLOSED": 2}
#: A closed alert stays visible while the publication shown ends at most this many months after it closed.
CLOSED_ALERT_VISIBLE_MONTHS = 12
_MONTHS = {name: number for number, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}


def last_month_of_time_period(label: str) -> tuple[int, int] | None:
    """(year, month) of the last month of a ``TIME_PERIOD`` label such as ``JAN25_DEC25`` (shmi.md §3)."""
    try:
        last = label.split("_")[1]
        return 2000 + int(last[3:5]), _MONTHS[last[:3]]
    except (IndexError, KeyError, ValueError):
        return None


def alert_is_visible(row: Row, period_end: Month) -> bool:
    """statistics.md §6.4: open alerts always; a closed one while the publication shown ends at most 12 months
    after the last month of its ``CLOSED_PERIOD``."""
    if row.get("STATUS") != "CLOSED":
        return True
    closed = last_month_of_time_period(str(row.get("CLOSED_PERIOD") or ""))
    if closed is None:
        return False
    months_after = (period_end.year * 12 + period_end.month) - (closed[0] * 12 + closed[1])
    return months_after <= CLOSED_ALERT_VISIBLE_MONTHS


def alert_row(row: Row) -> dict[str, JsonValue]:
    """An alert as shown: its register fields (no counts, so nothing to disclose)."""
    return {name: row.get(name.upper()) for name in ALERT_COLUMNS}


def alert_sort_key(row: Mapping[str, JsonValue]) -> tuple[int, str]:
    """``NEW`` then ``OPEN`` then ``CLOSED``; newest first within each (by the month of the latest signal)."""
    newest = str(row.get("last_signal_month") or "")
    inverted = "".join(chr(0x10FFFF - ord(ch)) for ch in newest)
    return (_STATUS_ORDER.get(str(row.get("status")), 3), inverted)


def monitoring_json(indicator: str, unit: str, points: Sequence[Row], signals: Sequence[Row]) -> dict[str, Any]:
    """A VLAD chart (statistics.md §3.1): daily V with its control lines where drawn, and the CUSUM signals."""
    ordered = sorted(points, key=lambda r: str(r["DATE"]))
    return {
        "indicator": indicator,
        "unit": unit,
        "available": bool(ordered),
        "dates": [str(r["DATE"]) for r in ordered],
        "vlad": [r["VLAD"] for r in ordered],
        "vlad_a": [r.get("VLAD_A") for r in ordered],
        "vlad_b": [r.get("VLAD_B") for r in ordered],
        "cusum_up": [r.get("CUSUM_UP") for r in ordered],
        "cusum_down": [r.get("CUSUM_DOWN") for r in ordered],
        "signals": [{"date": str(r["DATE"]), "chart": r["CHART"], "unit": str(r["UNIT"]), "value": r["VALUE"]}
                    for r in sorted(signals, key=lambda r: str(r["DATE"]))],
    }
