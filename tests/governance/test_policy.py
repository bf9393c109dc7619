"""The contact policy's pure decisions: quiet hours in the customer's zone, holdout and sampling by stable hash,
response limits and the frequency cap weighted by channel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cxloop.governance import policy
from cxloop.governance.models import ContactPolicy


def _policy(**changes: object) -> ContactPolicy:
    fields = {**policy.DEFAULTS, "key": "default", **changes}
    return ContactPolicy(id=1, updated_at=datetime(2026, 1, 1, tzinfo=UTC), **fields)


def _recipient(**changes: object) -> policy.Recipient:
    fields: dict[str, object] = {
        "customer_id": 7,
        "email": "a@example.com",
        "phone": "+12015550100",
        "timezone": "Europe/Berlin",
        "consent": {("*", "sms"): True},
    }
    return policy.Recipient(**{**fields, **changes})  # type: ignore[arg-type]  # test data by keyword


NO_HISTORY = policy.History(recent=[], last_to_survey=None, last_answered=None)


def _decide(rules: ContactPolicy, at: datetime, channel: str = "sms", **changes: object) -> policy.Decision:
    return policy.decide(
        rules,
        recipient=_recipient(**changes),
        channel=channel,
        history=NO_HISTORY,
        resurvey_days=90,
        responses=policy.ResponseRule(),
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
    answered = policy.History(recent=[], last_to_survey=None, last_answered=at - timedelta(days=45))
    recent = policy.History(recent=[(at - timedelta(days=1), "email")], last_to_survey=None, last_answered=None)

    def decide(history: policy.History, *, limit: str = "once", period: int | None = None) -> policy.Decision:
        return policy.decide(
            _policy(),
            recipient=_recipient(),
            channel="email",
            history=history,
            resurvey_days=90,
            responses=policy.ResponseRule(limit, period),
            occurrence="x",
            at=at,
        )

    assert decide(answered).reason == "already_answered"
    assert decide(answered, limit="per_invitation").send
    assert decide(answered, limit="per_period", period=60).reason == "answered_in_period"
    assert decide(answered, limit="per_period", period=45).send  # the period is over
    assert decide(recent).reason == "frequency_cap"
    assert decide(recent).policy == "default"
    assert _decide(_policy(), at, consent={("*", "sms"): False}).reason == "opted_out"
    assert _decide(_policy(), at, consent={("research", "sms"): False}).reason == "opted_out"
    # A "no" to follow-up messages says nothing about surveys (with the SMS opt-in given for every purpose).
    assert _decide(_policy(), at, consent={("*", "sms"): True, ("follow_up", "*"): False}).send


def test_the_frequency_cap_weighs_each_contact_by_its_channel() -> None:
    at = datetime(2026, 6, 1, 10, tzinfo=UTC)
    emailed = policy.History(recent=[(at - timedelta(hours=2), "email")], last_to_survey=None, last_answered=None)

    def decide(rules: ContactPolicy, channel: str, history: policy.History) -> policy.Decision:
        return policy.decide(
            rules,
            recipient=_recipient(),
            channel=channel,
            history=history,
            resurvey_days=90,
            responses=policy.ResponseRule(),
            occurrence=f"{channel}:{len(history.recent)}",
            at=at,
        )

    assert decide(_policy(), "widget", emailed).reason == "frequency_cap"  # prompts count by default
    assert decide(_policy(channel_weights={"widget": 0.0}), "widget", emailed).send  # ... unless weighed 0
    assert decide(_policy(), "link", emailed).send  # links weigh 0 by default
    prompted = policy.History(recent=[(at - timedelta(hours=2), "widget")], last_to_survey=None, last_answered=None)
    half = _policy(max_invitations=1, channel_weights={"widget": 0.5})
    assert decide(half, "email", prompted).send  # one prompt at 0.5 leaves room
    twice = policy.History(recent=[*prompted.recent, (at - timedelta(hours=1), "widget")], **_no_survey())
    assert decide(half, "email", twice).reason == "frequency_cap"  # two prompts at 0.5 fill a cap of 1
    old = policy.History(recent=[(at - timedelta(days=15), "email")], **_no_survey())
    assert decide(_policy(), "widget", old).send  # outside the 14-day window


def _no_survey() -> dict[str, None]:
    return {"last_to_survey": None, "last_answered": None}
