"""The JSON API under ``/api`` (documented by its OpenAPI schema at ``/api/openapi.json``).

Every resource is computed from stored aggregates (:class:`~hospmort.web.service.Dashboard`) and shown per row
for the viewer (shmi.md §15): counts, expected deaths and percentages of other organisations are disclosed
(``"*"`` when suppressed), ratios, limits and funnel points only for eligible units; national rows are
unsuppressed. CSV downloads of the same tables are under ``/api/csv``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from hospmort import refdata
from hospmort.web import analysis as an
from hospmort.web.downloads import official_file_csv, official_files, table_csv
from hospmort.web.service import Dashboard, NotFoundError, Selection
from hospmort.web.viewer import Viewer

router = APIRouter(prefix="/api")

PeriodQuery = Annotated[str | None, Query(description="Period-end month YYYY-MM of the publication (default: the "
                                                      "latest published).", pattern=r"^\d{4}-\d{2}$")]
DraftsQuery = Annotated[bool, Query(description="Offer draft publications too.")]
RegionQuery = Annotated[str | None, Query(description="NHS England region code, e.g. Y56.")]
TrustQuery = Annotated[str | None, Query(description="Trust code (PROCODE3) to highlight or compare.")]
GroupsQuery = Annotated[list[str], Query(description="SHMI diagnosis groups 1-144 (repeat, or comma-separated).")]


def get_dashboard(request: Request) -> Dashboard:
    dashboard: Dashboard = request.app.state.dashboard
    return dashboard


def get_viewer(request: Request) -> Viewer:
    viewer: Viewer = request.app.state.viewer_resolver(request)
    return viewer


DashboardDep = Annotated[Dashboard, Depends(get_dashboard)]
ViewerDep = Annotated[Viewer, Depends(get_viewer)]


def json_response(content: Any) -> JSONResponse:
    return JSONResponse(content)


def csv_response(text: str, filename: str) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def select(dashboard: Dashboard, period: str | None, drafts: bool) -> Selection:
    return dashboard.select(period, include_drafts=drafts)


def parsed_groups(groups: list[str]) -> tuple[int, ...]:
    return an.parse_groups(groups)


# --- resources -------------------------------------------------------------------------------------------------


@router.get("/health", summary="Liveness: answers without reading the store")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/publications", summary="Stored publications offered (published; drafts with drafts=true)")
def publications(dashboard: DashboardDep, drafts: DraftsQuery = False) -> JSONResponse:
    return json_response({"publications": dashboard.publications_json(include_drafts=drafts)})


@router.get("/trusts", summary="Trusts of a publication with their regions")
def trusts(dashboard: DashboardDep, period: PeriodQuery = None, drafts: DraftsQuery = False) -> JSONResponse:
    selection = select(dashboard, period, drafts)
    rows = dashboard.trust_rows(selection.period_end)
    return json_response({"period_end": str(selection.period_end), "trusts": an.trust_directory(rows),
                          "regions": an.regions_of(rows)})


@router.get("/diagnosis-groups", summary="SHMI diagnosis groups with their supergroups (for baskets)")
def diagnosis_groups() -> JSONResponse:
    labels = refdata.diagnosis_group_labels()
    supergroups = refdata.supergroups()
    return json_response({"groups": [
        {"group": g, "label": labels[g], "supergroup": supergroups.get(g, (None, None))[0],
         "supergroup_name": supergroups.get(g, (None, None))[1],
         "banded": g in refdata.BANDED_DIAGNOSIS_GROUPS} for g in sorted(labels)]})


@router.get("/overview", summary="National overview: SHMI and HSMR funnels of all trusts, tables, banding counts")
def overview(dashboard: DashboardDep, viewer: ViewerDep, period: PeriodQuery = None, region: RegionQuery = None,
             trust: TrustQuery = None, drafts: DraftsQuery = False) -> JSONResponse:
    selection = select(dashboard, period, drafts)
    return json_response(dashboard.overview(selection, viewer, region=region, highlight=trust))


@router.get("/trusts/{provider_code}", summary="A trust: headline SHMI and HSMR, positions, gap, context, sites")
def trust(provider_code: str, dashboard: DashboardDep, viewer: ViewerDep, period: PeriodQuery = None,
          peer_group: Annotated[str | None, Query(description="Saved peer group to compare with.")] = None,
          drafts: DraftsQuery = False) -> JSONResponse:
    selection = select(dashboard, period, drafts)
    return json_response(dashboard.trust(selection, viewer, provider_code, peer_group=peer_group))


@router.get("/trusts/{provider_code}/trend", summary="A trust's SHMI and HSMR over the stored publications")
def trend(provider_code: str, dashboard: DashboardDep, viewer: ViewerDep, period: PeriodQuery = None,
          drafts: DraftsQuery = False) -> JSONResponse:
    selection = select(dashboard, period, drafts)
    return json_response(dashboard.trend(selection, viewer, provider_code).as_json())


@router.get("/trusts/{provider_code}/monitoring",
            summary="A unit's VLAD chart and CUSUM signals (the trust's own staff only, shmi.md §15)")
def monitoring(provider_code: str, dashboard: DashboardDep, viewer: ViewerDep,
               indicator: Annotated[str, Query(description="SHMI or HSMR.", pattern="^(SHMI|HSMR)$")] = "SHMI",
               unit: Annotated[str, Query(description="TRUST, or a diagnosis group / CCS category.")] = "TRUST",
               period: PeriodQuery = None, drafts: DraftsQuery = False) -> JSONResponse:
    selection = select(dashboard, period, drafts)
    return json_response(dashboard.monitoring(selection, viewer, provider_code, indicator, unit))


@router.get("/trusts/{provider_code}/diagnoses",
            summary="Diagnosis drill-down: supergroups, SHMI groups, CCS categories, sorted by contribution")
def diagnoses(provider_code: str, dashboard: DashboardDep, viewer: ViewerDep, period: PeriodQuery = None,
              drafts: DraftsQuery = False) -> JSONResponse:
    selection = select(dashboard, period, drafts)
    return json_response(dashboard.diagnoses(selection, viewer, provider_code))


@router.get("/basket", summary="A basket of diagnosis groups: a trust's figures and the funnel of all trusts")
def basket(dashboard: DashboardDep, viewer: ViewerDep, groups: GroupsQuery, trust: TrustQuery = None,
           period: PeriodQuery = None, drafts: DraftsQuery = False) -> JSONResponse:
    selection = select(dashboard, period, drafts)
    return json_response(dashboard.basket(selection, viewer, trust, parsed_groups(groups)))


@router.get("/funnel", summary="SHMI funnel for a selection of trusts, limits recomputed over the selection")
def funnel(dashboard: DashboardDep, viewer: ViewerDep,
           level: Annotated[str, Query(description="trust, group, supergroup or basket.")] = "trust",
           groups: Annotated[list[str] | None, Query(description="Groups (or supergroup numbers).")] = None,
           region: RegionQuery = None,
           peer_group: Annotated[str | None, Query(description="Saved peer group as the selection.")] = None,
           trust: TrustQuery = None, period: PeriodQuery = None, drafts: DraftsQuery = False) -> JSONResponse:
    selection = select(dashboard, period, drafts)
    return json_response(dashboard.funnel(selection, viewer, level=level, groups=parsed_groups(groups or []),
                                          region=region, peer_group=peer_group, highlight=trust))


@router.get("/regions", summary="Regional comparison: each region's funnel of its own trusts")
def regions(dashboard: DashboardDep, period: PeriodQuery = None, drafts: DraftsQuery = False) -> JSONResponse:
    selection = select(dashboard, period, drafts)
    return json_response(dashboard.regions(selection).as_json())


class PeerGroupIn(BaseModel):
    """A peer group to save: a name and at least two trust codes."""

    name: str = Field(min_length=1, max_length=80, description="Name of the peer group.")
    provider_codes: list[str] = Field(min_length=2, description="Trust codes (PROCODE3) of its members.")


@router.get("/peer-groups", summary="Saved peer groups")
def peer_groups(dashboard: DashboardDep) -> JSONResponse:
    return json_response({"peer_groups": [{"name": g.name, "provider_codes": list(g.provider_codes)}
                                          for g in dashboard.store.peer_groups()]})


@router.post("/peer-groups", status_code=201, summary="Save (or replace) a peer group")
def save_peer_group(body: PeerGroupIn, dashboard: DashboardDep) -> JSONResponse:
    group = dashboard.store.save_peer_group(body.name, body.provider_codes)
    return JSONResponse({"name": group.name, "provider_codes": list(group.provider_codes)}, status_code=201)


@router.delete("/peer-groups/{name}", summary="Delete a peer group")
def delete_peer_group(name: str, dashboard: DashboardDep) -> JSONResponse:
    if not dashboard.store.delete_peer_group(name):
        raise NotFoundError(f"no peer group called {name!r}")
    return json_response({"deleted": name})


@router.get("/peer-groups/{name}/comparison",
            summary="A trust against a peer group: SHMI limits over the peers, HSMR re-based on the peers")
def peer_comparison(name: str, dashboard: DashboardDep, viewer: ViewerDep, trust: TrustQuery = None,
                    period: PeriodQuery = None, drafts: DraftsQuery = False) -> JSONResponse:
    selection = select(dashboard, period, drafts)
    return json_response(dashboard.peer_comparison(selection, viewer, name, trust))


@router.get("/publications/{period}/files", summary="The publication's official files (shmi.md §16)")
def publication_files(period: str, dashboard: DashboardDep) -> JSONResponse:
    selection = select(dashboard, period, True)
    return json_response({"period_end": period, "files": [
        {"name": f.name, "url": f"/api/publications/{period}/files/{f.name}"}
        for f in official_files(dashboard, selection)]})


@router.get("/publications/{period}/files/{name}", summary="One official file of the publication, as CSV")
def publication_file(period: str, name: str, dashboard: DashboardDep) -> Response:
    selection = select(dashboard, period, True)
    return csv_response(official_file_csv(dashboard, selection, name), name)


# --- CSV of every chart and table ------------------------------------------------------------------------------


@router.get("/csv/overview-{indicator}.csv", summary="CSV: the overview table of the SHMI or the HSMR")
def overview_csv(indicator: str, dashboard: DashboardDep, viewer: ViewerDep, period: PeriodQuery = None,
                 region: RegionQuery = None, drafts: DraftsQuery = False) -> Response:
    selection = select(dashboard, period, drafts)
    data = dashboard.overview(selection, viewer, region=region, highlight=None)
    if indicator not in ("shmi", "hsmr"):
        raise NotFoundError(f"no overview table {indicator!r}: shmi or hsmr")
    table = data[indicator]["table"]
    return csv_response(table_csv(an.DataTable(table["name"], tuple(table["columns"]), table["rows"])),
                        f"{indicator}_overview_{selection.period_end}.csv")


TRUST_TABLES = ("trend", "contextual", "sites", "gap", "supergroups", "groups", "ccs")


@router.get("/csv/trusts/{provider_code}/{table}.csv",
            summary="CSV: a trust's table (trend, contextual, sites, gap, supergroups, groups, ccs)")
def trust_csv(provider_code: str, table: str, dashboard: DashboardDep, viewer: ViewerDep,
              period: PeriodQuery = None, drafts: DraftsQuery = False) -> Response:
    selection = select(dashboard, period, drafts)
    if table not in TRUST_TABLES:
        raise NotFoundError(f"no trust table {table!r}: {', '.join(TRUST_TABLES)}")
    if table in ("supergroups", "groups", "ccs"):
        data = dashboard.diagnoses(selection, viewer, provider_code)
        chosen = data[table]["table"] if table == "ccs" else data[table]
    else:
        data = dashboard.trust(selection, viewer, provider_code)
        chosen = data[table]["table"] if table == "gap" else data[table]
    return csv_response(table_csv(an.DataTable(chosen["name"], tuple(chosen["columns"]), chosen["rows"])),
                        f"{provider_code}_{table}_{selection.period_end}.csv")


@router.get("/csv/basket.csv", summary="CSV: every trust's figures for a basket")
def basket_csv(dashboard: DashboardDep, viewer: ViewerDep, groups: GroupsQuery, trust: TrustQuery = None,
               period: PeriodQuery = None, drafts: DraftsQuery = False) -> Response:
    selection = select(dashboard, period, drafts)
    table = dashboard.basket(selection, viewer, trust, parsed_groups(groups))["table"]
    return csv_response(table_csv(an.DataTable(table["name"], tuple(table["columns"]), table["rows"])),
                        f"basket_{selection.period_end}.csv")


@router.get("/csv/peer-groups/{name}.csv", summary="CSV: a peer group's SHMI comparison table")
def peer_csv(name: str, dashboard: DashboardDep, viewer: ViewerDep, trust: TrustQuery = None,
             period: PeriodQuery = None, drafts: DraftsQuery = False) -> Response:
    selection = select(dashboard, period, drafts)
    table = dashboard.peer_comparison(selection, viewer, name, trust)["shmi"]["table"]
    return csv_response(table_csv(an.DataTable(table["name"], tuple(table["columns"]), table["rows"])),
                        f"peer_group_{selection.period_end}.csv")


@router.get("/csv/regions.csv", summary="CSV: the regional comparison")
def regions_csv(dashboard: DashboardDep, period: PeriodQuery = None, drafts: DraftsQuery = False) -> Response:
    selection = select(dashboard, period, drafts)
    return csv_response(table_csv(dashboard.regions(selection)), f"regions_{selection.period_end}.csv")
