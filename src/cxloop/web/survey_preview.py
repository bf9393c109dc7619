"""Previews of the survey being built, from the unsaved form: the hosted page and the email by the channels' own
renderers, and the widget by widget.js itself in its preview mode. Nothing is stored, nothing is sent. Viewers and
agents, whose builder is read-only, preview the stored survey's current version instead (GET, the same renderers).

The builder posts its form into a sandboxed iframe (`<button formtarget="preview">`, also sent by app.js as the
form changes), so each preview is a whole document with its own Content-Security-Policy: the hosted page's, an
email's (inline styles, as mail clients need them), or the widget's page. Every preview may be framed by this site
only (`frame-ancestors 'self'`) and runs sandboxed (the CSP `sandbox` directive): its links and forms go nowhere.
The widget's page alone may run a script, widget.js from this server (`sandbox allow-scripts`, in an opaque origin:
no cookies, no access to the builder), and may connect nowhere (`connect-src 'none'`), so even a script that tried
could not post an answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from cxloop.branding import current
from cxloop.branding.current import load_brand
from cxloop.channels.email.composing import InvitationMail, compose
from cxloop.channels.hosted import screens
from cxloop.channels.hosted.rendering import question_page
from cxloop.channels.widget import preview as widget_preview
from cxloop.channels.widget.schemas import WidgetBrand
from cxloop.core.body_caps import body_cap
from cxloop.core.clock import utcnow
from cxloop.core.errors import NotFound
from cxloop.core.int_bounds import Id
from cxloop.storage.deps import SessionDep
from cxloop.surveys.schemas import SurveyDefinition
from cxloop.web import survey_form
from cxloop.web.auth import ViewerPage, require_csrf
from cxloop.web.posted_form import posted_fields
from cxloop.web.rendering import environment, security_headers
from cxloop.web.survey_builder import current_read

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])
CHANNELS = ("hosted", "widget", "email")
PREVIEW_ADDRESS = "#preview"  # where the preview's links and forms point: nowhere
# The widget's preview page: widget.js from this server and its styles (it adds a <style> to its shadow root, as a
# customer's site must allow), no connection at all.
WIDGET_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'self'"
)


@dataclass(frozen=True)
class Checked:
    """A draft's definition that passed the surveys domain's checks, or the problems it has."""

    definition: dict[str, Any]
    default_locale: str
    problems: list[tuple[str, str]]


def check(draft: survey_form.Draft) -> Checked:
    """The definition checked by SurveyDefinition (and the default locale's wordings), as saving would check it."""
    document = survey_form.definition(draft)
    try:
        checked = SurveyDefinition.model_validate(document)
    except ValidationError as exc:
        return Checked(
            document, draft.default_locale, survey_form.validation_errors(exc, draft, prefix=("definition",))
        )
    missing = [
        (survey_form.field_of(("definition", *loc), draft.default_locale), message)
        for loc, message in checked.missing_locale(draft.default_locale)
    ]
    return Checked(checked.to_document(), draft.default_locale, missing)


def _framed(response: Response, policy: str | None = None, sandbox: str = "sandbox") -> Response:
    """Let this site frame the preview, sandboxed; `policy` replaces the CSP the renderer set."""
    base = policy or response.headers["content-security-policy"]
    response.headers["content-security-policy"] = f"{base}; {sandbox}"
    if "x-frame-options" in response.headers:
        del response.headers["x-frame-options"]
    return response


def _document(template: str, *, status_code: int = 200, **context: Any) -> Response:
    """A preview page drawn by the web app itself (why there is no preview)."""
    html = environment().get_template(template).render(**context)
    policy = security_headers("")["Content-Security-Policy"].replace("frame-ancestors 'none'", "frame-ancestors 'self'")
    return _framed(HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"}), policy)


def hosted(checked: Checked, *, locale: str, question: str) -> Response:
    """One screen of the hosted page (`question`, or the first), in `locale`, as a visitor with no answers sees it."""
    flow = screens.Flow(checked.definition)
    qid = question if question in flow.specs else flow.order[0]
    page_locale = screens.page_locale([locale], flow.locales(), checked.default_locale)
    screen = flow.screen(qid, {}, locale=page_locale, default_locale=checked.default_locale)
    page = question_page(screen, locale=page_locale, action=PREVIEW_ADDRESS, hidden={}, is_last=flow.is_last(qid, {}))
    return _framed(page)


def widget(checked: Checked, *, locale: str) -> Response:
    """A page standing for a customer's site with widget.js running on it in its preview mode: it prompts at once
    with the draft's first question in `locale` and walks the follow-ups as answered, and sends nothing."""
    brand = current.brand()
    data = widget_preview.preview_data(
        checked.definition,
        survey_key="preview",
        locale=locale,
        default_locale=checked.default_locale,
        brand=WidgetBrand(
            organisation_name=brand.organisation_name, colour=brand.colour, text_colour=brand.text_on_colour
        ),
    )
    html = environment().get_template("survey_preview_widget.html").render(data=data, lang=locale)
    return _framed(HTMLResponse(html, headers={"Cache-Control": "no-store"}), WIDGET_POLICY, "sandbox allow-scripts")


def email(checked: Checked, *, locale: str) -> Response:
    """The invitation email to a customer speaking `locale` (score links and unsubscribe link lead nowhere)."""
    brand = current.brand()
    mail = InvitationMail(
        invitation_id=0,
        definition=checked.definition,
        default_locale=checked.default_locale,
        locale=locale,
        to="customer@example.com",
        name="Alex",
        sender="survey@example.com",
        survey_url=PREVIEW_ADDRESS,
        unsubscribe_url=PREVIEW_ADDRESS,
        brand=brand,
        logo_url=brand.logo_url(""),
    )
    message = compose(mail, now=utcnow())
    part = message.get_body(("html",))
    html = part.get_content() if part is not None else ""
    policy = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'"
    return _framed(HTMLResponse(html, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}), policy)


@router.post(
    "/surveys/preview/{channel}",
    dependencies=[Depends(require_csrf)],
    **body_cap("POST /surveys/preview/{channel}"),
)
def preview(
    user: ViewerPage,  # noqa: ARG001 - a viewer may preview what they may read
    channel: str,
    fields: Annotated[dict[str, str], Depends(posted_fields)],
    preview_locale: Annotated[str, Form(max_length=16)] = "",
    preview_question: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """The preview of `channel` (hosted, widget or email) for the posted builder form; stores and sends nothing."""
    return _preview(channel, survey_form.from_form(fields), locale=preview_locale, question=preview_question)


@router.get("/surveys/{survey_id:int}/preview/{channel}")
def stored_preview(
    session: SessionDep,
    user: ViewerPage,  # noqa: ARG001 - every role that may read a survey may preview it
    survey_id: Id,
    channel: str,
    preview_locale: Annotated[str, Query(max_length=16)] = "",
    preview_question: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The preview of `channel` for the survey's current version as stored: what the read-only builder of viewers
    and agents shows (a GET: they have no form to post, and it reads only)."""
    try:
        survey = current_read(session, survey_id)
    except NotFound:
        return _document(
            "survey_preview_problems.html", problems=[("survey", f"no survey {survey_id}")], status_code=404
        )
    return _preview(channel, survey_form.from_survey(survey), locale=preview_locale, question=preview_question)


def _preview(channel: str, draft: survey_form.Draft, *, locale: str, question: str) -> Response:
    if channel not in CHANNELS:
        return _document(
            "survey_preview_problems.html",
            problems=[("channel", f"'{channel[:20]}' is not one of {', '.join(CHANNELS)}")],
            status_code=404,
        )
    checked = check(draft)
    if checked.problems:
        return _document("survey_preview_problems.html", problems=checked.problems, status_code=422)
    locale = locale if locale in draft.locales else draft.default_locale
    if channel == "hosted":
        return hosted(checked, locale=locale, question=question)
    if channel == "widget":
        return widget(checked, locale=locale)
    return email(checked, locale=locale)
