"""The demo's people: three teams (support, success, product) with a lead, members, working hours in their own time
zone and public holidays, and the users behind them. A few can sign in with the demo password (docs/demo.md
"People, teams and sign-in"); the account managers own the enterprise accounts, so routing can give a detractor's
case to their account's owner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.access.enums import Assignment, Role
from cxloop.access.schemas import TeamCreate
from cxloop.demo import names
from cxloop.demo.period import DemoPeriod

DOMAIN = "larkspur.example"
# Shown by `cxloop demo` and in docs/demo.md. Only the users marked `signs_in` get it; it is a demo organisation's
# password, never one for real data.
DEMO_PASSWORD = "larkspur-demo"  # noqa: S105 - documented, demo users only


@dataclass(frozen=True)
class Person:
    name: str
    role: Role
    team: str | None  # a team key; None: no team (the administrator)
    lead: bool = False
    signs_in: bool = False

    @property
    def email(self) -> str:
        return email_of(self.name)


@dataclass(frozen=True)
class TeamSpec:
    key: str
    name: str
    timezone: str
    hours: dict[str, list[str]]
    assignment: Assignment


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")

TEAMS = (
    TeamSpec(
        "support",
        "Customer Support",
        "Europe/Dublin",
        {**{d: ["08:00-20:00"] for d in WEEKDAYS}, "sat": ["09:00-13:00"]},
        Assignment.round_robin,
    ),
    TeamSpec(
        "success",
        "Customer Success",
        "America/New_York",
        {d: ["09:00-12:30", "13:30-17:30"] for d in WEEKDAYS},
        Assignment.fewest_open,
    ),
    TeamSpec("product", "Product", "Europe/Berlin", {d: ["09:00-17:00"] for d in WEEKDAYS}, Assignment.round_robin),
)

PEOPLE = (
    Person("Morgan Hale", Role.admin, None, signs_in=True),
    Person("Niamh Walsh", Role.analyst, "support", lead=True, signs_in=True),
    Person("Declan Foley", Role.agent, "support", signs_in=True),
    Person("Priya Nair", Role.agent, "support"),
    Person("Sam Okafor", Role.agent, "support"),
    Person("Lena Vogt", Role.agent, "support"),
    Person("Grace Holloway", Role.analyst, "success", lead=True, signs_in=True),
    *(Person(manager, Role.agent, "success") for manager in names.ACCOUNT_MANAGERS),
    Person("Jonas Brandt", Role.analyst, "product", lead=True, signs_in=True),
    Person("Mira Sato", Role.analyst, "product"),
    Person("Felix Wagner", Role.viewer, None, signs_in=True),
)


def email_of(name: str) -> str:
    """A staff member's sign-in email: 'Charlotte Reid' -> charlotte.reid@larkspur.example."""
    return f"{name.lower().replace(' ', '.')}@{DOMAIN}"


def holidays(team: str, period: DemoPeriod) -> list[str]:
    """Each team's public holidays in the window's years (ISO dates): Irish, US and German ones."""
    days: list[date] = []
    for year in range(period.start.year, period.end.year + 1):
        if team == "support":
            days += [date(year, 3, 17), date(year, 12, 25), date(year, 12, 26)]
        elif team == "success":
            november = date(year, 11, 1)
            thanksgiving = november + timedelta(days=(3 - november.weekday()) % 7 + 21)
            days += [date(year, 7, 4), thanksgiving, date(year, 12, 25)]
        else:
            days += [date(year, 10, 3), date(year, 12, 24), date(year, 12, 25)]
    return [d.isoformat() for d in sorted(days)]


@dataclass
class Staff:
    """What `write_staff` made: team key -> id, email -> user id."""

    teams: dict[str, int]
    users: dict[str, int]


def write_staff(session: Session, period: DemoPeriod) -> Staff:
    users = {
        p.email: access.create_user(
            session, email=p.email, role=p.role, name=p.name, password=DEMO_PASSWORD if p.signs_in else None
        ).id
        for p in PEOPLE
    }
    teams = {}
    for spec in TEAMS:
        members = [p for p in PEOPLE if p.team == spec.key]
        lead = next(p for p in members if p.lead)
        team = access.create_team(
            session,
            data=TeamCreate(
                key=spec.key,
                name=spec.name,
                lead_user_id=users[lead.email],
                timezone=spec.timezone,
                business_hours=spec.hours,
                holidays=holidays(spec.key, period),
                assignment=spec.assignment,
                member_ids=[users[p.email] for p in members if not p.lead],
            ),
        )
        teams[spec.key] = team.id
    return Staff(teams=teams, users=users)


def sign_in_users() -> list[Person]:
    """The users who can sign in with DEMO_PASSWORD (printed by `cxloop demo`)."""
    return [p for p in PEOPLE if p.signs_in]
