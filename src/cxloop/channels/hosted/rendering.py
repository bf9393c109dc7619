"""HTML responses for the hosted page and the kiosk: Jinja templates, the inline stylesheet, and the headers every
public page carries.

The stylesheet is small, so it is inlined (one request per screen on slow mobile networks) and allowed by its hash
in the Content-Security-Policy; the pages run no script at all. Tokens travel in URLs, so no page sends a Referer.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib import resources
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from cxloop.branding import current
from cxloop.branding.service import Brand
from cxloop.channels import catalogue
from cxloop.channels.hosted.screens import Screen


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("cxloop.channels.hosted", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    css = resources.files("cxloop.channels.hosted").joinpath("static/hosted.css").read_text(encoding="utf-8")
    environment.globals["css"] = css
    return environment


def _digest(css: str) -> str:
    return base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()


def brand_style(brand: Brand) -> str:
    """The organisation's colours as CSS variables, which the stylesheet uses for buttons, links and choices."""
    return f":root{{--brand:{brand.colour};--on-brand:{brand.text_on_colour}}}"


@cache
def _security_headers(style: str) -> dict[str, str]:
    """Both inline stylesheets are allowed by their hashes; nothing else runs or loads but images from this server."""
    css = str(_environment().globals["css"])
    return {
        "Content-Security-Policy": (
            f"default-src 'none'; style-src 'sha256-{_digest(css)}' 'sha256-{_digest(style)}'; img-src 'self' data:; "
            "form-action 'self'; "
            "base-uri 'none'; frame-ancestors 'self'"
        ),
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
        "X-Robots-Tag": "noindex, nofollow",
    }


def render(
    template: str,
    *,
    locale: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render a page in `locale` (its `lang` attribute and the page words `w`), in the organisation's branding."""
    brand = current.brand()
    style = brand_style(brand)
    html = (
        _environment()
        .get_template(template)
        .render(lang=locale, w=catalogue.words("hosted", locale), brand=brand, brand_style=style, **context)
    )
    return HTMLResponse(html, status_code=status_code, headers={**_security_headers(style), **(headers or {})})


def message_page(
    *,
    locale: str,
    status_code: int,
    title_key: str,
    body_key: str | None = None,
    body: str | None = None,
    refresh: tuple[int, str] | None = None,
    headers: dict[str, str] | None = None,
    kiosk: bool = False,
    **words: Any,
) -> HTMLResponse:
    """A page with a heading and one paragraph: thank-you, closed, expired, not found, too many answers.

    `refresh` (seconds, url) sends the browser on by itself (the kiosk returns to its start screen)."""
    page_words = catalogue.words("hosted", locale)
    text = body if body is not None else page_words[body_key].format(**words) if body_key else ""
    return render(
        "message.html",
        locale=locale,
        status_code=status_code,
        headers=headers,
        title=page_words[title_key],
        body=text,
        refresh=refresh,
        kiosk=kiosk,
    )


def question_page(
    screen: Screen,
    *,
    locale: str,
    action: str,
    current: Any = None,
    hidden: dict[str, str] | None = None,
    back_url: str | None = None,
    is_last: bool = False,
    error_key: str | None = None,
    error: str | None = None,
    kiosk: bool = False,
    refresh: tuple[int, str] | None = None,
    note_key: str | None = None,
    note_value: Any = None,
) -> HTMLResponse:
    """One question on its own screen; with an error (a wording key or a message) it answers 422. A note (a wording
    key with `{value}`) stands above the button, which then takes the focus."""
    words = catalogue.words("hosted", locale)
    message = words[error_key] if error_key else error
    note = words[note_key].format(value=note_value) if note_key else None
    return render(
        "question.html",
        locale=locale,
        status_code=422 if message else 200,
        title=screen.text,
        screen=screen,
        action=action,
        current=current,
        hidden=hidden or {},
        back_url=back_url,
        is_last=is_last,
        error=message,
        note=note,
        kiosk=kiosk,
        refresh=refresh,
    )
