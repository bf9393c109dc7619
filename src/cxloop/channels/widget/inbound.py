"""The widget's public endpoints: the script itself and the JSON API it calls (docs/channels-widget.md).

GET  /widget.js                the embed script (gzip when accepted, cached by ETag)
GET  /widget/v1/config         what the script needs at page load
POST /widget/v1/decide         may a prompt be shown now? (and its first question)
POST /widget/v1/responses      one screen's answer to a prompt
POST /widget/v1/feedback       the feedback button's form (JSON, or multipart with an image)
POST /widget/v1/identify       cxloop.identify(id, attributes)

Every endpoint but the script authenticates by the public site key and the page's origin, and is rate-limited per
client IP (public_route.py). Handlers are `async` and never wait on the database on the event loop: reads run in the
thread pool, writes on the process's writer (storage/writer.py); a cached site costs no database work at all.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
from dataclasses import dataclass
from functools import cache, partial
from importlib import resources
from typing import Annotated

import anyio.to_thread
import orjson
from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from cxloop.branding.current import load_brand
from cxloop.channels.widget import answering, decisions, feedback, questions, targeting, visitors
from cxloop.channels.widget.attachments import MAX_IMAGE_BYTES, discard, store_image
from cxloop.channels.widget.errors import UnknownSite
from cxloop.channels.widget.occurrence_memo import OccurrenceMemo
from cxloop.channels.widget.public_route import WidgetRoute, parse_json, read_json
from cxloop.channels.widget.schemas import (
    AnswerRead,
    AnswerRequest,
    DecideRequest,
    Decision,
    FeedbackConfig,
    FeedbackPayload,
    FeedbackRead,
    IdentifyRequest,
    WidgetBrand,
    WidgetConfig,
)
from cxloop.channels.widget.service import SiteSnapshot, load_snapshot
from cxloop.channels.widget.site_cache import SiteCache
from cxloop.core.body_caps import body_cap, form_limits, max_bytes
from cxloop.core.clock import utcnow
from cxloop.core.config import Settings
from cxloop.core.errors import FieldError, InvalidInput
from cxloop.invitations.tokens import TokenSigner
from cxloop.storage.async_database import AsyncDatabase
from cxloop.storage.deps import get_async_database

router = APIRouter(tags=["widget"], route_class=WidgetRoute)

# The multipart form around the image (the payload field, boundaries) is small; allow it on top of the image.
MAX_FORM_BYTES = max_bytes("POST /widget/v1/feedback")
_FORM_LIMITS = form_limits("POST /widget/v1/feedback")


@dataclass(frozen=True)
class _Script:
    plain: bytes
    gzipped: bytes
    etag: str


@cache
def script() -> _Script:
    """The embed script, read from the package once per process."""
    plain = (resources.files("cxloop.channels.widget") / "static" / "widget.js").read_bytes()
    etag = '"' + hashlib.sha256(plain).hexdigest()[:16] + '"'
    return _Script(plain=plain, gzipped=gzip.compress(plain, compresslevel=9, mtime=0), etag=etag)


def _database(request: Request) -> AsyncDatabase:
    return get_async_database(request)


def _signer(request: Request) -> TokenSigner:
    signer: TokenSigner = request.app.state.signer
    return signer


def site_cache(request: Request) -> SiteCache:
    """The app's site snapshots (made on first use); the management routes forget a site when it changes."""
    found: SiteCache | None = getattr(request.app.state, "widget_sites", None)
    if found is None:
        found = SiteCache()
        request.app.state.widget_sites = found
    return found


async def _site(request: Request, key: str) -> SiteSnapshot:
    """The site of the key, checked against the page's origin: 404 for an unknown key, 403 for another origin."""
    cache = site_cache(request)
    found, site = cache.cached(key)
    if not found:
        site = await _database(request).read(
            lambda session: cache.get(key, lambda site_key: load_snapshot(session, key=site_key))
        )
    if site is None:
        raise UnknownSite(
            "no enabled widget site has this key; check the data-site-key of the script tag",
            errors=[FieldError("site_key", "unknown site key")],
        )
    targeting.check_origin(site, request.headers.get("origin"))
    return site


def _json(model: object, status_code: int = 200) -> Response:
    assert hasattr(model, "model_dump")
    return Response(orjson.dumps(model.model_dump(mode="json")), status_code=status_code, media_type="application/json")


@router.get("/widget.js", include_in_schema=False)
async def widget_script(request: Request) -> Response:
    """The embed script; a page caches it for 5 minutes and revalidates by ETag."""
    found = script()
    headers = {"ETag": found.etag, "Cache-Control": "public, max-age=300", "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == found.etag:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(found.gzipped, media_type="application/javascript", headers=headers)
    return Response(found.plain, media_type="application/javascript", headers=headers)


@router.options("/widget/v1/{path:path}", include_in_schema=False)
async def preflight(request: Request, path: str) -> Response:  # noqa: ARG001
    """CORS preflight: permissive, since every request is checked against its site's origins when it arrives."""
    return Response(
        status_code=status.HTTP_204_NO_CONTENT,
        headers={
            "Access-Control-Allow-Methods": "GET, POST",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "86400",
        },
    )


@router.get("/widget/v1/config", response_model=WidgetConfig)
async def widget_config(
    request: Request,
    site_key: Annotated[str, Query(min_length=1, max_length=64)],
    locale: Annotated[str | None, Query(max_length=35)] = None,
) -> Response:
    """When the script should ask (rule delays and event names, never the rules), the feedback form's texts and the
    organisation's colours."""
    site = await _site(request, site_key)
    brand = await load_brand(request)
    form = None
    if site.feedback is not None:
        definition, default = site.feedback.definition, site.feedback.survey.default_locale
        shown = questions.locale_of(definition, locale, default)
        form = FeedbackConfig(
            survey=site.feedback.survey.key,
            score=questions.score_question(definition, shown, default),
            comments=questions.comment_questions(definition, shown, default),
        )
    config = WidgetConfig(
        channel=site.channel,
        delays=sorted({rule.seconds_on_page for rule in site.rules if rule.event is None}),
        events=sorted({rule.event for rule in site.rules if rule.event is not None}),
        anonymous_cap_days=site.anonymous_cap_days,
        feedback=form,
        brand=WidgetBrand(
            organisation_name=brand.organisation_name, colour=brand.colour, text_colour=brand.text_on_colour
        ),
    )
    response = _json(config)
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


@router.post("/widget/v1/decide", **body_cap("POST /widget/v1/decide"), response_model=Decision)
async def decide(request: Request) -> Response:
    """Show a prompt now or not (`reason` says why not); a shown prompt carries its first question and a token."""
    body = await read_json(request, DecideRequest)
    site = await _site(request, body.site_key)
    memo: OccurrenceMemo | None = getattr(request.app.state, "widget_occurrences", None)
    if memo is None:
        memo = request.app.state.widget_occurrences = OccurrenceMemo()
    decision = await decisions.decide(_database(request), _signer(request), site, body, now=utcnow(), memo=memo)
    return _json(decision)


@router.post("/widget/v1/responses", **body_cap("POST /widget/v1/responses"), response_model=AnswerRead)
async def answer_prompt(request: Request) -> Response:
    """Store one screen's answer (the first one creates the response, partial until the last screen)."""
    body = await read_json(request, AnswerRequest)
    site = await _site(request, body.site_key)
    signer, now = _signer(request), utcnow()
    read = await _database(request).write(lambda session: answering.answer(session, signer, site, body, now=now))
    return _json(read)


@router.post(
    "/widget/v1/feedback",
    response_model=FeedbackRead,
    status_code=status.HTTP_201_CREATED,
    responses={413: {"description": f"the image is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB"}},
    openapi_extra={"x-rate-cost": 5},
    **body_cap("POST /widget/v1/feedback"),
)
async def give_feedback(request: Request) -> Response:
    """The feedback button's form, as JSON, or as multipart with a `payload` (the JSON) and an `image` file."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        body, data = await _form(request)
    else:
        body, data = await read_json(request, FeedbackPayload), None
    site = await _site(request, body.site_key)
    settings: Settings = request.app.state.settings
    database = _database(request)

    async def store() -> tuple[int, str | None]:
        image = await anyio.to_thread.run_sync(partial(store_image, data, data_dir=settings.data_dir)) if data else None

        def record(session: Session) -> tuple[int, str | None]:
            response_id = feedback.record_feedback(session, site, body, image)
            return response_id, feedback.attachment_of(session, response_id) if image else None

        try:
            response_id, kept = await database.write(record)
        except BaseException:
            discard(image)
            raise
        if image is not None and kept != image.name:  # a resend of a stored submission keeps the first upload
            discard(image)
        return response_id, kept

    # Shielded: a client going away mid-write must not separate the stored image from its row (the write goes on).
    response_id, kept = await asyncio.shield(store())
    return _json(FeedbackRead(response_id=response_id, attachment=kept), status.HTTP_201_CREATED)


async def _form(request: Request) -> tuple[FeedbackPayload, bytes | None]:
    """The payload and image bytes of a multipart form; 411/413 before the body is read when it is too large."""
    declared = request.headers.get("content-length")
    if declared is None or not declared.isdigit():
        raise HTTPException(status.HTTP_411_LENGTH_REQUIRED, "send the form with a Content-Length")
    if int(declared) > MAX_FORM_BYTES:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE, f"the image is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB"
        )
    async with request.form(**_FORM_LIMITS) as form:  # closes the spooled upload when done
        payload = form.get("payload")
        if not isinstance(payload, str):
            raise InvalidInput(
                "the form has no payload", errors=[FieldError("payload", "is required (the JSON fields)")]
            )
        body = parse_json(payload, FeedbackPayload)
        upload = form.get("image")
        if upload is None or isinstance(upload, str):
            return body, None
        data = await upload.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE, f"the image is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB"
        )
    return body, data or None


@router.post("/widget/v1/identify", **body_cap("POST /widget/v1/identify"), status_code=status.HTTP_204_NO_CONTENT)
async def identify(request: Request) -> Response:
    """Create or update the customer by external id (attributes and locale only)."""
    body = await read_json(request, IdentifyRequest)
    await _site(request, body.site_key)
    await _database(request).write(
        lambda session: visitors.identify(
            session, external_id=body.customer, attributes=body.attributes, locale=body.locale
        )
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
