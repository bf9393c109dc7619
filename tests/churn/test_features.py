"""Features read only what was known at the snapshot: an account's ARR is used only while the account is unchanged
since then (cxloop keeps no history of it), so a training snapshot never sees an ARR written later."""

from __future__ import annotations

import math
from datetime import date, timedelta

from cxloop.churn import queries
from cxloop.core.clock import pinned
from cxloop.storage.database import Database
from tests.factories.churn import NOW
from tests.factories.customers import make_account, make_customer


def test_an_accounts_arr_counts_only_if_it_is_unchanged_since_the_snapshot(db: Database) -> None:
    before = NOW - timedelta(days=200)
    with pinned(before - timedelta(days=1)), db.unit_of_work() as session:
        steady = make_account(session, external_id="steady", name="Steady", arr=99_999)
        changed = make_account(session, external_id="changed", name="Changed", arr=50_000)
        for external_id, account in (("a", "steady"), ("b", "changed"), ("c", None)):
            make_customer(session, external_id=external_id, account_external_id=account, signup_date=date(2025, 1, 1))
    with pinned(NOW), db.unit_of_work() as session:  # the customer left; the CRM sets its ARR to 0 afterwards
        make_account(session, external_id="changed", name="Changed", arr=0)
    assert steady != changed

    with db.unit_of_work() as session:
        then = queries.snapshot(session, at=before, horizon_days=None, churned={})
        now = queries.snapshot(session, at=NOW + timedelta(days=1), horizon_days=None, churned={})

    def arr(snapshot: queries.Snapshot, position: int) -> float:
        return float(snapshot.x[position, queries.COLUMN["arr_log"]])

    assert list(then.customer_ids) == list(now.customer_ids) and len(then.customer_ids) == 3
    assert arr(then, 0) == math.log1p(99_999) == arr(now, 0)
    assert math.isnan(arr(then, 1))  # written after the snapshot: unknown then, imputed in training
    assert arr(now, 1) == 0.0
    assert arr(then, 2) == 0.0 == arr(now, 2)  # no account
