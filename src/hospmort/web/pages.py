"""Server-rendered pages of the dashboard (Jinja2 templates, NHS.UK design language).

Each page renders its tables on the server (the table alternative of every chart) and leaves ``data-src``
attributes for ``static/js/dashboard.js`` to draw the charts from the JSON API. Forms are plain HTML GET or
POST forms, so every action works with the keyboard and without script.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from hospmort import refdata
from hospmort.errors import StoreError
from hospmort.rounding import format_fixed
from hospmort.web import analysis as an
from hospmort.web.api import DashboardDep, ViewerDep
from hospmort.web.downloads import official_files
from hospmort.web.service import NotFoundError, Selection

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(str(files("hospmort.web").joinpath("templates")))))

#: Column headings of the tables (machine names → what a reader sees).
COLUMN_LABELS = {
    "provider_code": "Code", "provider_name": "Trust", "region_name": "Region", "region_code": "Region code",
    "spells": "Spells", "cips": "Spells (CIPS)", "observed": "Observed deaths", "expected": "Expected deaths",
    "shmi": "SHMI", "hsmr": "HSMR", "banding": "Banding", "banding_95": "Banding (95%)",
    "od_ll_95": "95% lower", "od_ul_95": "95% upper", "od_ll_998": "99.8% lower", "od_ul_998": "99.8% upper",
    "ll_95": "95% lower", "ul_95": "95% upper", "ll_998": "99.8% lower", "ul_998": "99.8% upper",
    "crude_mortality": "Crude mortality %", "period_end": "Period end", "time_period": "Period",
    "shmi_od_ll_95": "SHMI 95% lower", "shmi_od_ul_95": "SHMI 95% upper", "shmi_od_ll_998": "SHMI 99.8% lower",
    "shmi_od_ul_998": "SHMI 99.8% upper", "shmi_banding": "SHMI banding", "hsmr_ll_95": "HSMR 95% lower",
    "hsmr_ul_95": "HSMR 95% upper", "hsmr_ll_998": "HSMR 99.8% lower", "hsmr_ul_998": "HSMR 99.8% upper",
    "hsmr_banding": "HSMR banding", "indicator": "Indicator",
    "description": "Description", "measure": "Measure", "category": "Category",
    "numerator": "Numerator", "denominator": "Denominator", "value": "Value", "england_value": "England",
    "site_code": "Site code", "site_name": "Site", "site_type": "Site type", "step": "Step", "label": "Label",
    "key": "Code", "ratio": "Ratio", "ci95_lower": "95% CI lower", "ci95_upper": "95% CI upper",
    "ci998_lower": "99.8% CI lower", "ci998_upper": "99.8% CI upper", "contribution": "Excess deaths (O − E)",
    "hsmr_relative_to_peers": "HSMR relative to peers", "trusts": "Trusts", "trusts_eligible": "Eligible trusts",
    "higher_than_expected": "Higher than expected", "as_expected": "As expected",
    "lower_than_expected": "Lower than expected", "tau2": "τ²",
}
RATIO_COLUMNS = frozenset({"shmi", "od_ll_95", "od_ul_95", "od_ll_998", "od_ul_998", "shmi_od_ll_95",
                           "shmi_od_ul_95", "shmi_od_ll_998", "shmi_od_ul_998", "ratio", "ci95_lower",
                           "ci95_upper", "ci998_lower", "ci998_upper"})
HSMR_COLUMNS = frozenset({"hsmr", "ll_95", "ul_95", "ll_998", "ul_998", "hsmr_ll_95", "hsmr_ul_95",
                          "hsmr_ll_998", "hsmr_ul_998", "hsmr_relative_to_peers"})
BANDING_LABELS = {1: "1 higher than expected", 2: "2 as expected", 3: "3 lower than expected"}


def format_cell(value: Any, column: str) -> str:
    """A shown value as table text: ``*`` kept, empty for no value, ratios to 4 and HSMR values to 2 decimals."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if column in RATIO_COLUMNS and isinstance(value, int | float):
        return format_fixed(float(value), 4)
    if column in HSMR_COLUMNS and isinstance(value, int | float):
        return format_fixed(float(value), 2)
    if column == "tau2" and isinstance(value, float):
        return f"{value:.6f}"
    if column in ("banding", "shmi_banding", "hsmr_banding", "banding_95") and isinstance(value, int):
        return BANDING_LABELS.get(value, str(value))
    if isinstance(value, float):
        return format_fixed(value, 2) if column == "expected" else f"{value:g}"
    return str(value)


def sort_value(value: Any) -> str:
    """The ``data-sort`` of a cell: numbers as numbers, suppressed and empty values last."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(float(value))
    return ""


templates.env.filters["cell"] = format_cell
templates.env.filters["sortvalue"] = sort_value
templates.env.globals["column_label"] = lambda name: COLUMN_LABELS.get(name, name.replace("_", " "))


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def render_error(request: Request, status: int, message: str) -> Response:
    titles = {404: "Page not found", 400: "There is a problem with the request", 403: "Not shown to you",
              503: "The results database is unavailable"}
    return render(request, "error.html", {"title": titles.get(status, "Error"), "message": message,
                                          "status": status, "nav": ""}, status_code=status)


def query_string(**values: Any) -> str:
    """``?a=1&b=2`` of the non-empty values (lists repeat the key)."""
    pairs: list[tuple[str, Any]] = []
    for key, value in values.items():
        if value is None or value == "" or value is False:
            continue
        if isinstance(value, list | tuple):
            pairs.extend((key, v) for v in value)
        else:
            pairs.append((key, "1" if value is True else value))
    return "?" + urlencode(pairs) if pairs else ""


def base_context(dashboard: Any, selection: Selection, nav: str, **extra: Any) -> dict[str, Any]:
    return {
        "nav": nav,
        "selection": selection,
        "period": str(selection.period_end),
        "publications": dashboard.publications(include_drafts=selection.include_drafts),
        "drafts": selection.include_drafts,
        "query_string": query_string,
        **extra,
    }


PeriodParam = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")]


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request, dashboard: DashboardDep, viewer: ViewerDep, period: PeriodParam = None,
                  region: str | None = None, trust: str | None = None, drafts: bool = False) -> HTMLResponse:
    selection = dashboard.select(period, include_drafts=drafts)
    data = dashboard.overview(selection, viewer, region=region or None, highlight=trust or None)
    rows = dashboard.trust_rows(selection.period_end)
    api_query = query_string(period=str(selection.period_end), region=region, trust=trust, drafts=drafts)
    return render(request, "overview.html", base_context(
        dashboard, selection, "overview", title="National overview", data=data, region=region or "",
        trust=trust or "", trusts=an.trust_directory(rows), regions=an.regions_of(rows), api_query=api_query))


@router.get("/trusts/{provider_code}", response_class=HTMLResponse)
def trust_page(request: Request, provider_code: str, dashboard: DashboardDep, viewer: ViewerDep,
               period: PeriodParam = None, peer_group: str | None = None, drafts: bool = False) -> HTMLResponse:
    selection = dashboard.select(period, include_drafts=drafts)
    data = dashboard.trust(selection, viewer, provider_code, peer_group=peer_group or None)
    return render(request, "trust.html", base_context(
        dashboard, selection, "trust", title=data["provider_name"], data=data, peer_group=peer_group or "",
        peer_groups=dashboard.store.peer_groups(), trusts=an.trust_directory(dashboard.trust_rows(
            selection.period_end)),
        api_query=query_string(period=str(selection.period_end), drafts=drafts)))


@router.get("/trusts/{provider_code}/diagnoses", response_class=HTMLResponse)
def diagnoses_page(request: Request, provider_code: str, dashboard: DashboardDep, viewer: ViewerDep,
                   period: PeriodParam = None, groups: Annotated[list[str] | None, Query()] = None,
                   drafts: bool = False) -> HTMLResponse:
    selection = dashboard.select(period, include_drafts=drafts)
    data = dashboard.diagnoses(selection, viewer, provider_code)
    chosen = an.parse_groups(groups or [])
    basket = dashboard.basket(selection, viewer, provider_code, chosen) if chosen else None
    labels = refdata.diagnosis_group_labels()
    supergroups = refdata.supergroups()
    present = {row["key"] for row in data["groups"]["rows"]}
    options = [{"group": g, "label": labels[g], "supergroup": supergroups.get(g, (0, ""))[1],
                "checked": g in chosen, "present": g in present} for g in sorted(labels)]
    name = dashboard.names(selection.period_end).get(provider_code, provider_code)
    return render(request, "diagnoses.html", base_context(
        dashboard, selection, "trust", title=f"{name}: diagnoses", provider_name=name, data=data, basket=basket,
        chosen=chosen, options=options, api_query=query_string(period=str(selection.period_end), drafts=drafts),
        basket_query=query_string(period=str(selection.period_end), trust=provider_code, groups=list(chosen),
                                  drafts=drafts)))


@router.get("/peer-groups", response_class=HTMLResponse)
def peer_groups_page(request: Request, dashboard: DashboardDep, viewer: ViewerDep, period: PeriodParam = None,
                     name: str | None = None, trust: str | None = None, drafts: bool = False,
                     saved: str | None = None) -> HTMLResponse:
    selection = dashboard.select(period, include_drafts=drafts)
    groups = dashboard.store.peer_groups()
    comparison = None
    if name:
        comparison = dashboard.peer_comparison(selection, viewer, name, trust or None)
    return render(request, "peer_groups.html", base_context(
        dashboard, selection, "peer-groups", title="Peer groups", groups=groups, name=name or "", trust=trust or "",
        comparison=comparison, saved=saved, error=None, form_name="", form_codes=[],
        trusts=an.trust_directory(dashboard.trust_rows(selection.period_end)),
        api_query=query_string(period=str(selection.period_end), trust=trust, drafts=drafts)))


@router.post("/peer-groups", response_class=HTMLResponse)
def save_peer_group_form(request: Request, dashboard: DashboardDep,
                         name: Annotated[str, Form()] = "",
                         provider_codes: Annotated[list[str] | None, Form()] = None,
                         period: Annotated[str, Form()] = "") -> Response:
    try:
        group = dashboard.store.save_peer_group(name, provider_codes or [])
    except (ValueError, StoreError) as error:
        selection = dashboard.select(period or None, include_drafts=False)
        return render(request, "peer_groups.html", base_context(
            dashboard, selection, "peer-groups", title="Peer groups", groups=dashboard.store.peer_groups(),
            name="", trust="", comparison=None, saved=None, error=str(error), form_name=name,
            form_codes=provider_codes or [], trusts=an.trust_directory(dashboard.trust_rows(selection.period_end)),
            api_query=""), status_code=400)
    target = "/peer-groups" + query_string(period=period or None, name=group.name, saved=group.name)
    return RedirectResponse(target, status_code=303)


@router.post("/peer-groups/delete")
def delete_peer_group_form(dashboard: DashboardDep, name: Annotated[str, Form()]) -> Response:
    if not dashboard.store.delete_peer_group(name):
        raise NotFoundError(f"no peer group called {name!r}")
    return RedirectResponse("/peer-groups", status_code=303)


@router.get("/regions", response_class=HTMLResponse)
def regions_page(request: Request, dashboard: DashboardDep, viewer: ViewerDep, period: PeriodParam = None,
                 region: str | None = None, drafts: bool = False) -> HTMLResponse:
    selection = dashboard.select(period, include_drafts=drafts)
    table = dashboard.regions(selection).as_json()
    funnel = (dashboard.funnel(selection, viewer, level="trust", groups=(), region=region, peer_group=None,
                               highlight=None) if region else None)
    return render(request, "regions.html", base_context(
        dashboard, selection, "regions", title="Regional comparison", table=table, region=region or "",
        funnel=funnel, api_query=query_string(period=str(selection.period_end), region=region, drafts=drafts)))


@router.get("/downloads", response_class=HTMLResponse)
def downloads_page(request: Request, dashboard: DashboardDep, period: PeriodParam = None,
                   drafts: bool = False) -> HTMLResponse:
    selection = dashboard.select(period, include_drafts=drafts)
    return render(request, "downloads.html", base_context(
        dashboard, selection, "downloads", title="Downloads", files=official_files(dashboard, selection),
        trusts=an.trust_directory(dashboard.trust_rows(selection.period_end))))


@router.get("/api-docs", response_class=HTMLResponse)
def api_docs_page(request: Request) -> HTMLResponse:
    schema = request.app.openapi()
    operations = []
    for path, methods in schema.get("paths", {}).items():
        for method, operation in methods.items():
            operations.append({
                "method": method.upper(), "path": path, "summary": operation.get("summary", ""),
                "parameters": [{"name": p["name"], "in": p["in"], "description": p.get("description", ""),
                                "required": p.get("required", False)} for p in operation.get("parameters", [])],
            })
    return render(request, "api_docs.html", {"title": "JSON API", "nav": "api", "operations": operations,
                                             "query_string": query_string})
