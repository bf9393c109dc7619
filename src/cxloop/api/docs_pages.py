"""The API's documentation pages (/docs: Swagger UI, /redoc: ReDoc) and the landing page at /, served entirely from
the package: their scripts and styles are vendored from the npm registry (tools/vendored.toml), so the pages work on
a machine without internet and load nothing from another host."""

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

_LANDING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>cxloop</title><link rel="icon" href="{static}/swagger-ui/favicon-32x32.png">
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem; color: #1b1f24; }}
a {{ color: #0b57d0; }} code {{ background: #f1f3f5; padding: 0 .25rem; border-radius: 3px; }}
@media (prefers-color-scheme: dark) {{ body {{ background: #111418; color: #e6e8eb; }} a {{ color: #8ab4f8; }}
code {{ background: #22272e; }} }}
</style></head>
<body><main>
<h1>cxloop {version}</h1>
<p>This server is running. The web app is not built yet; everything is reachable through the API.</p>
<ul>
<li><a href="/docs">API reference (Swagger UI)</a>: try every call with an API key</li>
<li><a href="/redoc">API reference (ReDoc)</a>: the same, for reading</li>
<li><a href="/openapi.json">OpenAPI document</a></li>
<li><a href="/api/v1/health">Health check</a></li>
</ul>
<p>Create an API key with <code>cxloop api-key create --name me --role admin</code> and send it as
<code>Authorization: Bearer &lt;key&gt;</code>.</p>
</main></body></html>
"""


def include_docs_pages(app: FastAPI) -> None:
    """Serve /docs, /redoc, the vendored assets and the landing page. The app must be built with docs_url=None and
    redoc_url=None (FastAPI's own pages load their assets from a CDN)."""
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

    landing = _LANDING.format(static=STATIC_PATH, version=app.version)

    @app.get("/", include_in_schema=False)
    def root() -> HTMLResponse:
        return _own_assets_only(HTMLResponse(landing))


def _own_assets_only(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return page
