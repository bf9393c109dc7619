"""Support agents and teams: CSAT and NPS of the responses that followed their tickets, and wait and resolution
time as metrics of their own (median and 90th percentile with distribution-free intervals, n).

Helpdesk tickets are events (channels/helpdesk: `ticket_solved` and `chat_ended` carry `agent`, `team` and the
handling measures). A response is credited to the agent of its customer's latest ticket event at or before it,
at most `window_days` earlier, each ticket once. Which properties hold the wait and the resolution time is read from
the data (the first numeric property named like "wait..." and "resolution..."; without one, resolution is the time
from the ticket's `ticket_created` event to the solved one). Each agent's and team's CSAT is compared with everyone
else's; the findings are those that differ after Benjamini-Hochberg at 5%.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from cxloop.analytics import metrics, significance
from cxloop.analytics.enums import MetricKind
from cxloop.analytics.outcomes import effects, queries
from cxloop.analytics.outcomes.operations import measure_value, numeric_properties, summarise
from cxloop.analytics.outcomes.schemas import AgentAnalysis, AgentRow, Distribution
from cxloop.core.errors import FieldError, InvalidInput

TICKET_EVENTS = ("ticket_solved", "chat_ended")
CREATED_EVENT = "ticket_created"
DEFAULT_WINDOW_DAYS = 14
GROUPS = {"agent": ("agent", "agent_id"), "team": ("team",)}  # which property names each group, in order of trust
EVERYONE = "all"  # the row of every ticket, named or not


@dataclass
class _Tally:
    tickets: int = 0
    csat: list[int] = field(default_factory=list)
    nps: list[int] = field(default_factory=list)
    wait: list[float] = field(default_factory=list)
    resolution: list[float] = field(default_factory=list)


def _group_name(properties: dict[str, Any], group: str) -> str | None:
    for name in GROUPS[group]:
        value = properties.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return None


def _measure_named(names: Sequence[str], prefix: str) -> str | None:
    return next((n for n in names if n.lower().startswith(prefix)), None)


def analyse(session: Session, *, window_days: int = DEFAULT_WINDOW_DAYS, event: str | None = None) -> AgentAnalysis:
    """Per agent and team; `event` narrows the ticket events read (default ticket_solved and chat_ended)."""
    if not 1 <= window_days <= 365:
        raise InvalidInput("window out of range", errors=[FieldError("window_days", "must be 1-365 days")])
    names = [event] if event else list(TICKET_EVENTS)
    known = dict(queries.event_names(session))
    if event is not None and event not in known:
        raise InvalidInput("unknown event", errors=[FieldError("event", f"no customer has an event named '{event}'")])
    samples = [p for name in names for p in queries.recent_properties(session, name=name, limit=500)]
    numeric = numeric_properties(samples)
    wait_measure = _measure_named(numeric, "wait")
    resolution_measure = _measure_named(numeric, "resolution")
    result = AgentAnalysis(
        event=", ".join(names),
        window_days=window_days,
        min_n=metrics.min_n(MetricKind.csat),
        wait_measure=wait_measure,
        resolution_measure=resolution_measure,
        agents=[],
        teams=[],
        findings=[],
        explanation="",
    )
    tickets = queries.events_of(session, names=names)
    if not any(_group_name(p, "agent") or _group_name(p, "team") for _, _, p in tickets):
        result.explanation = (
            f"No {' or '.join(names)} event names an agent or a team: helpdesk webhooks (docs/channels-helpdesk-"
            "reviews.md) or events with an `agent` and a `team` property are needed."
        )
        return result
    created: dict[str, datetime] = {}
    if resolution_measure is None and CREATED_EVENT in known:
        for _, at, properties in queries.events_of(session, names=[CREATED_EVENT]):
            ticket = properties.get("ticket_id")
            if ticket is not None:
                created.setdefault(str(ticket), at)
        result.resolution_measure = f"hours from {CREATED_EVENT}" if created else None
    tallies: dict[str, dict[str, _Tally]] = {group: defaultdict(_Tally) for group in (*GROUPS, EVERYONE)}
    for _, at, properties in tickets:
        wait = measure_value(properties, wait_measure) if wait_measure else None
        resolution = _resolution(properties, at, resolution_measure, created)
        for group in (*GROUPS, EVERYONE):
            name = EVERYONE if group == EVERYONE else _group_name(properties, group)
            if name is None:
                continue
            tally = tallies[group][name]
            tally.tickets += 1
            if wait is not None:
                tally.wait.append(wait)
            if resolution is not None:
                tally.resolution.append(resolution)
    window = timedelta(days=window_days)
    for kind in (MetricKind.csat, MetricKind.nps):
        for link in queries.linked_events(session, metric=kind.value, names=names):
            if link.submitted_at - link.occurred_at > window:
                continue
            for group in (*GROUPS, EVERYONE):
                name = EVERYONE if group == EVERYONE else _group_name(link.properties, group)
                if name is not None:
                    getattr(tallies[group][name], kind.value).append(link.score)
    (result.overall,) = _rows(EVERYONE, tallies[EVERYONE])
    result.agents = _rows("agent", tallies["agent"])
    result.teams = _rows("team", tallies["team"])
    _compare_with_rest(result.agents + result.teams, tallies)
    result.findings = [_finding(row) for row in result.agents + result.teams if _is_finding(row)]
    rated = sum(row.csat.n for row in result.agents)
    result.explanation = (
        f"{len(result.agents)} agents and {len(result.teams)} teams over {len(tickets)} tickets; {rated} CSAT "
        f"answers within {window_days} days after a ticket. An agent's or team's CSAT is compared with the rest "
        f"from {result.min_n} answers on; {len(result.findings)} differ at a false-discovery rate of "
        f"{significance.FDR_Q:.0%}."
    )
    return result


def _resolution(
    properties: dict[str, Any], at: datetime, measure: str | None, created: dict[str, datetime]
) -> float | None:
    if measure is not None:
        return measure_value(properties, measure)
    opened = created.get(str(properties.get("ticket_id")))
    if opened is None or opened > at:
        return None
    return (at - opened).total_seconds() / 3600


def distribution(values: Sequence[float], minimum: int) -> Distribution:
    if not values:
        return Distribution(
            n=0,
            median=None,
            median_low=None,
            median_high=None,
            p90=None,
            p90_low=None,
            p90_high=None,
            small_sample=True,
        )
    ordered = sorted(values)
    median, median_low, median_high = effects.quantile_interval(ordered, 0.5)
    p90, p90_low, p90_high = effects.quantile_interval(ordered, 0.9)
    return Distribution(
        n=len(ordered),
        median=median,
        median_low=median_low,
        median_high=median_high,
        p90=p90,
        p90_low=p90_low,
        p90_high=p90_high,
        small_sample=len(ordered) < minimum,
    )


def _rows(group: str, tallies: dict[str, _Tally]) -> list[AgentRow]:
    minimum = metrics.min_n(MetricKind.csat)
    rows = [
        AgentRow(
            group=group,
            name=name,
            tickets=tally.tickets,
            csat=summarise(MetricKind.csat, tally.csat),
            nps=summarise(MetricKind.nps, tally.nps),
            wait=distribution(tally.wait, minimum),
            resolution=distribution(tally.resolution, minimum),
        )
        for name, tally in tallies.items()
    ]
    rows.sort(key=lambda r: (-r.tickets, r.name))
    return rows


def _compare_with_rest(rows: list[AgentRow], tallies: dict[str, dict[str, _Tally]]) -> None:
    """Each row's CSAT minus the CSAT of everyone else in its group (agents vs agents, teams vs teams)."""
    minimum = metrics.min_n(MetricKind.csat)
    tested: list[tuple[AgentRow, float]] = []
    for row in rows:
        own = tallies[row.group][row.name].csat
        rest = [s for name, t in tallies[row.group].items() if name != row.name for s in t.csat]
        if len(own) < minimum or len(rest) < minimum:
            continue
        estimate_own = significance.proportion_estimate(sum(s >= 4 for s in own), len(own))
        estimate_rest = significance.proportion_estimate(sum(s >= 4 for s in rest), len(rest))
        assert estimate_own is not None and estimate_rest is not None
        comparison = significance.compare(estimate_own, estimate_rest)
        row.csat_vs_rest = comparison.difference
        row.csat_vs_rest_low, row.csat_vs_rest_high = comparison.ci_low, comparison.ci_high
        tested.append((row, comparison.p_value))
    for (row, _), q in zip(tested, significance.benjamini_hochberg([p for _, p in tested]), strict=True):
        row.csat_q_value = q


def _is_finding(row: AgentRow) -> bool:
    return row.csat_q_value is not None and row.csat_q_value <= significance.FDR_Q


def _finding(row: AgentRow) -> str:
    assert row.csat_vs_rest is not None and row.csat.value is not None
    way = "above" if row.csat_vs_rest > 0 else "below"
    return (
        f"{row.group.title()} {row.name}: CSAT {row.csat.value:.0f}% (n = {row.csat.n}) is "
        f"{abs(row.csat_vs_rest):.0f} points {way} the other {row.group}s' (95% interval {row.csat_vs_rest_low:+.0f}.."
        f"{row.csat_vs_rest_high:+.0f}, q {effects.p_words(row.csat_q_value or 0)})."
    )
