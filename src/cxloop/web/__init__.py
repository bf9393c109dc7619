"""The web app: server-rendered pages for CX teams at / (docs/web-app.md), served by the same process as the API.

`include_web(app)` mounts its static files (our stylesheet and script, and HTMX and ECharts vendored from the npm
registry: tools/vendored.toml), its pages, and the handlers that turn a missing session, a missing role, a refused
CSRF token and a bad filter into pages.
"""
