"""The contact policy's pure decisions: quiet hours in the customer's zone, holdout and sampling by stable hash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cxloop.governance import policy
from cxloop.governance.models import ContactPolicy


def _policy(**changes: object) -> ContactPolicy:
    return ContactPolicy(id=1, updated_at=datetime(2026, 1, 1, tzinfo=UTC), **{**policy.DEFAULTS, **changes})


def _recipient(**changes: object) -> policy.Recipient:
    fields: dict[str, object] = {
        "customer_id": 7,
        "email": "a@example.com",
        "phone": "+12015550100",
        "timezone": "Europe/Berlin",
        "consent": {"sms": True},
    }
    return policy.Recipient(**{**fields, **changes})  # type: ignore[arg-type]  # test data by keyword


NO_HISTORY = policy.History(recent_sent=[], last_to_survey=None, answered_survey=False)


def _decide(rules: ContactPolicy, at: datetime, channel: str = "sms", **changes: object) -> policy.Decision:
    return policy.decide(
        rules,
        recipient=_recipient(**changes),
        channel=channel,
        history=NO_HISTORY,
        resurvey_days=90,
        allow_multiple=False,
        occurrence="rule:1:customer:7",
        at=at,
    )


def test_an_sms_at_night_in_the_customers_zone_waits_for_the_morning() -> None:
    night = datetime(2026, 6, 1, 21, 30, tzinfo=UTC)  # 23:30 in Berlin (summer time)
    decision = _decide(_policy(), night)
    assert decision.send
    assert decision.at == datetime(2026, 6, 2, 6, 0, tzinfo=UTC)  # 08:00 in Berlin
    assert _decide(_policy(), night, channel="email").at == night  # email is not in quiet_channels
    noon = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    assert _decide(_policy(), noon).at == noon
    early = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)  # 06:00 in Berlin, before the end of quiet hours
    assert _decide(_policy(), early).at == datetime(2026, 6, 1, 6, 0, tzinfo=UTC)


def test_customers_without_a_zone_use_the_policy_default() -> None:
    night = datetime(2026, 1, 10, 23, 0, tzinfo=UTC)
    decision = _decide(_policy(default_timezone="America/New_York"), night, timezone=None)
    assert decision.at == night  # 18:00 in New York: not quiet


def test_holdout_and_sampling_are_stable_and_near_their_rates() -> None:
    rules = _policy(holdout_percent=10.0, sampling_rate=0.5)
    held = [cid for cid in range(10_000) if policy.in_holdout(rules, cid)]
    assert 900 <= len(held) <= 1_100
    assert held == [cid for cid in range(10_000) if policy.in_holdout(rules, cid)]
    sampled = sum(policy.sampled_in(rules, cid, "occurrence") for cid in range(10_000))
    assert 4_800 <= sampled <= 5_200
    held_out = _decide(rules, datetime(2026, 6, 1, 10, tzinfo=UTC), customer_id=held[0])
    assert (held_out.send, held_out.reason) == (False, policy.SuppressionReason.holdout)


def test_the_first_rule_that_says_no_gives_the_reason() -> None:
    at = datetime(2026, 6, 1, 10, tzinfo=UTC)
    answered = policy.History(recent_sent=[], last_to_survey=None, answered_survey=True)
    recent = policy.History(recent_sent=[at - timedelta(days=1)], last_to_survey=None, answered_survey=False)

    def decide(history: policy.History, *, allow_multiple: bool = False) -> policy.Decision:
        return policy.decide(
            _policy(),
            recipient=_recipient(),
            channel="email",
            history=history,
            resurvey_days=90,
            allow_multiple=allow_multiple,
            occurrence="x",
            at=at,
        )

    assert decide(answered).reason == "already_answered"
    assert decide(answered, allow_multiple=True).send
    assert decide(recent).reason == "frequency_cap"
    assert _decide(_policy(), at, consent={"sms": False}).reason == "opted_out"
