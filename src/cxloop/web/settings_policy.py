"""Settings · Contact policy (admins): the organisation's default policy and the segment-scoped ones (docs/
governance.md), edited through the API's schemas and governance's service, so the same values are refused for the
same reasons; each refusal is shown beside its field. Audited as `contact_policy.changed`, as in the API.

The form posts every field of a policy: whole numbers and decimals are read here (a word where a number belongs is
refused by name), everything else is checked by ScopedPolicyUpdate / ScopedPolicyCreate.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from cxloop.branding.current import load_brand
from cxloop.collection.enums import INVITATION_CHANNELS
from cxloop.core.body_caps import body_cap, form_limits
from cxloop.core.errors import CxloopError
from cxloop.governance import policy, scoped_policies
from cxloop.governance.policy_audit import record_policy_change
from cxloop.governance.schemas import (
    CONSENT_CHANNELS,
    ContactPolicyRead,
    ContactPolicyUpdate,
    ScopedPolicyCreate,
    ScopedPolicyUpdate,
)
from cxloop.storage.deps import SessionDep
from cxloop.web.auth import AdminPage, require_csrf, web_actor
from cxloop.web.forms import Errors, refusal_errors, refusal_status, validation_errors
from cxloop.web.service import SignedIn
from cxloop.web.settings_page import CSRF, back_to, settings_page

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])
PAGE = "/settings/contact-policy"
EDIT = "POST /settings/contact-policy/{key}"
WHOLE = ("max_invitations", "window_days", "priority")
DECIMAL = ("sampling_rate", "holdout_percent")
TEXT = ("quiet_start", "quiet_end", "default_timezone", "segment_filter")
QUIET_CHOICES = [("*", "every channel"), *((c.value, c.value.replace("_", " ")) for c in CONSENT_CHANNELS)]
WEIGHTED = [c.value for c in INVITATION_CHANNELS]
KEY_PATTERN = {"key": "use lower-case letters, digits, '-' and '_', starting with a letter or digit"}
Values = dict[str, Any]  # a form's fields as typed (quiet_channels: a list)


class FormRefused(Exception):
    def __init__(self, errors: Errors) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


async def edit_form(request: Request) -> FormData:
    """The policy form (its quiet channels and one weight per channel vary), read within its body cap."""
    return await request.form(**form_limits(EDIT))


def shown(read: ContactPolicyRead) -> Values:
    """A stored policy as its form shows it."""
    values: Values = {
        name: "" if getattr(read, name) is None else str(getattr(read, name)) for name in (*WHOLE, *DECIMAL, *TEXT)
    }
    values["quiet_channels"] = list(read.quiet_channels)
    values |= {f"weight_{channel}": str(weight) for channel, weight in read.channel_weights.items()}
    return values


def typed(form: FormData, *, scoped: bool) -> tuple[Values, dict[str, Any]]:
    """(the form as typed, the fields as ScopedPolicyUpdate takes them); FormRefused naming each number that is
    not one. The default policy has no filter and no priority."""
    names = (*WHOLE, *DECIMAL, *TEXT) if scoped else (*WHOLE[:2], *DECIMAL, *TEXT[:3])
    values: Values = {name: str(form.get(name) or "").strip() for name in names}
    values["quiet_channels"] = [str(v) for v in form.getlist("quiet_channels")]
    values |= {f"weight_{c}": str(form.get(f"weight_{c}") or "").strip() for c in WEIGHTED}
    errors: Errors = {}
    fields: dict[str, Any] = {"quiet_channels": values["quiet_channels"], "channel_weights": {}}
    for name in names:
        text = values[name]
        if name in TEXT:
            fields[name] = text
        elif name in WHOLE:
            if not text.lstrip("-").isdigit() or len(text) > 9:
                errors[name] = f"'{text[:20]}' is not a whole number" if text else "enter a whole number"
            else:
                fields[name] = int(text)
    for name in (*DECIMAL, *(f"weight_{c}" for c in WEIGHTED)):
        if name not in values:
            continue
        try:
            number = float(values[name].replace(",", "."))
        except ValueError:
            errors[name] = f"'{values[name][:20]}' is not a number" if values[name] else "enter a number"
            continue
        if name.startswith("weight_"):
            fields["channel_weights"][name.removeprefix("weight_")] = number
        else:
            fields[name] = number
    if errors:
        raise FormRefused(errors)
    return values, fields


def _policy_errors(exc: Exception) -> tuple[Errors, int]:
    if isinstance(exc, FormRefused):
        return exc.errors, 422
    if isinstance(exc, ValidationError):
        found = validation_errors(exc, patterns=KEY_PATTERN, keyed=frozenset({"channel_weights"}))
        return {k.replace("channel_weights.", "weight_"): v for k, v in found.items()}, 422
    assert isinstance(exc, CxloopError)
    return refusal_errors(exc, field="form"), refusal_status(exc)


def _policy_page(
    request: Request,
    session: Session,
    user: SignedIn,
    *,
    status_code: int = 200,
    form_id: str = "",
    errors: Errors | None = None,
    values: Values | None = None,
) -> Response:
    reads = [scoped_policies.read(found) for found in scoped_policies.list_policies(session)]
    return settings_page(
        request,
        user,
        "settings_contact_policy.html",
        title="Contact policy",
        status_code=status_code,
        default=reads[-1],
        scoped=reads[:-1],
        shown={read.key: shown(read) for read in reads},
        form_id=form_id,
        errors=errors or {},
        values=values or {},
        quiet_choices=QUIET_CHOICES,
        weighted=WEIGHTED,
    )


@router.get(PAGE)
def contact_policy_tab(request: Request, session: SessionDep, user: AdminPage) -> Response:
    return _policy_page(request, session, user)


@router.post(
    "/settings/contact-policy/{key}", dependencies=[Depends(edit_form), Depends(require_csrf)], **body_cap(EDIT)
)
def update_policy(
    request: Request,
    session: SessionDep,
    user: AdminPage,
    key: str,
    form: Annotated[FormData, Depends(edit_form)],
) -> Response:
    """Change every field of the policy `key` (`default`: the organisation's)."""
    values: Values = {}
    try:
        before = scoped_policies.read(scoped_policies.require_policy(session, key[:64]))
        values, fields = typed(form, scoped=key != policy.DEFAULT_KEY)
        data = ScopedPolicyUpdate(**fields) if key != policy.DEFAULT_KEY else ContactPolicyUpdate(**fields)
        after = scoped_policies.read(scoped_policies.update_policy(session, key=key, data=data))
    except (FormRefused, ValidationError, CxloopError) as exc:
        session.rollback()
        errors, status = _policy_errors(exc)
        return _policy_page(request, session, user, status_code=status, form_id=key, errors=errors, values=values)
    record_policy_change(session, actor=web_actor(request, user), key=key, before=before, after=after)
    return back_to(PAGE, "policy-saved")


@router.post(PAGE, dependencies=CSRF, **body_cap(f"POST {PAGE}"))
def create_policy(
    request: Request,
    session: SessionDep,
    user: AdminPage,
    key: Annotated[str, Form(max_length=64)] = "",
    segment_filter: Annotated[str, Form(max_length=4000)] = "",
    priority: Annotated[str, Form(max_length=10)] = "100",
) -> Response:
    """A scoped policy for the customers `segment_filter` matches; its other fields start as the default's."""
    values: Values = {"key": key, "segment_filter": segment_filter, "priority": priority}
    try:
        if not priority.strip().isdigit():
            raise FormRefused({"priority": f"'{priority[:20]}' is not a whole number"})
        data = ScopedPolicyCreate(key=key.strip(), segment_filter=segment_filter.strip(), priority=int(priority))
        made = scoped_policies.read(scoped_policies.create_policy(session, data=data))
    except (FormRefused, ValidationError, CxloopError) as exc:
        session.rollback()
        errors, status = _policy_errors(exc)
        return _policy_page(request, session, user, status_code=status, form_id="new", errors=errors, values=values)
    record_policy_change(session, actor=web_actor(request, user), key=made.key, before=None, after=made)
    return back_to(PAGE, "policy-created")


@router.post(
    "/settings/contact-policy/{key}/delete",
    dependencies=CSRF,
    **body_cap("POST /settings/contact-policy/{key}/delete"),
)
def delete_policy(request: Request, session: SessionDep, user: AdminPage, key: str) -> Response:
    try:
        before = scoped_policies.read(scoped_policies.require_policy(session, key[:64]))
        scoped_policies.delete_policy(session, key=key)
    except CxloopError as exc:
        session.rollback()
        errors = {"form": exc.message}  # shown at the top of the policy's form
        return _policy_page(request, session, user, status_code=refusal_status(exc), form_id=key, errors=errors)
    record_policy_change(session, actor=web_actor(request, user), key=key, before=before, after=None)
    return back_to(PAGE, "policy-deleted")
