"""Each SLA clock's working minutes are stored on the case when it stops (and cleared when a reopening restarts the
close clock); the report counts them in SQL, and the clocks still running exactly as the export rounds them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.access.schemas import TeamUpdate
from cxloop.cases import service as cases
from cxloop.cases.enums import CaseAction
from cxloop.cases.models import Case
from cxloop.cases.schemas import SYSTEM, RoutingRuleIn, SlaReportRow
from cxloop.cases.sla_figures import TARGETS
from cxloop.core.clock import pinned
from cxloop.storage.database import Database
from tests.factories.cases import make_team, make_user, open_case
from tests.factories.customers import make_customer

HOURS = {day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
FRIDAY_4PM_PARIS = datetime(2026, 11, 27, 15, tzinfo=UTC)


def _act(session: Session, case_id: int, action: CaseAction, at: datetime) -> Case:
    with pinned(at):
        return cases.transition(session, case_id=case_id, action=action, actor=SYSTEM, resolution="done")


def _row(session: Session, case_id: int, as_of: datetime) -> cases.CaseRow:
    (row,) = [r for batch in cases.iter_case_rows(session, as_of=as_of) for r in batch if r.id == case_id]
    return row


def test_minutes_are_fixed_when_a_clock_stops_and_a_reopening_restarts_the_close_clock(db: Database) -> None:
    with db.unit_of_work() as session:
        team = make_team(session, key="office", members=[make_user(session)], timezone="Europe/Paris",
                         business_hours=HOURS)  # fmt: skip
        cases.replace_rules(session, items=[RoutingRuleIn(name="all", team_id=team.id)])
        with pinned(FRIDAY_4PM_PARIS):
            case_id = open_case(session, make_customer(session).id, 1)[0].id
        assert session.get_one(Case, case_id).acknowledge_minutes is None
        monday = datetime(2026, 11, 30, tzinfo=UTC)
        # Friday 16:00-18:00 and Monday 09:00-10:00 in Paris: three working hours.
        case = _act(session, case_id, CaseAction.acknowledge, monday + timedelta(hours=9))
        assert (case.acknowledge_minutes, case.close_minutes) == (180.0, None)
        case = _act(session, case_id, CaseAction.close, monday + timedelta(hours=10))
        assert (case.acknowledge_minutes, case.close_minutes) == (180.0, 240.0)
        case = _act(session, case_id, CaseAction.reopen, monday + timedelta(days=1, hours=8))
        assert (case.acknowledge_minutes, case.close_minutes, case.closed_at) == (180.0, None, None)
        # The team now works around the clock: the stopped clock keeps its minutes, the running one counts anew.
        access.update_team(session, team_id=team.id, data=TeamUpdate(business_hours=None))
        as_of = monday + timedelta(days=1, hours=9)
        row = _row(session, case_id, as_of)
        assert (row.acknowledge_minutes, row.close_minutes) == (180.0, (as_of - FRIDAY_4PM_PARIS).total_seconds() / 60)
        case = _act(session, case_id, CaseAction.close, as_of)
        assert case.close_minutes == 4 * 24 * 60 - 6 * 60  # from the creation, as the report counts closing
        report = cases.sla_report(session, by="team", as_of=as_of + timedelta(days=30))
        (line,) = report.rows
        assert (line.group, line.cases) == ("office", 1)
        assert (line.acknowledged_within_2h.successes, line.acknowledged_within_2h.n) == (0, 1)
        assert (line.acknowledged_within_6h.successes, line.acknowledged_within_6h.n) == (1, 1)
        assert (line.closed_within_48h.successes, line.closed_within_48h.n) == (0, 1)
        assert (line.time_to_acknowledge.n, line.time_to_acknowledge.median_hours) == (1, 3.0)
        assert (line.time_to_close.n, line.time_to_close.p90_hours) == (1, 90.0)


def _expected(rows: list[cases.CaseRow], team_id: int | None) -> dict[str, tuple[int, int]]:
    """The report's shares by the documented rule, from the export's rows."""
    mine = [r for r in rows if r.team_id == team_id]
    found = {}
    for target in TARGETS:
        clock = [
            (r.acknowledged_at if target.clock == "acknowledge" else r.closed_at, getattr(r, f"{target.clock}_minutes"))
            for r in mine
        ]
        successes = sum(1 for at, m in clock if at is not None and m <= target.minutes)
        n = sum(1 for at, m in clock if at is not None or m > target.minutes)
        found[target.name] = (successes, n)
    return found


def _shares(row: SlaReportRow) -> dict[str, tuple[int, int]]:
    return {t.name: (getattr(row, t.name).successes, getattr(row, t.name).n) for t in TARGETS}


def test_running_clocks_count_once_past_the_target_to_the_microsecond(db: Database) -> None:
    """Open cases created on both sides of the instants 2 h, 6 h and 48 h of working time before `as_of` (with the
    export's rounding to hundredths of a minute), over a weekend, in a team with office hours and without a team."""
    as_of = datetime(2026, 12, 2, 12, 30, tzinfo=UTC)  # Wednesday 13:30 in Paris
    edges = [
        datetime(2026, 12, 2, 10, 30, tzinfo=UTC),  # Wednesday 11:30: 2 working hours before
        datetime(2026, 12, 1, 15, 30, tzinfo=UTC),  # Tuesday 16:30: 6 working hours before
        datetime(2026, 11, 25, 9, 30, tzinfo=UTC),  # a week before, 10:30: 48 working hours before
        as_of - timedelta(hours=2),  # around the clock (no team): 2 hours before
    ]
    offsets = [timedelta(seconds=s) for s in (-3600, -1, -0.6, -0.31, -0.3, -0.29, -0.1, 0, 1, 60)]
    offsets += [timedelta(microseconds=m) for m in (-1, 1)]
    with db.unit_of_work() as session:
        office = make_team(session, key="office", members=[make_user(session)], timezone="Europe/Paris",
                           business_hours=HOURS)  # fmt: skip
        created = [(office.id, edge + o) for edge in edges[:3] for o in offsets]
        created += [(None, edges[3] + o) for o in offsets]
        created += [(office.id, datetime(2026, 11, 29, 12, tzinfo=UTC)), (office.id, as_of + timedelta(hours=1))]
        cases.replace_rules(session, items=[RoutingRuleIn(name="all", team_id=office.id)])
        ids = []
        for n, (team_id, at) in enumerate(created):
            ids.append(open_case(session, make_customer(session).id, n + 1)[0].id)
            session.execute(update(Case).where(Case.id == ids[-1]).values(created_at=at, team_id=team_id))
        # A few stopped clocks next to the running ones.
        for case_id in ids[:9:4]:
            _act(session, case_id, CaseAction.acknowledge, as_of - timedelta(minutes=5))
        rows = [r for batch in cases.iter_case_rows(session, as_of=as_of) for r in batch]
        report = cases.sla_report(session, by="team", as_of=as_of)
        assert [(r.group, r.cases) for r in report.rows] == [("(none)", len(offsets)), ("office", len(offsets) * 3 + 2)]
        for line in report.rows:
            assert _shares(line) == _expected(rows, line.group_id)
        # Of the cases around an edge, those that waited more than 120.005 minutes count (the export's rounding).
        waited = {r.id: r.acknowledge_minutes for r in rows}
        around_two_hours = [waited[i] for i in ids[: len(offsets)] if i not in ids[:9:4]]
        assert [m > 120 for m in around_two_hours] == [m >= 120.01 for m in around_two_hours]
        assert 120.0 in around_two_hours and 120.01 in around_two_hours
        assert report.rows[0].acknowledged_within_2h.n in (4, 5)
        # The same by owner, the clocks grouped across teams.
        by_owner = cases.sla_report(session, by="owner", as_of=as_of)
        assert sum(r.acknowledged_within_2h.n for r in by_owner.rows) == sum(
            r.acknowledged_within_2h.n for r in report.rows
        )
