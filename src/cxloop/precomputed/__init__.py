"""Analyses the web pages show from their last stored result, refreshed by the worker when the data changed
(docs/web-app.md, "Precomputed analyses"): the registry of analyses, the table of results and the sweep."""
