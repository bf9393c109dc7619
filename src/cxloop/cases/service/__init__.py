"""The cases domain's public API: cases, routing, SLA policies and timers, the SLA report and the export, the
verification re-surveys, the recovery report and the follow-up holdout.

Import it as `from cxloop.cases import service as cases`. Functions take a Session, flush, never commit.
"""

from cxloop.cases.service.bulk import (
    BULK_ACTIONS,
    MAX_BULK,
    BulkChange,
    BulkOutcome,
    change_each,
    change_of,
    refusal_words,
)
from cxloop.cases.service.bulk_runs import (
    MAX_RUN,
    BulkRunRead,
    queue_bulk_run,
    recent_bulk_runs,
)
from cxloop.cases.service.exporting import (
    CASE_EXPORT_COLUMNS,
    CaseRow,
    case_cells,
    case_json,
    count_cases,
    iter_case_rows,
)
from cxloop.cases.service.holdout import FOLLOW_UP_SENT_KIND, holdout_report, is_held_out
from cxloop.cases.service.lifecycle import add_note, assign, transition, update_case
from cxloop.cases.service.opening import open_case
from cxloop.cases.service.records import (
    case_detail,
    case_reads,
    case_teams,
    count_matching_cases,
    list_cases,
    matching_case_ids,
    require_case,
    scope_of,
    verification_of,
)
from cxloop.cases.service.recovery import recovery_report
from cxloop.cases.service.reporting import ReportBy, TeamWeek, sla_report, team_week
from cxloop.cases.service.root_causes import create_root_cause, list_root_causes, update_root_cause
from cxloop.cases.service.routing import Decision, list_rules, pick_owner, replace_rules, route
from cxloop.cases.service.sla import (
    DEFAULT_POLICY,
    SweepResult,
    fill_clock_minutes,
    list_policies,
    replace_policies,
    sweep,
)
from cxloop.cases.service.verification import VerifyResult, record_answers, verify_case, verify_due

__all__ = [
    "CASE_EXPORT_COLUMNS",
    "DEFAULT_POLICY",
    "BULK_ACTIONS",
    "MAX_BULK",
    "MAX_RUN",
    "FOLLOW_UP_SENT_KIND",
    "BulkChange",
    "BulkOutcome",
    "BulkRunRead",
    "CaseRow",
    "Decision",
    "ReportBy",
    "SweepResult",
    "VerifyResult",
    "TeamWeek",
    "add_note",
    "assign",
    "case_cells",
    "case_detail",
    "case_json",
    "case_reads",
    "case_teams",
    "change_each",
    "change_of",
    "count_cases",
    "count_matching_cases",
    "create_root_cause",
    "fill_clock_minutes",
    "holdout_report",
    "is_held_out",
    "iter_case_rows",
    "list_cases",
    "matching_case_ids",
    "list_policies",
    "list_root_causes",
    "list_rules",
    "open_case",
    "pick_owner",
    "queue_bulk_run",
    "recent_bulk_runs",
    "refusal_words",
    "record_answers",
    "recovery_report",
    "replace_policies",
    "replace_rules",
    "require_case",
    "route",
    "scope_of",
    "sla_report",
    "sweep",
    "team_week",
    "transition",
    "update_case",
    "update_root_cause",
    "verification_of",
    "verify_case",
    "verify_due",
]
