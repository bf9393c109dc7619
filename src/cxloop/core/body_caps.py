"""How much of a request body each public endpoint reads: the one table of caps (docs/security.md).

A route takes its cap with `@router.post(path, **body_cap("POST <path>"))`. FastAPI (the route's `max_body_size`,
Starlette's RequestBodyLimitMiddleware) counts the bytes as they arrive, declared by Content-Length or chunked, and
answers 413 the moment the count passes the cap: a body is never held whole before it is refused. `max_fields`,
`max_files` and `max_part_bytes` bound what a form may carry (Starlette's defaults are 1,000 fields of 1 MB).
tests/api/test_body_caps.py checks that every public route that takes a body is in the table, with its cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette import status
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.types import Scope

STARLETTE_TOO_LARGE = "Content Too Large"  # the detail (and text body) of Starlette's own 413
KIB = 1024
MIB = 1024 * KIB
# Every other route, the keyed API included: FastAPI reads a body parameter before the route's dependencies check the
# API key, so without this an unauthenticated client could make the server hold any body. The largest bodies the API
# takes are batches of 1,000 responses or reviews.
DEFAULT_MAX_BYTES = 16 * MIB
MAILGUN_INBOUND_FILES = 20  # attachments of a forwarded reply (read past, never stored)


@dataclass(frozen=True)
class BodyCap:
    """`max_bytes` of body; for a form, at most `max_fields` text fields of `max_part_bytes` each (as sent, so
    percent-encoded) and `max_files` files."""

    max_bytes: int
    max_fields: int | None = None
    max_part_bytes: int = 1 * KIB
    max_files: int = 0


# A survey page posts its control fields (question, action, response, nonce, lang) and one `answer` per chosen
# option (at most 100 options a question); a text answer of 10,000 characters is up to 120,000 bytes
# percent-encoded (4-byte characters).
_SURVEY_FORM = BodyCap(160 * KIB, max_fields=110, max_part_bytes=128 * KIB)
_WIDGET_JSON = BodyCap(64 * KIB)
_HELPDESK_WEBHOOK = BodyCap(5 * MIB)  # a ticket's whole comment thread
_SEGMENT_CALL = BodyCap(500 * KIB)  # Segment's own limit per batch; gzip is decompressed under the same cap
_SURVEY_BUILDER = BodyCap(4 * MIB, max_fields=4200, max_part_bytes=256 * KIB)  # the builder's whole form
_TOKEN_ONLY = BodyCap(1 * KIB, max_fields=1, max_part_bytes=128)  # a button: the CSRF token
_TOKEN_AND_CHOICE = BodyCap(1 * KIB, max_fields=2, max_part_bytes=128)  # the token and one choice from a list
# a team: key, name, lead, time zone, working hours (2,000 characters), holidays (up to 1,000 dates), assignment and
# the token
_TEAM_FORM = BodyCap(48 * KIB, max_fields=8, max_part_bytes=24 * KIB)
_WIDGET_SITE_FORM = BodyCap(64 * KIB, max_fields=7, max_part_bytes=48 * KIB)
_SLA_FORM = BodyCap(4 * KIB, max_fields=10, max_part_bytes=256)  # an SLA policy: nine short fields and the token

BODY_CAPS: dict[str, BodyCap] = {
    "POST /u/{token}": BodyCap(1 * KIB, max_fields=2, max_part_bytes=64),  # List-Unsubscribe=One-Click
    "POST /s/{token}": _SURVEY_FORM,
    "POST /s/k/{survey_key}": _SURVEY_FORM,
    # a face, its question, a nonce, a language and the few hidden fields of the page
    "POST /kiosk/{survey_key}": BodyCap(2 * KIB, max_fields=8, max_part_bytes=256),
    "POST /kiosk/{survey_key}/comment": _SURVEY_FORM,
    "POST /widget/v1/decide": _WIDGET_JSON,
    "POST /widget/v1/responses": _WIDGET_JSON,
    "POST /widget/v1/identify": _WIDGET_JSON,
    # one image of 2 MB and the JSON payload (as large as a JSON call), as multipart
    "POST /widget/v1/feedback": BodyCap(2 * MIB + 128 * KIB, max_fields=4, max_part_bytes=64 * KIB, max_files=1),
    "POST /webhooks/email/events": BodyCap(1 * MIB),
    "POST /webhooks/sms/twilio": BodyCap(64 * KIB),  # a form, read by hand: its signature covers the fields
    "POST /webhooks/sms/twilio/status": BodyCap(64 * KIB),  # the same, for delivery status callbacks
    # mail providers' bounce and complaint notifications (a SendGrid or Mailgun batch, an SNS message)
    **{f"POST /webhooks/email/{provider}": BodyCap(1 * MIB) for provider in ("ses", "postmark", "sendgrid", "mailgun")},
    # a customer's reply to a follow-up, as a Mailgun route forwards it (multipart when it has attachments, which
    # are not kept): the text parts and the headers as fields
    "POST /webhooks/email/mailgun/inbound": BodyCap(
        10 * MIB, max_fields=60, max_part_bytes=1 * MIB, max_files=MAILGUN_INBOUND_FILES
    ),
    "POST /webhooks/helpdesk/zendesk": _HELPDESK_WEBHOOK,
    "POST /webhooks/helpdesk/intercom": _HELPDESK_WEBHOOK,
    "POST /webhooks/helpdesk/generic": _HELPDESK_WEBHOOK,
    **{
        f"POST /v1/{call}": _SEGMENT_CALL for call in ("alias", "batch", "group", "identify", "page", "screen", "track")
    },
    # The web app's forms (cxloop.web): the sign-in form (email, password, CSRF token, the page to return to), and
    # the forms of a signed-in session, whose body is read before the session is checked.
    "POST /login": BodyCap(16 * KIB, max_fields=4, max_part_bytes=8 * KIB),
    "POST /logout": BodyCap(1 * KIB, max_fields=1, max_part_bytes=128),
    # Settings and your account: each text field's longest value percent-encoded (4-byte characters: 12 bytes each)
    "POST /settings/api-keys": BodyCap(4 * KIB, max_fields=3, max_part_bytes=1 * KIB),
    "POST /settings/api-keys/{api_key_id:int}/revoke": _TOKEN_ONLY,
    "POST /settings/users": BodyCap(16 * KIB, max_fields=5, max_part_bytes=4 * KIB),
    "POST /settings/users/{user_id:int}/role": _TOKEN_AND_CHOICE,
    "POST /settings/users/{user_id:int}/active": _TOKEN_AND_CHOICE,
    "POST /settings/teams": _TEAM_FORM,
    "POST /settings/teams/{team_id:int}": _TEAM_FORM,
    "POST /settings/teams/{team_id:int}/members": _TOKEN_AND_CHOICE,
    "POST /settings/teams/{team_id:int}/members/{user_id:int}/remove": _TOKEN_ONLY,
    # a policy: its filter (4,000 characters), a dozen numbers and times, up to eight quiet channels
    "POST /settings/sla-policies": _SLA_FORM,
    "POST /settings/sla-policies/{policy_id:int}": _SLA_FORM,
    "POST /settings/sla-policies/{policy_id:int}/delete": _TOKEN_ONLY,
    "POST /settings/contact-policy/{key}": BodyCap(64 * KIB, max_fields=32, max_part_bytes=48 * KIB),
    "POST /settings/contact-policy": BodyCap(64 * KIB, max_fields=4, max_part_bytes=48 * KIB),
    "POST /settings/contact-policy/{key}/delete": _TOKEN_ONLY,
    # a widget site: name, channel, up to 50 origins of 300 characters one a line, a survey key, two numbers
    "POST /settings/channels/widget-sites": _WIDGET_SITE_FORM,
    "POST /settings/channels/widget-sites/{site_id:int}": _WIDGET_SITE_FORM,
    "POST /settings/channels/widget-sites/{site_id:int}/delete": _TOKEN_ONLY,
    # a site's prompt rules: up to 50 rows of five cells (pages up to 500 characters) and the token
    "POST /settings/channels/widget-sites/{site_id:int}/rules": BodyCap(
        256 * KIB, max_fields=260, max_part_bytes=8 * KIB
    ),
    "POST /settings/channels/widget-sites/{site_id:int}/enabled": _TOKEN_AND_CHOICE,
    # the SMTP server (host, port, security, login, password) and the sender address
    "POST /settings/channels/email": BodyCap(16 * KIB, max_fields=7, max_part_bytes=4 * KIB),
    "POST /settings/channels/{channel}/reset": _TOKEN_ONLY,
    # the SMS provider's account SID, auth token and sender; the three helpdesk webhook secrets
    "POST /settings/channels/sms": BodyCap(8 * KIB, max_fields=4, max_part_bytes=2 * KIB),
    "POST /settings/channels/helpdesk": BodyCap(8 * KIB, max_fields=4, max_part_bytes=2 * KIB),
    # the bounce webhooks: seven fields (a list of topic ARNs and a SendGrid key may be long) and the token
    "POST /settings/channels/bounces": BodyCap(48 * KIB, max_fields=8, max_part_bytes=8 * KIB),
    "POST /settings/channels/email/test": _TOKEN_ONLY,
    "POST /account/password": BodyCap(16 * KIB, max_fields=4, max_part_bytes=4 * KIB),
    "POST /account/digest": _TOKEN_AND_CHOICE,
    "POST /account/timezone": BodyCap(2 * KIB, max_fields=2, max_part_bytes=1 * KIB),
    # a status change: the token, the page to return to, a resolution and a root cause
    "POST /cases/{case_id:int}/{action}": BodyCap(16 * KIB, max_fields=4, max_part_bytes=8 * KIB),
    # the inbox's bulk bar: the token, the filters, an action, an owner, a priority, a resolution, up to 100
    # selected cases, and "every case of the filter" with its confirmation
    "POST /cases/bulk": BodyCap(48 * KIB, max_fields=110, max_part_bytes=24 * KIB),
    # the case page: a note of 10,000 characters (percent-encoded up to 120,000 bytes), an owner, a follow-up
    "POST /cases/{case_id:int}/notes": BodyCap(128 * KIB, max_fields=3, max_part_bytes=124 * KIB),
    "POST /cases/{case_id:int}/assign": BodyCap(1 * KIB, max_fields=2, max_part_bytes=128),
    "POST /cases/{case_id:int}/follow-ups": BodyCap(1 * KIB, max_fields=3, max_part_bytes=128),
    # the themes page: a new name (200 characters), a pin or hide flag; up to 100 themes to merge; the keyword
    # groups of a split, one a line
    "POST /themes/{theme_id:int}": BodyCap(4 * KIB, max_fields=4, max_part_bytes=3 * KIB),
    "POST /themes/merge": BodyCap(8 * KIB, max_fields=102, max_part_bytes=128),
    "POST /themes/{theme_id:int}/split": BodyCap(64 * KIB, max_fields=2, max_part_bytes=60 * KIB),
    # "refresh now" on a page that shows a stored analysis: the token and the page to go back to
    "POST /analyses/{result_id:int}/refresh": BodyCap(4 * KIB, max_fields=2, max_part_bytes=2 * KIB),
    # the survey builder: up to 200 questions of ~20 fields each (a wording of 2,000 characters per language, a
    # choice question's options one a line); its previews post the same form
    **dict.fromkeys(("POST /surveys/new", "POST /surveys/{survey_id:int}"), _SURVEY_BUILDER),
    "POST /surveys/preview/{channel}": _SURVEY_BUILDER,
    "POST /surveys/templates/{template_key}": BodyCap(1 * KIB, max_fields=1, max_part_bytes=128),
    "POST /surveys/{survey_id:int}/status": BodyCap(1 * KIB, max_fields=2, max_part_bytes=128),
    # a trigger rule: the token, the rule's ten fields, up to 20 condition rows of three fields (a value of up to
    # 1,000 characters) and two fallback channels; a rule's edit form has the token, the fields of its kind (and its
    # state), the rows and the fallbacks; deleting one, the token and the confirmation
    **dict.fromkeys(
        ("POST /surveys/{survey_id:int}/triggers", "POST /surveys/{survey_id:int}/triggers/{rule_id:int}/edit"),
        BodyCap(40 * KIB, max_fields=74, max_part_bytes=1 * KIB),
    ),
    "POST /surveys/{survey_id:int}/triggers/{rule_id:int}": BodyCap(1 * KIB, max_fields=2, max_part_bytes=128),
    "POST /surveys/{survey_id:int}/triggers/{rule_id:int}/delete": BodyCap(1 * KIB, max_fields=2, max_part_bytes=128),
    # team dashboards: a name; a card's kind, title and its filters (the filter bar's parameters); a move
    "POST /dashboards": BodyCap(2 * KIB, max_fields=3, max_part_bytes=1 * KIB),
    "POST /dashboards/{dashboard_id:int}/rename": BodyCap(2 * KIB, max_fields=2, max_part_bytes=1 * KIB),
    "POST /dashboards/{dashboard_id:int}/delete": BodyCap(1 * KIB, max_fields=1, max_part_bytes=128),
    "POST /dashboards/{dashboard_id:int}/cards": BodyCap(8 * KIB, max_fields=12, max_part_bytes=1 * KIB),
    "POST /dashboards/{dashboard_id:int}/cards/{card_id:int}": BodyCap(8 * KIB, max_fields=12, max_part_bytes=1 * KIB),
    "POST /dashboards/{dashboard_id:int}/cards/{card_id:int}/move": BodyCap(1 * KIB, max_fields=2, max_part_bytes=128),
    "POST /dashboards/{dashboard_id:int}/cards/{card_id:int}/remove": BodyCap(
        1 * KIB, max_fields=1, max_part_bytes=128
    ),
    # the new order of every card after a drag: the token and up to 24 ids, comma-separated
    "POST /dashboards/{dashboard_id:int}/arrange": BodyCap(2 * KIB, max_fields=2, max_part_bytes=1 * KIB),
}


def body_cap(endpoint: str) -> dict[str, Any]:
    """The route options that enforce the cap of `endpoint` ("POST /u/{token}")."""
    cap = BODY_CAPS[endpoint]
    options: dict[str, Any] = {"max_body_size": cap.max_bytes}
    if cap.max_fields is not None:
        options["form_limits"] = form_limits(endpoint)
    return options


def form_limits(endpoint: str) -> dict[str, int]:
    """`request.form(**form_limits(endpoint))` for a handler that reads its form itself."""
    cap = BODY_CAPS[endpoint]
    assert cap.max_fields is not None, f"{endpoint} takes no form"
    return {"max_fields": cap.max_fields, "max_files": cap.max_files, "max_part_size": cap.max_part_bytes}


def max_bytes(endpoint: str) -> int:
    return BODY_CAPS[endpoint].max_bytes


def too_large_detail(scope: Scope) -> str:
    """What a 413 of a route's cap says: the cap."""
    limit = scope.get(MAX_BODY_SIZE_SCOPE_KEY)
    if limit is None:
        return "the body is too large"
    return f"the body is larger than {limit:,} bytes, the most this endpoint accepts"


def http_error_detail(exc: HTTPException, scope: Scope) -> str:
    """What an HTTP error says; Starlette's bare "Content Too Large" of a route's cap names the cap."""
    if exc.status_code == status.HTTP_413_CONTENT_TOO_LARGE and exc.detail == STARLETTE_TOO_LARGE:
        return too_large_detail(scope)
    return str(exc.detail)
