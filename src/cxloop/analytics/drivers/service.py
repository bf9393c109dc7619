"""Key-driver analysis: the score of each response regressed on its drivers, phrased as "fixing X is worth about +N
NPS points for segment S (95 % interval a..b)".

Each response's score is coded so its mean is the metric (NPS: promoter 100, passive 0, detractor -100; CSAT: 100
when satisfied; CES: the 1-7 answer), so a coefficient is in the metric's own units. The counterfactual of a driver
is "the responses with it score like those without": the metric would change by -effect x share. Intervals are the
regression's robust (HC1) 95% intervals; the share is taken as known. The fit is checked on a random 20% of the
responses that the model is not fitted on (docs/analytics.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits

from cxloop.analytics import metrics
from cxloop.analytics import queries as metric_queries
from cxloop.analytics import service as metric_service
from cxloop.analytics.drivers import grouping, queries, regression
from cxloop.analytics.drivers.schemas import (
    DriverRead,
    DriverReport,
    DriverSkipped,
    FamilyShare,
    ModelFit,
)
from cxloop.analytics.enums import MetricKind
from cxloop.collection import local_days
from cxloop.core.errors import FieldError, InvalidInput

MIN_RESPONSES = 200  # below this a model with a dozen drivers says nothing reliable
MIN_DRIVER_N = 10  # responses with, and without, a driver for it to enter the model
UNITS = {MetricKind.nps: "NPS points", MetricKind.csat: "CSAT points", MetricKind.ces: "CES points (1-7)"}
HELPDESK = {
    "ticket": "having had a support ticket in the 30 days before answering",
    "long_wait": f"support waits over {queries.LONG_WAIT_MINUTES // 60} hours",
    "transferred": "tickets transferred between agents",
    "reopened": "reopened tickets",
}
CATEGORIES = grouping.CATEGORIES
NONE_WORDS = {
    "touchpoint": "answers without a touchpoint",
    "stage": "answers without a stage",
    "channel": "answers without a channel",
    "plan": "customers without a plan",
    "size": "customers without an account ARR",
}


@dataclass(frozen=True, slots=True)
class _Candidate:
    key: str
    family: str
    label: str
    subject: str
    column: Callable[[dict[str, np.ndarray[Any, Any]]], np.ndarray[Any, Any]]
    reference: str | None = None
    reported: bool = True


# Each score coded so that the mean of the codes is the metric (CES: the answer itself).
CODING: dict[MetricKind, tuple[tuple[int, int, int], ...] | None] = {
    MetricKind.nps: ((0, 6, -100), (7, 8, 0), (9, 10, 100)),
    MetricKind.csat: ((1, 3, 0), (4, 5, 100)),
    MetricKind.ces: None,
}


def _bound(value: datetime | date | None, tz: str, *, end: bool) -> datetime | None:
    """A date is a whole local day of `tz` (an end date is included); an instant is taken as given."""
    if value is None or isinstance(value, datetime):
        return value
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time(), local_days.zone(tz)).astimezone(UTC)


def analyse(
    session: Session,
    *,
    metric: str,
    segment: str | None = None,
    start: str | None = None,
    end: str | None = None,
    tz: str = "UTC",
) -> DriverReport:
    """The drivers of `metric` for the segment's customers (all when None) answering between start and end (dates
    in `tz`, end included). InvalidInput names an unknown metric, segment, zone or a bad date."""
    try:
        local_days.zone(tz)
    except ValueError as exc:
        raise InvalidInput("invalid tz", errors=[FieldError("tz", str(exc))]) from exc
    query = metric_service.parse_query(metric=metric, tz=tz, start=start, end=end)
    kind = query.metric
    segment_id, scope_name = None, "all customers"
    if segment:
        found = queries.segment_id(session, key=segment.strip())
        if found is None:
            raise InvalidInput("unknown segment", errors=[FieldError("segment", f"no segment has the key '{segment}'")])
        segment_id, scope_name = found[0], f"segment {found[1]}"
    scope = queries.Scope(
        metric=kind.value,
        start=_bound(query.start, tz, end=False),
        end=_bound(query.end, tz, end=True),
        segment_id=segment_id,
        coding=CODING[kind],
    )
    themes = queries.top_themes(session)
    segments = queries.segments(session, leave_out=segment_id)
    tickets = queries.has_ticket_events(session)
    grouped = read_groups(session, scope, themes, segments, tickets=tickets)
    table, levels, figures = grouped.table, grouped.levels, grouped.figures
    counts = figures[:, 0]
    n = int(counts.sum())
    report = DriverReport(
        metric=kind,
        segment=segment.strip() if segment else None,
        scope=scope_name,
        start=scope.start,
        end=scope.end,
        n=n,
        value=float(figures[:, 1].sum() / n) if n else None,
        min_n=MIN_RESPONSES,
        min_driver_n=MIN_DRIVER_N,
        enough=False,
        explanation="",
    )
    if n < MIN_RESPONSES:
        report.explanation = (
            f"Too few to analyse: {n} {kind.value.upper()} answers for {scope_name} in this period; a driver "
            f"analysis needs at least {MIN_RESPONSES} (each driver also needs {MIN_DRIVER_N} answers with it and "
            "without it)."
        )
        return report
    labels = _labels(session, levels)
    candidates = _candidates(table, levels, counts, themes, segments, labels, tickets=tickets)
    # Small matrices, many of them: BLAS threads cost more than they give, and thrash on a busy machine.
    with threadpool_limits(limits=1):
        columns, kept, report.skipped = _enter(candidates, table, counts)
        if not [c for c in kept if c.reported]:
            report.explanation = (
                f"No driver to test: none of the {len(candidates)} candidates has at least {MIN_DRIVER_N} of the "
                f"{n} {kind.value.upper()} answers for {scope_name} with it and without it."
            )
            return report
        x = np.column_stack(columns).astype(np.float64)
        _model(report, kind, x, figures, table["held_out"] > 0, kept)
    return report


def read_groups(
    session: Session,
    scope: queries.Scope,
    themes: Sequence[queries.Candidate],
    segments: Sequence[queries.Candidate],
    *,
    tickets: bool,
) -> grouping.Grouped:
    """The scored responses in scope folded into groups of identical features, with `themes` and `segments` as the
    bits of their masks and the helpdesk flags read when `tickets` (grouping.py)."""
    answers = queries.answers(session, scope)
    pairs = np.zeros((0, 2), np.int64)  # (id, mask) rows when there is nothing to read
    theme_masks, segment_masks, flags = pairs, pairs, np.zeros((0, 4), np.int64)
    if themes and len(answers.ids):
        first, last = int(np.min(answers.ids)), int(np.max(answers.ids))
        theme_masks = queries.theme_masks(session, theme_ids=[t.id for t in themes], first=first, last=last)
    if segments:
        segment_masks = queries.segment_masks(session, segment_ids=[s.id for s in segments])
    if tickets:
        flags = queries.ticket_flags(session, scope)
    found = grouping.Sources(
        themes=theme_masks, accounts=queries.accounts(session), segments=segment_masks, tickets=flags
    )
    return grouping.group(answers, found, coding=scope.coding)


def _labels(session: Session, levels: dict[str, list[Any]]) -> dict[str, dict[Any, str]]:
    """Display names of each category's levels; a missing level (None) reads as 'none'."""
    found: dict[str, dict[Any, str]] = {}
    for dim in ("touchpoint", "stage"):
        ids = [value for value in levels[dim] if value is not None]
        names = metric_queries.labels(session, dim=dim, ids=ids)
        found[dim] = {value: names[value][1] for value in ids if value in names}
    for dim in ("channel", "plan", "size"):
        found[dim] = {value: str(value) for value in levels[dim] if value is not None}
    return found


def _candidates(
    table: dict[str, np.ndarray[Any, Any]],
    levels: dict[str, list[Any]],
    counts: np.ndarray[Any, Any],
    themes: Sequence[queries.Candidate],
    segments: Sequence[queries.Candidate],
    labels: dict[str, dict[Any, str]],
    *,
    tickets: bool,
) -> list[_Candidate]:
    """Every possible driver as a 0/1 column over the grouped rows; `commented` is a control, not reported (themes
    are compared with other comments, not with answers that left none)."""
    found: list[_Candidate] = [
        _Candidate("comment:any", "themes", "left a comment", "leaving a comment", _flag("commented"), reported=False)
    ]
    for bit, theme in enumerate(themes):
        found.append(
            _Candidate(f"theme:{theme.id}", "themes", theme.name, f"comments about '{theme.name}'", _bit("themes", bit))
        )
    words = {"touchpoint": "the '{}' touchpoint", "stage": "the '{}' stage", "channel": "answers by {}"}
    words |= {"plan": "the '{}' plan", "size": "accounts of {}"}
    for dim in CATEGORIES:
        totals = np.bincount(table[dim], weights=counts, minlength=len(levels[dim]))
        sizes = {value: int(total) for value, total in zip(levels[dim], totals.tolist(), strict=True)}
        if len(sizes) < 2:
            continue
        reference = min(sizes, key=lambda v: (-sizes[v], str(v)))  # the most answered; ties by name
        names = labels[dim]
        for value in sorted(sizes, key=lambda v: -sizes[v]):
            if value == reference:
                continue
            name = names.get(value, "none")
            found.append(
                _Candidate(
                    f"{dim}:{'none' if value is None else value}",
                    dim,
                    f"{dim} {name}",
                    words[dim].format(name) if value is not None else NONE_WORDS[dim],
                    _level(dim, levels[dim].index(value)),
                    reference=names.get(reference, "none"),
                )
            )
    for bit, segment in enumerate(segments):
        found.append(
            _Candidate(
                f"segment:{segment.key}",
                "segments",
                f"segment {segment.name}",
                f"customers in '{segment.name}'",
                _bit("segments", bit),
            )
        )
    if tickets:
        for flag, subject in HELPDESK.items():
            found.append(_Candidate(f"helpdesk:{flag}", "helpdesk", subject, subject, _flag(flag)))
    return found


def _flag(name: str) -> Callable[[dict[str, np.ndarray[Any, Any]]], np.ndarray[Any, Any]]:
    return lambda table: table[name] > 0


def _bit(name: str, bit: int) -> Callable[[dict[str, np.ndarray[Any, Any]]], np.ndarray[Any, Any]]:
    return lambda table: (table[name] >> bit) & 1 > 0


def _level(dim: str, code: int) -> Callable[[dict[str, np.ndarray[Any, Any]]], np.ndarray[Any, Any]]:
    return lambda table: table[dim] == code


def _enter(
    candidates: Sequence[_Candidate], table: dict[str, np.ndarray[Any, Any]], counts: np.ndarray[Any, Any]
) -> tuple[list[np.ndarray[Any, Any]], list[_Candidate], list[DriverSkipped]]:
    """The candidates with enough responses with and without them, minus those collinear with the rest."""
    total = int(counts.sum())
    columns: list[np.ndarray[Any, Any]] = []
    entered: list[_Candidate] = []
    skipped: list[DriverSkipped] = []
    for candidate in candidates:
        column = candidate.column(table)
        n = int(counts[column].sum())
        if min(n, total - n) < MIN_DRIVER_N:
            side = "with" if n < MIN_DRIVER_N else "without"
            reason = f"too few answers {side} it (needs {MIN_DRIVER_N} with and {MIN_DRIVER_N} without)"
            if candidate.reported:
                skipped.append(DriverSkipped(key=candidate.key, label=candidate.label, n=n, reason=reason))
            continue
        columns.append(column)
        entered.append(candidate)
    if not columns:
        return [], [], skipped
    keep = regression.independent_columns(np.column_stack(columns).astype(np.float64), counts)
    for index, candidate in enumerate(entered):
        if index not in keep and candidate.reported:
            n = int(counts[columns[index]].sum())
            reason = "moves together with other drivers, so its own effect cannot be told apart"
            skipped.append(DriverSkipped(key=candidate.key, label=candidate.label, n=n, reason=reason))
    return [columns[i] for i in keep], [entered[i] for i in keep], skipped


def _model(
    report: DriverReport,
    kind: MetricKind,
    x: np.ndarray[Any, Any],
    figures: np.ndarray[Any, Any],
    held_out: np.ndarray[Any, Any],
    drivers: Sequence[_Candidate],
) -> None:
    every = regression.Sums(figures[:, 0], figures[:, 1], figures[:, 2])
    report.fit = _held_out_fit(kind, x, figures, held_out)
    model = regression.fit(x, every)
    report.fit.r2 = model.r2
    families = sorted({d.family for d in drivers})
    shares = regression.family_shares(x, every, [families.index(d.family) for d in drivers])
    report.families = sorted(
        (FamilyShare(family=families[i], r2_share=share) for i, share in shares.items()), key=lambda f: -f.r2_share
    )
    total = every.n
    sd_y = float(np.sqrt(every.total_squares() / total))
    minimum = metrics.min_n(kind)
    unit = UNITS[kind]
    found: list[DriverRead] = []
    for j, driver in enumerate(drivers):
        if not driver.reported:
            continue
        effect, error = float(model.coefficients[j]), float(model.standard_errors[j])
        low, high = effect - regression.Z95 * error, effect + regression.Z95 * error
        n = int(every.w[x[:, j] > 0].sum())
        share = n / total
        scale = float(np.sqrt(share * (1 - share)) / sd_y) if sd_y > 0 else 0.0
        read = DriverRead(
            key=driver.key,
            family=driver.family,
            label=driver.label,
            reference=driver.reference,
            n=n,
            share=share,
            effect=effect,
            effect_ci_low=low,
            effect_ci_high=high,
            impact=-effect * share,
            impact_ci_low=-high * share,
            impact_ci_high=-low * share,
            standardized=effect * scale,
            significant=low > 0 or high < 0,
            small_sample=n < minimum,
            sentence="",
        )
        read.sentence = _sentence(read, driver, report.scope, unit, kind)
        found.append(read)
    report.drivers = sorted(found, key=lambda d: -abs(d.impact))
    report.enough = True
    fit = report.fit
    report.explanation = (
        f"{len(found)} drivers of {kind.value.upper()} for {report.scope} over n = {report.n} answers; on the "
        f"{fit.n_held_out} answers held out of the fit they explain {max(fit.r2_held_out, 0):.0%} of the variation "
        f"(R² {fit.r2_held_out:.3f}; {fit.r2:.3f} on all answers)."
    )


def _held_out_fit(
    kind: MetricKind, x: np.ndarray[Any, Any], figures: np.ndarray[Any, Any], held_out: np.ndarray[Any, Any]
) -> ModelFit:
    """Fit on the responses not held out (queries.HELD_OUT_ONE_IN), score on the held-out ones."""
    train, test = figures[~held_out], figures[held_out]
    fitted = regression.fit(x[~held_out], regression.Sums(train[:, 0], train[:, 1], train[:, 2]))
    tested = regression.Sums(test[:, 0], test[:, 1], test[:, 2])
    predicted = regression.predict(fitted, x[held_out])
    fit = ModelFit(
        r2=fitted.r2,
        r2_held_out=regression.r_squared(predicted, tested) if tested.n > 0 else 0.0,
        n_train=int(train[:, 0].sum()),
        n_held_out=int(tested.n),
    )
    if kind is MetricKind.nps and tested.n > 0:
        # Per group: promoters (column 3), detractors (4), passives the rest; the guess is the nearest category.
        right = np.select(
            [predicted >= 50, predicted <= -50], [test[:, 3], test[:, 4]], test[:, 0] - test[:, 3] - test[:, 4]
        )
        fit.accuracy_held_out = float(right.sum()) / tested.n
        promoters, detractors = train[:, 3].sum(), train[:, 4].sum()
        passives = train[:, 0].sum() - promoters - detractors
        commonest = int(np.argmax([promoters, detractors, passives]))
        held = [test[:, 3].sum(), test[:, 4].sum(), tested.n - test[:, 3].sum() - test[:, 4].sum()]
        fit.baseline_accuracy = float(held[commonest]) / tested.n
    return fit


def _sentence(read: DriverRead, driver: _Candidate, scope: str, unit: str, kind: MetricKind) -> str:
    digits = 2 if kind is MetricKind.ces else 1
    low, high = f"{read.impact_ci_low:+.{digits}f}", f"{read.impact_ci_high:+.{digits}f}"
    versus = f" if it scored like {driver.reference}" if driver.reference is not None else ""
    if read.impact >= 0:
        text = (
            f"Fixing {driver.subject} is worth about {read.impact:+.{digits}f} {unit} for {scope}{versus} "
            f"(95 % interval {low}..{high}; n = {read.n})"
        )
    else:
        text = (
            f"{driver.subject[0].upper()}{driver.subject[1:]} adds about {-read.impact:.{digits}f} {unit} for "
            f"{scope}: losing it would cost that much{versus} (95 % interval {low}..{high} as a fix; n = {read.n})"
        )
    if not read.significant:
        text += ", within noise"
    if read.small_sample:
        text += ", too few to read"
    return text + "."
