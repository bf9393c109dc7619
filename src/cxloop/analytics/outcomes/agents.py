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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from cxloop.analytics import metrics, significance
from cxloop.analytics.enums import MetricKind
from cxloop.analytics.outcomes import effects, queries
from cxloop.analytics.outcomes.operations import number, numeric_properties, summarise
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


def _group_name(candidates: Iterable[Any]) -> str | None:
    """The first usable name among a group's properties (GROUPS order): text or a whole number, not blank."""
    for value in candidates:
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
    created: dict[str, int] = {}
    if resolution_measure is None and CREATED_EVENT in known:
        opened = queries.events_with(session, names=[CREATED_EVENT], keys=["ticket_id"])
        tickets_opened, opened_at = opened.values["ticket_id"].mapped(_ticket), opened.micros.tolist()
        for at in opened.oldest_first():  # a ticket opened twice: the first
            if (ticket := tickets_opened[at]) is not None:
                created.setdefault(ticket, opened_at[at])
        result.resolution_measure = f"hours from {CREATED_EVENT}" if created else None
    # ticket ids are nearly all distinct, so they are read only when the resolution time needs them
    keys = {*GROUPS["agent"], *GROUPS["team"], *filter(None, (wait_measure, resolution_measure))}
    tickets = queries.events_with(session, names=names, keys=sorted(keys | ({"ticket_id"} if created else set())))
    named = {group: _names([tickets.values[key] for key in GROUPS[group]]) for group in GROUPS}
    if not any(agent or team for agent, team in zip(named["agent"], named["team"], strict=True)):
        result.explanation = (
            f"No {' or '.join(names)} event names an agent or a team: helpdesk webhooks (docs/channels-helpdesk-"
            "reviews.md) or events with an `agent` and a `team` property are needed."
        )
        result.resolution_measure = resolution_measure
        return result
    named[EVERYONE] = [EVERYONE] * len(tickets)
    waits = tickets.values[wait_measure].mapped(number) if wait_measure else [None] * len(tickets)
    resolutions = _resolutions(tickets, resolution_measure, created)
    tallies: dict[str, dict[str, _Tally]] = {group: defaultdict(_Tally) for group in named}
    for i, (wait, resolution) in enumerate(zip(waits, resolutions, strict=True)):
        for group, names_of in named.items():
            name = names_of[i]
            if name is None:
                continue
            tally = tallies[group][name]
            tally.tickets += 1
            if wait is not None:
                tally.wait.append(wait)
            if resolution is not None:
                tally.resolution.append(resolution)
    window = timedelta(days=window_days)
    linked = queries.first_answers(session, metrics=["csat", "nps"], events=tickets, window=window)
    for metric, (positions, scores) in linked.items():
        for at, score in zip(positions.tolist(), scores.tolist(), strict=True):
            for group, names_of in named.items():
                name = names_of[at]
                if name is not None:
                    getattr(tallies[group][name], metric).append(score)
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


def _names(candidates: list[queries.Property]) -> list[str | None]:
    """Each event's name in a group, judged once per distinct combination of its properties' values."""
    known: dict[tuple[int, ...], str | None] = {}
    found: list[str | None] = []
    for codes in zip(*(c.codes.tolist() for c in candidates), strict=True):
        if codes not in known:
            known[codes] = _group_name(c.values[code] for c, code in zip(candidates, codes, strict=True))
        found.append(known[codes])
    return found


def _ticket(value: Any) -> str | None:
    return None if value is None else str(value)


def _resolutions(tickets: queries.EventRows, measure: str | None, created: dict[str, int]) -> list[float | None]:
    """Each ticket's resolution time: its `measure`, else the hours since its ticket_created event (`created`:
    ticket id -> microseconds)."""
    if measure is not None:
        return tickets.values[measure].mapped(number)
    if not created:
        return [None] * len(tickets)
    found: list[float | None] = []
    for ticket, at in zip(tickets.values["ticket_id"].mapped(str), tickets.micros.tolist(), strict=True):
        opened = created.get(ticket)
        # the hours exactly as timedelta.total_seconds() / 3600 gave them
        found.append(None if opened is None or opened > at else (at - opened) / 10**6 / 3600)
    return found


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
