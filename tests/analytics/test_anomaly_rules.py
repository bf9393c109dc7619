"""The anomaly detector on plain series: a planted drop is found and explained, pure noise over many series gives
about q false discoveries, count surges and response-rate drops are found, small series are skipped with a reason."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

from cxloop.analytics import anomaly_rules, buckets
from cxloop.analytics.anomaly_rules import Series
from cxloop.analytics.enums import AnomalyKind, GroupKey
from cxloop.collection.local_days import day_number

TESTED = buckets.bucket_start(day_number(date(2026, 11, 2)), GroupKey.week)  # Monday 2 November 2026
WEEKS = {GroupKey.week: [TESTED]}


def nps_days(
    rng: random.Random,
    *,
    weeks: int,
    per_day: int,
    shares: tuple[float, float],
    last: tuple[float, float] | None = None,
) -> dict[int, Counter[int]]:
    """Daily NPS histograms for `weeks` weeks ending with the tested week; `last` changes the tested week's shares."""
    days: dict[int, Counter[int]] = {}
    first = TESTED - 7 * (weeks - 1)
    for day in range(first, TESTED + 7):
        promoters, detractors = last if last is not None and day >= TESTED else shares
        hist: Counter[int] = Counter()
        for _ in range(per_day):
            draw = rng.random()
            hist[10 if draw < promoters else 0 if draw < promoters + detractors else 8] += 1
        days[day] = hist
    return days


def test_a_planted_drop_is_found_among_noise_and_explained() -> None:
    rng = random.Random(3)
    series = [
        Series(
            f"nps/segment:s{i}",
            AnomalyKind.score,
            "nps",
            f"Segment {i}",
            f"s{i}",
            nps_days(rng, weeks=10, per_day=20, shares=(0.5, 0.15)),
        )
        for i in range(30)
    ]
    dropped = nps_days(rng, weeks=10, per_day=25, shares=(0.55, 0.14), last=(0.35, 0.3))
    series.append(Series("nps/segment:enterprise", AnomalyKind.score, "nps", "Enterprise", "enterprise", dropped))
    result = anomaly_rules.scan(series, periods=WEEKS)
    found = {f.series.key: f for f in result.discoveries}
    assert "nps/segment:enterprise" in found
    assert len(found) <= 2  # at most one noise series beside the planted one
    drop = found["nps/segment:enterprise"]
    assert drop.direction == "drop" and drop.value < drop.baseline - 15
    sentence = drop.explanation()
    assert sentence.startswith("Enterprise NPS fell from ")
    assert "in the week of 2 Nov 2026" in sentence and f"n = {drop.n}" in sentence and "95% margin (±" in sentence
    assert drop.n == 7 * 25 and drop.baseline_n == 8 * 7 * 25


def test_pure_noise_over_many_series_keeps_false_discoveries_near_q() -> None:
    rng = random.Random(20261206)
    scans_with_any, discoveries = 0, 0
    for _ in range(20):
        series = [
            Series(
                f"nps/s{i}",
                AnomalyKind.score,
                "nps",
                f"S{i}",
                None,
                nps_days(rng, weeks=9, per_day=8, shares=(0.45, 0.2)),
            )
            for i in range(100)
        ]
        found = anomaly_rules.scan(series, periods=WEEKS).discoveries
        discoveries += len(found)
        scans_with_any += bool(found)
    # Under the global null BH keeps P(any discovery) <= q = 5%: 20 scans of 100 series expect about 1 such scan.
    assert scans_with_any <= 4
    assert discoveries <= 8


def test_false_discovery_proportion_with_real_changes_among_noise() -> None:
    rng = random.Random(11)
    proportions = []
    for _ in range(10):
        series = [
            Series(
                f"null{i}",
                AnomalyKind.score,
                "nps",
                f"N{i}",
                None,
                nps_days(rng, weeks=9, per_day=15, shares=(0.45, 0.2)),
            )
            for i in range(80)
        ]
        series += [
            Series(
                f"real{i}",
                AnomalyKind.score,
                "nps",
                f"R{i}",
                None,
                nps_days(rng, weeks=9, per_day=15, shares=(0.45, 0.2), last=(0.3, 0.35)),
            )
            for i in range(20)
        ]
        found = anomaly_rules.scan(series, periods=WEEKS).discoveries
        false = sum(1 for f in found if f.series.key.startswith("null"))
        proportions.append(false / max(len(found), 1))
        assert sum(1 for f in found if f.series.key.startswith("real")) >= 12  # most real drops are found
    assert sum(proportions) / len(proportions) <= 0.1


def test_small_series_are_skipped_with_the_reason() -> None:
    rng = random.Random(5)
    tiny = Series(
        "nps/tiny", AnomalyKind.score, "nps", "Tiny", "tiny", nps_days(rng, weeks=10, per_day=1, shares=(0.5, 0.2))
    )
    young = Series(
        "nps/young", AnomalyKind.score, "nps", "Young", "young", nps_days(rng, weeks=3, per_day=30, shares=(0.5, 0.2))
    )
    result = anomaly_rules.scan([tiny, young], periods={GroupKey.week: [TESTED], GroupKey.day: [TESTED + 6]})
    # the young series has 20 days of 30 answers a day: enough to test its last day, not its last week
    assert [(f.series.key, f.granularity) for f in result.findings] == [("nps/young", GroupKey.day)]
    reasons = {(s.series_key, s.granularity): s.reason for s in result.skipped}
    assert reasons[("nps/tiny", GroupKey.week)] == "n = 7 in it, fewer than 30: too few to read"
    assert reasons[("nps/young", GroupKey.week)] == "only 2 weeks of history before it"
    assert reasons[("nps/tiny", GroupKey.day)] == "fewer than 30 a day on average: read it by week"


def test_daily_series_are_tested_when_n_allows() -> None:
    rng = random.Random(9)
    busy = Series(
        "nps/all",
        AnomalyKind.score,
        "nps",
        "all customers",
        None,
        nps_days(rng, weeks=6, per_day=60, shares=(0.5, 0.2)),
    )
    busy.days[TESTED + 6].clear()  # type: ignore[union-attr]
    busy.days[TESTED + 6].update({0: 50, 10: 10})  # type: ignore[union-attr]
    result = anomaly_rules.scan([busy], periods={GroupKey.day: [TESTED + 6]})
    assert [(f.granularity, f.direction) for f in result.discoveries] == [(GroupKey.day, "drop")]
    assert "on 8 Nov 2026" in result.discoveries[0].explanation()


def test_a_count_surge_is_found_and_a_steady_count_is_not() -> None:
    rng = random.Random(1)

    def poisson(mean: float) -> int:
        count, total = 0, rng.expovariate(1)
        while total < mean:
            count += 1
            total += rng.expovariate(1)
        return count

    steady = {day: poisson(3) for day in range(TESTED - 70, TESTED + 7)}
    surging = dict(steady) | {day: poisson(9) for day in range(TESTED, TESTED + 7)}
    series = [
        Series("theme:billing", AnomalyKind.volume, "theme:billing", "all customers", None, surging),
        Series("theme:login", AnomalyKind.volume, "theme:login", "all customers", None, steady),
    ]
    result = anomaly_rules.scan(series, periods=WEEKS)
    assert [f.series.key for f in result.discoveries] == ["theme:billing"]
    surge = result.discoveries[0]
    assert surge.direction == "surge" and surge.n == sum(surging[d] for d in range(TESTED, TESTED + 7))
    assert surge.explanation().startswith("Mentions of 'billing' for all customers surged to ")


def test_a_response_rate_drop_is_found() -> None:
    days = dict.fromkeys(range(TESTED - 63, TESTED), (30, 100)) | dict.fromkeys(range(TESTED, TESTED + 7), (15, 100))
    series = Series(
        "response_rate/channel:email", AnomalyKind.share, "response_rate", "email invitations", "email", days
    )
    result = anomaly_rules.scan([series], periods=WEEKS)
    assert len(result.discoveries) == 1
    found = result.discoveries[0]
    assert (found.value, found.baseline, found.n) == (15.0, 30.0, 700)
    assert found.explanation().startswith("Email invitations response rate fell from 30.0% to 15.0% in the week of")
