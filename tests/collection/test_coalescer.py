"""Single-response POSTs that arrive together share a transaction, yet each gets exactly its own result."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from cxloop.app import create_app
from cxloop.collection.coalescer import ResponseCoalescer
from cxloop.core.config import Settings
from cxloop.storage.database import Database
from cxloop.surveys.models import Survey
from tests.collection.conftest import count_responses, rollup_total

URL = "/api/v1/responses"


async def _post_together(app: Any, headers: dict[str, str], bodies: list[tuple[dict[str, Any], str | None]]) -> list:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers) as client:
        requests = [
            client.post(URL, json=body, headers={"Idempotency-Key": key} if key else {}) for body, key in bodies
        ]
        return list(await asyncio.gather(*requests))


def test_concurrent_singles_keep_their_own_results(
    settings: Settings, db: Database, survey: Survey, admin_headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(settings, database=db)
    seen_batches: list[int] = []
    original = ResponseCoalescer._store

    def spy(self: ResponseCoalescer, payloads: list[object], keys: list[str | None]) -> Any:
        seen_batches.append(len(payloads))
        return original(self, payloads, keys)

    monkeypatch.setattr(ResponseCoalescer, "_store", spy)
    bodies: list[tuple[dict[str, Any], str | None]] = [({"survey": "rnps", "nps": i % 11}, None) for i in range(20)]
    bodies += [
        ({"survey": "rnps", "nps": 42}, None),  # out of range: rejected alone
        ({"survey": "nope", "nps": 5}, None),  # unknown survey: 404 alone
        ({"survey": "rnps", "nps": 7}, "same-key"),
        ({"survey": "rnps", "nps": 7}, "same-key"),  # the same request resent at once: stored once
    ]
    answers = asyncio.run(_post_together(app, admin_headers, bodies))

    statuses = [a.status_code for a in answers]
    assert statuses[:20] == [201] * 20
    assert statuses[20] == 422 and answers[20].json()["errors"][0]["field"] == "nps"
    assert statuses[21] == 404
    assert sorted(statuses[22:]) == [200, 201]
    assert answers[22].json()["ids"] == answers[23].json()["ids"]
    assert len({a.json()["ids"][0] for a in answers[:20]}) == 20
    assert count_responses(db) == 21
    assert rollup_total(db, "nps") == 21
    assert max(seen_batches) > 1, "requests arriving together should share a transaction"


def test_a_resend_after_the_fact_is_a_duplicate(
    settings: Settings, db: Database, survey: Survey, admin_headers: dict[str, str]
) -> None:
    app = create_app(settings, database=db)
    first = asyncio.run(_post_together(app, admin_headers, [({"survey": "rnps", "nps": 9}, "k-1")]))[0]
    again = asyncio.run(_post_together(app, admin_headers, [({"survey": "rnps", "nps": 9}, "k-1")]))[0]
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == {"created": 0, "duplicates": 1, "ids": first.json()["ids"]}
    assert count_responses(db) == 1
