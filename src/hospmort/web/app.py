"""The dashboard application: :func:`create_app` builds the FastAPI app for one results store.

Pages are rendered on the server (Jinja2); charts are drawn in the browser by Plotly.js, served from the
installed ``plotly`` package (no CDN: the dashboard works with no internet). There is no inline script and no
inline event handler, so the strict content security policy set on every response holds.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Awaitable, Callable
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from hospmort import __version__
from hospmort.errors import StoreError
from hospmort.web import api, pages
from hospmort.web.service import Dashboard, NotFoundError
from hospmort.web.store_access import DashboardStore
from hospmort.web.viewer import ViewerResolver, resolve_anonymous_viewer

log = logging.getLogger(__name__)

#: Scripts and styles from this server only. Plotly.js sets element styles at run time, hence
#: ``'unsafe-inline'`` for styles (not scripts).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
PLOTLY_JS_ROUTE = "/static/vendor/plotly.min.js"


def static_folder() -> Path:
    return Path(str(files("hospmort.web").joinpath("static")))


def plotly_js_path() -> Path:
    """The plotly.min.js bundled with the installed ``plotly`` Python package (found without importing it)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or spec.origin is None:
        raise RuntimeError("the plotly package is not installed: pip install plotly")
    return Path(spec.origin).parent / "package_data" / "plotly.min.js"


def create_app(store_location: str | Path, *, viewer_resolver: ViewerResolver = resolve_anonymous_viewer) -> FastAPI:
    """The dashboard and JSON API for the results store at ``store_location`` (a DuckDB file or ``duckdb://``).

    ``viewer_resolver`` says who is asking (issue 8 plugs users in here); by default everyone is anonymous and
    sees every organisation's figures disclosure-controlled (shmi.md §15).
    """
    app = FastAPI(
        title="hospmort dashboard API",
        version=__version__,
        description="SHMI and HSMR mortality indicators from the hospmort results database. Every figure is a "
                    "stored aggregate or computed from them at request time; other organisations' counts are "
                    "disclosure-controlled (shmi.md §15): `\"*\"` marks a suppressed value.",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.dashboard = Dashboard(DashboardStore(store_location))
    app.state.viewer_resolver = viewer_resolver

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    @app.get(PLOTLY_JS_ROUTE, include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(plotly_js_path(), media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    app.mount("/static", StaticFiles(directory=static_folder()), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)

    def error(request: Request, status: int, message: str) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": message}, status_code=status)
        return pages.render_error(request, status, message)

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        return error(request, 404, str(exc))

    @app.exception_handler(ValueError)
    async def bad_request(request: Request, exc: ValueError) -> Response:
        return error(request, 400, str(exc))

    @app.exception_handler(PermissionError)
    async def forbidden(request: Request, exc: PermissionError) -> Response:
        return error(request, 403, str(exc))

    @app.exception_handler(StoreError)
    async def store_unavailable(request: Request, exc: StoreError) -> Response:
        log.warning("results store unavailable: %s", exc)
        return error(request, 503, f"the results database is unavailable: {exc}")

    return app


__all__ = ["CONTENT_SECURITY_POLICY", "HTMLResponse", "create_app", "plotly_js_path"]
