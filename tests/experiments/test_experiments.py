"""Experiments on the database, over HTTP and through `cxloop experiments`: assignment, results, plans, before/after."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from cxloop.audit.models import AuditEntry
from cxloop.cli.main import app
from cxloop.core.errors import Conflict, InvalidInput
from cxloop.experiments import planning, results
from cxloop.experiments import service as experiments
from cxloop.experiments.assignment import variant_for
from cxloop.experiments.schemas import ExperimentCreate, Variant
from cxloop.storage.database import Database
from tests.cli_database import commands_on
from tests.factories.responses import Scored, add_customers, add_scored, add_segment, add_survey

START = date(2026, 4, 1)
TODAY = date(2026, 5, 10)
WEIGHTS = [("control", 1.0), ("treatment", 1.0)]
# 20 answers each: control NPS 10 (8 promoters, 6 detractors), treatment NPS 25 (9 promoters, 4 detractors).
CONTROL = [10] * 8 + [8] * 6 + [3] * 6
TREATMENT = [10] * 9 + [7] * 7 + [2] * 4


def _spec(key: str = "onboarding-call", **fields: object) -> ExperimentCreate:
    data = {"key": key, "name": "Onboarding call", "metric": "nps", "start_date": START.isoformat()}
    data |= {"variants": [{"key": "control", "weight": 1}, {"key": "treatment", "weight": 1}]}
    return ExperimentCreate.model_validate(data | fields)


def _plant(
    db: Database,
    *,
    key: str,
    treatment: list[int],
    customers: int = 1_200,
    weights: list[tuple[str, float]] = WEIGHTS,
    scores: dict[str, list[int]] | None = None,
) -> list[int]:
    """`customers` customers (external ids c0...) answering once each on 2026-04-20: each variant's customers with
    its scores in turn (`scores`, else CONTROL for the control and `treatment` for the rest). Returns their ids."""
    by_variant = scores or {key: CONTROL if i == 0 else treatment for i, (key, _) in enumerate(weights)}
    with db.unit_of_work() as session:
        survey = add_survey(session)
        ids = add_customers(session, customers)
        seen: Counter[str] = Counter()
        items = []
        for index, customer_id in enumerate(ids):
            variant = variant_for(key, f"c{index}", weights)
            score = by_variant[variant][seen[variant] % 20]
            items.append(Scored(datetime(2026, 4, 20, 10, tzinfo=UTC), survey, customer_id, nps=score))
            seen[variant] += 1
        # A second, earlier answer from some customers: only each customer's latest counts.
        items += [Scored(datetime(2026, 4, 2, 10, tzinfo=UTC), survey, c, nps=0) for c in ids[:100]]
        # Before the start: not counted.
        items += [Scored(datetime(2026, 3, 1, 10, tzinfo=UTC), survey, c, nps=0) for c in ids[:300]]
        add_scored(session, items)
        variants = [{"key": k, "weight": w} for k, w in weights]
        experiments.create_experiment(session, data=_spec(key, variants=variants))
    return ids


def test_planted_difference_is_significant(db: Database) -> None:
    _plant(db, key="onboarding-call", treatment=TREATMENT)
    with db.unit_of_work() as session:
        report = results.results(session, key="onboarding-call", today=TODAY)
    control, treatment = report.variants
    assert control.value.n + treatment.value.n == 1_200  # each customer once, nothing from before the start
    assert abs(control.value.n - 600) < 60  # the 50/50 split
    assert control.value.value == pytest.approx(10, abs=1.5)
    assert treatment.value.value == pytest.approx(25, abs=1.5)
    (compared,) = report.comparisons
    assert compared.difference == pytest.approx(15, abs=2)
    assert compared.ci_low is not None and compared.ci_high is not None
    assert 0 < compared.ci_low < 15 < compared.ci_high
    assert compared.p_value is not None and compared.p_value < 0.01
    assert compared.p_adjusted == compared.p_value  # one treatment: nothing to adjust
    assert compared.verdict == "significant"
    assert "treatment" in compared.sentence and "significant" in compared.sentence


def test_equal_variants_are_within_noise(db: Database) -> None:
    _plant(db, key="same", treatment=CONTROL)
    with db.unit_of_work() as session:
        report = results.results(session, key="same", today=TODAY)
    (compared,) = report.comparisons
    assert compared.verdict == "within noise"
    assert compared.p_value is not None and compared.p_value > 0.5
    assert compared.ci_low is not None and compared.ci_high is not None
    assert compared.ci_low < 0 < compared.ci_high


def test_small_variants_are_flagged_not_compared(db: Database) -> None:
    _plant(db, key="tiny", treatment=TREATMENT, customers=30)
    with db.unit_of_work() as session:
        report = results.results(session, key="tiny", today=TODAY)
    assert all(variant.value.small_sample for variant in report.variants)
    (compared,) = report.comparisons
    assert compared.difference is None and compared.verdict == "too few to read"
    assert f"at least {report.min_n} answers" in compared.sentence


def test_several_treatments_are_adjusted(db: Database) -> None:
    weights = [("control", 2.0), ("a", 1.0), ("b", 1.0)]
    _plant(db, key="three", treatment=[], weights=weights, scores={"control": CONTROL, "a": TREATMENT, "b": CONTROL})
    with db.unit_of_work() as session:
        report = results.results(session, key="three", today=TODAY)
    a, b = report.comparisons
    assert (a.variant, b.variant) == ("a", "b") and a.control == "control"
    assert a.p_adjusted == pytest.approx(min(1.0, 2 * (a.p_value or 0)))
    assert a.verdict == "significant" and "adjusted for several variants" in a.sentence
    assert b.verdict == "within noise"


def test_several_treatments_need_more_responses() -> None:
    needed = planning.responses_needed(sd=100, mde=5, shares=[1 / 3] * 3, alpha=0.05, power=0.8)
    two = planning.responses_needed(sd=100, mde=5, shares=[0.5, 0.5], alpha=0.05, power=0.8)
    assert needed[0] > two[0]  # alpha halved for two treatments


def test_assignment_is_stable_and_close_to_the_weights() -> None:
    weights = [("a", 70.0), ("b", 20.0), ("c", 10.0)]
    first = [variant_for("checkout-copy", f"cust-{i}", weights) for i in range(10_000)]
    again = [variant_for("checkout-copy", f"cust-{i}", weights) for i in range(10_000)]
    assert first == again
    shares = Counter(first)
    for key, weight in weights:
        assert shares[key] / 10_000 == pytest.approx(weight / 100, abs=0.015)
    other = [variant_for("other-test", f"cust-{i}", weights) for i in range(10_000)]
    agree = sum(x == y for x, y in zip(first, other, strict=True)) / 10_000
    assert agree == pytest.approx(0.7**2 + 0.2**2 + 0.1**2, abs=0.02)  # experiments split independently


def test_sample_size_matches_the_textbook_formula() -> None:
    # n = 2 (z_0.975 + z_0.8)^2 sd^2 / mde^2 = 2 * 2.8016^2 * 100^2 / 5^2 = 6279.1 per variant
    assert planning.responses_needed(sd=100, mde=5, shares=[0.5, 0.5], alpha=0.05, power=0.8) == [6280, 6280]
    power = pytest.importorskip("statsmodels.stats.power")
    for sd, mde, alpha, beta in ((100, 5, 0.05, 0.8), (80, 10, 0.01, 0.9), (1.5, 0.3, 0.05, 0.8)):
        expected = power.NormalIndPower().solve_power(effect_size=mde / sd, alpha=alpha, power=beta, ratio=1)
        got = planning.responses_needed(sd=sd, mde=mde, shares=[0.5, 0.5], alpha=alpha, power=beta)
        assert got[0] == pytest.approx(expected, abs=1)
    # Unequal split, 1 treatment per 2 controls: statsmodels' ratio = nobs2 / nobs1.
    expected = power.NormalIndPower().solve_power(effect_size=0.05, alpha=0.05, power=0.8, ratio=0.5)
    got = planning.responses_needed(sd=100, mde=5, shares=[2 / 3, 1 / 3], alpha=0.05, power=0.8)
    assert got[0] == pytest.approx(expected, abs=1)


def test_plan_uses_the_recent_spread_and_rate(db: Database) -> None:
    with db.unit_of_work() as session:
        survey = add_survey(session)
        ids = add_customers(session, 560)
        # 560 customers answering over the 56 days before TODAY: 10 a day; half promoters, half detractors.
        add_scored(
            session,
            [
                Scored(
                    datetime.combine(TODAY - timedelta(days=1 + i % 56), datetime.min.time(), UTC),
                    survey,
                    c,
                    nps=10 if i % 2 else 0,
                )
                for i, c in enumerate(ids)
            ],
        )
        answer = planning.plan(session, metric="nps", mde=20, today=TODAY)
    assert answer.baseline.n == 560 and answer.responses_per_day == pytest.approx(10)
    assert answer.sd == pytest.approx(100, rel=0.01)
    assert answer.variants[0].responses == answer.variants[1].responses
    assert answer.days == pytest.approx(answer.total_responses / 10, abs=1)
    assert "days" in answer.explanation
    with db.unit_of_work() as session:
        empty = planning.plan(session, metric="csat", mde=5, today=TODAY)
    assert empty.sd == 50 and empty.days is None and "scale's largest" in empty.sd_source


def test_bad_plans_name_their_fields(db: Database) -> None:
    with db.unit_of_work() as session, pytest.raises(InvalidInput) as caught:
        planning.plan(session, metric="nope", mde=-1, alpha=2, power=0.2, weights=[1.0], segment="ghost")
    assert {e.field for e in caught.value.errors} == {"metric", "mde", "alpha", "power", "weights", "segment"}


def test_create_rejects_bad_input(db: Database) -> None:
    with db.unit_of_work() as session:
        experiments.create_experiment(session, data=_spec("taken"))
        with pytest.raises(Conflict):
            experiments.create_experiment(session, data=_spec("taken"))
        with pytest.raises(InvalidInput) as caught:
            experiments.create_experiment(session, data=_spec("plan", segment="ghost", end_date="2026-03-01"))
    assert {e.field for e in caught.value.errors} == {"key", "segment", "end_date"}
    with pytest.raises(ValueError, match="own key"):
        _spec(variants=[Variant(key="a"), Variant(key="a")])


def test_segment_limits_who_takes_part(db: Database) -> None:
    with db.unit_of_work() as session:
        ids = add_customers(session, 3)
        add_segment(session, "smb", ids[:2])
        experiments.create_experiment(session, data=_spec("smb-only", segment="smb"), today=START)
        inside = experiments.assign(session, key="smb-only", customer="c0", today=TODAY)
        outside = experiments.assign(session, key="smb-only", customer="c2", today=TODAY)
        unknown = experiments.assign(session, key="smb-only", customer="nobody", today=TODAY)
        early = experiments.assign(session, key="smb-only", customer="c1", today=START - timedelta(days=1))
    assert inside.variant in {"control", "treatment"} and inside.active
    assert outside.variant is None and "not in the segment" in outside.reason
    assert unknown.variant is None and "not a known customer" in unknown.reason
    assert early.variant is not None and not early.active and "starts on" in early.reason


def test_api(api: TestClient, db: Database) -> None:
    body = {"key": "new-ivr", "name": "New IVR", "metric": "csat", "variants": [{"key": "old"}, {"key": "new"}]}
    made = api.post("/api/v1/experiments", json=body)
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "running"
    assert api.post("/api/v1/experiments", json=body).status_code == 409
    bad = api.post("/api/v1/experiments", json=body | {"key": "x", "variants": [{"key": "only"}]})
    assert bad.status_code == 422 and "variants" in bad.text
    answers = [api.get("/api/v1/experiments/new-ivr/assignment", params={"customer": "ext-42"}).json() for _ in "ab"]
    assert answers[0] == answers[1] and answers[0]["variant"] in {"old", "new"} and answers[0]["active"]
    assert answers[0]["variant"] == variant_for("new-ivr", "ext-42", [("old", 1.0), ("new", 1.0)])
    assert api.get("/api/v1/experiments/nope/assignment", params={"customer": "x"}).status_code == 404
    assert api.get("/api/v1/experiments/new-ivr/assignment").status_code == 422
    listed = api.get("/api/v1/experiments").json()
    assert [e["key"] for e in listed] == ["new-ivr"]
    got = api.get("/api/v1/experiments/new-ivr/results")
    assert got.status_code == 200 and got.json()["comparisons"][0]["verdict"] == "too few to read"
    plan = api.get("/api/v1/experiments/plan", params={"metric": "csat", "mde": 5, "weights": "50,50"})
    assert plan.status_code == 200 and plan.json()["total_responses"] > 0
    assert api.get("/api/v1/experiments/plan", params={"metric": "csat", "mde": 5, "weights": "a,b"}).status_code == 422
    change = api.get("/api/v1/experiments/before-after", params={"metric": "nps", "change_date": "2026-04-01"})
    assert change.status_code == 200 and change.json()["verdict"] == "too few to read"
    wrong = api.get("/api/v1/experiments/before-after", params={"metric": "nps", "change_date": "April"})
    assert wrong.status_code == 422 and "change_date" in wrong.text
    stopped = api.post("/api/v1/experiments/new-ivr/stop")
    assert stopped.status_code == 200 and stopped.json()["status"] == "stopped"
    assert api.post("/api/v1/experiments/new-ivr/stop").status_code == 409
    assert not api.get("/api/v1/experiments/new-ivr/assignment", params={"customer": "ext-42"}).json()["active"]
    with db.unit_of_work() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert list(actions) == ["experiment.created", "experiment.stopped"]


def test_cli(db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    with commands_on(db_url, monkeypatch):
        made = runner.invoke(
            app, ["experiments", "create", "faq", "--name", "FAQ page", "--variants", "control:80,faq:20", "--json"]
        )
        assert made.exit_code == 0, made.output
        assert json.loads(made.output)["variants"][1] == {"key": "faq", "weight": 20.0}
        listed = runner.invoke(app, ["experiments", "list"])
        assert listed.exit_code == 0 and "faq" in listed.output
        shown = runner.invoke(app, ["experiments", "results", "faq"])
        assert shown.exit_code == 0 and "Too few to compare" in shown.output
        plan = runner.invoke(app, ["experiments", "plan", "--mde", "5", "--weights", "80,20"])
        assert plan.exit_code == 0 and "responses" in plan.output
        missing = runner.invoke(app, ["experiments", "show", "ghost"])
        assert missing.exit_code == 2 and "no experiment 'ghost'" in missing.output
        bad = runner.invoke(app, ["experiments", "create", "x", "--name", "X", "--variants", "a"])
        assert bad.exit_code == 2
        stopped = runner.invoke(app, ["experiments", "stop", "faq"])
        assert stopped.exit_code == 0 and "stopped" in stopped.output
        change = runner.invoke(app, ["experiments", "before-after", "--date", "2026-04-01", "--json"])
        assert change.exit_code == 0 and json.loads(change.output)["verdict"] == "too few to read"
