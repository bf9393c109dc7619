"""The API's documentation pages (/docs: Swagger UI, /redoc: ReDoc), served entirely from the package: their scripts
and styles are vendored from the npm registry (tools/vendored.toml), so the pages work on a machine without internet
and load nothing from another host."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/static/api"
# The pages may load only from this server. ReDoc's footer would fetch a logo from its vendor's CDN: the policy stops
# that in the browser. Inline script and style: both pages start their bundle with an inline snippet.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'"
)


def include_docs_pages(app: FastAPI) -> None:
    """Serve /docs, /redoc and their vendored assets (the web app answers at /: cxloop.web). The app must be built
    with docs_url=None and redoc_url=None (FastAPI's own pages load their assets from a CDN)."""
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="api-static")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return _own_assets_only(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=f"{app.title} API",
                swagger_js_url=f"{STATIC_PATH}/swagger-ui/swagger-ui-bundle.js",
                swagger_css_url=f"{STATIC_PATH}/swagger-ui/swagger-ui.css",
                swagger_favicon_url=f"{STATIC_PATH}/swagger-ui/favicon-32x32.png",
                # The validator badge would ask validator.swagger.io about the document.
                swagger_ui_parameters={"validatorUrl": None},
            )
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return _own_assets_only(
            get_redoc_html(
                openapi_url=openapi_url,
                title=f"{app.title} API",
                redoc_js_url=f"{STATIC_PATH}/redoc/redoc.standalone.js",
                redoc_favicon_url=f"{STATIC_PATH}/swagger-ui/favicon-32x32.png",
                with_google_fonts=False,
            )
        )


def _own_assets_only(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return page
