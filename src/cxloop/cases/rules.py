"""The case life cycle in one table: which action leads from which status to which (docs/cases.md)."""

from __future__ import annotations

from cxloop.cases.enums import CaseAction, CaseStatus

S, A = CaseStatus, CaseAction
TRANSITIONS: dict[tuple[CaseStatus, CaseAction], CaseStatus] = {
    (S.new, A.acknowledge): S.acknowledged,
    (S.new, A.start): S.in_progress,
    (S.acknowledged, A.start): S.in_progress,
    (S.new, A.resolve): S.resolved,
    (S.acknowledged, A.resolve): S.resolved,
    (S.in_progress, A.resolve): S.resolved,
    (S.new, A.close): S.closed,
    (S.acknowledged, A.close): S.closed,
    (S.in_progress, A.close): S.closed,
    (S.resolved, A.close): S.closed,
    (S.resolved, A.reopen): S.in_progress,
    (S.closed, A.reopen): S.in_progress,
}
OPEN = frozenset(S) - {S.closed}  # a customer's new negative feedback joins their case in one of these


def next_status(status: CaseStatus, action: CaseAction) -> CaseStatus | None:
    """The status `action` leads to from `status`, or None when the action is not allowed there."""
    return TRANSITIONS.get((status, action))


def allowed_actions(status: CaseStatus) -> list[CaseAction]:
    return [action for (source, action) in TRANSITIONS if source == status]
