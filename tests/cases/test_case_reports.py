"""The recovery report and the holdout report agree with a recount from the raw rows (plain SQL, the thresholds of
docs/metrics.md, SciPy's and statsmodels' tests and intervals), over the API and the CLI; the statistics helpers
agree with SciPy on random data; small samples say so."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from scipy import stats as scipy_stats
from sqlalchemy import text, update
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from typer.testing import CliRunner

from cxloop.cases import holdout_figures as figures
from cxloop.cases import service as cases
from cxloop.cases.enums import TriggerSource
from cxloop.cases.models import Case, CaseActivity, CaseVerification
from cxloop.cases.schemas import SYSTEM, CaseOpen, RootCauseCreate, TriggerRef
from cxloop.cli.main import app
from cxloop.collection import service as collection
from cxloop.collection.schemas import ResponseCreate
from cxloop.customers import service as customers
from cxloop.customers.schemas import OutcomeCreate
from cxloop.storage.database import Database
from tests.cases.test_report_and_cli import cli  # noqa: F401 - the CLI fixture
from tests.factories.cases import make_team
from tests.factories.customers import make_account, make_customer
from tests.factories.triggers import live_survey

UNHAPPY = {"nps": 6, "csat": 3, "ces": 4}  # docs/metrics.md: detractors 0-6, CSAT 4-5 satisfied, CES 5-7 easy
RECOVERED = {"nps": 7, "csat": 4, "ces": 5}
SCALE = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


def recovery_world(db: Database, seed: int = 3) -> None:
    """90 cases of two teams under two root causes (or none), each with a verification in a random state."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with db.unit_of_work() as session:
        teams = [make_team(session).id for _ in range(2)]
        causes = [cases.create_root_cause(session, data=RootCauseCreate(key=k, name=k)).id for k in ("bill", "bug")]
        for n in range(90):
            customer = make_customer(session)
            data = CaseOpen(customer_id=customer.id, team_id=rng.choice(teams))
            case, _ = cases.open_case(session, data=data, actor=SYSTEM)
            case.root_cause_id = rng.choice([None, *causes])
            metric = rng.choice(list(SCALE))
            after = rng.randint(*SCALE[metric]) if rng.random() < 0.8 else None
            session.add(
                CaseVerification(
                    case_id=case.id,
                    status="answered" if after is not None else rng.choice(["scheduled", "suppressed"]),
                    metric=metric,
                    channel=rng.choice(["email", "sms", "web"]),
                    before_score=rng.randint(*SCALE[metric]),
                    after_score=after,
                    created_at=now,
                    answered_at=now - timedelta(days=n % 3) if after is not None else None,
                )
            )
        session.flush()


def recount_recovery(db: Database) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(metric, dimension, group) -> (recovered, n), from the raw rows with plain SQL."""
    with db.unit_of_work() as session:
        rows = session.execute(
            text(
                "SELECT v.metric, v.before_score, v.after_score, v.channel, t.key AS team, r.key AS cause"
                " FROM case_verifications v JOIN cases c ON c.id = v.case_id"
                " LEFT JOIN teams t ON t.id = c.team_id LEFT JOIN case_root_causes r ON r.id = c.root_cause_id"
                " WHERE v.status = 'answered' AND v.after_score IS NOT NULL"
            )
        ).all()
    counts: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for metric, before, after, channel, team, cause in rows:
        if before > UNHAPPY[metric]:
            continue
        for dimension, group in (("all", "all"), ("team", team), ("cause", cause), ("channel", channel)):
            cell = counts[(metric, dimension, group or "(none)")]
            cell[0] += after >= RECOVERED[metric]
            cell[1] += 1
    return {key: (value[0], value[1]) for key, value in counts.items()}


def _check_share(share: dict[str, Any], recovered: int, n: int) -> None:
    assert (share["recovered"], share["n"]) == (recovered, n)
    assert share["small"] == (n < 30)
    if n >= 1:  # Wilson intervals from one answer on (analytics/stats.py)
        low, high = proportion_confint(recovered, n, alpha=0.05, method="wilson")
        assert share["interval"] == pytest.approx([low * 100, high * 100], abs=1e-6)
        assert share["percent"] == pytest.approx(recovered / n * 100)
    else:
        assert share["interval"] is None


def test_the_recovery_report_recounts_from_raw_rows(db: Database, api: TestClient, cli: CliRunner) -> None:  # noqa: F811
    recovery_world(db)
    expected = recount_recovery(db)
    report = api.get("/api/v1/cases/recovery").json()
    assert {m["metric"] for m in report["metrics"]} == {k[0] for k in expected}
    checked = 0
    for metric in report["metrics"]:
        name = metric["metric"]
        _check_share(metric["total"], *expected[(name, "all", "all")])
        for dimension, key in (("team", "by_team"), ("cause", "by_root_cause"), ("channel", "by_channel")):
            groups = {s["group"]: s for s in metric[key]}
            assert set(groups) == {g for (m, d, g) in expected if m == name and d == dimension}
            for group, share in groups.items():
                _check_share(share, *expected[(name, dimension, group)])
                checked += 1
        if name == "nps":
            total = metric["total"]
            assert total["passives"] + total["promoters"] == total["recovered"]
    assert checked > 10
    window = api.get("/api/v1/cases/recovery", params={"since": (datetime.now(UTC) - timedelta(hours=1)).isoformat()})
    assert sum(m["total"]["n"] for m in window.json()["metrics"]) < sum(m["total"]["n"] for m in report["metrics"])
    refused = api.get("/api/v1/cases/recovery", params={"since": "yesterday"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "since"
    assert api.get("/api/v1/cases/holdout-report", params={"until": "soon"}).json()["errors"][0]["field"] == "until"
    as_json = cli.invoke(app, ["cases", "recovery", "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert orjson.loads(as_json.output)["metrics"] == report["metrics"]
    table = cli.invoke(app, ["cases", "recovery"])
    assert table.exit_code == 0 and "recovered" in table.output and "small n" in table.output
    bad = cli.invoke(app, ["cases", "recovery", "--since", "soon"])
    assert bad.exit_code == 2 and "--since" in bad.output


def holdout_world(db: Database, seed: int = 11, customers_n: int = 100) -> None:
    """Customers with a case opened on an NPS detractor response 10 days ago (some a second, later one), held out
    or followed up at random (a few neither); churn of the customer or their account (some before the case, which
    does not count); verification answers or later responses."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with db.unit_of_work() as session:
        survey = live_survey(session, response_limit="per_invitation")
        outcomes = []
        for n in range(customers_n):
            account = make_account(session) if n % 4 == 0 else None
            customer = make_customer(session, account_external_id=account and _account_key(session, account))
            for k in range(2 if n % 7 == 0 else 1):
                case_id = _case_on_response(session, survey.key, customer.external_id, customer.id)
                created = now - timedelta(days=10 - k)
                held = rng.random() < 0.45
                session.execute(update(Case).where(Case.id == case_id).values(created_at=created, held_out=held))
                if not held and rng.random() < 0.9:
                    session.add(
                        CaseActivity(case_id=case_id, at=now, actor="follow-ups", kind="follow_up_sent", detail={})
                    )
                if rng.random() < 0.4:
                    session.add(
                        CaseVerification(
                            case_id=case_id,
                            status="answered",
                            metric="nps",
                            before_score=2,
                            after_score=rng.randint(0, 10),
                            created_at=now,
                            answered_at=now,
                        )
                    )
            churn = rng.random()
            if churn < 0.25:
                owner = (
                    {"account_external_id": _account_key(session, account)}
                    if account
                    else {"customer_external_id": customer.external_id}
                )
                outcomes.append(OutcomeCreate(kind="churned", occurred_on=now.date(), **owner))
            elif churn < 0.3:
                outcomes.append(
                    OutcomeCreate(
                        kind="churned",
                        occurred_on=(now - timedelta(days=40)).date(),
                        customer_external_id=customer.external_id,
                    )
                )
            if rng.random() < 0.6:
                item = ResponseCreate.model_validate(
                    {
                        "survey": survey.key,
                        "customer_external_id": customer.external_id,
                        "channel": "email",
                        "answers": {"q1": rng.randint(0, 10)},
                    }
                )
                collection.record_responses(session, items=[item])
        customers.record_outcomes(session, items=outcomes)
        session.flush()


def _account_key(session: Any, account_id: int) -> str:
    return str(session.execute(text("SELECT external_id FROM accounts WHERE id = :i"), {"i": account_id}).scalar())


def _case_on_response(session: Any, survey_key: str, external_id: str, customer_id: int) -> int:
    item = ResponseCreate.model_validate(
        {"survey": survey_key, "customer_external_id": external_id, "channel": "email", "answers": {"q1": 2}}
    )
    (response_id,) = collection.record_responses(session, items=[item]).ids
    trigger = TriggerRef(source=TriggerSource.response, id=response_id)
    case, _ = cases.open_case(session, data=CaseOpen(customer_id=customer_id, triggers=[trigger]), actor=SYSTEM)
    if case.status != "new":
        raise AssertionError("each case is new")
    session.execute(update(Case).where(Case.id == case.id).values(status="closed", open_customer_id=None))
    return case.id


def recount_holdout(db: Database) -> dict[str, Any]:
    """Each customer's first case, its arm, churn after it and the next NPS score, from raw rows with plain SQL."""
    with db.unit_of_work() as session:
        first: dict[int, tuple[int, datetime, bool]] = {}
        for case_id, customer_id, created, held in session.execute(
            text("SELECT id, customer_id, created_at, held_out FROM cases ORDER BY created_at, id")
        ):
            created = created if isinstance(created, datetime) else datetime.fromisoformat(created)
            first.setdefault(
                customer_id, (case_id, created.replace(tzinfo=UTC) if created.tzinfo is None else created, bool(held))
            )
        followed = {
            r[0] for r in session.execute(text("SELECT case_id FROM case_activity WHERE kind = 'follow_up_sent'"))
        }
        answers = dict(
            session.execute(
                text("SELECT case_id, after_score FROM case_verifications WHERE after_score IS NOT NULL")
            ).all()
        )
        triggers: dict[int, set[int]] = defaultdict(set)
        for case_id, source_id in session.execute(
            text("SELECT case_id, source_id FROM case_triggers WHERE source = 'response'")
        ):
            triggers[case_id].add(source_id)
        responses: dict[int, list[tuple[datetime, int, int]]] = defaultdict(list)
        for customer_id, at, rid, nps in session.execute(
            text(
                "SELECT customer_id, submitted_at, id, nps FROM responses"
                " WHERE nps IS NOT NULL ORDER BY submitted_at, id"
            )
        ):
            at = at if isinstance(at, datetime) else datetime.fromisoformat(at)
            responses[customer_id].append((at.replace(tzinfo=UTC) if at.tzinfo is None else at, rid, nps))
        accounts = dict(session.execute(text("SELECT id, account_id FROM customers")).all())
        churn: dict[int, list[Any]] = defaultdict(list)
        for customer_id, account_id, on in session.execute(
            text("SELECT customer_id, account_id, occurred_on FROM outcomes WHERE kind = 'churned'")
        ):
            on = on if not isinstance(on, str) else datetime.fromisoformat(on).date()
            for c, a in accounts.items():
                if c == customer_id or (customer_id is None and a is not None and a == account_id):
                    churn[c].append(on)
    arms: dict[str, list[tuple[int, bool]]] = {"followed": [], "held": []}
    scores: dict[str, list[int]] = {"followed": [], "held": []}
    neither = 0
    for customer_id, (case_id, created, held) in first.items():
        arm = "held" if held else "followed" if case_id in followed else None
        if arm is None:
            neither += 1
            continue
        arms[arm].append((customer_id, any(on >= created.date() for on in churn[customer_id])))
        score = answers.get(case_id)
        if score is None:
            own = triggers[case_id]
            score = next((s for at, rid, s in responses[customer_id] if at > created and rid not in own), None)
        if score is not None:
            scores[arm].append(score)
    return {"arms": arms, "scores": scores, "neither": neither}


def test_the_holdout_report_recounts_from_raw_rows(db: Database, api: TestClient, cli: CliRunner) -> None:  # noqa: F811
    holdout_world(db)
    expected = recount_holdout(db)
    report = api.get("/api/v1/cases/holdout-report").json()
    followed, held = expected["arms"]["followed"], expected["arms"]["held"]
    assert report["customers"] == len(followed) + len(held) and report["not_followed_up"] == expected["neither"]
    churn = report["churn"]
    x1, n1 = sum(c for _, c in followed), len(followed)
    x2, n2 = sum(c for _, c in held), len(held)
    assert (churn["followed_up"]["events"], churn["followed_up"]["n"]) == (x1, n1)
    assert (churn["held_out"]["events"], churn["held_out"]["n"]) == (x2, n2)
    assert churn["difference"] == pytest.approx((x1 / n1 - x2 / n2) * 100)
    assert churn["p_value"] == pytest.approx(scipy_stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]]).pvalue, rel=1e-6)
    low, high = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff", alpha=0.05)
    assert churn["interval"] == pytest.approx([low * 100, high * 100], abs=1e-6)
    assert churn["enough_data"] == (min(n1, n2) >= 30)
    (nps,) = report["scores"]
    one, two = expected["scores"]["followed"], expected["scores"]["held"]
    assert (nps["followed_up"]["n"], nps["held_out"]["n"]) == (len(one), len(two))
    welch = scipy_stats.ttest_ind(one, two, equal_var=False)
    assert nps["p_value"] == pytest.approx(welch.pvalue, rel=1e-6)
    ci = welch.confidence_interval(0.95)
    assert nps["interval"] == pytest.approx([ci.low, ci.high], rel=1e-6)
    assert nps["followed_up"]["value"] == pytest.approx(sum(one) / len(one))
    for item in (churn, nps):
        if item["enough_data"]:
            assert "p = " in item["sentence"] and "difference" in item["sentence"]
        else:
            assert "not enough data: need n >= 30 per arm" in item["sentence"]
    as_json = cli.invoke(app, ["cases", "holdout-report", "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert orjson.loads(as_json.output)["churn"] == churn
    table = cli.invoke(app, ["cases", "holdout-report"])
    assert table.exit_code == 0 and "Fisher" in table.output and churn["sentence"][:20] in table.output


def test_a_small_holdout_says_there_is_not_enough_data(db: Database, api: TestClient) -> None:
    holdout_world(db, customers_n=12)
    report = api.get("/api/v1/cases/holdout-report").json()
    assert not report["churn"]["enough_data"]
    assert report["churn"]["sentence"].startswith("Churn: not enough data: need n >= 30 per arm (followed up ")


def test_fisher_and_welch_agree_with_scipy_on_random_data() -> None:
    rng = random.Random(5)
    for _ in range(200):
        a, b, c, d = (rng.randint(0, 25) for _ in range(4))
        assert figures.fisher_exact(a, b, c, d) == pytest.approx(
            scipy_stats.fisher_exact([[a, b], [c, d]]).pvalue, rel=1e-9, abs=1e-12
        )
    for _ in range(50):
        one = [rng.randint(0, 10) for _ in range(rng.randint(2, 60))]
        two = [rng.gauss(6, 2) for _ in range(rng.randint(2, 60))]
        compared = figures.compare_means(one, two)
        if compared.p_value is None:
            continue
        expected = scipy_stats.ttest_ind(one, two, equal_var=False)
        assert compared.p_value == pytest.approx(expected.pvalue, rel=1e-7, abs=1e-12)
        ci = expected.confidence_interval(0.95)
        assert compared.interval == pytest.approx((ci.low, ci.high), rel=1e-7)
        low, high = scipy_stats.t.interval(0.95, len(one) - 1, loc=sum(one) / len(one), scale=scipy_stats.sem(one))
        assert compared.followed_up.interval == pytest.approx((low, high), rel=1e-7) or math.isnan(low)
    assert figures.compare_means([5, 5], [5, 5]).p_value is None  # no spread: nothing claimed
    assert figures.compare_rates((0, 0), (1, 3)).difference is None
