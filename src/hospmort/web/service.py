"""The dashboard's questions, answered from the store: one method per page or API resource.

:class:`Dashboard` reads stored rows through :class:`~hospmort.web.store_access.DashboardStore` and hands them to
the pure functions of :mod:`hospmort.web.analysis`. Pages (:mod:`hospmort.web.pages`) and the JSON API
(:mod:`hospmort.web.api`) call the same methods, so a chart, its table alternative, its JSON and its CSV always
show the same numbers.

The HSMR tables (hsmr.md §10.7) and the monitoring tables (statistics.md §3.4, §6.3) are added to the schema by
other issues; until a publication has rows in them, the answers carry ``available: false`` and the pages say
"not computed for this publication".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hospmort import refdata
from hospmort import schema as col
from hospmort.config import Month
from hospmort.disclosure import View, show_banding
from hospmort.errors import ConfigError
from hospmort.shmi.indicator import compute_breakdown
from hospmort.store import Indicator, StoredPublication
from hospmort.web import analysis as an
from hospmort.web.store_access import DashboardStore, PeerGroup, first_defined_table, visible_publications
from hospmort.web.viewer import Viewer, view_for_row

# Stored tables the dashboard reads (docs/results-database.md).
SHMI_TRUST = "shmi_trust"
SHMI_SITE = "shmi_site"
SHMI_GROUP = "shmi_diagnosis_group"
SHMI_NATIONAL_GROUP = "shmi_national_group"
SHMI_CONTEXTUAL = "shmi_contextual"
SHMI_LIMITS = "shmi_limits_parameters"
#: Names the HSMR and monitoring tables may have (the first one the schema defines is used).
HSMR_TRUST_TABLES = ("hsmr_trust", "hsmr_trust_level")
HSMR_GROUP_TABLES = ("hsmr_group", "hsmr_group_level")
HSMR_COMPARISON_TABLES = ("hsmr_shmi_comparison", "hsmr_comparison")
ALERT_TABLES = ("alert_register", "alerts")
NOT_COMPUTED = "not computed for this publication"


class NotFoundError(LookupError):
    """A publication, trust or peer group that the store does not have (HTTP 404)."""


@dataclass(frozen=True)
class Selection:
    """What a request asks about: the publication and whether drafts are offered."""

    publication: StoredPublication
    include_drafts: bool

    @property
    def period_end(self) -> Month:
        return self.publication.period_end


class Dashboard:
    """Every answer of the dashboard for one results store."""

    def __init__(self, store: DashboardStore) -> None:
        self.store = store

    # --- publications --------------------------------------------------------------------------------------

    def publications(self, *, include_drafts: bool = False) -> list[StoredPublication]:
        return visible_publications(self.store.publications(), include_drafts=include_drafts)

    def select(self, period: str | None, *, include_drafts: bool = False) -> Selection:
        """The publication of ``period`` (``YYYY-MM``), or the latest one offered when None."""
        offered = self.publications(include_drafts=include_drafts)
        if period:
            try:
                month = Month.parse(period)
            except ConfigError as error:
                raise NotFoundError(str(error)) from error
            found = next((p for p in self.store.publications() if p.period_end == month), None)
            if found is None:
                raise NotFoundError(f"no publication for period end {period}")
            return Selection(found, include_drafts)
        if not offered:
            raise NotFoundError("the results store holds no publication yet: run `hospmort run` first")
        return Selection(offered[-1], include_drafts)

    def publications_json(self, *, include_drafts: bool) -> list[dict[str, Any]]:
        return [{"period_end": str(p.period_end), "time_period": p.time_period, "status": p.status.value,
                 "indicators": [i.value for i in p.indicators]}
                for p in self.publications(include_drafts=include_drafts)]

    # --- stored rows ---------------------------------------------------------------------------------------

    def trust_rows(self, period: Month) -> list[dict[str, Any]]:
        return self.store.rows(SHMI_TRUST, period)

    def hsmr_rows(self, period: Month) -> list[dict[str, Any]]:
        table = first_defined_table(HSMR_TRUST_TABLES)
        return self.store.rows(table, period) if table else []

    def hsmr_group_rows(self, period: Month) -> list[dict[str, Any]]:
        table = first_defined_table(HSMR_GROUP_TABLES)
        return self.store.rows(table, period) if table else []

    def trust_tau2(self, period: Month) -> float | None:
        row = next((r for r in self.store.rows(SHMI_LIMITS, period) if r[col.BREAKDOWN] == "TRUST"), None)
        return None if row is None else float(row[col.TAU2])

    def names(self, period: Month) -> dict[str, str]:
        return {r[col.PROVIDER_CODE]: r[col.PROVIDER_NAME] for r in self.trust_rows(period)}

    def region_codes(self, period: Month) -> dict[str, str | None]:
        return {r[col.PROVIDER_CODE]: r.get(col.PROVIDER_REGION_CODE) for r in self.trust_rows(period)}

    def region_names(self, period: Month) -> dict[str, str]:
        return {r[col.PROVIDER_CODE]: r.get(col.PROVIDER_REGION_NAME) or "" for r in self.trust_rows(period)}

    def trust_row(self, period: Month, provider_code: str) -> an.Row:
        row = next((r for r in self.trust_rows(period) if r[col.PROVIDER_CODE] == provider_code), None)
        if row is None:
            raise NotFoundError(f"no trust {provider_code} in the publication for {period}")
        return row

    def peer_group(self, name: str) -> PeerGroup:
        group = self.store.peer_group(name)
        if group is None:
            raise NotFoundError(f"no peer group called {name!r}")
        return group

    # --- national overview ---------------------------------------------------------------------------------

    def overview(self, selection: Selection, viewer: Viewer, *, region: str | None,
                 highlight: str | None) -> dict[str, Any]:
        """See :meth:`_overview` (kept until the store changes)."""
        return self.store.memo(
            ("overview", *(selection.period_end, selection.include_drafts, viewer, region, highlight)),
            lambda: self._overview(selection, viewer, region=region, highlight=highlight))

    def _overview(self, selection: Selection, viewer: Viewer, *, region: str | None,
                  highlight: str | None) -> dict[str, Any]:
        period = selection.period_end
        trust_rows = self.trust_rows(period)
        hsmr_rows = self.hsmr_rows(period)
        regions = self.region_codes(period)
        shmi_funnel = an.shmi_national_funnel(trust_rows, self.trust_tau2(period), highlight=highlight, region=region)
        hsmr_available = bool(hsmr_rows)
        return {
            "period_end": str(period),
            "time_period": selection.publication.time_period,
            "status": selection.publication.status.value,
            "region": region,
            "viewer": viewer.describe(),
            "shmi": {
                "available": True,
                "funnel": shmi_funnel,
                "banding_counts": shmi_funnel["banding_counts"],
                "table": an.shmi_trust_table(viewer, trust_rows, region=region).as_json(),
            },
            "hsmr": {
                "available": hsmr_available,
                "message": None if hsmr_available else NOT_COMPUTED,
                "funnel": (an.hsmr_national_funnel(hsmr_rows, regions, self.region_names(period),
                                                   highlight=highlight, region=region)
                           if hsmr_available else None),
                "table": an.hsmr_trust_table(viewer, hsmr_rows, regions, region=region).as_json(),
            },
        }

    # --- trust page ----------------------------------------------------------------------------------------

    def trust(self, selection: Selection, viewer: Viewer, provider_code: str, *,
              peer_group: str | None = None) -> dict[str, Any]:
        """See :meth:`_trust` (kept until the store changes)."""
        return self.store.memo(
            ("trust", *(selection.period_end, selection.include_drafts, viewer, provider_code, peer_group)),
            lambda: self._trust(selection, viewer, provider_code, peer_group=peer_group))

    def _trust(self, selection: Selection, viewer: Viewer, provider_code: str, *,
               peer_group: str | None = None) -> dict[str, Any]:
        period = selection.period_end
        row = self.trust_row(period, provider_code)
        view = view_for_row(viewer, provider_code)
        trust_rows = self.trust_rows(period)
        region = row.get(col.PROVIDER_REGION_CODE)
        hsmr_unit = next((u for u in an.hsmr_trust_units(self.hsmr_rows(period)) if u.provider_code == provider_code),
                         None)
        positions = [an.comparison_json(viewer, an.shmi_selection_breakdown(trust_rows, None), provider_code,
                                        label="England (all eligible trusts)")]
        if region:
            members = [r[col.PROVIDER_CODE] for r in trust_rows if r.get(col.PROVIDER_REGION_CODE) == region]
            positions.append(an.comparison_json(viewer, an.shmi_selection_breakdown(trust_rows, members),
                                                provider_code, label=f"Region: {row.get(col.PROVIDER_REGION_NAME)}"))
        if peer_group:
            group = self.peer_group(peer_group)
            positions.append(an.comparison_json(
                viewer, an.shmi_selection_breakdown(trust_rows, set(group.provider_codes) | {provider_code}),
                provider_code, label=f"Peer group: {group.name}"))
        comparison_table = first_defined_table(HSMR_COMPARISON_TABLES)
        comparison_rows = self.store.rows(comparison_table, period) if comparison_table else []
        gap = an.gap_table(provider_code, comparison_rows, shmi_eligible=an.shmi_row_is_eligible(row),
                           hsmr_eligible=hsmr_unit is not None and hsmr_unit.eligible)
        periods = {str(p.period_end): p.time_period
                   for p in self.publications(include_drafts=selection.include_drafts)}
        periods[str(period)] = selection.publication.time_period
        all_hsmr = self.store.rows(first_defined_table(HSMR_TRUST_TABLES) or "", None)
        return {
            "period_end": str(period),
            "time_period": selection.publication.time_period,
            "provider_code": provider_code,
            "provider_name": row[col.PROVIDER_NAME],
            "region_code": region,
            "region_name": row.get(col.PROVIDER_REGION_NAME),
            "view": view.value,
            "shmi": an.show_stored_shmi_row(row, view),
            "hsmr": {"available": hsmr_unit is not None,
                     "message": None if hsmr_unit is not None else NOT_COMPUTED,
                     "figures": None if hsmr_unit is None else an.show_hsmr_figures(hsmr_unit, view)},
            "trend": an.trend_table(viewer, provider_code, self.store.rows(SHMI_TRUST, None), all_hsmr,
                                    periods).as_json(),
            "positions": positions,
            "gap": {"available": bool(gap.rows), "message": None if gap.rows else NOT_COMPUTED,
                    "table": gap.as_json()},
            "contextual": an.contextual_table(viewer, provider_code,
                                              self.store.rows(SHMI_CONTEXTUAL, period)).as_json(),
            "sites": an.site_table(viewer, provider_code, self.store.rows(SHMI_SITE, period)).as_json(),
            "alerts": self.alerts(selection, provider_code),
            "monitoring_visible": viewer.provider_code == provider_code,
        }

    def alerts(self, selection: Selection, provider_code: str) -> dict[str, Any]:
        """The trust's alerts (statistics.md §6.4): from the register for a published publication, from the
        publication's own preview for a draft; open alerts (``NEW`` then ``OPEN``, newest first) and closed ones
        up to 12 months after the last month of their closing publication; mortality alerts and positive
        signals in separate lists; and the trust's units that are not monitorable (§4.4.5)."""
        period = selection.period_end
        draft = selection.publication.status.value == "draft"
        if draft:
            rows = self.store.rows_where("alert_preview", period, col.PROVIDER_CODE, provider_code)
        else:
            rows = self.store.rows_where(first_defined_table(ALERT_TABLES) or "", None, col.PROVIDER_CODE,
                                         provider_code)
        published_any = bool(self.store.rows(first_defined_table(ALERT_TABLES) or "", None)) or draft
        parameters = self.store.rows_where("cusum_parameters", period, col.PROVIDER_CODE, provider_code)
        not_monitorable = sorted({f"{r[col.INDICATOR]} {r[col.UNIT]} ({r[col.CHART]})" for r in parameters
                                  if r.get(col.MONITORABLE) == 0})
        if not published_any and not parameters:
            return {"available": False, "message": NOT_COMPUTED, "alerts": [], "positive": [],
                    "not_monitorable": []}
        shown = [an.alert_row(r) for r in rows if an.alert_is_visible(r, period)]
        shown.sort(key=an.alert_sort_key)
        return {"available": True, "message": None, "draft_preview": draft,
                "alerts": [r for r in shown if r["category"] == "ALERT"],
                "positive": [r for r in shown if r["category"] == "POSITIVE"],
                "not_monitorable": not_monitorable}

    def monitoring(self, selection: Selection, viewer: Viewer, provider_code: str, indicator: str,
                   unit: str) -> dict[str, Any]:
        """A unit's VLAD chart with its CUSUM signals (statistics.md §3): daily points and signals as stored.

        VLAD and CUSUM charts of a trust are shown to that trust only (shmi.md §15; the national role comes with
        issue 8): anyone else gets :class:`PermissionError`.
        """
        if viewer.provider_code != provider_code:
            raise PermissionError("VLAD and CUSUM charts are shown to the trust's own staff only (shmi.md §15)")
        period = selection.period_end
        points = [r for r in self.store.rows_where("monitoring_points", period, col.PROVIDER_CODE, provider_code)
                  if r[col.INDICATOR] == indicator and str(r[col.UNIT]) == unit]
        # a unit's VLAD shows its own signals, a trust's VLAD those of all its units (statistics.md §3.1)
        signals = [r for r in self.store.rows_where("monitoring_signals", period, col.PROVIDER_CODE, provider_code)
                   if r[col.INDICATOR] == indicator and unit in ("TRUST", str(r[col.UNIT]))]
        return an.monitoring_json(indicator, unit, points, signals)

    def trend(self, selection: Selection, viewer: Viewer, provider_code: str) -> an.DataTable:
        self.trust_row(selection.period_end, provider_code)
        periods = {str(p.period_end): p.time_period
                   for p in self.publications(include_drafts=selection.include_drafts)}
        periods[str(selection.period_end)] = selection.publication.time_period
        all_hsmr = self.store.rows(first_defined_table(HSMR_TRUST_TABLES) or "", None)
        return an.trend_table(viewer, provider_code, self.store.rows(SHMI_TRUST, None), all_hsmr, periods)

    # --- diagnosis drill-down ------------------------------------------------------------------------------

    def diagnoses(self, selection: Selection, viewer: Viewer, provider_code: str) -> dict[str, Any]:
        """See :meth:`_diagnoses` (kept until the store changes)."""
        return self.store.memo(
            ("diagnoses", *(selection.period_end, viewer, provider_code)),
            lambda: self._diagnoses(selection, viewer, provider_code))

    def _diagnoses(self, selection: Selection, viewer: Viewer, provider_code: str) -> dict[str, Any]:
        period = selection.period_end
        self.trust_row(period, provider_code)
        group_rows = self.store.rows(SHMI_GROUP, period)
        national_rows = self.store.rows(SHMI_NATIONAL_GROUP, period)
        ccs = an.drill_down_ccs(viewer, provider_code, self.hsmr_group_rows(period))
        return {
            "period_end": str(period),
            "provider_code": provider_code,
            "supergroups": an.drill_down_supergroups(viewer, provider_code, group_rows, national_rows).as_json(),
            "groups": an.drill_down_groups(viewer, provider_code, group_rows, national_rows).as_json(),
            "ccs": {"available": bool(self.hsmr_group_rows(period)),
                    "message": None if self.hsmr_group_rows(period) else NOT_COMPUTED, "table": ccs.as_json()},
        }

    def basket(self, selection: Selection, viewer: Viewer, provider_code: str | None,
               groups: Sequence[int]) -> dict[str, Any]:
        """See :meth:`_basket` (kept until the store changes)."""
        return self.store.memo(
            ("basket", *(selection.period_end, viewer, provider_code, tuple(groups))),
            lambda: self._basket(selection, viewer, provider_code, groups))

    def _basket(self, selection: Selection, viewer: Viewer, provider_code: str | None,
                groups: Sequence[int]) -> dict[str, Any]:
        """A basket of diagnosis groups (shmi.md §13.1): the trust's figures, England's sums and the funnel of
        all trusts for the basket."""
        if not groups:
            raise ValueError("a basket needs at least one diagnosis group")
        period = selection.period_end
        if provider_code:
            self.trust_row(period, provider_code)
        result = an.compute_basket_for_trusts(groups, provider_code, self.store.rows(SHMI_GROUP, period),
                                              self.store.rows(SHMI_NATIONAL_GROUP, period))
        labels = refdata.diagnosis_group_labels()
        names = self.names(period)
        trust = None
        if provider_code and result.trust is not None:
            trust = an.show_basket(result.trust, view_for_row(viewer, provider_code))
            unit = an.unit_of(result.breakdown, provider_code)
            trust["banding"] = (None if unit is None else
                                an.shown(show_banding(unit.banding, eligible=unit.eligible,
                                                         view=view_for_row(viewer, provider_code))))
        funnel = an.breakdown_funnel(result.breakdown, names, self.region_names(period), highlight=provider_code,
                                     title="Basket: " + ", ".join(str(g) for g in result.groups))
        return {
            "period_end": str(period),
            "provider_code": provider_code,
            "groups": [{"group": g, "label": labels.get(g, str(g))} for g in result.groups],
            "trust": trust,
            "england": {"observed": result.england_observed, "expected": result.england_expected},
            "funnel": funnel,
            "table": an.selection_table(viewer, result.breakdown, names, "basket_trusts").as_json(),
        }

    # --- funnels for a selection, peer groups, regions -------------------------------------------------------

    def selection_codes(self, period: Month, *, region: str | None, peer_group: str | None) -> list[str] | None:
        if peer_group:
            return list(self.peer_group(peer_group).provider_codes)
        if region:
            return [c for c, r in self.region_codes(period).items() if r == region]
        return None

    def funnel(self, selection: Selection, viewer: Viewer, *, level: str, groups: Sequence[int],
               region: str | None, peer_group: str | None, highlight: str | None) -> dict[str, Any]:
        """See :meth:`_funnel` (kept until the store changes)."""
        return self.store.memo(
            ("funnel", *(selection.period_end, viewer, level, tuple(groups), region, peer_group, highlight)),
            lambda: self._funnel(selection, viewer, level=level, groups=groups, region=region, peer_group=peer_group,
                                                      highlight=highlight))

    def _funnel(self, selection: Selection, viewer: Viewer, *, level: str, groups: Sequence[int],
                region: str | None, peer_group: str | None, highlight: str | None) -> dict[str, Any]:
        """A SHMI funnel for a selection of trusts at a level (shmi.md §13.1): limits recomputed over the
        eligible units of the selection."""
        period = selection.period_end
        codes = self.selection_codes(period, region=region, peer_group=peer_group)
        names = self.names(period)
        if level == "trust":
            breakdown = an.shmi_selection_breakdown(self.trust_rows(period), codes)
        elif level in ("group", "supergroup", "basket"):
            chosen = tuple(groups)
            if level == "supergroup":
                members = an.supergroup_members()
                chosen = tuple(g for number in groups for g in members.get(number, ("", ()))[1])
            if not chosen:
                raise ValueError(f"level {level} needs groups")
            if level == "group" and len(chosen) != 1:
                raise ValueError("level group takes exactly one diagnosis group")
            breakdown = an.compute_basket_for_trusts(chosen, None, self.store.rows(SHMI_GROUP, period),
                                                     self.store.rows(SHMI_NATIONAL_GROUP, period), codes).breakdown
        else:
            raise ValueError(f"level must be trust, group, supergroup or basket, got {level!r}")
        title = f"SHMI funnel ({level})" + (f", region {region}" if region else "") + (
            f", peer group {peer_group}" if peer_group else "")
        return {"funnel": an.breakdown_funnel(breakdown, names, self.region_names(period), highlight=highlight,
                                              title=title),
                "table": an.selection_table(viewer, breakdown, names, "funnel_units").as_json()}

    def peer_comparison(self, selection: Selection, viewer: Viewer, name: str,
                        provider_code: str | None) -> dict[str, Any]:
        """See :meth:`_peer_comparison` (kept until the store changes)."""
        return self.store.memo(
            ("peer_comparison", *(selection.period_end, viewer, name, provider_code)),
            lambda: self._peer_comparison(selection, viewer, name, provider_code))

    def _peer_comparison(self, selection: Selection, viewer: Viewer, name: str,
                         provider_code: str | None) -> dict[str, Any]:
        """A trust against a peer group: SHMI limits recomputed over the peers (shmi.md §13.1) and the HSMR
        re-based on the peers (hsmr.md §8.1)."""
        period = selection.period_end
        group = self.peer_group(name)
        codes = set(group.provider_codes) | ({provider_code} if provider_code else set())
        names = self.names(period)
        breakdown = compute_breakdown(an.unit_counts(r) for r in self.trust_rows(period)
                                      if r[col.PROVIDER_CODE] in codes)
        hsmr_units = [u for u in an.hsmr_trust_units(self.hsmr_rows(period)) if u.provider_code in codes]
        hsmr_peers = an.rebase_hsmr_on_peers([
            (u.provider_code, u.cips, u.observed, u.expected_raw if u.expected_raw is not None else u.expected)
            for u in hsmr_units])
        hsmr_rows = [{"provider_code": f.provider_code, "provider_name": names.get(f.provider_code, f.provider_code),
                      **an.show_hsmr_peer(f, view_for_row(viewer, f.provider_code))} for f in hsmr_peers]
        return {
            "period_end": str(period),
            "peer_group": {"name": group.name, "provider_codes": list(group.provider_codes)},
            "provider_code": provider_code,
            "missing_trusts": sorted(codes - set(names)),
            "shmi": {
                "comparison": an.comparison_json(viewer, breakdown, provider_code, label=f"Peer group: {group.name}"),
                "funnel": an.breakdown_funnel(breakdown, names, self.region_names(period), highlight=provider_code,
                                              title=f"SHMI, limits over peer group {group.name}"),
                "table": an.selection_table(viewer, breakdown, names, "peer_shmi").as_json(),
            },
            "hsmr": {
                "available": bool(hsmr_units),
                "message": None if hsmr_units else NOT_COMPUTED,
                "note": "values relative to the peer group (hsmr.md §8.1), not the published HSMR",
                "funnel": an.hsmr_peer_funnel(hsmr_peers, names, highlight=provider_code,
                                              title=f"HSMR relative to peer group {group.name}")
                if hsmr_units else None,
                "table": {"name": "peer_hsmr", "columns": ["provider_code", "provider_name", "cips", "observed",
                                                           "expected", "hsmr_relative_to_peers", "banding",
                                                           "banding_95", "ll_95", "ul_95", "ll_998", "ul_998"],
                          "rows": hsmr_rows},
            },
        }

    def regions(self, selection: Selection) -> an.DataTable:
        return an.region_summary_table(self.trust_rows(selection.period_end))

    def publication_indicators(self, selection: Selection) -> tuple[Indicator, ...]:
        return selection.publication.indicators


def disclosed_view(viewer: Viewer, provider_code: str) -> View:
    """Re-exported for templates: the view of one row for one viewer."""
    return view_for_row(viewer, provider_code)
