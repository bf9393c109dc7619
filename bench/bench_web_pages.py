"""Server time of the web app's pages, over the demo organisation (`cxloop demo`: 5,000 customers, 12 months) or
over a bulk-built organisation of 1M responses.

    python bench/bench_web_pages.py                       # SQLite, the demo's default size
    python bench/bench_web_pages.py --backend postgresql
    python bench/bench_web_pages.py --customers 500 --repeat 3   # quick
    python bench/bench_web_pages.py --only feedback              # the pages whose name says "feedback"
    python bench/bench_web_pages.py --only search --role viewer   # as a viewer (a search reads the masked texts)
    python bench/bench_web_pages.py --responses 1000000 [--customers 100000] --keep /tmp/web-1m.db
    python bench/bench_web_pages.py --responses 1000000 --backend postgresql --keep cxloop_bench_web_1m

Without `--responses`, builds the demo in a throwaway database. With it, builds `--responses` responses over
`--customers` customers in bulk (bench/web_data.py: comments on half, 4 segments, 3 surveys, 6 touchpoints,
feedback items, invitations, cases, 12 months up to today). `--keep` keeps that database (a SQLite file, or a
PostgreSQL database of that name on the bench server) and reuses it on the next run, so only the first run pays the
build. Then signs an admin in through the real form, requests each page `--repeat` times in-process (Starlette's
TestClient: the whole app, middleware, session lookup, queries and templates; no network) and prints the median and
the slowest time per page in milliseconds. The target of issue 14 is < 300 ms per page.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.analytics import anomalies
from cxloop.app import create_app
from cxloop.cases import service as cases
from cxloop.cases.schemas import EVERY_CASE
from cxloop.cases.service import follow_up_templates
from cxloop.core.clock import utcnow
from cxloop.core.config import Settings
from cxloop.demo.builder import build_demo
from cxloop.jobs import dispatch
from cxloop.journeys import service as journeys
from cxloop.migrations.metadata import metadata
from cxloop.precomputed import service as precomputed
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from cxloop.text import service as text
from cxloop.text.enums import ItemKind
from cxloop.text.themes import service as themes
from cxloop.text.themes.schemas import RuleCreate
from databases import kept_database, throwaway_database
from web_data import build_organisation

PASSWORD = "bench password 2026"
BENCH_EMAIL = "bench@example.com"
PAGES = (
    ("overview, 90 days", "/"),
    ("overview, 12 months", "/?range=year"),
    ("overview, 12 months, CES", "/?range=year&metric=ces"),
    ("overview, 12 months, one segment", "/?range=year&segment={segment}"),
    ("overview, 12 months, channel email", "/?range=year&channel=email"),
    ("overview, 12 months, one segment, channel email", "/?range=year&segment={segment}&channel=email"),
    ("overview's response rates (after load)", "/partials/response-rates?range=year"),
    ("feedback explorer", "/feedback?range=year"),
    ("feedback explorer, an older page (cursor)", "/feedback?range=year&before={cursor}"),
    ("feedback explorer, one segment", "/feedback?range=year&segment={segment}"),
    ("feedback explorer, search", "/feedback?range=year&q=the"),
    ("feedback explorer, search for a rare word", "/feedback?range=year&q=refund"),
    ("feedback explorer, search, no match", "/feedback?range=year&q=zeppelin"),
    ("feedback explorer, detractors of a segment", "/feedback?range=year&band=detractor&segment={segment}"),
    ("feedback explorer, negative sentiment", "/feedback?range=year&sentiment=negative"),
    ("feedback explorer, NPS 7-8, positive", "/feedback?range=year&score_min=7&score_max=8&sentiment=positive"),
    ("feedback items", "/feedback?range=year&kind=items"),
    ("feedback items, rated 1-2, negative", "/feedback?range=year&kind=items&score_max=2&sentiment=negative"),
    ("feedback CSV (up to 5,000 rows)", "/feedback.csv?range=year"),
    ("customers", "/customers"),
    ("customers, search", "/customers?q=c4242"),
    ("customers, page 100", "/customers?page=100"),
    ("customer page", "/customers/{customer}"),
    ("settings: users", "/settings/users"),
    ("settings: teams", "/settings/teams"),
    ("settings: contact policy", "/settings/contact-policy"),
    ("case inbox", "/cases"),
    ("case page", "/cases/{case}"),
    ("case page with a follow-up preview", "/cases/{case}?template={template}&channel=email"),
    ("themes (3 rule themes in the demo, 20 at 1M)", "/themes"),
    ("feedback explorer, one theme", "/feedback?range=year&theme={theme}"),
    ("journey map, 12 months", "/journey?range=year"),
    ("anomalies, 12 months", "/anomalies?range=year"),
    ("key drivers, NPS, 12 months", "/insights/drivers?range=year"),
    ("key drivers, CSAT, 12 months, one segment", "/insights/drivers?range=year&metric=csat&segment={segment}"),
    ("outcomes (churn by band, revenue at risk)", "/insights/outcomes"),
    ("outcomes' operations (after load)", "/insights/partials/operations"),
    ("outcomes' agents (after load)", "/insights/partials/agents"),
    ("churn risk", "/insights/churn"),
    ("experiments", "/insights/experiments"),
    ("maturity", "/insights/maturity"),
    ("surveys list", "/surveys"),
    ("survey builder", "/surveys/{survey}"),
    ("new survey", "/surveys/new"),
    ("listening health, 12 months", "/listening?range=year"),
    ("listening health by survey", "/listening?range=year&by=survey"),
    ("dashboards", "/dashboards"),
    ("a dashboard (every card kind)", "/dashboards/{dashboard}"),
    ("a dashboard, printable", "/dashboards/{dashboard}/print"),
    ("a dashboard, 12 months, channel email", "/dashboards/{dashboard}?range=year&channel=email"),
    (
        "a dashboard, 12 months, segment, email",
        "/dashboards/{dashboard}?range=year&segment={segment}&channel=email",
    ),
    (
        "a dashboard printed, segment, email",
        "/dashboards/{dashboard}/print?range=year&segment={segment}&channel=email",
    ),
    ("settings: API keys", "/settings/api-keys"),
    ("settings: channels", "/settings/channels"),
    ("account", "/account"),
)
RULE_THEMES = {"Billing": ["billing", "invoice", "charged"], "Speed": ["slow", "fast"], "Support": ["support", "agent"]}


def _enrich(db: Database) -> None:
    """Analyse every comment and feedback text, as the worker would after the demo, one batch a transaction."""
    for kind in ItemKind:
        after: int | None = 0
        while after is not None:
            with db.unit_of_work() as session:
                after = text.enrich_batch(session, kind=kind, after_id=after, everything=False).last_id


def _demo(db: Database, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    seeded = {"seed": args.seed} if args.seed is not None else {}
    summary = build_demo(db, customers=args.customers, **seeded)
    print(
        f"demo: {summary.customers} customers, {summary.responses} responses "
        f"in {time.perf_counter() - started:.0f} s ({args.backend})"
    )
    with db.unit_of_work() as session:
        # the demo runs no theme discovery: three rule themes give the themes page and its filter something
        for name, phrases in RULE_THEMES.items():
            themes.add_rule(session, data=RuleCreate(name=name, phrases=phrases))
        anomalies.scan(session, weeks=8, days=14)
    _enrich(db)  # the demo stores comments unanalysed (the worker analyses them): sentiment for the explorer


def _large(db: Database, args: argparse.Namespace, existed: bool) -> None:
    if existed:
        with db.unit_of_work() as session:
            users = metadata.tables["users"]
            if session.scalar(select(users.c.id).where(users.c.email == BENCH_EMAIL)) is None:
                raise SystemExit("the kept database is incomplete (an earlier build stopped): remove it and run again")
        print("reusing the kept database")
        return
    print(f"building {args.responses:,} responses over {args.customers:,} customers on {args.backend} ...")
    for step, seconds in build_organisation(db, args).items():
        print(f"setup: {step} {seconds:.1f} s")


def _targets(db: Database) -> dict[str, object]:
    """The ids the page paths need: the first customer, segment, case, template, theme, dashboard; the NPS survey."""
    tables = metadata.tables
    with db.unit_of_work() as session:
        first = lambda table, column="id": session.scalar(  # noqa: E731
            select(tables[table].c[column]).order_by(tables[table].c.id).limit(1)
        )
        return {
            "customer": first("customers"),
            "segment": first("segments", "key"),
            "survey": surveys.list_surveys(session, limit=1).items[0].id,
            "case": cases.list_cases(session, scope=EVERY_CASE, limit=1)[0][0].id,
            "template": follow_up_templates.list_templates(session, active_only=True)[0].name,
            "theme": first("text_themes"),
            "dashboard": first("dashboards"),
            "cursor": _cursor(session),
        }


def _cursor(session: Session) -> str:
    """The explorer's position after the 1,000th newest response (as its "Older" link writes it)."""
    responses = metadata.tables["responses"]
    at, key = responses.c.submitted_at, responses.c.id
    row = session.execute(select(key, at).order_by(at.desc(), key.desc()).offset(999).limit(1)).one()
    return quote(f"r.{row.id}.{row.submitted_at.isoformat()}")


def _precompute(db: Database, client: TestClient, targets: dict[str, object], args: argparse.Namespace) -> None:
    """What the worker does before anyone reads the pages (docs/web-app.md, "Precomputed analyses"): a sweep is
    recorded (so the pages know a worker runs), each page is requested once (a large organisation's page queues its
    analysis), and the queued computations run here as the worker would run them, each timed."""
    with db.unit_of_work(write=True) as session:
        precomputed.record_sweep(session, now=utcnow(), refreshed=0, seconds=0.0)
    queued: list[dict[str, int]] = []
    previous = dispatch.installed()
    dispatch.install(lambda _, payload: queued.append(payload))
    try:
        for _, path in (p for p in PAGES if args.only in p[0]):
            if "{dashboard}" not in path or targets["dashboard"] is not None:
                client.get(path.format(**targets))
    finally:
        dispatch.install(previous)
    for payload in queued:
        begun = time.perf_counter()
        precomputed.refresh(db, result_id=payload["result_id"], now=utcnow())
        with db.unit_of_work() as session:
            row = precomputed.get_result(session, result_id=payload["result_id"])
            name = f"{row.analysis} {row.params}" if row else "?"
        print(f"worker: {name[:70]:<70} {time.perf_counter() - begun:>6.1f} s")


def _reader(db: Database, role: str) -> str:
    """The email of the user the pages are read as: the admin, or a user of `role` (made on first use)."""
    if role == Role.admin:
        return BENCH_EMAIL
    email = f"bench-{role}@example.com"
    with db.unit_of_work() as session:
        if (
            session.scalar(select(metadata.tables["users"].c.id).where(metadata.tables["users"].c.email == email))
            is None
        ):
            access.create_user(session, email=email, role=Role(role), password=PASSWORD)
    return email


def _measure(db: Database, url: str, args: argparse.Namespace) -> None:
    targets = _targets(db)
    settings = Settings(environment="test", database_url=url)
    with TestClient(create_app(settings, database=db)) as client:
        form = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        signed_in = client.post(
            "/login",
            data={"email": _reader(db, args.role), "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303, signed_in.text
        _precompute(db, client, targets, args)
        print(f"load average {os.getloadavg()[0]:.1f} at the start")
        print(f"{'page':<44} {'median ms':>10} {'max ms':>8} {'KB':>6}")
        for name, path in (p for p in PAGES if args.only in p[0]):
            if "{dashboard}" in path and targets["dashboard"] is None:
                continue
            url_path = path.format(**targets)
            times = []
            size = 0
            for _ in range(args.repeat):
                begun = time.perf_counter()
                answer = client.get(url_path)
                times.append((time.perf_counter() - begun) * 1000)
                assert answer.status_code == 200, (url_path, answer.status_code, answer.text[:300])
                size = len(answer.content)
            print(f"{name:<44} {statistics.median(times):>10.0f} {max(times):>8.0f} {size / 1024:>6.0f}")
        print(f"load average {os.getloadavg()[0]:.1f} at the end")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--customers", type=int, default=None, help="default: 5,000 (demo), 100,000 (--responses)")
    parser.add_argument("--responses", type=int, default=None, help="bulk-build this many responses, not the demo")
    parser.add_argument("--keep", default="", help="with --responses: the SQLite file or PostgreSQL database to keep")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--only", default="", help="measure only the pages whose name contains this")
    parser.add_argument("--seed", type=int, default=None, help="the demo's seed (default: the demo's own)")
    parser.add_argument("--role", choices=list(Role), default=Role.admin, help="read the pages as a user of this role")
    args = parser.parse_args()
    if args.customers is None:
        args.customers = 5000 if args.responses is None else 100_000
    if args.keep and args.responses is None:
        parser.error("--keep needs --responses")
    if args.responses is not None and args.seed is None:
        args.seed = 1
    database = kept_database(args.backend, args.keep) if args.keep else _fresh(args.backend)
    with database as (url, existed):
        db = Database(url)
        if not existed:
            metadata.create_all(db.engine)
            with db.unit_of_work() as session:
                journeys.ensure_default_journey(session)
                access.create_user(session, email=BENCH_EMAIL, role=Role.admin, password=PASSWORD)
        if args.responses is None:
            _demo(db, args)
        else:
            _large(db, args, existed)
        _measure(db, url, args)
        db.dispose()


@contextmanager
def _fresh(backend: str) -> Iterator[tuple[str, bool]]:
    with throwaway_database(backend) as url:
        yield url, False


if __name__ == "__main__":
    main()
