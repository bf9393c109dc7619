"""An analyst's checks of the simulated year (demo/realism.py): realistic, and the planted patterns are there."""

from __future__ import annotations

import pytest

from cxloop.demo.realism import Realism, measure
from cxloop.demo.world import DemoWorld


@pytest.fixture(scope="module")
def figures(world: DemoWorld) -> Realism:
    return measure(world)


def test_comments_are_mostly_distinct_with_typos_varied_lengths_and_the_customers_languages(figures: Realism) -> None:
    assert figures.comments > 800
    assert figures.distinct_share >= 0.9
    assert 0.1 <= figures.typo_share <= 0.45
    assert figures.words["1-3"] >= 0.03 and figures.words["26+"] >= 0.1
    assert figures.comments_by_language.keys() == {"en", "de", "es"}
    assert figures.own_language_share == {"de": 1.0, "es": 1.0}


def test_scores_have_the_shape_real_programmes_see(figures: Realism) -> None:
    nps = figures.scores["relationship_nps"]
    assert nps.get(0, 0) + nps.get(1, 0) > 0
    assert 0.1 <= figures.nps_floor_share_of_detractors <= 0.4  # a spike at 0-1 among detractors
    assert nps[10] > nps[9] and figures.nps_top_share >= 0.3  # heavy promoters
    assert 0 < figures.nps < 50
    csat = figures.scores["support_csat"]
    assert csat[5] > csat[4] > csat[3] and csat[1] > csat[2]  # J-shaped: the unhappy go to the bottom
    ces = figures.scores["onboarding_ces"]
    assert ces[7] > ces[1] and max(ces, key=ces.__getitem__) in (5, 6)


def test_answers_follow_working_hours_and_weekdays_in_the_customers_time_zone(figures: Realism) -> None:
    assert figures.answers_in_working_hours >= 0.55
    assert figures.answers_at_night <= 0.1  # round the clock would be 25 %
    assert figures.answers_at_weekend <= 0.2  # evenly spread would be 29 %


def test_response_rates_are_those_of_real_programmes(figures: Realism) -> None:
    assert all(0.1 <= rate <= 0.32 for rate in figures.response_rates.values()), figures.response_rates


def test_invitations_keep_to_the_contact_policy_and_consent(figures: Realism) -> None:
    assert figures.sms_without_consent == 0
    assert figures.capped_within_window == 0.0  # the default policy: one email/SMS/prompt per 14 days
    assert figures.sms_fell_back_to_email > 0
    assert {"frequency_cap", "resurvey_interval", "opted_out"} <= figures.suppressed.keys()
    assert figures.invitations_sent + sum(figures.suppressed.values()) == figures.invitations_requested


def test_the_hidden_patterns_are_in_the_data(figures: Realism) -> None:
    p = figures.patterns
    # The outage week: quality complaints surge and NPS drops.
    assert p["incident_quality_comments_per_week_outage_week"] > 3 * p["incident_quality_comments_per_week_before"]
    assert p["incident_nps_outage_week"] < p["incident_nps_before"] - 15
    # SMB onboarding effort: harder onboarding, and those who found it hard churn far more.
    assert p["mean_ces_smb"] < p["mean_ces_enterprise"] - 0.5
    assert p["smb_churn_ces_1_3"] > 2 * p["smb_churn_ces_5_7"]
    # Support waits lower CSAT; detractors churn more; accounts renew with revenue.
    assert p["csat_wait_under_1h"] > p["csat_wait_1_4h"] > p["csat_wait_over_4h"]
    assert p["churn_detractors"] > 1.5 * p["churn_promoters"]
    assert p["renewals"] > 0 and p["renewed_arr"] > 0
