"""The cost of what the write hooks keep, per committed write: one response stored through the service (score
rollups, responses per survey), and one invitation created and marked sent (invitation rollups).

    python bench/bench_write_hooks.py [--backend postgresql] [--writes 1000]

Each write is its own transaction, committed, as a single API request's would be, with the domains wired as the
server wires them. Run it against the code before a change (PYTHONPATH pointing at an export of its `src`) and
after, on the same machine in the same minutes: the difference is what the change adds to each write. Prints the
mean and p99 per write in milliseconds, then the time spent in each hook function (`core.hooks`), per call: on a
busy machine the whole writes vary by tens of percent from run to run, the hook functions' own time much less.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from cxloop.collection import service as collection
from cxloop.collection.schemas import ResponseCreate
from cxloop.core import hooks
from cxloop.core.config import Settings
from cxloop.customers import service as customers
from cxloop.customers.schemas import CustomerUpsert
from cxloop.invitations import service as invitations
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from cxloop.wiring import wire_domains
from databases import survey_database

_in_hooks: dict[str, list[float]] = defaultdict(list)


def _time_hook_functions() -> None:
    """Time every function any hook calls (a benchmark's patch of `Hook.__call__`, same behaviour)."""

    def call(self: hooks.Hook[Any], session: Any, **arguments: Any) -> None:
        for fn in tuple(self):
            started = time.perf_counter()
            fn(session, **arguments)
            _in_hooks[f"{fn.__module__}.{fn.__qualname__}"].append((time.perf_counter() - started) * 1000)

    hooks.Hook.__call__ = call  # type: ignore[method-assign]


def _timed(count: int, write: Callable[[int], None]) -> list[float]:
    times = []
    for i in range(count):
        started = time.perf_counter()
        write(i)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--writes", type=int, default=1000)
    args = parser.parse_args()
    wire_domains(Settings(environment="test"))
    _time_hook_functions()
    with survey_database(args.backend) as url:
        db = Database(url)
        with db.unit_of_work() as session:
            survey = surveys.list_surveys(session, limit=1).items[0]
            survey_id, survey_key = survey.id, survey.key
            customer_ids = customers.upsert_customers(
                session,
                # invited ones apart from those who answer: an answer would suppress the next invitation
                items=[CustomerUpsert(external_id=f"i{i}", email=f"i{i}@example.com") for i in range(args.writes)],
            )
        start = datetime.now(UTC) - timedelta(days=1)

        def respond(i: int) -> None:
            item = ResponseCreate(
                survey=survey_key, customer_external_id=f"c{i}", nps=i % 11, submitted_at=start + timedelta(seconds=i)
            )
            with db.unit_of_work() as session:
                collection.record_responses(session, items=[item])

        def invite_and_send(i: int) -> None:
            with db.unit_of_work() as session:
                request = invitations.InviteRequest(survey_id=survey_id, customer_id=customer_ids[i], channel="email")
                invitation = invitations.invite(session, request)
                if invitation.status == "scheduled":
                    invitations.mark_sent(invitation, detail="bench")

        for name, write in (("response stored", respond), ("invitation created and sent", invite_and_send)):
            times = _timed(args.writes, write)
            p99 = statistics.quantiles(times, n=100)[98]
            print(f"{name:30} {statistics.mean(times):7.2f} ms mean  {p99:7.2f} ms p99  ({args.backend})")
        with db.unit_of_work() as session:
            statuses = Counter(invitation.status for invitation in invitations.list_invitations(session).items)
        print(f"invitations (the last 50): {dict(statuses)}")
        for name, spent in sorted(_in_hooks.items()):
            print(f"  {name:60} {statistics.mean(spent):6.3f} ms mean per call, {len(spent):,} calls")
        db.dispose()


if __name__ == "__main__":
    main()
