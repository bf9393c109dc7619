"""A large organisation for the web pages' benchmark, built in bulk (not through the demo builder).

bench_metrics.build lays down the customers, four overlapping segments and the responses over the last 12 months
(in submission order, as they arrive);
bench_drivers.enrich spreads touchpoints and channels, comments half of them and adds 20 themes, 300 accounts and
support tickets. On top of that, in SQL over the responses: three surveys sharing the responses (NPS, CSAT, CES),
varied comments and their sentiment, feedback items, invitations (a third answered) and cases on a share of the
detractors; then the rollups are recounted. The small things (users, a team, a dashboard, templates) go through the
services.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, text

from bench_drivers import enrich
from bench_metrics import build
from cxloop.access import service as access
from cxloop.access.schemas import TeamCreate
from cxloop.analytics import anomalies, invitation_rollups, rollups, survey_responses
from cxloop.dashboards import service as dashboards
from cxloop.dashboards.enums import CardKindName
from cxloop.dashboards.schemas import CardWrite
from cxloop.demo import closing
from cxloop.migrations.metadata import metadata
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from cxloop.surveys.enums import SurveyStatus
from cxloop.surveys.templates import get_template

COMMENTS = (
    "The support agent was quick and friendly, thank you",
    "Billing is confusing and I was charged twice this month",
    "The app is slow when I open the reports",
    "Great product, the onboarding was easy",
    "I could not find the export button anywhere",
    "Refund took three weeks, far too long",
    "Love the new dashboard, very clear",
    "Delivery was late again and nobody told me",
)
# Of every 10 responses (by id): survey 1 keeps 0-5 (NPS), 6-7 go to the CSAT survey, 8-9 to the CES survey.
SURVEY_SHARES = {"post-support-csat": (6, 7), "onboarding-ces": (8, 9)}


def build_organisation(db: Database, args: argparse.Namespace) -> dict[str, float]:
    """Every table the pages read, at `args.responses` responses over `args.customers` customers; returns timings."""
    now = datetime.now(UTC).replace(microsecond=0)
    start = (now - timedelta(days=365)).replace(hour=0, minute=0, second=0)
    timings = build(
        db, rows=args.responses, customers=args.customers, seed=args.seed, start=start, months=12, chronological=True
    )
    timings["touchpoints, comments, themes, plans, tickets"] = enrich(
        db, customers=args.customers, themes=20, seed=args.seed
    )
    _advance_sequences(db)  # those steps write their ids themselves
    for name, step in (
        ("surveys, comments, sentiment", _surveys_and_text),
        ("feedback items", lambda d: _feedback_items(d, count=args.responses // 20, customers=args.customers)),
        ("invitations", _invitations),
        ("cases", _cases),
        ("users, team, dashboard, templates", _small_things),
    ):
        started = time.perf_counter()
        step(db)
        timings[name] = time.perf_counter() - started
    started = time.perf_counter()
    with db.unit_of_work() as session:
        rollups.rebuild_rollups(session)
        invitation_rollups.rebuild_invitation_rollups(session)  # invitations and responses went in by SQL
        survey_responses.rebuild_survey_responses(session)
        anomalies.scan(session, weeks=8, days=14)
    _analyse(db)
    timings["rollups, anomalies, ANALYZE"] = time.perf_counter() - started
    return timings


def _surveys_and_text(db: Database) -> None:
    with db.unit_of_work() as session:
        created = {}
        for key in SURVEY_SHARES:
            survey = surveys.create_survey(
                session, data=get_template(key).model_copy(update={"status": SurveyStatus.live})
            )
            created[key] = survey.id
        version = metadata.tables["survey_versions"]
        versions = {
            key: session.scalar(select(version.c.id).where(version.c.survey_id == i)) for key, i in created.items()
        }
    definition = get_template("relationship-nps").model_dump(mode="json")["definition"]
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE survey_versions SET definition = :d WHERE id = 1"), {"d": json.dumps(definition)})
        low, high = SURVEY_SHARES["post-support-csat"]
        conn.execute(
            text(
                "UPDATE responses SET survey_id = :s, survey_version_id = :v, csat = 1 + nps * 4 / 10, nps = NULL "
                "WHERE id % 10 BETWEEN :low AND :high"
            ),
            {"s": created["post-support-csat"], "v": versions["post-support-csat"], "low": low, "high": high},
        )
        low, high = SURVEY_SHARES["onboarding-ces"]
        conn.execute(
            text(
                "UPDATE responses SET survey_id = :s, survey_version_id = :v, ces = 1 + nps * 6 / 10, nps = NULL "
                "WHERE id % 10 BETWEEN :low AND :high"
            ),
            {"s": created["onboarding-ces"], "v": versions["onboarding-ces"], "low": low, "high": high},
        )
        cases = " ".join(f"WHEN {i} THEN '{comment}'" for i, comment in enumerate(COMMENTS))
        conn.execute(
            text(
                f"UPDATE responses SET comment = CASE (id * 40503) % 65521 % {len(COMMENTS)} {cases} END "
                "WHERE comment IS NOT NULL"
            )
        )
        _sentiment(conn, kind="response", field="comment", table="responses", column="comment")


def _sentiment(conn: Any, *, kind: str, field: str, table: str, column: str) -> None:
    """One analysis per text, its label from the item id (a third each), as the worker's enrichment would store."""
    conn.execute(
        text(
            "INSERT INTO text_analyses (item_kind, item_id, field, language, sentiment_label, sentiment_score, "
            "day_one_score, key_phrases, masked_text, pii, model, analysed_at) "
            f"SELECT :kind, id, :field, 'en', CASE id % 3 WHEN 0 THEN 'negative' WHEN 1 THEN 'neutral' "
            f"ELSE 'positive' END, 0.5, 0.5, '[]', {column}, '{{}}', 'lexicon', :now FROM {table} "
            f"WHERE {column} IS NOT NULL"
        ),
        {"kind": kind, "field": field, "now": datetime.now(UTC)},
    )


def _feedback_items(db: Database, *, count: int, customers: int) -> None:
    now = datetime.now(UTC)
    kinds = ("review", "social_post", "chat_transcript", "email")
    with db.engine.begin() as conn:
        conn.execute(
            insert(metadata.tables["feedback_items"]),
            [
                {
                    "kind": kinds[i % len(kinds)],
                    "source": "bench",
                    "external_id": f"f{i}",
                    "channel": "web",
                    "text": COMMENTS[(i * 7) % len(COMMENTS)],
                    "rating": 1 + i % 5,
                    "customer_id": 1 + (i * 7919) % customers if i % 3 else None,
                    "metadata": {},
                    "posted_at": now - timedelta(days=365) * (1 - i / count),  # in arrival order
                    "received_at": now,
                }
                for i in range(count)
            ],
        )
        _sentiment(conn, kind="feedback", field="text", table="feedback_items", column="text")


def _invitations(db: Database) -> None:
    """One invitation per response not answered (sent, opened, expired, suppressed, failed), and an answered one for
    every other response: a response rate of about a third."""
    columns = (
        "survey_id, customer_id, channel, touchpoint_id, status, reason, scheduled_for, expires_at, sent_at, "
        "answered_at, response_id, created_at, updated_at"
    )
    with db.engine.begin() as conn:
        conn.execute(
            text(
                f"INSERT INTO invitations ({columns}) SELECT survey_id, customer_id, channel, touchpoint_id, "
                "'answered', NULL, submitted_at, submitted_at, submitted_at, submitted_at, id, submitted_at, "
                "submitted_at FROM responses WHERE customer_id IS NOT NULL AND id % 2 = 0"
            )
        )
        conn.execute(
            text(
                f"INSERT INTO invitations ({columns}) SELECT survey_id, customer_id, channel, touchpoint_id, "
                "CASE id % 5 WHEN 0 THEN 'sent' WHEN 1 THEN 'opened' WHEN 2 THEN 'expired' WHEN 3 THEN 'suppressed' "
                "ELSE 'failed' END, CASE id % 5 WHEN 3 THEN CASE id % 3 WHEN 0 THEN 'frequency_cap' "
                "WHEN 1 THEN 'resurvey_interval' ELSE 'no_consent' END END, submitted_at, submitted_at, "
                "CASE WHEN id % 5 <> 3 THEN submitted_at END, NULL, NULL, submitted_at, submitted_at "
                "FROM responses WHERE customer_id IS NOT NULL"
            )
        )


def _cases(db: Database) -> None:
    """A case for one detractor response in 25, most closed; the newest case of one customer in 10 still open."""
    columns = (
        "id, customer_id, status, priority, title, tags, routing, created_at, updated_at, acknowledge_due_at, "
        "first_response_due_at, close_due_at, reopened, held_out"
    )
    with db.engine.begin() as conn:
        conn.execute(
            text(
                f"INSERT INTO cases ({columns}) SELECT id / 25, customer_id, 'closed', CASE WHEN nps <= 3 THEN "
                "'high' ELSE 'normal' END, 'Detractor: ' || substr(coalesce(comment, 'no comment'), 1, 60), '[]', "
                "'{}', submitted_at, submitted_at, submitted_at, submitted_at, submitted_at, 0, false "
                "FROM responses WHERE nps <= 6 AND id % 25 = 0 AND customer_id IS NOT NULL"
            )
        )
        conn.execute(
            text(
                "UPDATE cases SET status = 'new', open_customer_id = customer_id WHERE id % 10 = 0 AND id IN "
                "(SELECT max(id) FROM cases GROUP BY customer_id)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO case_triggers (case_id, source, source_id, attached_at) "
                "SELECT id, 'response', id * 25, created_at FROM cases"
            )
        )
    _advance_sequences(db)


def _advance_sequences(db: Database) -> None:
    """On PostgreSQL, move every id sequence past the ids written explicitly, so the services can insert after."""
    if db.is_sqlite:
        return
    with db.engine.begin() as conn:
        for name, table in metadata.tables.items():
            if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement is not False:
                sequence = conn.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": name})
                if sequence is not None:
                    conn.execute(
                        text(f"SELECT setval('{sequence}', (SELECT coalesce(max(id), 0) + 1 FROM {name}), false)")
                    )


def _small_things(db: Database) -> None:
    with db.unit_of_work() as session:
        closing.write_setup(session)
        team = access.create_team(session, data=TeamCreate(key="support", name="Support"))
        cards = [CardWrite(kind=kind, title=kind.value.replace("_", " ")) for kind in CardKindName]
        dashboards.create_dashboard(session, team_id=team.id, name="Everything", cards=cards)


def _analyse(db: Database) -> None:
    if db.is_sqlite:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    else:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
