"""The Jinja environment of the email channel: invitation bodies (HTML and plain text) and the unsubscribe pages.
HTML templates are autoescaped; plain-text templates are not (they are never shown as HTML)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

_ENVIRONMENT = Environment(
    loader=PackageLoader("cxloop.channels.email", "templates"),
    autoescape=select_autoescape(["html"], default_for_string=True),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


def render(name: str, **context: Any) -> str:
    """Render a template of channels/email/templates with the context."""
    return _ENVIRONMENT.get_template(name).render(**context)
