"""Contact policies scoped to a customer segment (enterprise accounts asked less often than SMB, say).

A scoped policy is a whole policy (caps, weights, quiet hours, sampling, holdout) with a `segment_filter` in the
segment language (docs/segments.md) and a `priority`. For each customer the first scoped policy whose filter
matches them (lowest priority first, then key) applies; the organisation's default policy otherwise. Filters are
evaluated in SQL for the customers being decided, so a policy follows a customer's attributes at once, with no
segment refresh in between.
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import copy
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.core.clock import utcnow
from cxloop.core.errors import CxloopError, FieldError, InvalidInput
from cxloop.customers import service as customers
from cxloop.customers.errors import InvalidFilter
from cxloop.governance.errors import PolicyConflict, PolicyNotFound
from cxloop.governance.models import ContactPolicy
from cxloop.governance.policy import DEFAULT_KEY, current_policy, weights
from cxloop.governance.schemas import ContactPolicyRead, ContactPolicyUpdate, ScopedPolicyCreate, ScopedPolicyUpdate


def list_policies(session: Session) -> list[ContactPolicy]:
    """Every policy in the order they are tried: the scoped ones by priority, then the organisation's default."""
    default = current_policy(session)
    scoped = session.scalars(
        select(ContactPolicy).where(ContactPolicy.id != default.id).order_by(ContactPolicy.priority, ContactPolicy.key)
    ).all()
    return [*scoped, default]


def read(found: ContactPolicy) -> ContactPolicyRead:
    """A policy as the API and CLI show it, with every channel's weight (its own, else the registry's)."""
    return ContactPolicyRead.model_validate(found).model_copy(update={"channel_weights": weights(found)})


def require_policy(session: Session, key: str) -> ContactPolicy:
    if key == DEFAULT_KEY:
        return current_policy(session)
    found = session.scalar(select(ContactPolicy).where(ContactPolicy.key == key))
    if found is None:
        raise PolicyNotFound(f"no contact policy with key '{key}'")
    return found


def policies_for(
    session: Session, customer_ids: Sequence[int], *, now: datetime | None = None
) -> tuple[ContactPolicy, dict[int, ContactPolicy]]:
    """The organisation's default policy, and the scoped policy of each customer a scoped policy matches."""
    ordered = list_policies(session)
    default = ordered.pop()
    chosen: dict[int, ContactPolicy] = {}
    undecided = list(customer_ids)
    for scoped in ordered:
        if not undecided:
            break
        matched = customers.matching_customer_ids(
            session, text=scoped.segment_filter or "", customer_ids=undecided, now=now
        )
        chosen.update((customer_id, scoped) for customer_id in matched)
        undecided = [customer_id for customer_id in undecided if customer_id not in matched]
    return default, chosen


def policy_of(session: Session, customer_id: int, *, now: datetime | None = None) -> ContactPolicy:
    """The policy that applies to one customer."""
    default, chosen = policies_for(session, [customer_id], now=now)
    return chosen.get(customer_id, default)


def _check_filter(session: Session, text: str) -> None:
    try:
        customers.check_filter(session, text=text)
    except InvalidFilter as exc:
        raise InvalidFilter(exc.reason, column=exc.column, field="segment_filter") from exc


def _apply(policy: ContactPolicy, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        setattr(policy, name, value)
    policy.updated_at = utcnow()


def create_policy(session: Session, *, data: ScopedPolicyCreate) -> ContactPolicy:
    """A new segment-scoped policy; the fields it does not set are copied from the organisation's default."""
    if data.key == DEFAULT_KEY or session.scalar(select(ContactPolicy.id).where(ContactPolicy.key == data.key)):
        raise PolicyConflict(
            f"a contact policy with key '{data.key}' exists already",
            errors=[FieldError("key", "is taken")],
        )
    _check_filter(session, data.segment_filter)
    default = current_policy(session)
    copied = {name: copy(getattr(default, name)) for name in ContactPolicyUpdate.model_fields}  # lists, dicts: own
    policy = ContactPolicy(**copied)
    _apply(policy, data.model_dump(exclude_unset=True, exclude_none=True) | {"key": data.key})
    session.add(policy)
    session.flush()
    return policy


def update_policy(session: Session, *, key: str, data: ScopedPolicyUpdate | ContactPolicyUpdate) -> ContactPolicy:
    """Change a policy; the fields not sent keep their value. The default has no filter and no priority."""
    policy = require_policy(session, key)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if policy.key == DEFAULT_KEY and {"segment_filter", "priority"} & changes.keys():
        name = "segment_filter" if "segment_filter" in changes else "priority"
        raise PolicyConflict(
            "the organisation's default policy applies to every customer no other policy matches",
            errors=[FieldError(name, "the default policy has none")],
        )
    if "segment_filter" in changes:
        _check_filter(session, changes["segment_filter"])
    _apply(policy, changes)
    session.flush()
    return policy


def delete_policy(session: Session, *, key: str) -> None:
    policy = require_policy(session, key)
    if policy.key == DEFAULT_KEY:
        raise PolicyConflict(
            "the organisation's default policy cannot be deleted", errors=[FieldError("key", "is the default")]
        )
    session.delete(policy)
    session.flush()


def apply_policies(session: Session, items: Sequence[object]) -> list[ContactPolicy]:
    """Create or change policies from their JSON documents (the CLI's `apply`): each names its `key`; `default` is
    the organisation's. All or nothing: InvalidInput naming `[index].field` for every problem found."""
    errors: list[FieldError] = []
    applied: list[ContactPolicy] = []
    for index, item in enumerate(items):
        key = item.get("key") if isinstance(item, dict) else None
        try:
            if not isinstance(item, dict):
                raise InvalidInput("not an object", errors=[FieldError("", "must be a JSON object")])
            fields = {name: value for name, value in item.items() if name != "key"}
            if key == DEFAULT_KEY:
                applied.append(update_policy(session, key=key, data=ContactPolicyUpdate.model_validate(fields)))
            elif isinstance(key, str) and session.scalar(select(ContactPolicy.id).where(ContactPolicy.key == key)):
                applied.append(update_policy(session, key=key, data=ScopedPolicyUpdate.model_validate(fields)))
            else:
                applied.append(create_policy(session, data=ScopedPolicyCreate.model_validate(item)))
        except ValidationError as exc:
            errors += [FieldError(f"[{index}].{'.'.join(map(str, e['loc']))}", e["msg"]) for e in exc.errors()]
        except CxloopError as exc:
            errors += [FieldError(f"[{index}].{e.field}".rstrip("."), e.message) for e in exc.errors]
    if errors:
        raise InvalidInput("the contact policies are not valid; nothing was changed", errors=errors)
    return applied
