"""Discovery without a database: the number of themes is found (not given), names are readable key phrases, clusters
of a second run are matched to the first run's themes, rules match whole phrases, and degenerate input is handled."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest
from sklearn.metrics import normalized_mutual_info_score

from cxloop.text.themes import discovery, rules
from cxloop.text.themes.enums import ThemeKind
from tests.text.themes.corpus import TOPICS, corpus


def _topic_of(cluster: discovery.Cluster, labels: list[str]) -> str:
    (topic, _), *_ = Counter(labels[i] for i in cluster.members).most_common(1)
    return topic


@pytest.mark.parametrize("per_topic", [40, 150])
def test_four_separable_topics_are_found_and_named_by_their_phrases(per_topic: int) -> None:
    texts, labels = corpus(per_topic)
    found = discovery.discover(texts)
    assert len(found.clusters) == 4, [c.name for c in found.clusters]
    assert normalized_mutual_info_score(labels, found.labels) > 0.95
    assert found.chosen == 4 and found.silhouette[4] >= max(found.silhouette.values()) - 0.01  # within its error
    for cluster in found.clusters:
        topic = _topic_of(cluster, labels)
        words = {w for phrase in TOPICS[topic] for w in phrase.split()}
        named = cluster.name.split(", ")
        assert len(named) == discovery.NAME_PHRASES
        # every phrase of the name is made of the topic's own words, never filler or stop words
        assert all(set(p.split()) <= words for p in named), (topic, cluster.name)
        assert len(cluster.profile) > 5 and abs(sum(w * w for w in cluster.profile.values()) - 1) < 1e-3


def test_a_second_run_matches_clusters_to_the_themes_of_the_first() -> None:
    first_texts, first_labels = corpus(60, seed=1)
    first = discovery.discover(first_texts)
    known = [
        discovery.Known(100 + i, c.profile, c.centroid, "lsa") for i, c in enumerate(first.clusters)
    ]  # ids as stored
    topic_of_id = {100 + i: _topic_of(c, first_labels) for i, c in enumerate(first.clusters)}
    # new comments of three of the topics, other wording draws: the same themes, not the same rows
    second_texts, second_labels = corpus(60, topics=["billing", "app", "staff"], seed=2)
    second = discovery.discover(second_texts)
    matched = discovery.match(second.clusters, known, embedder="lsa")
    assert len(matched) == 3
    for index, theme_id in matched.items():
        assert topic_of_id[theme_id] == _topic_of(second.clusters[index], second_labels)


def test_unrelated_clusters_are_not_matched() -> None:
    texts, _ = corpus(50, topics=["billing", "app"])
    found = discovery.discover(texts)
    other = discovery.Known(7, {"weather": 0.8, "sunshine": 0.6}, None, "lsa")
    assert discovery.match(found.clusters, [other], embedder="lsa") == {}


def test_profile_scores_give_new_comments_to_the_theme_they_carry() -> None:
    texts, labels = corpus(50)
    found = discovery.discover(texts)
    profiles = [c.profile for c in found.clusters]
    topics = [_topic_of(c, labels) for c in found.clusters]
    scores = discovery.profile_scores(
        ["my parcel never arrived, courier lost it", "refund please, you charged twice", "nothing to do with it"],
        profiles,
    )
    assert topics[int(scores[0].argmax())] == "delivery"
    assert topics[int(scores[1].argmax())] == "billing"
    assert scores[2].max() == 0


def test_degenerate_input() -> None:
    assert discovery.discover([]).clusters == []
    only_stop_words = discovery.discover(["the and of", "it is", "a"])
    assert only_stop_words.clusters == [] and list(only_stop_words.labels) == [-1, -1, -1]
    few = discovery.discover(["refund please", "refund now"])
    assert len(few.labels) == 2
    assert discovery.clean("@Airline see https://x.y/z &amp; thanks") == "see & thanks"


def test_rules_match_whole_phrases_in_any_case_and_spacing() -> None:
    rule = rules.Rule(1, rules.compile_rule(["Money back", "refund"]))
    assert rule.matches("I want my MONEY   back")
    assert rule.matches("refund!")
    assert not rule.matches("refunded")  # whole words only
    assert not rule.matches("money is back")
    assert rules.phrase_errors(["  ", ""]) == ["give at least one keyword or phrase with a letter or digit in it"]
    assert rules.phrase_errors(["x" * 101])[0].startswith("a phrase has at most 100 characters")
    assert rules.phrase_errors(["?!"]) == ["a phrase needs a letter or digit"]
    assert rules.normalise_phrases(["Refund", "refund ", " money  back"]) == ["refund", "money back"]


def test_primary_theme_prefers_visible_then_rules_then_score() -> None:
    candidates = [
        rules.Candidate(1, ThemeKind.discovered, 0.9),
        rules.Candidate(2, ThemeKind.rule, 1.0, hidden=True),
        rules.Candidate(3, ThemeKind.rule, 1.0),
    ]
    assert rules.primary_of(candidates) == 3
    assert rules.primary_of(candidates[:2]) == 1
    assert rules.primary_of([]) is None


def test_weekly_counts_fill_empty_weeks() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 12, 6, 12, tzinfo=UTC)  # a Sunday
    weeks = rules.weekly(
        [now, datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC)], weeks=3, now=now
    )
    assert [c for _, c in weeks] == [1, 0, 2]
    assert weeks[-1][0] == datetime(2026, 11, 30, tzinfo=UTC)


def test_lsa_rows_are_unit_vectors() -> None:
    texts, _ = corpus(20)
    counts = discovery.counter(n_docs=len(texts)).fit_transform(texts)
    vectors = discovery.lsa_vectors(counts)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)


def test_score_impact_is_the_difference_of_two_nps_with_its_interval() -> None:
    import math

    from cxloop.analytics import stats

    d = stats.nps_difference({10: 8, 0: 2}, {10: 5, 0: 5})  # NPS 60 (n 10) against 0 (n 10)
    half = stats.Z95 * math.sqrt((1 - 0.6**2) / 10 + 1 / 10) * 100
    assert d.value == pytest.approx(60) and d.first.n == d.second.n == 10
    assert (d.ci_low, d.ci_high) == pytest.approx((60 - half, 60 + half)) and not d.significant  # it holds 0
    assert stats.nps_difference({10: 1}, {0: 3}).ci_low is None  # fewer than 2 on a side: no interval
    rules.use_nps_difference(stats.nps_difference)  # what cxloop.wiring does: text sits below analytics
    assert rules.nps_difference({9: 30, 0: 10}, {0: 30, 10: 10}).significant


def test_many_topics_of_uneven_size_are_found_without_being_told_their_number() -> None:
    """Twenty made-up topics (each its own eight words), from 15 to 72 comments each: the number of themes is chosen by
    the silhouette, not a trivially stable cut into two or three."""
    rng = random.Random(1)
    letters = "bcdfghjklmnprstvz"
    topics = [
        [f"{''.join(rng.choices(letters, k=3))}o{''.join(rng.choices(letters, k=2))}" for _ in range(8)]
        for _ in range(20)
    ]
    texts, labels = [], []
    for index, words in enumerate(topics):
        for _ in range(15 + 3 * index):
            texts.append(" ".join(rng.sample(words, 3)))
            labels.append(index)
    found = discovery.discover(texts)
    assert 16 <= len(found.clusters) <= 30, found.chosen
    assert normalized_mutual_info_score(labels, found.labels) > 0.9
    assert found.silhouette[found.chosen] >= max(found.silhouette.values()) - 0.01  # at the best, within its error
