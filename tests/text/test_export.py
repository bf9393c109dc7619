"""`cxloop export responses|feedback` carries language, sentiment_label, sentiment_score, themes and primary_theme
(empty until analysed), and the exported file imports again (the enrichment columns are ignored). Both databases."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import orjson
from sqlalchemy import delete, func, select
from typer.testing import CliRunner

from cxloop.cli.main import app
from cxloop.collection.models import Response
from cxloop.storage.database import Database
from cxloop.text.models import TextAnalysis
from cxloop.text.themes import service as themes
from cxloop.text.themes.schemas import RuleCreate
from tests.text.conftest import add_survey, store_feedback, store_responses


def test_exports_carry_the_enrichment_and_import_again(db: Database, cli: CliRunner, tmp_path: Path) -> None:
    add_survey(db)
    ids = store_responses(db, {"nps": 1, "comment": "Dreadful support, nobody answers"}, {"nps": 9})
    store_feedback(db, {"text": "Excellent, thank you!", "rating": 5})
    with db.unit_of_work(write=True) as session:
        themes.add_rule(session, data=RuleCreate(name="Support", phrases=["support"]))
        listed = {t.name: t for t in themes.list_themes(session)}
    assert listed["Support"].sentiment is not None and listed["Support"].sentiment < 0  # its one comment's score
    rows = list(csv.DictReader(io.StringIO(cli.invoke(app, ["export", "responses", "--format", "csv"]).stdout)))
    assert [r["sentiment_label"] for r in rows] == ["negative", ""]
    assert rows[0]["language"] == "en" and float(rows[0]["sentiment_score"]) < 0
    assert (rows[0]["themes"], rows[0]["primary_theme"]) == ("Support", "Support")
    assert rows[1]["themes"] == "" and rows[1]["primary_theme"] == ""  # no comment, no theme
    lines = cli.invoke(app, ["export", "feedback", "--format", "jsonl"]).stdout.splitlines()
    item = orjson.loads(lines[0])
    assert item["sentiment_label"] == "positive" and item["themes"] == [] and item["primary_theme"] is None

    jsonl = tmp_path / "responses.jsonl"
    jsonl.write_text(cli.invoke(app, ["export", "responses", "--format", "jsonl"]).stdout)
    as_csv = tmp_path / "responses.csv"
    as_csv.write_text(cli.invoke(app, ["export", "responses", "--format", "csv", "--no-formula-escape"]).stdout)
    with db.unit_of_work(write=True) as session:
        session.execute(delete(Response).where(Response.id.in_(ids)))
        session.execute(delete(TextAnalysis))
    for path in (jsonl, as_csv):
        run = cli.invoke(app, ["import", "responses", str(path)])
        assert run.exit_code == 0, run.output
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 2
