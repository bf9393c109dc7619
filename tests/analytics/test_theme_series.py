"""analytics/theme_series.py: the themes' mentions and negative shares per day feed the anomaly scan, so a theme
that suddenly comes up is found and explained. Both databases, through the worker's relay."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from cxloop.analytics import anomalies
from cxloop.analytics.enums import AnomalyKind
from cxloop.analytics.theme_series import theme_series
from cxloop.collection.local_days import day_number
from cxloop.core.clock import utcnow
from cxloop.storage.database import Database
from cxloop.text.themes import service as themes
from cxloop.text.themes.schemas import RuleCreate
from tests.alerts.conftest import add_survey, store_responses


def _at(day: datetime) -> dict[str, object]:
    return {"submitted_at": day}


def test_a_surging_theme_is_found_and_explained(db: Database) -> None:
    add_survey(db)
    with db.unit_of_work(write=True) as session:
        themes.add_rule(session, data=RuleCreate(name="Refunds", phrases=["refund"]))
    today = utcnow().date()
    monday = datetime.combine(today - timedelta(days=today.weekday()), time(12), UTC)
    baseline = [monday - timedelta(weeks=w, days=d) for w in range(2, 10) for d in (1, 3)]  # two a week
    surge = [monday - timedelta(weeks=1) + timedelta(days=d % 5, minutes=d) for d in range(30)]
    items = [{"nps": 8, "comment": "Asked about a refund, all fine", **_at(at)} for at in baseline]
    items += [{"nps": 1, "comment": "Still no refund, this is awful", **_at(at)} for at in surge]
    items.append({"nps": 9, "comment": "Great service", **_at(monday - timedelta(weeks=1))})  # no theme
    store_responses(db, *items)

    first, last = day_number(today) - 90, day_number(today) - 1  # every item above falls inside
    with db.unit_of_work() as session:
        series = {s.key.partition(":")[0]: s for s in theme_series(session, first, last)}
        found = anomalies.scan(session, weeks=1, days=0, store=False)
    volume, negative = series["theme"], series["theme-negative"]
    assert (volume.kind, volume.metric, negative.kind) == (AnomalyKind.volume, "theme:Refunds", AnomalyKind.share)
    assert sum(volume.days.values()) == len(baseline) + len(surge)
    assert volume.days[day_number(baseline[-1].date()) + 1] == 0  # a quiet day inside its history counts 0
    assert sum(n for n, _ in negative.days.values()) == len(surge)  # the surge's comments read negative
    (mentions,) = [f for f in found.discoveries if f.metric == "theme:Refunds" and f.kind == AnomalyKind.volume]
    assert mentions.explanation.startswith("Mentions of 'Refunds' for all customers surged")
